"""The tiny transformer against a plain loop over positions and heads; causality; orders; init."""

import math

import jax
import numpy as np
import pytest
from scipy import special

from toyscope import nets


def _loop_forward(spec: nets.TinyTransformer, params, tokens):
    """One sequence ``(T, d_in)``, position by position and head by head, in float64."""
    p = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), params)
    lin = lambda layer, v: v @ layer["weight"] + layer["bias"]  # noqa: E731
    gelu = lambda z: z * 0.5 * (1 + special.erf(z / math.sqrt(2)))  # noqa: E731
    length = tokens.shape[0]
    h = np.stack([lin(p["embed"], tokens[t, p["input_order"].astype(int)]) for t in range(length)])
    for block in p["blocks"]:
        q, k, v = (np.stack([lin(block[name], h[t]) for t in range(length)]) for name in ("query", "key", "value"))
        mixed = np.zeros_like(h)
        for t in range(length):
            for head in range(spec.n_heads):
                cols = slice(head * spec.d_head, (head + 1) * spec.d_head)
                scores = np.array([q[t, cols] @ k[s, cols] / math.sqrt(spec.d_head) for s in range(t + 1)])
                weights = np.exp(scores - scores.max())
                weights /= weights.sum()
                mixed[t, cols] = sum(weights[s] * v[s, cols] for s in range(t + 1))
        h = h + np.stack([lin(block["attn_out"], mixed[t]) for t in range(length)])
        h = h + np.stack([lin(block["mlp_out"], gelu(lin(block["mlp_in"], h[t]))) for t in range(length)])
    slots = np.stack([lin(p["unembed"], h[t]) for t in range(length)])
    out = np.empty_like(slots)
    out[:, p["output_order"].astype(int)] = slots
    return out


def test_apply_matches_a_loop_over_positions_and_heads():
    spec = nets.tiny_transformer(3, 2, d_model=8, n_layers=2, n_heads=2, d_mlp=12)
    params = nets.init(spec, key=jax.random.key(0))
    params["input_order"] = np.array([1, 2, 0], np.float32)
    params["output_order"] = np.array([1, 0], np.float32)
    x = np.random.default_rng(0).standard_normal((3, 5, 3)).astype(np.float32)  # 3 sequences of 5 tokens
    out = np.asarray(nets.apply(spec, params, x))
    assert out.shape == (3, 5, 2)
    for n in range(3):
        np.testing.assert_allclose(out[n], _loop_forward(spec, params, x[n]), rtol=1e-4, atol=1e-5)


def test_attention_is_causal_and_patterns_are_distributions():
    spec = nets.tiny_transformer(2, 1, d_model=4, n_layers=1, n_heads=2, d_mlp=4)
    params = nets.init(spec, key=jax.random.key(1))
    x = np.random.default_rng(1).standard_normal((6, 2)).astype(np.float32)
    later_changed = x.copy()
    later_changed[4:] += 3.0
    a, b = nets.apply(spec, params, x), nets.apply(spec, params, later_changed)
    np.testing.assert_allclose(a[:4], b[:4], rtol=1e-6)  # the first 4 positions never see tokens 5, 6
    assert not np.allclose(a[4:], b[4:])
    acts = nets.activations(spec, params, x)
    pattern = np.asarray(acts["pattern1"])  # (n_heads, T, T)
    assert pattern.shape == (2, 6, 6)
    np.testing.assert_allclose(pattern.sum(-1), 1.0, rtol=1e-6)
    assert not pattern[:, np.triu_indices(6, 1)[0], np.triu_indices(6, 1)[1]].any()
    assert set(acts) == {"input", "res0", "attn1", "pattern1", "res1", "mlp1", "res2", "output"}
    np.testing.assert_allclose(acts["res2"], acts["res1"] + np.asarray(
        acts["mlp1"] @ params["blocks"][0]["mlp_out"]["weight"] + params["blocks"][0]["mlp_out"]["bias"]), rtol=1e-5,
        atol=1e-6)


