"""BIMT swaps over neuron groups, for the MLP (groups = layers) and the tiny transformer: the
vectorised swap-cost change equals recomputing the whole cost from its definition in a plain loop,
a swap round never changes the network function (nor the next Adam step), and transformer swaps
stay within heads. Parameters are built with numpy; one jitted call per check."""

from __future__ import annotations

import sys
from pathlib import Path

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import bimt, nets

sys.path.insert(0, str(Path(__file__).parent))  # the shared test networks, under any pytest import mode
from _bimt_networks import EXTENT, LAYER_GAP, mlp, plain_mlp_cost, plain_transformer_cost, transformer  # noqa: E402


def _apply(spec, params, x):
    if isinstance(spec, nets.TinyTransformer):
        return nets.apply(spec, params, x)
    return nets.apply(spec, params, x)


@pytest.mark.parametrize("tokens,normalization", [(False, "sum"), (True, "mean")])
def test_mlp_cost_change_equals_full_recomputation(tokens, normalization):
    spec, layout, params, _, distances = mlp(tokens)
    assert [g.name for g in layout.groups] == ["input", "hidden1", "hidden2", "output"]
    all_deltas = jax.jit(lambda p: [bimt.swap_cost_changes(layout, p, distances, g, normalization=normalization)
                                    for g in layout.groups])(params)
    base = plain_mlp_cost(params, normalization)
    for group, delta in zip(layout.groups, all_deltas):
        delta = np.asarray(delta)
        for a, b in itertools.combinations(range(group.size), 2):  # plain loop: swap, recompute everything
            order = np.arange(group.size)
            order[[a, b]] = [b, a]
            swapped = bimt.permute_group(params, group, order)
            np.testing.assert_allclose(delta[a, b], plain_mlp_cost(swapped, normalization) - base, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.diag(delta), 0.0, atol=1e-6)


