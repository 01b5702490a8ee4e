"""Cached stage results and checkpoints as arrays plus a JSON description: never pickles.

One ``.npz`` file (written atomically, read with ``allow_pickle=False``) holds every array of a
value and, under ``structure``, a JSON description of how they nest. The description may name
only plain containers (``dict``, ``list``, ``tuple``), ``None``, numbers, strings, arrays and the
few types of :data:`REBUILDABLE` (NamedTuples and dataclasses of arrays, rebuilt by calling the
class with their fields). Any other pytree node, an optimiser state for example, is stored as
its leaves alone and rebuilt from the ``template`` the reader is given (the training engine
passes the state it builds with ``optimizer.init(params)``), so loading a file never creates an
object of a class the file names.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import train
from ._files import RunFolderError, atomic_write_bytes

FORMAT = "toyscope-tree-1"
_ARRAY_KINDS = "biufcUS"  # bool, ints, floats, complex, str, bytes: never object arrays


def _rebuildable() -> dict[str, type]:
    types = {"toyscope.train.TrainResult": train.TrainResult,
             "toyscope.train.ConvergeRecord": train.ConvergeRecord}
    # the states of the optimisers train.Optimizer builds (a TrainResult carries its final one)
    types.update({f"optax.{cls.__name__}": cls for cls in (optax.EmptyState, optax.TraceState, optax.ScaleByAdamState)})
    return types


REBUILDABLE: dict[str, type] = _rebuildable()
_NAMES = {cls: name for name, cls in REBUILDABLE.items()}


class UnstorableValue(TypeError):
    """A value holds an object that a run folder cannot store safely (names the type and where)."""


def write_tree(path: Path, value: Any, *, leaves_for_unknown_nodes: bool = False) -> None:
    """Store ``value`` in ``path`` (an ``.npz`` file), atomically.

    Args:
        leaves_for_unknown_nodes: store a pytree node of an unlisted type (an optax state, say) as
            its leaves, to be rebuilt from a template by :func:`read_tree`; when False such a node
            raises :class:`UnstorableValue`.
    """
    arrays: dict[str, np.ndarray] = {}
    structure = _encode(value, arrays, leaves_for_unknown_nodes, "value")
    text = json.dumps({"format": FORMAT, "value": structure}, allow_nan=False)
    buffer = io.BytesIO()
    np.savez(buffer, structure=np.frombuffer(text.encode("utf-8"), np.uint8), **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def read_tree(path: Path, template: Any = None) -> Any:
    """Read a value written by :func:`write_tree`; nodes stored as leaves are rebuilt on the
    structure of the matching part of ``template`` (same leaf count, shapes and dtypes).

    Raises:
        RunFolderError: the file is not such a file, or does not fit ``template``.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        document = json.loads(arrays.pop("structure").tobytes().decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        return _decode(document["value"], arrays, template)
    except RunFolderError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as err:
        raise RunFolderError(f"{path} is corrupt ({type(err).__name__}: {err}); delete it to redo that stage") from None


def _encode(value, arrays, holes: bool, where: str):
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        return _encode_array(value, arrays, where)
    if type(value) is list:
        return {"$list": [_encode(v, arrays, holes, f"{where}[{i}]") for i, v in enumerate(value)]}
    if type(value) is tuple:
        return {"$tuple": [_encode(v, arrays, holes, f"{where}[{i}]") for i, v in enumerate(value)]}
    if type(value) is dict:
        return {"$dict": [[_encode(k, arrays, False, f"{where} key"), _encode(v, arrays, holes, f"{where}[{k!r}]")]
                          for k, v in value.items()]}
    name = _NAMES.get(type(value))
    if name is not None:
        fields = value._asdict() if hasattr(value, "_asdict") else {
            f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"$type": name, "fields": {k: _encode(v, arrays, holes, f"{where}.{k}") for k, v in fields.items()}}
    leaves, treedef = jax.tree_util.tree_flatten(value)
    if holes and not (treedef.num_nodes == 1 and len(leaves) == 1):  # a pytree node, not a leaf
        return {"$leaves": [_encode_array(np.asarray(leaf), arrays, f"{where} leaf") for leaf in leaves],
                "type": f"{type(value).__module__}.{type(value).__qualname__}"}
    raise UnstorableValue(f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which a run folder "
                          f"cannot store safely (arrays, numbers, strings, dict/list/tuple and "
                          f"{', '.join(REBUILDABLE)} only)")


def _encode_array(value, arrays, where: str):
    array = np.asarray(value)
    if array.dtype.kind not in _ARRAY_KINDS:
        raise UnstorableValue(f"{where} is an array of dtype {array.dtype}, which a run folder cannot store safely")
    key = f"a{len(arrays)}"
    arrays[key] = array
    kind = "jax" if isinstance(value, jax.Array) else "scalar" if isinstance(value, np.generic) else "numpy"
    return {"$array": key, "kind": kind}


def _decode(node, arrays, template):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list) or not isinstance(node, dict) or len(node) == 0:
        raise ValueError(f"unexpected node {str(node)[:60]}")
    if "$float" in node:
        text = node["$float"]
        if text not in ("inf", "-inf", "nan"):
            raise ValueError(f"bad float {text!r}")
        return float(text)
    if "$array" in node:
        return _decode_array(node, arrays)
    if "$list" in node:
        items = node["$list"]
        parts = template if isinstance(template, list) and len(template) == len(items) else [None] * len(items)
        return [_decode(v, arrays, t) for v, t in zip(items, parts)]
    if "$tuple" in node:
        items = node["$tuple"]
        parts = template if isinstance(template, tuple) and len(template) == len(items) else [None] * len(items)
        return tuple(_decode(v, arrays, t) for v, t in zip(items, parts))
    if "$dict" in node:
        out = {}
        for key, value in node["$dict"]:
            key = _decode(key, arrays, None)
            out[key] = _decode(value, arrays, template.get(key) if isinstance(template, dict) else None)
        return out
    if "$type" in node:
        cls = REBUILDABLE.get(node["$type"])
        if cls is None:
            raise ValueError(f"type {node['$type']!r} is not one a run folder may rebuild")
        names = list(cls._fields) if hasattr(cls, "_fields") else [f.name for f in dataclasses.fields(cls)]
        fields = node["fields"]
        if sorted(fields) != sorted(names):
            raise ValueError(f"{node['$type']} needs fields {names}, got {sorted(fields)}")
        return cls(**{k: _decode(v, arrays, getattr(template, k, None)) for k, v in fields.items()})
    if "$leaves" in node:
        return _fill(node, arrays, template)
    raise ValueError(f"unexpected node {str(node)[:60]}")


