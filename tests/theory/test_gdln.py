"""Reduced GDLN dynamics against independent truths: GD on the full network, the paper's
gradient formula, the closed form, conserved quantities, the fixed point."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, tasks, theory, train

M, K, N_H = 3, 2, 6


@pytest.fixture(scope="module")
def routing():
    spec = nets.pathway_net(M, M, 4, N_H, 7)
    data = tasks.routing_task(tasks.band_routes(M, K), tasks.orthogonal_encodings(M, 4, 4, seed=0),
                              tasks.hierarchical_targets())
    return spec, data, theory.pathway_modes(spec, data)


def _batch(data):
    return {k: jax.tree_util.tree_map(jnp.asarray, data[k]) for k in ("x", "y", "gates", "weight")}


def test_routing_data_reduce_exactly_with_the_hierarchys_singular_values(routing):
    spec, data, modes = routing
    assert modes.off_diagonal < 1e-6
    trained = np.flatnonzero(tasks.band_routes(M, K).ravel())
    ratio = modes.singular_values[trained] / np.einsum("ppk->pk", modes.input_overlaps)[trained]
    np.testing.assert_allclose(ratio, np.tile([np.sqrt(185), np.sqrt(41), 3, 3], (len(trained), 1)), rtol=1e-6)
    untrained = np.setdiff1d(np.arange(M * M), trained)
    assert np.abs(modes.singular_values[untrained]).max() == 0


def test_reduced_objective_is_the_network_loss_of_decoupled_weights(routing):
    spec, data, modes = routing
    b = np.random.default_rng(0).uniform(0.1, 1.5, (len(modes.edges), modes.n_modes))
    params = theory.decoupled_params(spec, modes, b, key=jax.random.key(3))
    loss = nets.gated_linear_loss(spec)(params, _batch(data))
    assert float(loss) == pytest.approx(float(theory.reduced_objective(modes, jnp.asarray(b))), rel=1e-5)
    np.testing.assert_allclose(theory.edge_mode_strengths(modes, params), b, rtol=1e-5, atol=1e-6)


def test_network_gradient_is_the_papers_pathway_formula(routing):
    """tau dW_e/dt = sum_{p through e} W_after^T E(p) W_before^T (column convention), E(p) = S_yx - sum_j W_j S_x(j,p)."""
    spec, data, _ = routing
    params = nets.init(spec, key=jax.random.key(1), scale=0.4)
    grads = jax.jit(jax.grad(nets.gated_linear_loss(spec)))(params, _batch(data))
    sigma_yx, sigma_x = theory.pathway_correlations(spec, data)
    paths = spec.paths()
    col = {name: np.asarray(w, np.float64).T for name, w in params.items()}

    def product(edges):
        out = None
        for e in edges:
            out = col[e] if out is None else col[e] @ out
        return out

    expected = {name: np.zeros_like(w) for name, w in col.items()}
    for p, path in enumerate(paths):
        error = sigma_yx[p] - sum(product(paths[j]) @ sigma_x[(j, q)] for (j, q) in sigma_x if q == p)
        for i, e in enumerate(path):
            before = product(path[:i]) if i else np.eye(col[e].shape[1])
            after = product(path[i + 1:]) if i + 1 < len(path) else np.eye(col[e].shape[0])
            expected[e] += after.T @ error @ before.T
    for name in col:
        np.testing.assert_allclose(-np.asarray(grads[name]).T, expected[name], rtol=2e-4, atol=2e-6)


def test_reduced_ode_matches_gradient_descent_from_decoupled_init(routing):
    spec, data, modes = routing
    lr, n_steps, every = 0.01, 1500, 50
    times = np.arange(0, n_steps + 1, every) * lr
    strengths = theory.reduced_dynamics(modes, 0.3, times)
    params = jax.tree_util.tree_map(lambda a: a[None], theory.decoupled_params(spec, modes, 0.3, key=jax.random.key(2)))
    run = train.train(nets.gated_linear_loss(spec), params, _batch(data), optimizer=train.Optimizer("sgd", lr),
                      n_steps=n_steps, record=train.Record(every=every, snapshot_every=every), progress=None)
    sim = theory.edge_mode_strengths(modes, jax.tree_util.tree_map(lambda a: a[:, 0], run.snapshots))
    assert np.abs(sim - strengths).max() < 0.02 * np.abs(strengths).max()
    theory_loss = theory.reduced_loss(modes, strengths)[:-1]
    assert np.abs(run.loss[:, 0] - theory_loss).max() < 0.02 * theory_loss[0]
    assert theory_loss[-1] < 0.2 * theory_loss[0]  # something was learned in the window
    imbalance = theory.node_imbalance(spec, modes, strengths)  # conserved along the flow
    for node, value in imbalance.items():
        np.testing.assert_allclose(value, np.broadcast_to(value[0], value.shape), atol=1e-4, err_msg=node)


def test_two_layer_closed_form_matches_the_ode():
    spec = nets.gated_linear_net([("x", 2), ("h", 3), ("y", 2)], [("x", "h"), ("h", "y")])
    data = {"x": {"x": np.eye(2, dtype=np.float32)}, "y": {"y": np.array([[2.0, 0], [0, 0.5]], np.float32)}}
    modes = theory.pathway_modes(spec, data)
    times = np.linspace(0, 12, 25)
    u0 = 0.01
    b = theory.reduced_dynamics(modes, np.sqrt(u0), times, tau=1.5)
    s, d = modes.singular_values[0], modes.input_overlaps[0, 0]
    np.testing.assert_allclose(s / d, [2.0, 0.5], rtol=1e-6)
    for a in range(2):
        closed = theory.two_layer_path_strength(times, s[a], d[a], u0, tau=1.5)
        np.testing.assert_allclose(b[:, 0, a] * b[:, 1, a], closed, rtol=1e-4, atol=1e-6)
    # the closed form solves tau du/dt = 2 u (s - d u) (central differences)
    t = np.linspace(1, 10, 50)
    h = 1e-4
    u = theory.two_layer_path_strength(t, s[0], d[0], u0, tau=1.5)
    du = (theory.two_layer_path_strength(t + h, s[0], d[0], u0, tau=1.5)
          - theory.two_layer_path_strength(t - h, s[0], d[0], u0, tau=1.5)) / (2 * h)
    np.testing.assert_allclose(1.5 * du, 2 * u * (s[0] - d[0] * u), rtol=1e-5, atol=1e-8)


def test_long_time_limit_is_the_balanced_fixed_point(routing):
    spec, data, modes = routing
    b = theory.reduced_dynamics(modes, 1e-3, np.array([0.0, 2000.0]))[-1]
    index = {name: i for i, name in enumerate(modes.edges)}
    b_in, b_h, b_out = theory.routing_fixed_point(np.sqrt(185), M)
    assert b[index["h1_0_0->h2_0_0"], 0] == pytest.approx(b_h, rel=1e-3)
    assert b[index["in0->h1_0_0"], 0] == pytest.approx(b_in, rel=1e-3)
    assert b[index["h2_0_0->out1"], 0] == pytest.approx(b_out, rel=1e-3)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="overlap and initial"):
        theory.two_layer_path_strength(np.zeros(2), 1.0, 0.0, 0.1)
    spec = nets.gated_linear_net([("x", 2), ("y", 2)], [("x", "y")])
    data = {"x": {"x": np.eye(2, dtype=np.float32)}, "y": {"y": np.eye(2, dtype=np.float32)}}
    with pytest.raises(ValueError, match="n_modes"):
        theory.pathway_modes(spec, data, n_modes=3)
    with pytest.raises(ValueError, match="tau"):
        theory.reduced_dynamics(theory.pathway_modes(spec, data), 0.1, [0.0, 1.0], tau=0.0)


def test_xor_paths_each_learn_their_example_with_s_and_d_of_one_example():
    spec = nets.xor_path_net(3)
    xor = tasks.xor_path_task()
    for p in range(4):
        one = {**xor, "weight": np.where(np.arange(4) == p, 0.25, 0.0).astype(np.float32)}
        modes = theory.pathway_modes(spec, one, n_modes=1)
        assert modes.off_diagonal < 1e-9
        # s = w |y_p| |x_p| = sqrt(2)/4 and d = w |x_p|^2 = 1/2 for this path, nothing on the others
        assert modes.singular_values[p, 0] == pytest.approx(np.sqrt(2) / 4, rel=1e-6)
        assert modes.input_overlaps[p, p, 0] == pytest.approx(0.5, rel=1e-6)
        assert np.abs(np.delete(modes.singular_values[:, 0], p)).max() == 0


def test_fixed_point_with_the_conserved_term_is_where_the_reduced_ode_ends_from_a_large_start(routing):
    # from b0 = 0.5 the small-init fixed point is visibly off; the exact one (conserved b_h^2 - M b_in^2) is not
    spec, data, modes = routing
    with jax.enable_x64(True):
        b = theory.reduced_dynamics(modes, 0.5, np.array([0.0, 1000.0]), rtol=1e-9, atol=1e-11)[-1]
    index = {name: i for i, name in enumerate(modes.edges)}
    exact = theory.routing_fixed_point(np.sqrt(185), M, initial=0.5)
    small = theory.routing_fixed_point(np.sqrt(185), M)
    assert b[index["h1_0_0->h2_0_0"], 0] == pytest.approx(exact[1], rel=1e-6)
    assert b[index["in0->h1_0_0"], 0] == pytest.approx(exact[0], rel=1e-6)
    assert abs(small[1] / exact[1] - 1) > 1e-3
    # the issue-19 numbers: sigma0 = 0.2, M = 7, s = 13.6 / 6.4 / 3 (the hierarchy's sqrt(185), sqrt(41), 3)
    got = [theory.routing_fixed_point(s, 7, initial=0.2) for s in (np.sqrt(185), np.sqrt(41), 3.0)]
    np.testing.assert_allclose([g[1] for g in got], [4.549, 3.530, 2.730], atol=6e-4)
    np.testing.assert_allclose([g[0] for g in got], [1.729, 1.347, 1.048], atol=6e-4)


def test_path_projection_of_decoupled_weights_is_the_product_of_edge_strengths(routing):
    spec, data, modes = routing
    b = np.random.default_rng(1).uniform(0.2, 1.2, (len(modes.edges), modes.n_modes))
    params = theory.decoupled_params(spec, modes, b, key=jax.random.key(5))
    projections = theory.path_mode_projections(modes, params)
    index = {name: i for i, name in enumerate(modes.edges)}
    expected = np.stack([np.prod([b[index[e]] for e in path], axis=0) for path in modes.paths])
    np.testing.assert_allclose(projections, expected, rtol=1e-5)
