r"""Growing an MLP: add hidden units taken from a wider donor network.

The grown network computes :math:`f(x) = W_2^\top \sigma(W_1^\top x + b_1) + b_2` with the new
units' columns of :math:`W_1`, entries of :math:`b_1` and rows of :math:`W_2` appended after the
old ones; the output bias stays the grown network's own. A new unit whose outgoing weights are
zero leaves the function unchanged (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._interface import is_ensemble
from ._mlp import MLP, mlp


def append_hidden_units(spec: MLP, params, donor_spec: MLP, donor_params, units: Sequence[int]) -> tuple[MLP, list]:
    """``spec``'s network with hidden units ``units`` of ``donor_spec``'s network appended.

    Both are one-hidden-layer MLPs with the same input and output widths and activation; the
    grown net has ``k + len(units)`` hidden units: the old ones first, in order, then the donor's.
    The output bias is ``params``'. Works on one network or an ensemble (the same E on both).

    Args:
        spec, params: the network to grow, ``d - k - o``.
        donor_spec, donor_params: a ``d - k' - o`` network (e.g. a fresh initialisation of a wider net).
        units: indices into the donor's hidden layer.

    Returns:
        ``(grown_spec, grown_params)``; params are numpy arrays.

    Raises:
        ValueError: not one hidden layer, mismatched widths, activations or ensemble sizes, or a
            unit index outside the donor's hidden layer.

    >>> import jax
    >>> small, wide = mlp([2, 2, 1], "sigmoid"), mlp([2, 3, 1], "sigmoid")
    >>> from toyscope import nets
    >>> grown_spec, grown = append_hidden_units(small, nets.init(small, key=jax.random.key(0)), wide,
    ...                                         nets.init(wide, key=jax.random.key(1)), [2])
    >>> grown_spec.widths, grown[0]["weight"].shape
    ((2, 3, 1), (2, 3))
    """
    for name, s in (("network", spec), ("donor", donor_spec)):
        if s.n_layers != 2:
            raise ValueError(f"append_hidden_units needs one hidden layer; the {name} has widths {s.widths}")
    if (spec.widths[0], spec.widths[-1]) != (donor_spec.widths[0], donor_spec.widths[-1]):
        raise ValueError(f"input/output widths differ: {spec.widths} vs donor {donor_spec.widths}")
    if (spec.activations, spec.biases) != (donor_spec.activations, donor_spec.biases):
        raise ValueError(f"activations or biases differ: {spec.activations} {spec.biases} vs donor "
                         f"{donor_spec.activations} {donor_spec.biases}")
    units = [int(u) for u in units]
    if any(not 0 <= u < donor_spec.widths[1] for u in units):
        raise ValueError(f"units must index the donor's {donor_spec.widths[1]} hidden units, got {units}")
    ensemble = is_ensemble(spec, params)
    if ensemble != is_ensemble(donor_spec, donor_params):
        raise ValueError("give both networks with an ensemble axis, or neither")
    lead = 1 if ensemble else 0
    if ensemble and np.shape(params[0]["weight"])[0] != np.shape(donor_params[0]["weight"])[0]:
        raise ValueError("the network and the donor have different ensemble sizes")
    take = np.asarray(units, int)
    first = {"weight": np.concatenate([np.asarray(params[0]["weight"]),
                                       np.take(np.asarray(donor_params[0]["weight"]), take, axis=lead + 1)],
                                      axis=lead + 1)}
    if spec.biases[0]:
        first["bias"] = np.concatenate([np.asarray(params[0]["bias"]),
                                        np.take(np.asarray(donor_params[0]["bias"]), take, axis=lead)], axis=lead)
    second = {"weight": np.concatenate([np.asarray(params[1]["weight"]),
                                        np.take(np.asarray(donor_params[1]["weight"]), take, axis=lead)], axis=lead)}
    if spec.biases[1]:
        second["bias"] = np.asarray(params[1]["bias"])
    grown = mlp([spec.widths[0], spec.widths[1] + len(units), spec.widths[2]], list(spec.activations),
                bias=list(spec.biases))
    return grown, [first, second]
