r"""Self-describing weight files: networks in ``.safetensors`` with their specs in the header.

A toyscope ``.safetensors`` file holds tensors (toyscope's names, :func:`toyscope.nets.named_tensors`,
``prefix.layer0.weight``, ...) and, in its header metadata (string to string):

* ``toyscope.networks``: JSON ``{"version": 1, "networks": {prefix: entry}}``, one entry per
  network the file holds: ``{"spec": spec_to_dict(spec), "leading_axes": [E], "axes": ["member"],
  "inputs": [...] | null, "outputs": [...] | null, "layout": "..."}`` (``leading_axes`` ``[]`` for
  one network, ``[K, E]`` for e.g. forks of an ensemble; ``axes`` names them);
* ``doc.<tensor name>``: what each tensor is, with its axes (tallies, tables, ... as well).

:func:`save` / :func:`load` write and read one network (or several, with ``prefix``);
:func:`header_metadata` builds the header for a file of several things (``toyscope.runs`` writes
``params.safetensors`` with it); :func:`load_model` opens any model file: a toyscope file, a
PyTorch-named ``.safetensors``, a ``.pt`` state dict, or a toyscope run folder.

Files without a spec: a toyscope file written before specs were saved gets its spec inferred
from its tensor names and shapes (a one-line :class:`UserWarning` says so and which activations
were assumed); a file with PyTorch names (``0.weight`` of shape ``(out, in)``) takes its
architecture from the caller's ``spec`` (:func:`toyscope.nets.parse_architecture`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import struct
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from . import _interface as interface
from ._gated_linear import GatedLinearNet
from ._inferred_specs import infer_networks, natural_key
from ._layered import LayeredNetwork
from ._mlp import MLP
from ._specs import check_format_version, spec_from_dict, spec_to_dict
from ._torch import from_torch, linear_layers, load_torch_file

HEADER_KEY = "toyscope.networks"
HEADER_VERSION = 1
_ENTRY_FIELDS = {"spec", "leading_axes", "axes", "inputs", "outputs", "layout"}


@dataclasses.dataclass(frozen=True)
class StoredNetwork:
    """A network as a file declares it: its spec, the names of its leading axes (``("member",)``
    for an ensemble, ``("fork", "member")``, ...; default: ``member`` for the last, ``axis{i}``
    before it) and optional names of its inputs and outputs."""

    spec: object
    axes: tuple[str, ...] | None = None
    inputs: tuple[str, ...] | None = None
    outputs: tuple[str, ...] | None = None


def _layout(spec) -> str:
    if isinstance(spec, (MLP, LayeredNetwork)):
        text = ("layer{i}.weight (d_in, d_out), layer{i}.bias (d_out,): h = act(x @ weight + bias), "
                "weight the transpose of torch.nn.Linear.weight")
        if isinstance(spec, LayeredNetwork):
            text += ("; input_order (d_0,): input slot s reads feature input_order[s]" if not spec.n_tokens else
                     "; embedding (vocab, d_0): token t -> row t, the MLP reads the tokens' rows concatenated")
            text += "; output_order (d_L,): output slot s is output output_order[s]"
        return text
    if isinstance(spec, GatedLinearNet):
        return "'s->t' (d_s, d_t): h_t = g_t sum_s g_e h_s W_e (row vectors, linear units)"
    return ("{embed,unembed,blocks.i.<linear>}.weight (d_in, d_out) and .bias (d_out,), y = x @ weight + bias; "
            "input_order (d_in,), output_order (d_out,)")


def _leaf_axes(name: str, ndim: int) -> tuple[str, ...]:
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" or "->" in name:
        axes = ("d_in", "d_out")
    elif leaf == "bias":
        axes = ("d_out",)
    elif leaf == "embedding":
        axes = ("token", "d_0")
    else:  # input_order / output_order
        axes = ("slot",)
    return axes if len(axes) == ndim else tuple(f"dim{i}" for i in range(ndim))


def _default_axes(n: int) -> tuple[str, ...]:
    return tuple(f"axis{i}" for i in range(n - 1)) + ("member",) if n else ()


def _describe(spec) -> str:
    if isinstance(spec, MLP):
        return f"MLP {'-'.join(map(str, spec.widths))} ({','.join(spec.activations)})"
    if isinstance(spec, LayeredNetwork):
        return f"layered network {'-'.join(map(str, spec.neuron_widths))} ({','.join(spec.mlp.activations)})"
    if isinstance(spec, GatedLinearNet):
        return f"gated linear net of {len(spec.nodes)} nodes and {len(spec.edges)} edges"
    return f"tiny transformer d_model={spec.d_model} n_layers={spec.n_layers}"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def network_docs(prefix: str, spec, leading_axes: Sequence[int], axes: Sequence[str] | None = None) -> dict[str, str]:
    """A doc for every tensor of a stored network: what it is and its axes.

    Example:
        >>> from toyscope import nets
        >>> nets.network_docs("final", nets.mlp([2, 3, 1]), (8,))["final.layer0.weight"]
        "layer0.weight of network 'final' (MLP 2-3-1 (relu,linear)); axes (member=8, d_in=2, d_out=3)"
    """
    axes = tuple(axes) if axes is not None else _default_axes(len(leading_axes))
    shapes = [tuple(leaf.shape) for leaf in jax.tree_util.tree_leaves(interface.param_shapes(spec))]
    docs = {}
    for name, shape in zip(interface.tensor_names(spec), shapes):
        names = (*axes, *_leaf_axes(name, len(shape)))
        sizes = (*leading_axes, *shape)
        label = ", ".join(f"{a}={s}" for a, s in zip(names, sizes))
        docs[_join(prefix, name)] = (f"{name} of network {prefix!r} ({_describe(spec)}); axes ({label})")
    return docs


def header_metadata(tensors: Mapping[str, np.ndarray], networks: Mapping[str, object] | None = None,
                    docs: Mapping[str, str] | None = None, *, require_docs: bool = True) -> dict[str, str]:
    """The header metadata of a self-describing ``.safetensors`` file.

    Args:
        tensors: ``{name: array}``, everything the file holds.
        networks: ``{prefix: spec or StoredNetwork}``: the networks among the tensors (their
            tensors are ``prefix.<tensor name>``; prefix ``""`` for none).
        docs: ``{tensor name: doc}``; network tensors without a doc get one from
            :func:`network_docs`.
        require_docs: refuse a tensor that is neither documented nor part of a network.

    Returns:
        ``{"toyscope.networks": json, "doc.<name>": doc, ...}``.

    Raises:
        ValueError: one line: a network whose tensors are missing or do not fit its spec (naming
            the tensor), a doc for a tensor the file does not hold, an undocumented tensor.
    """
    docs = dict(docs or {})
    entries = {}
    for prefix, stored in (networks or {}).items():
        stored = stored if isinstance(stored, StoredNetwork) else StoredNetwork(stored)
        try:
            params = interface.from_named_tensors(stored.spec, tensors, prefix)
            lead = interface.leading_axes(stored.spec, params)
        except ValueError as err:
            raise ValueError(f"network {prefix!r}: {err}") from None
        axes = tuple(stored.axes) if stored.axes is not None else _default_axes(len(lead))
        if len(axes) != len(lead):
            raise ValueError(f"network {prefix!r}: {len(axes)} axis names {axes} for leading axes {lead}")
        for name, doc in network_docs(prefix, stored.spec, lead, axes).items():
            docs.setdefault(name, doc)
        entries[prefix] = {"spec": spec_to_dict(stored.spec), "leading_axes": list(lead), "axes": list(axes),
                           "inputs": None if stored.inputs is None else list(stored.inputs),
                           "outputs": None if stored.outputs is None else list(stored.outputs),
                           "layout": _layout(stored.spec)}
    stray = sorted(set(docs) - set(tensors))
    if stray:
        raise ValueError(f"a doc for tensor {stray[0]!r}, which the file does not hold")
    if require_docs:
        missing = sorted(set(tensors) - set(docs))
        if missing:
            raise ValueError(f"tensor {missing[0]!r} has no doc: document every tensor (what it is and its axes)")
    metadata = {f"doc.{name}": str(doc) for name, doc in docs.items()}
    if entries:
        metadata[HEADER_KEY] = json.dumps({"version": HEADER_VERSION, "networks": entries}, sort_keys=True)
    return metadata


def save(path, spec, params, *, docs: Mapping[str, str] | None = None, names: Mapping[str, Sequence[str]] | None = None,
         prefix: str = "", axes: Sequence[str] | None = None) -> None:
    """Write one network (or an ensemble) to a self-describing ``.safetensors`` file.

    Args:
        path: the file (written atomically: tmp + rename).
        spec: the network's spec.
        params: its params (one network, an ensemble ``(E, ...)``, or more leading axes).
        docs: optional docs by tensor name (each tensor gets a generated one otherwise).
        names: optional ``{"inputs": [...], "outputs": [...]}`` names of the inputs and outputs.
        prefix: tensor-name prefix (default none: ``layer0.weight``).
        axes: names of the leading axes (default ``("member",)`` for an ensemble).

    Raises:
        ValueError: params that do not fit the spec, unknown keys in ``names``.

    Example:
        >>> import jax, tempfile, os
        >>> from toyscope import nets
        >>> spec = nets.mlp([2, 3, 1], "sigmoid", "sigmoid")
        >>> path = os.path.join(tempfile.mkdtemp(), "xor.safetensors")
        >>> nets.save(path, spec, nets.init(spec, key=jax.random.key(0), n_networks=5))
        >>> loaded_spec, params = nets.load(path)
        >>> loaded_spec == spec, params[0]["weight"].shape
        (True, (5, 2, 3))
    """
    from safetensors.numpy import save as save_bytes

    names = dict(names or {})
    unknown = sorted(set(names) - {"inputs", "outputs"})
    if unknown:
        raise ValueError(f"names has key {unknown[0]!r}; valid: inputs, outputs")
    tensors = {name: np.ascontiguousarray(np.asarray(leaf))
               for name, leaf in interface.named_tensors(spec, params, prefix).items()}
    stored = StoredNetwork(spec, None if axes is None else tuple(axes),
                           None if names.get("inputs") is None else tuple(map(str, names["inputs"])),
                           None if names.get("outputs") is None else tuple(map(str, names["outputs"])))
    metadata = header_metadata(tensors, {prefix: stored}, docs)
    _atomic_write(Path(path), save_bytes(tensors, metadata=metadata))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_safetensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    from safetensors import safe_open

    with open(path, "rb") as handle:
        head = handle.read(9)
    if len(head) < 9 or head[8:9] != b"{" or struct.unpack("<Q", head[:8])[0] > path.stat().st_size:
        hint = " (it looks like a PyTorch file: name it .pt)" if head[:4] == b"PK\x03\x04" or head[:1] == b"\x80" else ""
        raise ValueError(f"{path} is not a safetensors file (no safetensors header){hint}")
    try:
        with safe_open(str(path), framework="np") as handle:
            metadata = dict(handle.metadata() or {})
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except Exception as err:  # noqa: BLE001 - safetensors raises several types
        raise ValueError(f"{path} is not a valid safetensors file ({err})") from None
    return tensors, metadata


def read_networks(metadata: Mapping[str, str], *, where: str = "file") -> dict[str, dict]:
    """The declared networks of a header: ``{prefix: entry}`` with ``entry["spec"]`` a spec object
    (``{}`` for a file without ``toyscope.networks``).

    Raises:
        ValueError: one line naming the field: not JSON, a newer version, an unknown field.
    """
    if HEADER_KEY not in metadata:
        return {}
    try:
        header = json.loads(metadata[HEADER_KEY])
    except json.JSONDecodeError as err:
        raise ValueError(f"{where}: header field {HEADER_KEY!r} is not JSON ({err})") from None
    if not isinstance(header, dict) or not isinstance(header.get("networks"), dict):
        raise ValueError(f"{where}: header field {HEADER_KEY!r} lacks a 'networks' object")
    check_format_version(header.get("version"), HEADER_VERSION, where, f"header field {HEADER_KEY!r}.version")
    out = {}
    for prefix, entry in header["networks"].items():
        label = f"{where}: network {prefix!r}"
        if not isinstance(entry, dict):
            raise ValueError(f"{label}: expected an object")
        unknown = sorted(set(entry) - _ENTRY_FIELDS)
        if unknown:
            raise ValueError(f"{label}: unknown field {unknown[0]!r}; valid: {', '.join(sorted(_ENTRY_FIELDS))}")
        if "spec" not in entry:
            raise ValueError(f"{label}: field 'spec' is missing")
        out[prefix] = {**entry, "spec": spec_from_dict(entry["spec"], where=f"{label} field 'spec'")}
    return out


def load(path, *, spec=None, prefix: str | None = None):
    """Read a network from a ``.safetensors`` file: ``(spec, params)``.

    The spec comes from the file's header (see the module doc). A file written before specs were
    saved gets one inferred from its tensor names (a one-line warning says so, and which
    activations were assumed: pass ``spec`` to give them); a file with PyTorch names (``0.weight``
    ``(out, in)``, ...) needs ``spec`` (e.g. ``nets.parse_architecture("2-3-1", "sigmoid")``).

    Args:
        path: the file.
        spec: the architecture, for a file without one; for a file with one it must agree.
        prefix: which network of a file holding several (default: the only one).

    Returns:
        ``(spec, params)``; params are numpy arrays, bit-equal to the saved ones, with their
        leading axes (``(E, ...)`` for an ensemble).

    Raises:
        ValueError: one line: not a safetensors file, a spec that disagrees with its tensors
            (naming the tensor) or with ``spec``, a newer spec version, several networks and no
            ``prefix``, no spec and none given.
    """
    spec, params, notice = _load(Path(path), spec, prefix)
    if notice:
        warnings.warn(notice, UserWarning, stacklevel=2)
    return spec, params


def _load(path: Path, spec, prefix):
    """``(spec, params, notice or "")`` of a ``.safetensors`` file (the notice for an inferred spec)."""
    if not path.is_file():
        raise ValueError(f"no file at {path}")
    tensors, metadata = _read_safetensors(path)
    where = str(path)
    if not tensors:
        raise ValueError(f"{where} holds no tensors")
    declared = read_networks(metadata, where=where)
    if not declared:
        return _undeclared(where, tensors, spec, prefix)
    prefix = _choose_network(where, declared, prefix)
    entry = declared[prefix]
    if spec is not None and spec != entry["spec"]:
        raise ValueError(f"{where}: network {prefix!r} is a {entry['spec']!r}, not the given spec {spec!r}")
    try:
        params = interface.from_named_tensors(entry["spec"], tensors, prefix)
        lead = interface.leading_axes(entry["spec"], params)
    except ValueError as err:
        raise ValueError(f"{where}: network {prefix!r} disagrees with its tensors: {err}") from None
    if list(lead) != list(entry.get("leading_axes", lead)):
        raise ValueError(f"{where}: network {prefix!r} field 'leading_axes' is {entry['leading_axes']}, "
                         f"its tensors have {list(lead)}")
    return entry["spec"], params, ""


_TORCH_NAME = re.compile(r"^.+\.(weight|bias)$")


def _choose_network(where: str, networks, prefix: str | None) -> str:
    """The network ``prefix`` of the (non-empty) ``networks`` a file holds; without ``prefix``, its
    only network. Raises a one-line ValueError when ``prefix`` is absent or there are several."""
    if prefix is None:
        if len(networks) > 1:
            raise ValueError(f"{where} holds {len(networks)} networks ({', '.join(map(repr, networks))}): "
                             "name one (prefix= / network=)")
        return next(iter(networks))
    if prefix not in networks:
        raise ValueError(f"{where} holds no network {prefix!r}; it holds {', '.join(map(repr, networks))}")
    return prefix


def _undeclared(where: str, tensors, spec, prefix):
    """A file without ``toyscope.networks``: toyscope names (inferred, with a notice) or PyTorch names."""
    inferred = infer_networks(tensors)
    if inferred:
        prefix = _choose_network(where, inferred, prefix)
        guess, assumed = inferred[prefix]
        chosen = guess if spec is None else spec
        try:
            params = interface.from_named_tensors(chosen, tensors, prefix)
        except ValueError as err:
            raise ValueError(f"{where}: network {prefix!r} does not fit the given spec: {err}") from None
        notice = "" if spec is not None else (
            f"{where} has no toyscope spec (written before specs were saved): network {prefix!r} inferred from its "
            f"tensor names as {_describe(guess)}" + (f", assuming {assumed}: pass spec= to give them" if assumed else ""))
        return chosen, params, notice
    if tensors and all(_TORCH_NAME.match(name) for name in tensors):
        ordered = {name: tensors[name] for name in sorted(tensors, key=natural_key)}
        return (*_from_state(where, ordered, spec), "")
    raise ValueError(f"{where} holds no network toyscope can read: no 'toyscope.networks' header, and tensor "
                     f"names ({', '.join(sorted(tensors)[:4])}, ...) are neither toyscope's (layer0.weight) nor "
                     "PyTorch's (0.weight)")


def _from_state(where: str, state, spec):
    """``(spec, params)`` of a PyTorch-named state dict (numpy arrays, in layer order); weights
    with a leading axis (``torch.func.stack_module_state``'s ``(E, d_out, d_in)``) are an ensemble."""
    lead = 1 if all(np.ndim(v) == 3 for k, v in state.items() if k.endswith(".weight")) else 0
    if spec is None:
        layers = linear_layers(state, where=where, lead=lead)
        arch = "-".join(str(w) for w in [layers[0][1].shape[-1], *(w.shape[-2] for _, w, _ in layers)])
        raise ValueError(f"{where} holds PyTorch tensors, which do not say their activations: give the architecture "
                         f"(spec=nets.parse_architecture({arch!r}, 'relu'); CLI --arch {arch} --activation NAME)")
    try:
        activations = _mlp_of(spec, where).activations
        got, params = from_torch((state, {}) if lead else state, activations=activations)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    if got != spec:
        raise ValueError(f"{where}: its tensors are an {_describe(got)} (biases {got.biases}), not the given "
                         f"spec {spec!r}")
    return got, params


def _mlp_of(spec, where: str) -> MLP:
    if not isinstance(spec, MLP):
        raise ValueError(f"{where}: a PyTorch file holds an MLP (nn.Linear layers); got a {type(spec).__name__} spec")
    return spec


_TORCH_SUFFIXES = (".pt", ".pth", ".bin")


def load_model(path, *, spec=None, network: str | None = None):
    """Open any model file as ``(spec, params)``, dispatching on what the file is.

    * a toyscope ``.safetensors`` (spec in the header; see :func:`load`), including one written
      before specs were saved (spec inferred, with a notice);
    * a ``.safetensors`` with PyTorch names (``0.weight`` ``(out, in)``, ...): needs ``spec``;
    * a ``.pt`` / ``.pth`` / ``.bin`` PyTorch state dict (read with ``torch.load(weights_only=True)``:
      a pickled module is refused as unsafe to load); needs ``spec`` (or its activations);
    * a toyscope run folder (its ``params.safetensors``; ``network`` names one of several).

    Args:
        path: the file or folder.
        spec: the architecture, for files that do not carry one (``nets.parse_architecture``).
        network: which network of a file or run folder holding several (its tensor prefix).

    Returns:
        ``(spec, params)`` with numpy params (leading ``E`` for an ensemble).

    Raises:
        ValueError: one line: no such path, a file that is not what its suffix claims, an
            unsupported suffix, no architecture and none given, an unsupported PyTorch layer.

    Example:
        >>> import jax, tempfile, os
        >>> from toyscope import nets
        >>> spec = nets.mlp([2, 3, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
        >>> nets.save(path, spec, nets.init(spec, key=jax.random.key(0)))
        >>> nets.load_model(path)[0] == spec
        True
    """
    path = Path(path)
    if path.is_dir():
        params_file = path / "params.safetensors"
        if not params_file.is_file():
            raise ValueError(f"{path} is a folder without params.safetensors: not a toyscope run folder")
        path = params_file
    elif not path.is_file():
        raise ValueError(f"no model at {path}")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        spec, params, notice = _load(path, spec, network)
        if notice:
            warnings.warn(notice, UserWarning, stacklevel=2)
        return spec, params
    if suffix in _TORCH_SUFFIXES:
        state = load_torch_file(path)
        if network:
            state = {k[len(network) + 1:]: v for k, v in state.items() if k.startswith(network + ".")}
        return _from_state(str(path), state, spec)
    raise ValueError(f"{path}: unsupported model file {suffix or '(no suffix)'!r}; valid: a toyscope run folder, "
                     ".safetensors, .pt / .pth / .bin (PyTorch state dicts)")
