"""MLP pytrees: activations and initialisers against their formulas, ensembles vs loops."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from toyscope import nets

X = np.linspace(-4, 4, 41, dtype=np.float32)

FORMULAS = {
    "linear": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: x * 0.5 * (1 + special.erf(x / math.sqrt(2))),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "erf": lambda x: special.erf(x / math.sqrt(2)),
}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_matches_formula(name):
    np.testing.assert_allclose(nets.activation(name)(jnp.asarray(X)), FORMULAS[name](X.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


def test_unknown_activation_names_choices():
    with pytest.raises(ValueError, match="valid: linear"):
        nets.activation("swish")


@pytest.mark.parametrize("scheme, expected_std", [
    ("he_normal", math.sqrt(2 / 400)),
    ("glorot_normal", math.sqrt(2 / (400 + 300))),
    ("glorot_uniform", math.sqrt(6 / 700) / math.sqrt(3)),
    ("torch_default", 1 / math.sqrt(400) / math.sqrt(3)),
])
def test_initialiser_std(scheme, expected_std):
    layer = nets.dense_init(jax.random.key(0), 400, 300, scheme=scheme)
    w = np.asarray(layer["weight"])
    assert w.shape == (400, 300)
    # 120,000 draws: the sample std is within about 0.5% of the truth
    assert abs(w.std() / expected_std - 1) < 0.02
    assert abs(w.mean()) < 0.02 * expected_std * 10


def test_uniform_initialisers_respect_bounds():
    w = np.asarray(nets.dense_init(jax.random.key(1), 50, 20, scheme="glorot_uniform")["weight"])
    assert np.abs(w).max() <= math.sqrt(6 / 70)
    layer = nets.dense_init(jax.random.key(1), 50, 20, scheme="torch_default")
    assert np.abs(np.asarray(layer["bias"])).max() <= 1 / math.sqrt(50)
    assert np.asarray(layer["bias"]).std() > 0  # torch draws biases too


def test_normal_scale_and_bias_same():
    layer = nets.dense_init(jax.random.key(2), 300, 300, scheme="normal", scale=0.3, bias_scheme="same")
    assert abs(np.asarray(layer["weight"]).std() / 0.3 - 1) < 0.02
    assert np.asarray(layer["bias"]).std() > 0.15


def test_orthogonal_is_orthogonal_with_gain():
    w = np.asarray(nets.dense_init(jax.random.key(3), 16, 16, scheme="orthogonal", gain=2.0)["weight"])
    np.testing.assert_allclose(w.T @ w, 4.0 * np.eye(16), atol=1e-4)


def test_zeros_and_bad_scheme():
    assert not np.asarray(nets.dense_init(jax.random.key(0), 3, 4, scheme="zeros")["weight"]).any()
    with pytest.raises(ValueError, match="valid: he_normal"):
        nets.dense_init(jax.random.key(0), 3, 4, scheme="xavier")
    with pytest.raises(ValueError, match="scale"):
        nets.dense_init(jax.random.key(0), 3, 4, scheme="normal")


def test_spec_validation():
    with pytest.raises(ValueError, match="width"):
        nets.mlp([2, 0, 1])
    with pytest.raises(ValueError, match="activation"):
        nets.mlp([2, 3, 1], "nope")
    spec = nets.mlp([2, 3, 1], bias=[True, False])
    params = nets.init(spec, key=jax.random.key(0))
    assert "bias" not in params[1] and spec.n_params == 2 * 3 + 3 + 3


def test_apply_matches_manual_forward():
    spec = nets.mlp([3, 5, 2], "tanh", "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), scheme="glorot_normal", bias_scheme="same")
    x = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    w1, b1 = (np.asarray(params[0][k]) for k in ("weight", "bias"))
    w2, b2 = (np.asarray(params[1][k]) for k in ("weight", "bias"))
    expected = 1 / (1 + np.exp(-(np.tanh(x @ w1 + b1) @ w2 + b2)))
    np.testing.assert_allclose(nets.apply(spec, params, x), expected, rtol=1e-5)
    pre, post = nets.activations(spec, params, x)
    np.testing.assert_allclose(pre[0], x @ w1 + b1, rtol=1e-5)
    np.testing.assert_allclose(post[0], np.tanh(x @ w1 + b1), rtol=1e-5)


def test_ensemble_equals_loop_over_members():
    spec = nets.mlp([2, 4, 3], "relu")
    key = jax.random.key(7)
    ensemble = nets.init(spec, key=key, n_networks=5)
    assert nets.ensemble_size(ensemble) == 5
    x = jnp.ones((6, 2))
    out = nets.apply(spec, ensemble, x)
    keys = jax.random.split(key, 5)
    for i in range(5):
        member = nets.init(spec, key=keys[i])  # independent keys, as documented
        np.testing.assert_allclose(out[i], nets.apply(spec, member, x), rtol=1e-6)
    # members differ from one another
    assert not np.allclose(out[0], out[1])


def test_flatten_roundtrip():
    spec = nets.mlp([2, 3, 1])
    params = nets.init(spec, key=jax.random.key(0), n_networks=4, bias_scheme="same")
    flat = nets.flatten_params(params)
    assert flat.shape == (4, spec.n_params)
    back = nets.unflatten_params(spec, flat)
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(back)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("activation", sorted(nets.ACTIVATIONS))
@pytest.mark.parametrize("widths", [(2, 1), (3, 4, 2), (2, 5, 5, 3)])
def test_contract_every_architecture_under_jit(activation, widths):
    spec = nets.mlp(widths, activation)
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    out = jax.jit(lambda p, x: nets.apply(spec, p, x))(params, jnp.ones((4, widths[0])))
    assert out.shape == (2, 4, widths[-1])
    assert np.isfinite(np.asarray(out)).all()


def test_wrong_input_width():
    spec = nets.mlp([3, 2])
    with pytest.raises(ValueError, match="expects 3"):
        nets.apply(spec, nets.init(spec, key=jax.random.key(0)), jnp.ones((2, 4)))


def test_ensemble_member_computes_what_the_ensemble_computes_for_that_member():
    """Member e of an ensemble, applied alone, gives row e of the ensemble's output; a tuple index
    takes one member of stacked snapshots (S, E, ...), and numpy leaves stay numpy."""
    spec = nets.mlp([3, 5, 2], "tanh")
    ensemble = nets.init(spec, key=jax.random.key(0), n_networks=4)
    x = jax.random.normal(jax.random.key(1), (7, 3))
    together = nets.apply(spec, ensemble, x)  # (E, N, d_out)
    for e in range(4):
        np.testing.assert_allclose(nets.apply(spec, nets.ensemble_member(ensemble, e), x), together[e], rtol=1e-6)
    snapshots = jax.tree_util.tree_map(lambda leaf: np.stack([np.asarray(leaf), 2 * np.asarray(leaf)]), ensemble)
    second = nets.ensemble_member(snapshots, (1, 2))
    assert isinstance(second[0]["weight"], np.ndarray)
    np.testing.assert_array_equal(second[0]["weight"], 2 * np.asarray(ensemble[0]["weight"][2]))