@pytest.mark.parametrize("normalization", ["mean", "sum"])
def test_transformer_cost_change_equals_recomputation_and_in_head_permutations_keep_the_function(normalization):
    spec, layout, params, x, distances = transformer(1)
    assert [g.name for g in layout.groups] == ["input", "residual", "block0.qk", "block0.vo", "block0.mlp",
                                               "block1.qk", "block1.vo", "block1.mlp", "output"]
    deltas = jax.jit(lambda p: [bimt.swap_cost_changes(layout, p, distances, g, normalization=normalization)
                                for g in layout.groups])(params)
    base = plain_transformer_cost(params, normalization)
    rng = np.random.default_rng(0)
    out = nets.apply(spec, params, x)
    for group, delta in zip(layout.groups, deltas):
        delta = np.asarray(delta)
        np.testing.assert_allclose(np.diag(delta), 0.0, atol=1e-6)
        for _ in range(4):  # random candidate swaps: swap, recompute the whole cost from its definition
            a, b = rng.choice(group.size, 2, replace=False)
            order = np.arange(group.size)
            order[[a, b]] = [b, a]
            swapped = bimt.permute_group(params, group, order)
            np.testing.assert_allclose(delta[a, b], plain_transformer_cost(swapped, normalization) - base,
                                       rtol=1e-4, atol=1e-5)
        # any permutation that keeps each neuron in its head leaves the function unchanged
        heads = group.size // group.head_size
        order = np.concatenate([h * group.head_size + rng.permutation(group.head_size) for h in range(heads)])
        if heads > 1:
            order = order.reshape(heads, -1)[::-1].reshape(-1)  # and swap heads (qk alone: must differ from vo)
        swapped = bimt.permute_group(params, group, order)
        if group.name.endswith((".qk", ".vo")) and heads > 1:
            other = layout.group(group.name[:-2] + ("vo" if group.name.endswith("qk") else "qk"))
            assert not np.allclose(nets.apply(spec, swapped, x), out, atol=1e-3)  # heads apart: broken
            swapped = bimt.permute_group(swapped, other, order)
        np.testing.assert_allclose(nets.apply(spec, swapped, x), out, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("network", ["mlp-tokens", "transformer"])
def test_swap_round_keeps_function_and_lowers_cost_by_reported_amount(network):
    spec, layout, params, x, distances = transformer(2) if network == "transformer" else mlp(True)

    @jax.jit
    def swap_and_measure(p):
        swapped, _, n_swaps, change = bimt.swap_neurons(layout, p, distances, top_k=5)
        cost = lambda q: bimt.connection_cost(layout, q, distances, layer_gap=LAYER_GAP)  # noqa: E731
        return swapped, n_swaps, change, cost(swapped) - cost(p), _apply(spec, p, x), _apply(spec, swapped, x)

    swapped, n_swaps, change, cost_change, out, out_swapped = swap_and_measure(params)
    assert int(n_swaps) > 0 and float(change) < 0
    np.testing.assert_allclose(float(cost_change), float(change), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out_swapped, out, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="top_k"):
        bimt.swap_neurons(layout, params, distances, top_k=0)


def test_mlp_inputs_and_outputs_stay_when_told():
    _, layout, params, _, distances = mlp(True)
    kept, *_ = bimt.swap_neurons(layout, params, distances, top_k=7, swap_inputs=False, swap_outputs=False)
    np.testing.assert_array_equal(kept["embedding"], params["embedding"])
    np.testing.assert_array_equal(kept["output_order"], params["output_order"])
    assert not np.allclose(kept["layers"][1]["weight"], params["layers"][1]["weight"])  # hidden neurons moved
    assert [g.name for g in bimt.swappable_groups(layout, swap_inputs=False)] == ["hidden1", "hidden2", "output"]


def test_transformer_swaps_move_whole_heads_and_stay_within_them():
    spec, layout, params, _, distances = transformer(2)
    swapped, *_ = jax.jit(lambda p: bimt.swap_neurons(layout, p, distances, top_k=5))(params)
    for layer in range(spec.n_layers):
        before, after = params["blocks"][layer]["query"]["weight"], np.asarray(swapped["blocks"][layer]["query"]["weight"])
        # recover where each query column went: whole heads move together, neurons stay in their head
        residual_order = [int(np.argmin(np.abs(np.asarray(swapped["embed"]["bias"]) - b))) for b in params["embed"]["bias"]]
        moved = [int(np.argmin(np.abs(after[residual_order] - before[:, [c]]).sum(0))) for c in range(spec.d_model)]
        head_of = np.array(moved) // spec.d_head
        assert all(len(set(head_of[h * spec.d_head:(h + 1) * spec.d_head])) == 1 for h in range(spec.n_heads))


@pytest.mark.parametrize("network", ["mlp", "transformer"])
def test_next_adam_step_equals_that_of_the_permuted_network(network):
    """Swap after a step of Adam: one more step from the swapped state must give the same function
    as one more step from the unswapped state (the moments were permuted too); keeping the old
    moments would not."""
    if network == "transformer":
        spec, layout, params, x, distances = transformer(3)
        y = np.sin(x[..., 1])
        loss = lambda p: jnp.mean((nets.apply(spec, p, x)[..., 0] - y) ** 2)  # noqa: E731
    else:
        spec, layout, params, x, distances = mlp(False)
        y = np.sin(x[:, :3])
        loss = lambda p: jnp.mean((nets.apply(spec, p, x) - y) ** 2)  # noqa: E731
    optimizer = optax.adam(0.05)

    def one(q, s):
        updates, s = optimizer.update(jax.grad(loss)(q), s, q)
        return optax.apply_updates(q, updates), s

    @jax.jit
    def steps(p):
        p, state = one(p, optimizer.init(p))  # one step: the moments are no longer zero
        swapped, swapped_state, n_swaps, _ = bimt.swap_neurons(layout, p, distances, top_k=8, opt_state=state)
        nexts = [_apply(spec, one(q, s)[0], x) for q, s in ((p, state), (swapped, swapped_state), (swapped, state))]
        return n_swaps, *nexts

    n_swaps, plain_next, swapped_next, wrong_next = steps(params)
    assert int(n_swaps) > 0
    np.testing.assert_allclose(swapped_next, plain_next, rtol=1e-4, atol=1e-5)
    assert not np.allclose(wrong_next, plain_next, atol=1e-4)


def _authors_round(weights, biases, embedding, top_k, score):
    """A plain-Python transcription of the authors' swap round (read from ``relocate``,
    ``relocate_i``, ``relocate_ij`` and ``get_top_id`` in KindXiaoming/BIMT's notebooks, e.g.
    symbolic_formulas_3.1.ipynb cell 2): per neuron layer, inputs first, score once, take the
    top-k *positions*; for each position in turn try every exchange, recompute the whole cost
    each time, keep the first lowest (staying included). Returns the final slot order per layer."""
    weights = [w.astype(np.float64).copy() for w in weights]
    biases = [b.astype(np.float64).copy() for b in biases]
    embedding = None if embedding is None else embedding.astype(np.float64).copy()
    folds = 1 if embedding is None else weights[0].shape[0] // embedding.shape[1]
    sizes = [weights[0].shape[0] // folds] + [w.shape[1] for w in weights]
    orders = [np.arange(n) for n in sizes]

    def cost():
        total = 0.0
        for w, b in zip(weights, biases):
            n_in = w.shape[0] // folds if w is weights[0] else w.shape[0]
            x_in, x_out = EXTENT * (np.arange(n_in) + 0.5) / n_in, EXTENT * (np.arange(w.shape[1]) + 0.5) / w.shape[1]
            rows = x_in[np.arange(w.shape[0]) % n_in]  # token copies share positions
            total += (np.abs(w) * (np.abs(rows[:, None] - x_out[None, :]) + LAYER_GAP)).sum()
            total += LAYER_GAP * np.abs(b).sum()
        if embedding is not None:
            total += LAYER_GAP * np.abs(embedding).sum()
        return round(total, 9)  # equal costs compare equal despite summation order

    def exchange(i, j, k):
        orders[i][[j, k]] = orders[i][[k, j]]
        if i == 0:
            for f in range(folds):
                weights[0][[j + f * sizes[0], k + f * sizes[0]]] = weights[0][[k + f * sizes[0], j + f * sizes[0]]]
            if embedding is not None:
                embedding[:, [j, k]] = embedding[:, [k, j]]
        else:
            weights[i - 1][:, [j, k]] = weights[i - 1][:, [k, j]]
            biases[i - 1][[j, k]] = biases[i - 1][[k, j]]
            if i < len(weights):
                weights[i][[j, k]] = weights[i][[k, j]]

    for i, n in enumerate(sizes):
        if i == 0:
            s = np.abs(weights[0]).reshape(folds, n, -1).sum(axis=(0, 2))
            if embedding is not None and score == "with-embedding":
                s = s + np.abs(embedding).sum(axis=0)
        else:
            s = np.abs(weights[i - 1]).sum(axis=0) + (np.abs(weights[i]).sum(axis=1) if i < len(weights) else 0)
        for j in np.argsort(s, kind="stable")[::-1][:top_k]:  # their flip(argsort(score))[:top_k]
            costs = []
            for k in range(n):
                exchange(i, j, k)
                costs.append(cost())
                exchange(i, j, k)
            exchange(i, j, int(np.argmin(costs)))
    return orders


@pytest.mark.parametrize("tokens,score", [(False, "weights"), (True, "weights"), (True, "with-embedding")])
def test_position_loop_makes_the_authors_decisions(tokens, score):
    """On small random networks (some neurons dead, so ties happen), ``loop="position"`` ends in
    the same neuron orders as the transcription of the authors' loop; ``loop="neuron"`` is a
    different rule and is allowed to differ."""
    differ, rounds = 0, None
    for seed in range(4):
        spec, layout, params, _, distances = mlp(tokens, seed=seed)
        if rounds is None:
            rounds = jax.jit(lambda p, loop: bimt.swap_neurons(layout, p, distances, top_k=5, loop=loop,
                                                               score=score)[0], static_argnames="loop")
        if seed % 2:  # dead neurons: zero-gain ties the authors' argmin breaks by the first slot
            for layer in (0, 1):
                params["layers"][layer]["weight"][:, 1:5] = 0.0
                params["layers"][layer + 1]["weight"][1:5] = 0.0
        marked = dict(params)
        marked["layers"] = [{**layer, "bias": np.arange(layer["bias"].size, dtype=np.float32) + 100.0}
                            for layer in params["layers"]]  # the biases record where each neuron went
        ours = rounds(marked, "position")
        expected = _authors_round([l["weight"] for l in params["layers"]], [l["bias"] for l in params["layers"]],
                                  params.get("embedding"), 5, score)
        for got, want in zip([np.asarray(l["bias"]) - 100.0 for l in ours["layers"]], expected[1:]):
            np.testing.assert_array_equal(got, want)
        if tokens:
            emb = np.asarray(ours["embedding"])
            np.testing.assert_array_equal(emb, np.asarray(params["embedding"])[:, expected[0]])
        else:
            np.testing.assert_array_equal(np.asarray(ours["input_order"]), expected[0])
        neuron = rounds(marked, "neuron")
        differ += any(not np.array_equal(a["bias"], b["bias"]) for a, b in zip(ours["layers"], neuron["layers"]))
    assert differ >= 1  # the two loops are different rules on these networks


def test_swap_loop_and_score_names_are_checked():
    spec, layout, params, _, distances = mlp(False)
    with pytest.raises(ValueError, match="swap loop"):
        bimt.swap_neurons(layout, params, distances, top_k=2, loop="slot")
    with pytest.raises(ValueError, match="swap score"):
        bimt.swap_neurons(layout, params, distances, top_k=2, score="all")
    with pytest.raises(ValueError, match="swap_loop"):
        bimt.BimtMethod("bimt", (1e-3,), (10,), swap_loop="slot")
