"""BIMT on the tiny transformer: the forward pass against a plain numpy loop, swap-cost changes
against recomputing the whole cost, and swaps that never change the function or the next Adam
step. Small networks (2 heads, so the within-head rule and head swaps are exercised), one jitted
call per check."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import analysis, nets

GAP, EXTENT = 0.5, 2.0


def _setup(seed: int = 0, n_heads: int = 2):
    spec = nets.tiny_transformer(2, 2, d_model=8, n_layers=2, n_heads=n_heads, d_mlp=12)
    params = jax.tree_util.tree_map(np.asarray, nets.init_tiny_transformer(spec, key=jax.random.key(seed)))
    rng = np.random.default_rng(seed)
    # spread the weights so swaps have something to gain, and make the orders non-trivial
    params = jax.tree_util.tree_map(lambda a: (a * rng.uniform(0, 3, a.shape)).astype(np.float32), params)
    params["input_order"] = np.array([1.0, 0.0], np.float32)
    params["output_order"] = np.array([1.0, 0.0], np.float32)
    x = rng.uniform(-1, 3, size=(6, 5, 2)).astype(np.float32)
    return spec, params, x


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


def _plain_cost(spec, params, normalization):
    """The cost from the definition: every weight times (A |x_j - x_k| + y*), lines at x = A (j+1/2)/n."""
    xs = lambda n: EXTENT * (np.arange(n) + 0.5) / n  # noqa: E731
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
            dist = np.abs(xs(w.shape[0])[:, None] - xs(w.shape[1])[None, :]) + GAP
            w_term += (np.abs(w) * dist).sum()
            b_term += GAP * np.abs(layer["bias"]).sum()
        n_w = sum(layer["weight"].size for layer in group)
        n_b = sum(layer["bias"].size for layer in group)
        total += w_term / n_w + b_term / n_b if normalization == "mean" else w_term + b_term
    return total


def test_forward_equals_plain_causal_loop():
    spec, params, x = _setup()
    out = jax.jit(lambda p: nets.tiny_transformer_apply(spec, p, x))(params)
    np.testing.assert_allclose(out, _plain_forward(spec, params, x), rtol=2e-4, atol=2e-4)
    acts = nets.tiny_transformer_activations(spec, params, x)
    assert [k for k in acts if k.startswith("res")] == ["res0", "res1", "res2", "res3", "res4"]
    with pytest.raises(ValueError, match="n_heads"):
        nets.tiny_transformer(d_model=8, n_heads=3)


@pytest.mark.parametrize("normalization", ["mean", "sum"])
def test_cost_and_vectorised_swap_change_equal_recomputation(normalization):
    spec, params, x = _setup(1)
    distances = analysis.transformer_distances(spec, extent=EXTENT, layer_gap=GAP)
    groups = analysis.transformer_neuron_groups(spec)
    assert [g.name for g in groups] == ["input", "residual", "block0.qk", "block0.vo", "block0.mlp",
                                        "block1.qk", "block1.vo", "block1.mlp", "output"]
    cost = jax.jit(lambda p: analysis.transformer_connection_cost(spec, p, distances, layer_gap=GAP,
                                                                  normalization=normalization))
    deltas = jax.jit(lambda p: [analysis.transformer_swap_cost_changes(spec, p, distances, g, normalization=normalization)
                                for g in groups])(params)
    base = _plain_cost(spec, params, normalization)
    assert float(cost(params)) == pytest.approx(base, rel=1e-5)
    rng = np.random.default_rng(0)
    out = nets.tiny_transformer_apply(spec, params, x)
    for group, delta in zip(groups, deltas):
        delta = np.asarray(delta)
        np.testing.assert_allclose(np.diag(delta), 0.0, atol=1e-6)
        for _ in range(4):  # random candidate swaps: swap, recompute the whole cost from its definition
            a, b = rng.choice(group.size, 2, replace=False)
            order = np.arange(group.size)
            order[[a, b]] = [b, a]
            swapped = analysis.permute_transformer_group(params, group, order)
            np.testing.assert_allclose(delta[a, b], _plain_cost(spec, swapped, normalization) - base, rtol=1e-4, atol=1e-5)
        # any permutation that keeps each neuron in its head leaves the function unchanged
        heads = group.size // group.head_size
        order = np.concatenate([h * group.head_size + rng.permutation(group.head_size) for h in range(heads)])
        if heads > 1:
            order = order.reshape(heads, -1)[::-1].reshape(-1)  # and swap heads (qk alone: must differ from vo)
        swapped = analysis.permute_transformer_group(params, group, order)
        if group.name.endswith((".qk", ".vo")) and heads > 1:
            other = analysis.transformer_group(spec, group.name[:-2] + ("vo" if group.name.endswith("qk") else "qk"))
            assert not np.allclose(nets.tiny_transformer_apply(spec, swapped, x), out, atol=1e-3)  # heads apart: broken
            swapped = analysis.permute_transformer_group(swapped, other, order)
        np.testing.assert_allclose(nets.tiny_transformer_apply(spec, swapped, x), out, rtol=1e-4, atol=1e-4)


def test_swap_round_keeps_function_stays_in_heads_and_reports_cost_change():
    spec, params, x = _setup(2)
    distances = analysis.transformer_distances(spec, extent=EXTENT, layer_gap=GAP)

    @jax.jit
    def swap_and_measure(p):
        swapped, _, n_swaps, change = analysis.swap_transformer_neurons(spec, p, distances, top_k=5)
        cost = lambda q: analysis.transformer_connection_cost(spec, q, distances, layer_gap=GAP)  # noqa: E731
        return (swapped, n_swaps, change, cost(swapped) - cost(p), nets.tiny_transformer_apply(spec, p, x),
                nets.tiny_transformer_apply(spec, swapped, x))

    swapped, n_swaps, change, cost_change, out, out_swapped = swap_and_measure(params)
    assert int(n_swaps) > 0 and float(change) < 0
    np.testing.assert_allclose(float(cost_change), float(change), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out_swapped, out, rtol=1e-4, atol=1e-4)
    for layer in range(spec.n_layers):
        before, after = params["blocks"][layer]["query"]["weight"], np.asarray(swapped["blocks"][layer]["query"]["weight"])
        # recover where each query column went: whole heads move together, neurons stay in their head
        residual_order = [int(np.argmin(np.abs(np.asarray(swapped["embed"]["bias"]) - b))) for b in params["embed"]["bias"]]
        moved = [int(np.argmin(np.abs(after[residual_order] - before[:, [c]]).sum(0))) for c in range(spec.d_model)]
        head_of = np.array(moved) // spec.d_head
        assert all(len(set(head_of[h * spec.d_head:(h + 1) * spec.d_head])) == 1 for h in range(spec.n_heads))
    with pytest.raises(ValueError, match="top_k"):
        analysis.swap_transformer_neurons(spec, params, distances, top_k=0)


def test_next_adam_step_equals_that_of_the_permuted_network():
    spec, params, x = _setup(3)
    distances = analysis.transformer_distances(spec, extent=EXTENT, layer_gap=GAP)
    y = np.sin(x[..., 1])
    optimizer = optax.adam(0.05)
    loss = lambda p: jnp.mean((nets.tiny_transformer_apply(spec, p, x)[..., 0] - y) ** 2)  # noqa: E731

    def one(q, s):
        updates, s = optimizer.update(jax.grad(loss)(q), s, q)
        return optax.apply_updates(q, updates), s

    @jax.jit
    def steps(p):
        p, state = one(p, optimizer.init(p))  # one step: the moments are no longer zero
        swapped, swapped_state, n_swaps, _ = analysis.swap_transformer_neurons(spec, p, distances, top_k=8, opt_state=state)
        stack = lambda *trees: jax.tree_util.tree_map(lambda *a: jnp.stack(a), *trees)  # noqa: E731
        # the next step from: the unswapped state, the swapped state, swapped params with unswapped moments
        nexts = jax.vmap(lambda q, s: nets.tiny_transformer_apply(spec, one(q, s)[0], x))(
            stack(p, swapped, swapped), stack(state, swapped_state, state))
        return n_swaps, *nexts

    n_swaps, plain_next, swapped_next, wrong_next = steps(params)
    assert int(n_swaps) > 0
    np.testing.assert_allclose(swapped_next, plain_next, rtol=1e-4, atol=1e-5)
    assert not np.allclose(wrong_next, plain_next, atol=1e-4)


def test_neuron_graph_nodes_and_merged_edges():
    spec, params, _ = _setup(4)
    graph = analysis.transformer_neuron_graph(spec, params)
    assert graph.number_of_nodes() == spec.d_in + spec.d_model + spec.n_layers * (3 * spec.d_model + spec.d_mlp) + spec.d_out
    # every |w| is on exactly one edge: the total edge weight is the total |w|
    total = sum(np.abs(w).sum() for w in analysis.transformer_weights(spec, params))
    assert graph.size(weight="weight") == pytest.approx(total, rel=1e-6)
    block = params["blocks"][1]
    expected = abs(block["mlp_in"]["weight"][3, 5]) + abs(block["mlp_out"]["weight"][5, 3])  # MLP in and out merge
    assert graph.edges[("res", 3), ("mlp1", 5)]["weight"] == pytest.approx(expected, rel=1e-6)
    expected = abs(block["value"]["weight"][2, 6]) + abs(block["attn_out"]["weight"][6, 2])
    assert graph.edges[("res", 2), ("v1", 6)]["weight"] == pytest.approx(expected, rel=1e-6)
    assert graph.degree(("q0", 0)) == spec.d_model  # queries hang off the residual neurons only
    chain = analysis.transformer_weight_chain(spec, params)
    assert [w.shape for w in chain[:3]] == [(2, 8), (8, 24), (24, 8)] and len(chain) == 2 + 4 * spec.n_layers
