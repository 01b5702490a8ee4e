"""Small BIMT networks built with numpy, and the connection cost recomputed from its definition
with plain loops (independent of toyscope.bimt), shared by the bimt tests."""

from __future__ import annotations

import jax
import numpy as np

from toyscope import bimt, nets

LAYER_GAP, EXTENT = 0.3, 2.0


def mlp(tokens: bool, seed: int = 0):
    """(spec, layout, params, x, local distances) of a 4-7-6-3 MLP (or 5x2 tokens -> 7-6-4)."""
    rng = np.random.default_rng(seed)
    if tokens:
        spec = nets.layered_network([5, 7, 6, 4], n_tokens=2, vocab_size=9)
        x = rng.integers(0, 9, size=(40, 2)).astype(np.int32)
    else:
        spec = nets.layered_network([4, 7, 6, 3])
        x = rng.uniform(-1, 1, size=(40, 4)).astype(np.float32)
    widths = spec.mlp.widths
    params = {"layers": [{"weight": rng.normal(size=(a, b)).astype(np.float32),
                          "bias": rng.normal(size=(b,)).astype(np.float32)} for a, b in zip(widths[:-1], widths[1:])],
              "output_order": np.arange(widths[-1], dtype=np.float32)}
    if tokens:
        params["embedding"] = rng.normal(size=(9, 5)).astype(np.float32)
    else:
        params["input_order"] = np.arange(4, dtype=np.float32)
    layout = bimt.mlp_layout(spec)
    return spec, layout, params, x, bimt.network_distances(layout, extent=EXTENT, layer_gap=LAYER_GAP)


def transformer(seed: int = 0, n_heads: int = 2):
    """(spec, layout, params, x, local distances) of a 2-block, width-8 tiny transformer."""
    spec = nets.tiny_transformer(2, 2, d_model=8, n_layers=2, n_heads=n_heads, d_mlp=12)
    params = jax.tree_util.tree_map(np.asarray, nets.init(spec, key=jax.random.key(seed)))
    rng = np.random.default_rng(seed)
    # spread the weights so swaps have something to gain, and make the orders non-trivial
    params = jax.tree_util.tree_map(lambda a: (a * rng.uniform(0, 3, a.shape)).astype(np.float32), params)
    params["input_order"] = np.array([1.0, 0.0], np.float32)
    params["output_order"] = np.array([1.0, 0.0], np.float32)
    x = rng.uniform(-1, 3, size=(6, 5, 2)).astype(np.float32)
    layout = bimt.transformer_layout(spec)
    return spec, layout, params, x, bimt.network_distances(layout, extent=EXTENT, layer_gap=LAYER_GAP)


def _xs(n):
    return EXTENT * (np.arange(n) + 0.5) / n


def plain_mlp_cost(params, normalization):
    """Every weight times (A |x_j - x_k| + y*), lines at x = A (j + 1/2) / n, token rows sharing
    positions; biases and embedding entries times y*; "mean" divides each term by its count."""
    total = 0.0
    embedding = params.get("embedding")
    for layer in params["layers"]:
        weight, bias = np.asarray(layer["weight"], np.float64), np.asarray(layer["bias"], np.float64)
        n_in = embedding.shape[1] if embedding is not None and layer is params["layers"][0] else weight.shape[0]
        x_in, x_out = _xs(n_in), _xs(weight.shape[1])
        term = sum(abs(weight[r, c]) * (abs(x_in[r % n_in] - x_out[c]) + LAYER_GAP)
                   for r in range(weight.shape[0]) for c in range(weight.shape[1]))
        total += term / (weight.size if normalization == "mean" else 1)
        total += LAYER_GAP * np.abs(bias).sum() / (bias.size if normalization == "mean" else 1)
    if embedding is not None:
        total += LAYER_GAP * np.abs(embedding).sum() / (embedding.size if normalization == "mean" else 1)
    return total


def plain_transformer_cost(params, normalization):
    """The same definition for the transformer; query, key and value are one linear layer."""
    p = jax.tree_util.tree_map(lambda a: np.asarray(a, np.float64), params)
    layers = [[p["embed"]]]
    for block in p["blocks"]:
        layers += [[block["query"], block["key"], block["value"]], [block["attn_out"]], [block["mlp_in"]], [block["mlp_out"]]]
    layers.append([p["unembed"]])
    total = 0.0
    for group in layers:
        w_term = b_term = 0.0
        for layer in group:
            w = layer["weight"]
            dist = np.abs(_xs(w.shape[0])[:, None] - _xs(w.shape[1])[None, :]) + LAYER_GAP
            w_term += (np.abs(w) * dist).sum()
            b_term += LAYER_GAP * np.abs(layer["bias"]).sum()
        n_w = sum(layer["weight"].size for layer in group)
        n_b = sum(layer["bias"].size for layer in group)
        total += w_term / n_w + b_term / n_b if normalization == "mean" else w_term + b_term
    return total