def test_init_is_torch_linear_uniform_with_identity_orders():
    spec = nets.tiny_transformer(2, 3, d_model=64, n_layers=1, d_mlp=256)
    params = nets.init(spec, key=jax.random.key(2))
    for path, (rows, _) in spec.linear_shapes().items():
        layer = params[path[0]] if len(path) == 1 else params["blocks"][path[1]][path[2]]
        bound = 1 / math.sqrt(rows)
        assert np.abs(np.asarray(layer["weight"])).max() <= bound and np.abs(np.asarray(layer["bias"])).max() <= bound
    big = np.asarray(params["blocks"][0]["mlp_in"]["weight"])  # 16,384 draws of U(+-1/8)
    assert abs(big.std() / (1 / 8 / math.sqrt(3)) - 1) < 0.03
    np.testing.assert_array_equal(params["input_order"], [0, 1])
    np.testing.assert_array_equal(params["output_order"], [0, 1, 2])


def test_spec_validation():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        nets.tiny_transformer(d_model=6, n_heads=4)
    with pytest.raises(ValueError, match="n_layers must be >= 1"):
        nets.tiny_transformer(n_layers=0)
    with pytest.raises(ValueError, match="unknown activation"):
        nets.tiny_transformer(activation="swish")
    assert nets.tiny_transformer(d_model=8).d_mlp == 32


def _gelu(z):
    from scipy.special import erf
    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


def _plain_forward(spec, params, x):
    """numpy, one position at a time, explicit causal loop over earlier positions."""
    p = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), params)
    lin = lambda layer, v: v @ layer["weight"] + layer["bias"]  # noqa: E731
    out = np.zeros(x.shape[:-1] + (spec.d_out,))
    for n in range(x.shape[0]):
        tokens = x[n][:, p["input_order"].astype(int)]
        h = lin(p["embed"], tokens)
        for block in p["blocks"]:
            q, k, v = lin(block["query"], h), lin(block["key"], h), lin(block["value"], h)
            mixed = np.zeros_like(h)
            for head in range(spec.n_heads):
                cols = slice(head * spec.d_head, (head + 1) * spec.d_head)
                for t in range(len(h)):
                    scores = np.array([q[t, cols] @ k[s, cols] for s in range(t + 1)]) / np.sqrt(spec.d_head)
                    weights = np.exp(scores - scores.max())
                    weights /= weights.sum()
                    mixed[t, cols] = sum(weights[s] * v[s, cols] for s in range(t + 1))
            h = h + lin(block["attn_out"], mixed)
            h = h + lin(block["mlp_out"], _gelu(lin(block["mlp_in"], h)))
        slots = lin(p["unembed"], h)
        out[n][:, p["output_order"].astype(int)] = slots
    return out


def test_forward_equals_plain_causal_loop():
    spec = nets.tiny_transformer(2, 2, d_model=8, n_layers=2, n_heads=2, d_mlp=12)
    params = jax.tree_util.tree_map(np.asarray, nets.init(spec, key=jax.random.key(0)))
    rng = np.random.default_rng(0)
    params = jax.tree_util.tree_map(lambda a: (a * rng.uniform(0, 3, a.shape)).astype(np.float32), params)
    params["input_order"] = np.array([1.0, 0.0], np.float32)
    params["output_order"] = np.array([1.0, 0.0], np.float32)
    x = rng.uniform(-1, 3, size=(6, 5, 2)).astype(np.float32)
    out = jax.jit(lambda p: nets.apply(spec, p, x))(params)
    np.testing.assert_allclose(out, _plain_forward(spec, params, x), rtol=2e-4, atol=2e-4)
    acts = nets.activations(spec, params, x)
    assert [k for k in acts if k.startswith("res")] == ["res0", "res1", "res2", "res3", "res4"]
    with pytest.raises(ValueError, match="n_heads"):
        nets.tiny_transformer(d_model=8, n_heads=3)
