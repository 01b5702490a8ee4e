"""Gated deep linear networks: outputs are sums over active paths; gating invariances; ensembles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, tasks


def _skip_net():
    # a graph with a skip edge, two inputs and two outputs
    nodes = [("a", 3), ("b", 2), ("h", 4), ("k", 5), ("y", 2), ("z", 3)]
    edges = [("a", "h"), ("b", "h"), ("a", "k"), ("h", "k"), ("h", "y"), ("k", "y"), ("k", "z")]
    return nets.gated_linear_net(nodes, edges)


def _random_case(seed=0, n=6):
    spec = _skip_net()
    rng = np.random.default_rng(seed)
    params = nets.init(spec, key=jax.random.key(seed), scale=0.7)
    x = {"a": rng.standard_normal((n, 3)).astype(np.float32), "b": rng.standard_normal((n, 2)).astype(np.float32)}
    names = [name for name, _ in spec.nodes] + list(spec.edge_names)
    gates = {name: rng.integers(0, 2, n).astype(np.float32) for name in names}
    return spec, params, x, gates


def test_paths_of_a_graph_with_a_skip_edge():
    spec = _skip_net()
    assert spec.input_nodes == ("a", "b") and spec.output_nodes == ("y", "z")
    assert set(spec.paths()) == {
        ("a->h", "h->k", "k->y"), ("a->h", "h->k", "k->z"), ("a->h", "h->y"), ("a->k", "k->y"), ("a->k", "k->z"),
        ("b->h", "h->k", "k->y"), ("b->h", "h->k", "k->z"), ("b->h", "h->y"),
    }


def test_output_is_the_sum_over_active_paths_of_gated_products():
    spec, params, x, gates = _random_case()
    out = nets.apply(spec, params, x, gates)
    g = np.asarray(nets.path_gates(spec, gates, 6))
    expected = {"y": np.zeros((6, 2)), "z": np.zeros((6, 3))}
    for p, path in enumerate(spec.paths()):  # plain loop over paths and examples
        nodes = spec.path_nodes(path)
        for n in range(6):
            h = np.asarray(x[nodes[0]][n], np.float64)
            for e in path:
                h = h @ np.asarray(params[e], np.float64)
            expected[nodes[-1]][n] += g[n, p] * h
    for node in ("y", "z"):
        np.testing.assert_allclose(np.asarray(out[node]), expected[node], rtol=1e-5, atol=1e-5)


def test_weights_of_a_gated_off_edge_change_nothing_and_get_no_gradient():
    spec, params, x, gates = _random_case(seed=1)
    gates = {name: np.ones(6, np.float32) for name in gates}
    gates["h->k"] = np.zeros(6, np.float32)
    changed = {**params, "h->k": params["h->k"] + 5.0}
    a = nets.apply(spec, params, x, gates)
    b = nets.apply(spec, changed, x, gates)
    for node in a:
        np.testing.assert_allclose(a[node], b[node], rtol=0, atol=0)
    y = {"y": np.ones((6, 2), np.float32), "z": np.ones((6, 3), np.float32)}
    grads = jax.jit(jax.grad(nets.gated_linear_loss(spec)))(params, {"x": x, "y": y, "gates": gates})
    assert float(jnp.abs(grads["h->k"]).max()) == 0.0
    assert float(jnp.abs(grads["a->h"]).max()) > 0.0


def test_gating_a_node_equals_gating_all_its_edges():
    spec, params, x, _ = _random_case(seed=2)
    rng = np.random.default_rng(3)
    g = rng.integers(0, 2, 6).astype(np.float32)
    by_node = nets.apply(spec, params, x, {"h": g})
    by_edges = nets.apply(spec, params, x, {"h->k": g, "h->y": g})
    for node in by_node:
        np.testing.assert_allclose(by_node[node], by_edges[node], rtol=1e-6, atol=1e-6)


def test_masked_output_target_is_ignored_and_weights_average():
    spec, params, x, gates = _random_case(seed=4)
    loss = nets.gated_linear_loss(spec)
    y = {"y": np.ones((6, 2), np.float32), "z": np.ones((6, 3), np.float32)}
    y2 = {"y": np.where(gates["y"][:, None] > 0, y["y"], 99.0).astype(np.float32), "z": y["z"]}
    base = {"x": x, "gates": gates}
    assert float(loss(params, {**base, "y": y})) == pytest.approx(float(loss(params, {**base, "y": y2})), rel=1e-6)
    explicit = {**base, "y": y, "weight": np.full(6, 1 / 6, np.float32)}
    assert float(loss(params, {**base, "y": y})) == pytest.approx(float(loss(params, explicit)), rel=1e-6)


def test_ensemble_apply_equals_a_loop_over_members():
    spec = _skip_net()
    params = nets.init(spec, key=jax.random.key(5), n_networks=3, scale=0.5)
    _, _, x, gates = _random_case(seed=5)
    out = nets.apply(spec, params, x, gates)
    for e in range(3):
        one = nets.apply(spec, nets.ensemble_member(params, e), x, gates)
        np.testing.assert_allclose(out["z"][e], one["z"], rtol=1e-6, atol=1e-6)


def test_init_schemes_and_validation():
    spec = nets.gated_linear_net([("a", 4), ("b", 5)], [("a", "b")])
    ortho = nets.init(spec, key=jax.random.key(0), scheme="orthogonal", scale=2.0)
    w = np.asarray(ortho["a->b"])  # (4, 5): rows orthogonal with norm 2
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(4), atol=1e-5)
    normal = nets.init(spec, key=jax.random.key(1), n_networks=400, scale=0.5)
    assert np.asarray(normal["a->b"]).std() == pytest.approx(0.5, rel=0.03)
    with pytest.raises(ValueError, match="scale"):
        nets.init(spec, key=jax.random.key(0), scale=0.0)
    with pytest.raises(ValueError, match="backwards"):
        nets.gated_linear_net([("a", 1), ("b", 1)], [("b", "a")])
    with pytest.raises(ValueError, match="x lacks input nodes"):
        nets.apply(spec, ortho, {"b": np.zeros((1, 5))})


@pytest.mark.parametrize("group", [1, 3])
def test_routing_examples_switch_on_exactly_one_path(group):
    m = 3
    spec = nets.pathway_net(m, m, 4, 6, 7, group_size=group)
    assert len(spec.paths()) == m * m
    routes = tasks.band_routes(m, 2)
    data = tasks.routing_task(routes, tasks.orthogonal_encodings(m, 4, 4, seed=0), tasks.hierarchical_targets(),
                              group_size=group)
    g = np.asarray(nets.path_gates(spec, data["gates"], len(data["item"])))
    assert (g.sum(1) == 1).all()
    for n, p in zip(*np.nonzero(g)):  # the active path goes from the example's input to its output domain
        ends = spec.path_nodes(spec.paths()[p])
        assert ends[0] == f"in{data['input_domain'][n]}" and ends[-1] == f"out{data['output_domain'][n]}"


@pytest.mark.parametrize("gate_kind", ["binary", "real"])
def test_active_path_evaluation_matches_the_dense_network_in_values_and_gradients(gate_kind):
    spec, params, x, gates = _random_case(seed=6, n=9)  # skip edges: paths of length 2 and 3, two output widths
    rng = np.random.default_rng(7)
    if gate_kind == "real":  # sparse pattern from the binary gates, real values on the kept entries
        gates = {k: (v * rng.uniform(0.5, 2.0, 9)).astype(np.float32) for k, v in gates.items()}
    layout = nets.active_paths(spec, gates, 9)
    dense_g = np.asarray(nets.path_gates(spec, gates, 9))
    assert layout.n_active == int((dense_g != 0).sum()) < dense_g.size  # some pairs skipped
    sparse = nets.apply(spec, params, x, gates, layout=layout)
    dense = nets.apply(spec, params, x, gates)
    for node in dense:
        np.testing.assert_allclose(sparse[node], dense[node], rtol=1e-5, atol=1e-6)
    y = {"y": rng.standard_normal((9, 2)).astype(np.float32), "z": rng.standard_normal((9, 3)).astype(np.float32)}
    batch = {"x": x, "y": y, "gates": gates, "weight": rng.uniform(0.0, 1.0, 9).astype(np.float32)}
    value_s, grad_s = jax.jit(jax.value_and_grad(nets.active_path_loss(spec, batch)))(params, batch)
    value_d, grad_d = jax.jit(jax.value_and_grad(nets.gated_linear_loss(spec)))(params, batch)
    assert float(value_s) == pytest.approx(float(value_d), rel=1e-5)
    for name in spec.edge_names:
        np.testing.assert_allclose(grad_s[name], grad_d[name], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("group", [1, 2])
def test_active_path_loss_on_routing_nets_matches_dense_for_an_ensemble(group):
    m = 2
    spec = nets.pathway_net(m, m, 4, 5, 7, group_size=group)
    data = tasks.routing_task(tasks.band_routes(m, 1), tasks.orthogonal_encodings(m, 4, 4, seed=1),
                              tasks.hierarchical_targets(), group_size=group)
    batch = {k: data[k] for k in ("x", "y", "gates", "weight")}
    params = nets.init(spec, key=jax.random.key(8), n_networks=2, scale=0.6)
    layout = nets.active_paths(spec, data["gates"], len(data["item"]))
    assert layout.n_active == len(data["item"])  # one path per example
    unused = set(spec.edge_names) - set(layout.active_edges)
    assert bool(unused) == (group < m)  # dedicated pathways of untrained routes are never used
    fns = [jax.jit(jax.vmap(jax.value_and_grad(f), in_axes=(0, None)))
           for f in (nets.active_path_loss(spec, batch), nets.gated_linear_loss(spec))]
    (v_s, g_s), (v_d, g_d) = (f(params, batch) for f in fns)
    np.testing.assert_allclose(v_s, v_d, rtol=1e-5)
    for name in spec.edge_names:
        np.testing.assert_allclose(g_s[name], g_d[name], rtol=1e-4, atol=1e-6)
        if name in unused:
            assert float(jnp.abs(g_s[name]).max()) == 0.0
    sparse_out = nets.apply(spec, params, data["x"], data["gates"], layout=layout)  # ensemble forward
    for node, dense_y in nets.apply(spec, params, data["x"], data["gates"]).items():
        np.testing.assert_allclose(sparse_out[node], dense_y, rtol=1e-5, atol=1e-6)
    only_used = {name: params[name] for name in layout.active_edges}  # the loss never reads the other edges
    v_used = jax.jit(jax.vmap(nets.active_path_loss(spec, batch), in_axes=(0, None)))(only_used, batch)
    np.testing.assert_allclose(v_used, v_d, rtol=1e-5)
    with pytest.raises(ValueError, match="built for"):
        nets.active_path_loss(spec, batch)(jax.tree_util.tree_map(lambda a: a[0], params),
                                           jax.tree_util.tree_map(lambda a: a[:3], batch))