def _decode_array(node, arrays):
    array = arrays[node["$array"]]
    kind = node.get("kind")
    if kind == "scalar":
        return array[()]
    if kind == "jax":
        return jnp.asarray(array)
    if kind == "numpy":
        return array
    raise ValueError(f"unknown array kind {kind!r}")


def _fill(node, arrays, template):
    """Rebuild a node stored as leaves on the structure of ``template``."""
    if template is None:
        raise RunFolderError(f"a stored {node.get('type')} can only be rebuilt from a template, and none was given")
    leaves, treedef = jax.tree_util.tree_flatten(template)
    stored = [_decode_array(leaf, arrays) for leaf in node["$leaves"]]
    if len(stored) != len(leaves):
        raise RunFolderError(f"stored {node.get('type')} has {len(stored)} leaves, the template {len(leaves)}: "
                             "the run's code or config changed since it was saved")
    for i, (have, want) in enumerate(zip(stored, leaves)):
        if np.shape(have) != np.shape(want) or np.asarray(have).dtype != np.asarray(want).dtype:
            raise RunFolderError(f"stored {node.get('type')} leaf {i} is {np.asarray(have).dtype}{list(np.shape(have))}, "
                                 f"the template's {np.asarray(want).dtype}{list(np.shape(want))}: "
                                 "the run's code or config changed since it was saved")
    return jax.tree_util.tree_unflatten(treedef, stored)
