r"""Gate labels and circuit signatures of every unit of an MLP of any depth on binary inputs.

Every unit of every layer (hidden and output) is *on* for an input when its pre-activation is
positive, and its truth table is taken over all :math:`2^n` binary inputs
(:func:`toyscope.tasks.binary_inputs`), :math:`n \le 16`; the table is named by
:func:`boolean_function_name`. A layer above the first is also read as a function of the binary
pattern of the layer below (when that layer has at most 12 units): rows of the layer below that
no input produces are don't-cares (``-``), as in :func:`circuit_labels`. The *circuit signature*
of a network is the first layer's names, then each later layer described over the layer below,
``" -> "`` between layers; for a one-hidden-layer net it is exactly :func:`circuit_labels`'s.
"""

from __future__ import annotations

import dataclasses
import itertools

import jax
import numpy as np

from .. import nets
from ._gate_names import MAX_GATE_INPUTS, boolean_function_name, input_names
from ._gates import consistent_gates, layer_truth_tables

#: a layer is read over the binary patterns of the layer below when that layer has at most this many units
MAX_BELOW_WIDTH = 12


@dataclasses.dataclass
class GateLabels:
    """Gate labels of every unit of an ensemble of MLPs (see :func:`gate_labels`).

    Layer ``l`` (0-based) is the output of ``params[l]``; the last layer is the output layer.

    Attributes:
        tables: per layer ``(E, 2**n, d_l)`` bool: each unit on/off over every binary input.
        names: per layer ``(E, d_l)`` str: :func:`boolean_function_name` of each unit's table.
        of_below: per layer ``(E, d_l)`` str: each unit over the binary patterns of the layer
            below, ``-`` where no input reaches the pattern; ``None`` for layer 0 and for a layer
            above one of more than 12 units.
        signatures: ``(E,)`` the circuit signature of each network.
        unordered_signatures: ``(E,)`` the same with each hidden layer's units sorted by
            (name, table) and the layer above permuted along, so permuted twins share it.
        composition_consistent: ``(E,)`` whether composing each layer's labelled gates over the
            layer below reproduces the on/off of every unit above on every input.
    """

    tables: list[np.ndarray]
    names: list[np.ndarray]
    of_below: list[np.ndarray | None]
    signatures: np.ndarray
    unordered_signatures: np.ndarray
    composition_consistent: np.ndarray

    def counts(self) -> dict[str, int]:
        """How many networks share each signature, most common first."""
        values, counts = np.unique(self.signatures, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        return {str(values[i]): int(counts[i]) for i in order}


def gate_labels(spec: nets.MLP, params, *, names=None) -> GateLabels:
    r"""Name the gate of every unit of every layer over all :math:`2^n` binary inputs.

    Args:
        spec: an MLP of any depth with :math:`n \le 16` inputs.
        params: one network or an ensemble (leading axis E; one network is returned as E = 1).
        names: the n input names (default ``A``, ``B`` for two inputs, ``x1 .. xn`` above).

    Returns:
        A :class:`GateLabels`.

    Raises:
        ValueError: not an MLP, more than 16 inputs, or ``names`` of the wrong length.

    >>> import jax
    >>> from toyscope import analysis, nets
    >>> spec = nets.mlp([3, 4, 2, 1], "sigmoid")
    >>> labels = analysis.gate_labels(spec, nets.init(spec, key=jax.random.key(0), n_networks=5))
    >>> [t.shape for t in labels.tables]
    [(5, 8, 4), (5, 8, 2), (5, 8, 1)]
    """
    if not isinstance(spec, nets.MLP):
        raise ValueError(f"gate labels need an MLP spec, got {type(spec).__name__}")
    n = spec.widths[0]
    if n > MAX_GATE_INPUTS:
        raise ValueError(f"gates needs at most {MAX_GATE_INPUTS} inputs (2**{MAX_GATE_INPUTS} truth-table rows), "
                         f"the model has {n}")
    names = list(names) if names is not None else input_names(n)
    if len(names) != n:
        raise ValueError(f"names needs {n} input names, got {len(names)}")
    if not nets.is_ensemble(spec, params):
        params = jax.tree_util.tree_map(lambda a: np.asarray(a)[None], params)
    from ..tasks import binary_inputs

    pre, _ = nets.activations(spec, params, binary_inputs(n))
    tables = [np.asarray(p) > 0 for p in pre]  # (E, 2**n, d_l)
    unit_names = [_name_units(t, names) for t in tables]
    of_below, consistent = [None], np.ones(tables[0].shape[0], bool)
    for layer in range(1, spec.n_layers):
        if spec.widths[layer] > MAX_BELOW_WIDTH:
            of_below.append(None)
            continue
        strings, composed = _over_below(spec, params, layer, tables[layer - 1])
        of_below.append(strings)
        consistent &= (composed == tables[layer]).all(axis=(1, 2))
    signatures, unordered = _signatures(tables, unit_names, of_below)
    return GateLabels(tables, unit_names, of_below, signatures, unordered, consistent)


def _name_units(table: np.ndarray, names: list[str]) -> np.ndarray:
    """``(E, 2**n, d)`` bool -> ``(E, d)`` names, each distinct table named once."""
    n_members, rows, width = table.shape
    packed = np.packbits(np.moveaxis(table, 1, 2), axis=2).reshape(n_members * width, -1)
    unique, inverse = np.unique(packed, axis=0, return_inverse=True)
    named = [boolean_function_name(np.unpackbits(u)[:rows], names) for u in unique]
    return np.array(named, dtype=object)[inverse.reshape(-1)].reshape(n_members, width).astype(str)


def _pattern_index(bits: np.ndarray) -> np.ndarray:
    weights = 2 ** np.arange(bits.shape[-1] - 1, -1, -1)
    return (bits.astype(np.int64) * weights).sum(-1)


def _over_below(spec, params, layer: int, below_on: np.ndarray):
    """Layer ``layer``'s units over the patterns of the layer below: ``(E, d)`` strings with ``-``
    for unreachable patterns, and ``(E, 2**n, d)`` their composition on every input."""
    full = layer_truth_tables(spec, params, layer)  # (E, 2**k, d)
    n_members, n_patterns, _ = full.shape
    index = _pattern_index(below_on)  # (E, 2**n)
    reachable = np.zeros((n_members, n_patterns), bool)
    np.put_along_axis(reachable, index, True, axis=1)
    chars = np.where(reachable[:, :, None], np.where(full, "1", "0"), "-")
    flat = np.ascontiguousarray(np.moveaxis(chars, 1, 2).astype("U1"))
    strings = flat.view(f"U{flat.shape[-1]}")[..., 0]
    composed = np.take_along_axis(full, index[:, :, None], axis=1)
    return strings, composed


def _describe(table: str) -> str:
    """A unit over a layer of two units: every consistent gate name; else its table."""
    if len(table) == 4:
        return "|".join(consistent_gates(table)) or table
    return table


def _permute_rows(table: str, order: list[int]) -> str:
    """``table`` over patterns of k bits with the bits reordered: new bit j = old bit ``order[j]``."""
    k = len(order)
    rows = ["-"] * len(table)
    for old, bits in enumerate(itertools.product((0, 1), repeat=k)):
        new = [bits[o] for o in order]
        rows[int(_pattern_index(np.array(new)))] = table[old]
    return "".join(rows)


def _signatures(tables, unit_names, of_below):
    n_members = tables[0].shape[0]
    n_layers = len(tables)
    packed = [np.packbits(np.moveaxis(t, 1, 2), axis=2) for t in tables]  # (E, d, bytes): sorts like the table
    cache: dict = {}
    ordered, unordered = [], []
    for e in range(n_members):
        key = tuple((tuple(unit_names[l][e]), packed[l][e].tobytes(),
                     None if of_below[l] is None else tuple(of_below[l][e])) for l in range(n_layers))
        if key not in cache:
            cache[key] = (_one_signature(unit_names, of_below, packed, e, sort=False),
                          _one_signature(unit_names, of_below, packed, e, sort=True))
        ordered.append(cache[key][0])
        unordered.append(cache[key][1])
    return np.array(ordered), np.array(unordered)


def _one_signature(unit_names, of_below, packed, e: int, *, sort: bool) -> str:
    parts, previous_order = [], None
    n_layers = len(unit_names)
    for layer in range(n_layers):
        names = list(unit_names[layer][e])
        width = len(names)
        order = list(range(width))
        if sort and layer < n_layers - 1:  # outputs keep their identity
            order = sorted(order, key=lambda i: (names[i], packed[layer][e, i].tobytes()))
        if layer == 0 or of_below[layer] is None:
            units = [names[i] for i in order]
            parts.append(",".join(units) if layer == 0 else ";".join(units))
        else:
            below = list(of_below[layer][e])
            if previous_order is not None and previous_order != sorted(previous_order):
                below = [_permute_rows(t, previous_order) for t in below]
            parts.append(";".join(_describe(below[i]) for i in order))
        previous_order = order
    return " -> ".join(parts)
