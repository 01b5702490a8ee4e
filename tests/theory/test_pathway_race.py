"""The race inside one network: path strengths and target shares against plain loops, the reduced
ODE's fixed point (the shares of a learnt route sum to 1) and gradient descent on the network."""

import doctest

import jax
import numpy as np
import pytest

from toyscope import nets, tasks, theory, train
from toyscope.theory import _pathway_race

GROUPS = (1, 2)


@pytest.fixture(scope="module")
def race():
    """A 2-domain network with a dedicated (P = 1) and a shared (P = 4) pathway per route."""
    spec = nets.parallel_pathway_net(2, 4, 4, 7, GROUPS)
    codes, y = tasks.orthogonal_encodings(2, 4, 4, seed=3), tasks.hierarchical_targets()
    data = tasks.routing_task(tasks.band_routes(2, 1), codes, y, group_size=GROUPS)
    modes = theory.pathway_modes(spec, data)
    labels = [spec.path_nodes(p)[1].split("_")[1] for p in modes.paths]  # "g1" / "g2"
    return spec, data, modes, labels


def test_path_strengths_multiply_the_edges_of_each_path(race):
    spec, _, modes, _ = race
    b = np.random.default_rng(0).uniform(0.5, 2, size=(3, len(modes.edges), modes.n_modes))
    strengths = theory.path_strengths(modes, b)
    index = {name: e for e, name in enumerate(modes.edges)}
    for p, path in enumerate(modes.paths):
        expected = np.ones((3, modes.n_modes))
        for name in path:
            expected = expected * b[:, index[name]]
        np.testing.assert_allclose(strengths[:, p], expected)
    with pytest.raises(ValueError, match="strengths must end in"):
        theory.path_strengths(modes, b[..., :2])


def test_shares_average_d_b_over_s_over_each_groups_trained_paths(race):
    _, _, modes, labels = race
    bp = np.random.default_rng(1).normal(size=(2, len(modes.paths), modes.n_modes))
    shares = theory.pathway_shares(modes, bp, labels)
    for label in ("g1", "g2"):
        for a in range(modes.n_modes):
            values = [modes.input_overlaps[p, p, a] * bp[:, p, a] / modes.singular_values[p, a]
                      for p in range(len(modes.paths)) if labels[p] == label and modes.singular_values[p, a] > 1e-6]
            assert len(values) == 2  # two trained routes, one path each through this grouping
            np.testing.assert_allclose(shares[label][:, a], np.mean(values, axis=0))


def test_gd_follows_the_odes_shares_and_at_its_fixed_point_they_sum_to_one(race):
    """GD from decoupled init (where the reduction is exact) against the reduced ODE mid-race; at the
    ODE's fixed point sum_j d_jp b_j = s_p the shares of a learnt route sum to 1 and the shared pathway won."""
    spec, data, modes, labels = race
    assert modes.off_diagonal < 1e-6  # the parallel paths share the node bases: the reduction is exact
    lr, n_steps = 0.01, 1500  # t = 15: mid-race for the top modes
    b = theory.reduced_dynamics(modes, 0.2, np.array([0.0, lr * n_steps, 400.0]))
    ode = theory.pathway_shares(modes, theory.path_strengths(modes, b), labels)
    np.testing.assert_allclose(ode["g1"][-1] + ode["g2"][-1], 1.0, atol=1e-4)
    assert (ode["g2"][-1] > 0.9).all() and (ode["g1"][0] == ode["g2"][0]).all()
    assert 0.2 < ode["g2"][1, 0] < 0.99  # a race still running at t = 15, not a trivial end point
    params = theory.decoupled_params(spec, modes, 0.2, key=jax.random.key(0))
    run = train.train(nets.gated_linear_loss(spec), jax.tree_util.tree_map(lambda w: w[None], params),
                      tasks.gated_batch(data), optimizer=train.Optimizer("sgd", lr), n_steps=n_steps)
    sim = theory.pathway_shares(modes, theory.path_mode_projections(modes, run.params), labels)
    for label in ("g1", "g2"):
        np.testing.assert_allclose(sim[label][0], ode[label][1], rtol=0.03, atol=1e-3)
    # the training metrics (jax, from one network's weights) give the same shares
    metrics = theory.pathway_share_metrics(modes, labels)
    one = {name: w[0] for name, w in run.params.items()}
    for label in ("g1", "g2"):
        recorded = [float(metrics[f"{label} mode {a}"](one)) for a in range(modes.n_modes)]
        np.testing.assert_allclose(recorded, sim[label][0], rtol=1e-4, atol=1e-6)


def test_examples_run():
    assert doctest.testmod(_pathway_race).failed == 0
