r"""Specs of networks in files that do not declare them: toyscope files written before specs
were saved, read from their tensor names and shapes (:func:`infer_networks`).

MLPs (``layer{i}.weight``), layered networks (with ``input_order`` or ``embedding``, and
``output_order``), tiny transformers (``embed``, ``blocks.{i}``, ``unembed``) and gated linear
nets (``s->t``) are recognised. Widths, biases, tokens, nodes and edges are exact; activations
(and a transformer's head count) are not in the tensors and are assumed, and said so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from ._gated_linear import GatedLinearNet
from ._layered import LayeredNetwork
from ._mlp import MLP, mlp
from ._tiny_transformer import TinyTransformer


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


_LAYER = re.compile(r"^(?:(?P<prefix>.+)\.)?layer(?P<index>\d+)\.(?P<leaf>weight|bias)$")
_BLOCK = re.compile(r"^(?:(?P<prefix>.+)\.)?blocks\.(?P<index>\d+)\.(?P<linear>\w+)\.(?P<leaf>weight|bias)$")


def infer_networks(tensors: Mapping[str, np.ndarray]) -> dict[str, tuple[object, str]]:
    """The networks among tensors with toyscope names but no declared spec (files written before
    specs were saved): ``{prefix: (spec, what was assumed)}``.

    MLPs (``layer{i}.weight``), layered networks (with ``input_order``/``embedding`` and
    ``output_order``), tiny transformers (``embed``, ``blocks.{i}``, ``unembed``) and gated
    linear nets (``s->t``) are recognised from names and shapes. Activations are not in the
    tensors: MLPs are assumed relu (output linear), layered networks silu, transformers gelu with
    one head (the constructors' defaults), and the second element says so.
    """
    shapes = {name: np.shape(array) for name, array in tensors.items()}
    found: dict[str, tuple[object, str]] = {}
    layers: dict[str, dict[int, dict[str, tuple]]] = {}
    for name, shape in shapes.items():
        match = _LAYER.match(name)
        if match and not _BLOCK.match(name):
            layers.setdefault(match["prefix"] or "", {}).setdefault(int(match["index"]), {})[match["leaf"]] = shape
    for prefix, by_index in layers.items():
        spec = _infer_mlp(by_index)
        if spec is None:
            continue
        extra = {key: shapes.get(_join(prefix, key)) for key in ("input_order", "embedding", "output_order")}
        if extra["output_order"] is not None and (extra["input_order"] is not None or extra["embedding"] is not None):
            lead = len(extra["output_order"]) - 1
            n_tokens, vocab = 0, 0
            if extra["embedding"] is not None:
                vocab, d_0 = extra["embedding"][lead:]
                n_tokens = spec.widths[0] // d_0 if d_0 and spec.widths[0] % d_0 == 0 else 0
                if not n_tokens:
                    continue
            spec = LayeredNetwork(mlp(spec.widths, "silu", bias=spec.biases[0] if len(set(spec.biases)) == 1
                                      else spec.biases), n_tokens, vocab)
            found[prefix] = (spec, "silu activations (output linear)")
        else:
            found[prefix] = (spec, "relu activations (output linear)")
    found.update(_infer_transformers(shapes))
    found.update(_infer_gated(shapes))
    return found


def _infer_mlp(by_index: dict[int, dict[str, tuple]]) -> MLP | None:
    if sorted(by_index) != list(range(len(by_index))) or any("weight" not in v for v in by_index.values()):
        return None
    weights = [by_index[i]["weight"] for i in range(len(by_index))]
    if len({len(w) for w in weights}) != 1 or len(weights[0]) < 2:
        return None
    widths = [weights[0][-2]] + [w[-1] for w in weights]
    if any(weights[i][-2] != widths[i] for i in range(len(weights))):
        return None
    return mlp(widths, "relu", bias=[("bias" in by_index[i]) for i in range(len(by_index))])


def _infer_transformers(shapes) -> dict[str, tuple[object, str]]:
    found = {}
    for name, shape in shapes.items():
        if not name.endswith("embed.weight") or name.endswith("unembed.weight"):
            continue
        prefix = name[: -len("embed.weight")].rstrip(".")
        lead = len(shape) - 2
        blocks = {int(m["index"]) for n in shapes if (m := _BLOCK.match(n)) and (m["prefix"] or "") == prefix}
        unembed = shapes.get(_join(prefix, "unembed.weight"))
        if unembed is None or not blocks or sorted(blocks) != list(range(len(blocks))):
            continue
        d_in, d_model = shape[lead:]
        d_mlp = shapes[_join(prefix, "blocks.0.mlp_in.weight")][-1]
        spec = TinyTransformer(d_in, unembed[-1], d_model, len(blocks), 1, d_mlp, "gelu")
        found[prefix] = (spec, "gelu activations and one attention head")
    return found


def _infer_gated(shapes) -> dict[str, tuple[object, str]]:
    groups: dict[str, list[tuple[str, str, tuple]]] = {}
    for name, shape in shapes.items():
        if "->" not in name or len(shape) < 2:
            continue
        left, target = name.split("->", 1)
        prefix, _, source = left.rpartition(".")
        groups.setdefault(prefix, []).append((source, target, shape))
    found = {}
    for prefix, edges in groups.items():
        widths: dict[str, int] = {}
        for source, target, shape in edges:
            widths.setdefault(source, shape[-2])
            widths.setdefault(target, shape[-1])
        order = _topological([(s, t) for s, t, _ in edges], sorted(widths, key=natural_key))
        if order is None:
            continue
        rank = {n: i for i, n in enumerate(order)}
        pairs = sorted(((s, t) for s, t, _ in edges), key=lambda e: (rank[e[0]], rank[e[1]]))
        try:
            found[prefix] = (GatedLinearNet(tuple((n, widths[n]) for n in order), tuple(pairs)), "")
        except ValueError:
            continue
    return found


def natural_key(name: str):
    """Sort key of names with numbers in numeric order (``h2`` before ``h10``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _topological(edges, nodes):
    incoming = {n: 0 for n in nodes}
    for _, t in edges:
        incoming[t] += 1
    order, ready = [], [n for n in nodes if incoming[n] == 0]
    while ready:
        node = ready.pop(0)
        order.append(node)
        for s, t in edges:
            if s == node:
                incoming[t] -= 1
                if incoming[t] == 0:
                    ready.append(t)
        ready.sort(key=natural_key)
    return order if len(order) == len(nodes) else None
