"""The tiny transformer's forward pass against a plain numpy loop over positions (2 heads)."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets


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
    params = jax.tree_util.tree_map(np.asarray, nets.init_tiny_transformer(spec, key=jax.random.key(0)))
    rng = np.random.default_rng(0)
    params = jax.tree_util.tree_map(lambda a: (a * rng.uniform(0, 3, a.shape)).astype(np.float32), params)
    params["input_order"] = np.array([1.0, 0.0], np.float32)
    params["output_order"] = np.array([1.0, 0.0], np.float32)
    x = rng.uniform(-1, 3, size=(6, 5, 2)).astype(np.float32)
    out = jax.jit(lambda p: nets.tiny_transformer_apply(spec, p, x))(params)
    np.testing.assert_allclose(out, _plain_forward(spec, params, x), rtol=2e-4, atol=2e-4)
    acts = nets.tiny_transformer_activations(spec, params, x)
    assert [k for k in acts if k.startswith("res")] == ["res0", "res1", "res2", "res3", "res4"]
    with pytest.raises(ValueError, match="n_heads"):
        nets.tiny_transformer(d_model=8, n_heads=3)
