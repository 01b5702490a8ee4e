"""BIMT swaps: a swap never changes the network function or the next Adam step, and the
vectorised swap-cost change equals recomputing the whole connection cost in a plain loop.

Parameters are built with numpy and every JAX computation is one jitted function per test, so
the file stays fast on a busy machine.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import analysis, nets

LAYER_GAP = 0.3


def _network(tokens: bool, seed: int = 0):
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
    coords = analysis.neuron_coordinates(spec.neuron_widths, extent=2.0, layer_gap=LAYER_GAP)
    return spec, params, x, analysis.connection_distances(coords)


def _plain_cost(params, distances, normalization):
    """The connection cost with explicit loops over every weight (numpy, independent of the library)."""
    total = 0.0
    for layer, dist in zip(params["layers"], distances):
        weight, bias = np.asarray(layer["weight"]), np.asarray(layer["bias"])
        term = sum(abs(weight[r, c]) * dist[r % dist.shape[0], c] for r in range(weight.shape[0]) for c in range(weight.shape[1]))
        total += term / (weight.size if normalization == "mean" else 1)
        total += LAYER_GAP * np.abs(bias).sum() / (bias.size if normalization == "mean" else 1)
    if "embedding" in params:
        embedding = np.asarray(params["embedding"])
        total += LAYER_GAP * np.abs(embedding).sum() / (embedding.size if normalization == "mean" else 1)
    return total


@pytest.mark.parametrize("tokens,normalization", [(False, "sum"), (True, "mean")])
def test_vectorised_cost_change_equals_full_recomputation(tokens, normalization):
    spec, params, _, distances = _network(tokens)
    all_deltas = jax.jit(lambda p: [analysis.swap_cost_changes(spec, p, distances, layer, normalization=normalization)
                                    for layer in range(len(spec.neuron_widths))])(params)
    base = _plain_cost(params, distances, normalization)
    for layer, width in enumerate(spec.neuron_widths):
        delta = np.asarray(all_deltas[layer])
        for a, b in itertools.combinations(range(width), 2):  # plain loop: swap, recompute everything
            order = np.arange(width)
            order[[a, b]] = [b, a]
            swapped = analysis.permute_neuron_layer(spec, params, layer, order)
            np.testing.assert_allclose(delta[a, b], _plain_cost(swapped, distances, normalization) - base,
                                       rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np.diag(delta), 0.0, atol=1e-6)


def test_swap_round_keeps_function_and_lowers_cost_by_reported_amount():
    spec, params, x, distances = _network(True)

    @jax.jit
    def swap_and_measure(p):
        swapped, _, n_swaps, change = analysis.swap_neurons(spec, p, distances, top_k=4)
        cost = lambda q: analysis.connection_cost(q, distances, layer_gap=LAYER_GAP)  # noqa: E731
        return (swapped, n_swaps, change, cost(swapped) - cost(p),
                nets.layered_network_apply(spec, p, x), nets.layered_network_apply(spec, swapped, x))

    swapped, n_swaps, change, cost_change, out, out_swapped = swap_and_measure(params)
    assert int(n_swaps) > 0 and float(change) < 0
    np.testing.assert_allclose(float(cost_change), float(change), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out_swapped, out, rtol=1e-5, atol=1e-5)
    assert not np.allclose(swapped["layers"][1]["weight"], params["layers"][1]["weight"])  # the weights moved
    kept, *_ = analysis.swap_neurons(spec, params, distances, top_k=7, swap_inputs=False, swap_outputs=False)
    np.testing.assert_array_equal(kept["embedding"], params["embedding"])
    np.testing.assert_array_equal(kept["output_order"], params["output_order"])
    with pytest.raises(ValueError, match="top_k"):
        analysis.swap_neurons(spec, params, distances, top_k=0)


def test_next_adam_step_equals_that_of_the_permuted_network():
    """Swap after a few Adam steps: one more step from the swapped state must give the same
    function as one more step from the unswapped state (the moments were permuted too); keeping
    the old moments would not."""
    spec, params, x, distances = _network(False)
    y = np.sin(x[:, :3])
    optimizer = optax.adam(0.05)
    loss = lambda p: jnp.mean((nets.layered_network_apply(spec, p, x) - y) ** 2)  # noqa: E731

    @jax.jit
    def step(p, state):
        updates, state = optimizer.update(jax.grad(loss)(p), state, p)
        return optax.apply_updates(p, updates), state

    swap = jax.jit(lambda p, state: analysis.swap_neurons(spec, p, distances, top_k=7, opt_state=state))
    apply = jax.jit(lambda p: nets.layered_network_apply(spec, p, x))
    state = optimizer.init(params)
    for _ in range(3):
        params, state = step(params, state)
    swapped, swapped_state, n_swaps, _ = swap(params, state)
    plain_next = apply(step(params, state)[0])
    swapped_next = apply(step(swapped, swapped_state)[0])
    wrong_next = apply(step(swapped, state)[0])
    assert int(n_swaps) > 0
    np.testing.assert_allclose(swapped_next, plain_next, rtol=1e-5, atol=1e-6)
    assert not np.allclose(wrong_next, plain_next, atol=1e-4)
