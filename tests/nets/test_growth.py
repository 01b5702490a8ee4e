"""Growing an MLP by donor units: a unit with zero outgoing weights leaves the function unchanged,
a grown unit contributes exactly its donor's term, and mismatched networks are refused."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_zero_outgoing_unit_keeps_the_function_and_a_grown_unit_adds_its_term():
    small, wide = nets.mlp([2, 2, 1], "sigmoid"), nets.mlp([2, 3, 1], "sigmoid")
    params = nets.init(small, key=jax.random.key(0), n_networks=5)
    donor = nets.init(wide, key=jax.random.key(1), n_networks=5)
    x = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    grown_spec, grown = nets.append_hidden_units(small, params, wide, donor, [1])
    assert grown_spec.widths == (2, 3, 1)
    before = np.asarray(jax.vmap(lambda p: nets.apply(small, p, x))(params))
    after = np.asarray(jax.vmap(lambda p: nets.apply(grown_spec, p, x))(grown))
    # the donor unit's own term, computed by hand from the donor's weights
    w, b = np.asarray(donor[0]["weight"])[:, :, 1], np.asarray(donor[0]["bias"])[:, 1]
    v = np.asarray(donor[1]["weight"])[:, 1, 0]
    term = _sigmoid(np.einsum("nd,ed->en", x, w) + b[:, None]) * v[:, None]
    np.testing.assert_allclose(after[..., 0], before[..., 0] + term, rtol=1e-5, atol=1e-6)
    silent = [dict(layer) for layer in donor]
    silent[1] = {**silent[1], "weight": np.zeros_like(np.asarray(donor[1]["weight"]))}
    _, unchanged = nets.append_hidden_units(small, params, wide, silent, [2])
    np.testing.assert_allclose(np.asarray(jax.vmap(lambda p: nets.apply(grown_spec, p, x))(unchanged)), before,
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("other, match", [
    (nets.mlp([3, 3, 1], "sigmoid"), "input/output widths"),
    (nets.mlp([2, 3, 1], "tanh"), "activations"),
    (nets.mlp([2, 3, 3, 1], "sigmoid"), "one hidden layer"),
])
def test_mismatched_donors_are_refused(other, match):
    small = nets.mlp([2, 2, 1], "sigmoid")
    with pytest.raises(ValueError, match=match):
        nets.append_hidden_units(small, nets.init(small, key=jax.random.key(0)), other,
                                 nets.init(other, key=jax.random.key(1)), [0])


def test_unit_out_of_range_and_ensemble_mismatch():
    small, wide = nets.mlp([2, 2, 1], "sigmoid"), nets.mlp([2, 3, 1], "sigmoid")
    with pytest.raises(ValueError, match="units must index"):
        nets.append_hidden_units(small, nets.init(small, key=jax.random.key(0)), wide,
                                 nets.init(wide, key=jax.random.key(1)), [3])
    with pytest.raises(ValueError, match="ensemble sizes"):
        nets.append_hidden_units(small, nets.init(small, key=jax.random.key(0), n_networks=2), wide,
                                 nets.init(wide, key=jax.random.key(1), n_networks=3), [0])
