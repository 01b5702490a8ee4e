r"""Logic-gate labels of the units of MLPs on binary inputs, and circuit signatures.

A unit is *on* for an input when its pre-activation is positive (for a sigmoid unit: its output
exceeds 0.5; for a linear output: its logit is positive). A unit's *truth table* lists on/off
over the rows of :func:`toyscope.tasks.binary_inputs` (for two inputs a, b: (0,0), (0,1), (1,0),
(1,1)); a two-input table is named among the 16 Boolean functions, e.g. ``0110`` is XOR.

For a layer read in terms of the layer below, only some binary patterns of the layer below are
*reachable* (produced by some network input); the rest are don't-cares, written ``-`` in a
table, and every gate consistent with the reachable rows is listed. The XOR paper's circuit
"NAND and NOR, output implication" is, in these terms, hidden (NAND, NOR) with output
``A_NIMPLY_B`` (a AND NOT b) or ``XOR`` (row (0,1) never occurs).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import jax
import numpy as np

from .. import nets
from ._gate_names import GATE_NAMES, GATE_TABLES, boolean_function_name

def gate_name(table: str) -> str:
    """Name of a truth table string (``"0110"`` -> ``"XOR"``); a table of 2**n rows of 0/1 for another
    n by :func:`toyscope.analysis.boolean_function_name` (``"00010111"`` -> ``"MAJ"``); anything else
    (e.g. a table with don't-cares) is returned as is."""
    if table in GATE_NAMES:
        return GATE_NAMES[table]
    n = len(table).bit_length() - 1
    if len(table) == 2**n and 1 <= n <= 16 and not set(table) - {"0", "1"}:
        return boolean_function_name(table)
    return table


def consistent_gates(table: str) -> list[str]:
    """Every name whose truth table agrees with ``table`` where it is not ``-`` (don't-care).

    >>> consistent_gates("0-10")
    ['A_NIMPLY_B', 'XOR']
    """
    if len(table) != 4:
        free = [i for i, c in enumerate(table) if c == "-"]
        if not free:
            return [table]
        out = []
        for bits in itertools.product("01", repeat=len(free)):
            filled = list(table)
            for i, b in zip(free, bits):
                filled[i] = b
            out.append("".join(filled))
        return out
    return [name for full, name in GATE_NAMES.items() if all(t in ("-", f) for t, f in zip(table, full))]


def check_binary_inputs(x) -> np.ndarray:
    """``x`` as a float array after checking it is 0/1 (gate labels are defined on binary inputs only)."""
    x = np.asarray(x)
    if x.ndim != 2 or not np.isin(x, (0, 1)).all():
        raise ValueError("gate labels need binary inputs: a (N, d_in) array of 0/1 values")
    return x.astype(np.float32)


def unit_truth_tables(spec: nets.MLP, params, x) -> list[np.ndarray]:
    """Every unit's on/off pattern over the inputs ``x``.

    Args:
        x: ``(N, d_in)`` binary inputs (e.g. all of them, :func:`toyscope.tasks.binary_inputs`).

    Returns:
        One bool array per layer, ``(N, d_l)`` or ``(E, N, d_l)``: pre-activation > 0.
    """
    x = check_binary_inputs(x)
    pre, _ = nets.activations(spec, params, x)
    return [np.asarray(p) > 0 for p in pre]


def layer_truth_tables(spec: nets.MLP, params, layer: int) -> np.ndarray:
    """Layer ``layer``'s units as functions of the *binary* pattern of the layer below.

    Feeds every pattern in :math:`\\{0,1\\}^{d_{l}}` into layer ``layer`` (its weights and bias only).

    Returns:
        ``(2**d_below, d_layer)`` or ``(E, 2**d_below, d_layer)`` bool: pre-activation > 0.
    """
    from ..tasks import binary_inputs

    d_below = spec.widths[layer]
    if d_below > 12:
        raise ValueError(f"layer {layer} reads {d_below} units; truth tables need <= 12")
    patterns = binary_inputs(d_below)
    p = params[layer]
    weight = np.asarray(p["weight"])
    pre = patterns @ weight if weight.ndim == 2 else np.einsum("nd,edk->enk", patterns, weight)
    if "bias" in p:
        bias = np.asarray(p["bias"])
        pre = pre + (bias if bias.ndim == 1 else bias[:, None, :])
    return pre > 0


def _pattern_index(bits: np.ndarray) -> np.ndarray:
    """Row index in :func:`binary_inputs` order of each pattern (last axis = bits, first most significant)."""
    weights = 2 ** np.arange(bits.shape[-1] - 1, -1, -1)
    return (bits.astype(np.int64) * weights).sum(-1)


@dataclasses.dataclass
class CircuitLabels:
    """Gate labels of an ensemble of one-hidden-layer nets (see :func:`circuit_labels`).

    Attributes:
        hidden_tables: ``(E, k)`` strings: each hidden unit's truth table over the inputs.
        output_tables: ``(E, o)`` strings: each output's truth table over the inputs.
        output_of_hidden: ``(E, o)`` strings: each output over the hidden patterns, ``-`` = unreachable.
        signatures: ``(E,)`` e.g. ``"NAND,NOR -> A_NIMPLY_B|XOR"``.
        unordered_signatures: the same with hidden units sorted by name (the output table permuted
            along), so permuted twins share it.
        composition_consistent: ``(E,)`` whether composing the labelled gates gives the network's own
            classification on every input.
    """

    hidden_tables: np.ndarray
    output_tables: np.ndarray
    output_of_hidden: np.ndarray
    signatures: np.ndarray
    unordered_signatures: np.ndarray
    composition_consistent: np.ndarray

    def hidden_names(self) -> np.ndarray:
        return np.vectorize(gate_name)(self.hidden_tables)

    def twin_counts(self) -> dict[str, dict[str, int]]:
        """For each unordered signature, how often each hidden-unit order occurs."""
        out: dict[str, Counter] = {}
        for ordered, unordered in zip(self.signatures, self.unordered_signatures):
            out.setdefault(str(unordered), Counter())[str(ordered)] += 1
        return {k: dict(v.most_common()) for k, v in sorted(out.items(), key=lambda kv: -sum(kv[1].values()))}


def _join_rows(chars: np.ndarray) -> np.ndarray:
    """``(..., N)`` single characters -> ``(...)`` strings (fast path through a byte view)."""
    flat = np.ascontiguousarray(chars.astype("U1"))
    return flat.view(f"U{flat.shape[-1]}")[..., 0]


def circuit_labels(spec: nets.MLP, params, x) -> CircuitLabels:
    """Name every hidden unit's and output's gate, and the output in terms of the hidden units.

    Works for an ensemble of one-hidden-layer MLPs (any input/hidden/output widths) on binary inputs.

    Args:
        spec: ``d_in - k - o`` MLP.
        params: ensemble params (leading E).
        x: ``(N, d_in)`` binary inputs, usually all ``2**d_in`` of them.

    Returns:
        A :class:`CircuitLabels`.

    Raises:
        ValueError: not one hidden layer, no ensemble axis, non-binary inputs, or k > 12.
    """
    if spec.n_layers != 2:
        raise ValueError(f"circuit labels need one hidden layer, got widths {spec.widths}")
    if not nets.is_ensemble(spec, params):
        params = jax.tree_util.tree_map(lambda a: np.asarray(a)[None], params)
    x = check_binary_inputs(x)
    hidden_on, output_on = unit_truth_tables(spec, params, x)  # (E, N, k), (E, N, o)
    of_hidden = layer_truth_tables(spec, params, 1)  # (E, 2**k, o)
    n_members, _, k = hidden_on.shape
    n_patterns = 2**k
    reachable = np.zeros((n_members, n_patterns), bool)
    index = _pattern_index(hidden_on)  # (E, N)
    np.put_along_axis(reachable, index, True, axis=1)
    of_hidden_chars = np.where(of_hidden, "1", "0")
    of_hidden_chars = np.where(reachable[:, :, None], of_hidden_chars, "-")
    output_of_hidden = _join_rows(np.moveaxis(of_hidden_chars, 1, 2))  # (E, o)
    hidden_tables = _join_rows(np.moveaxis(np.where(hidden_on, "1", "0"), 1, 2))  # (E, k)
    output_tables = _join_rows(np.moveaxis(np.where(output_on, "1", "0"), 1, 2))
    # Composition: the output gate applied to the labelled hidden gates, input by input.
    composed = np.take_along_axis(of_hidden, index[:, :, None], axis=1)  # (E, N, o)
    consistent = (composed == output_on).all(axis=(1, 2))
    signatures, unordered = _signatures(hidden_tables, output_of_hidden, k)
    return CircuitLabels(hidden_tables, output_tables, output_of_hidden, signatures, unordered, consistent)


def _describe_output(table: str) -> str:
    names = consistent_gates(table)
    if len(table) == 4:
        return "|".join(names) if names else table
    return table


def _signatures(hidden_tables: np.ndarray, output_of_hidden: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    cache: dict[tuple, tuple[str, str]] = {}
    patterns = np.array(list(itertools.product((0, 1), repeat=k)))
    ordered, unordered = [], []
    for hidden, outs in zip(hidden_tables, output_of_hidden):
        key = (tuple(hidden), tuple(outs))
        if key not in cache:
            names = [gate_name(t) for t in hidden]
            sig = f"{','.join(names)} -> {';'.join(_describe_output(o) for o in outs)}"
            order = sorted(range(k), key=lambda i: (names[i], hidden[i]))
            # Permute the output table's rows: new pattern p' has bit j = old bit order[j].
            permuted = []
            for o in outs:
                rows = ["-"] * len(o)
                for old_index, bits in enumerate(patterns):
                    new_bits = bits[order]
                    rows[int(_pattern_index(new_bits[None])[0])] = o[old_index]
                permuted.append("".join(rows))
            usig = f"{','.join(names[i] for i in order)} -> {';'.join(_describe_output(o) for o in permuted)}"
            cache[key] = (sig, usig)
        ordered.append(cache[key][0])
        unordered.append(cache[key][1])
    return np.array(ordered), np.array(unordered)
