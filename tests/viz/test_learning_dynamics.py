"""Learning-dynamics figures draw the data they are given."""

import doctest

import numpy as np

from toyscope import analysis, tasks, viz
from toyscope.viz import _learning_dynamics


def test_loss_figure_draws_every_member_and_the_theory():
    t = np.linspace(0, 1, 6)
    random = np.random.default_rng(0).uniform(size=(6, 3))
    fig = viz.loss_against_theory_figure(t, random, np.full(6, 2.0), np.full(6, 3.0), title="x")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3 + 1 + 2
    np.testing.assert_array_equal(lines[1].get_ydata(), random[:, 1])
    np.testing.assert_array_equal(lines[-1].get_ydata(), np.full(6, 3.0))
    assert "3 reps" in fig.axes[0].get_legend().get_texts()[0].get_text()


def test_spectra_figure_scatters_final_member_means_at_the_fixed_points():
    rng = np.random.default_rng(1)
    spectra = analysis.RoutingSpectra(*(rng.uniform(1, 2, size=(3, 2, 2)) for _ in range(3)))
    fixed = [(0.5, 1.5, 0.5), (0.2, 0.9, 0.2)]
    fig = viz.routing_spectra_figure(np.arange(3), spectra, np.arange(4), np.ones((4, 2)), np.ones((4, 2)), fixed,
                                     n_domains=4)
    hidden_points = fig.axes[1].collections[1].get_offsets()
    np.testing.assert_allclose(hidden_points, np.column_stack([[1.5, 0.9], spectra.hidden[-1].mean(0)]))
    assert "sqrt(M)=2.00" in fig.axes[1].get_title()


def test_race_figure_normalises_losses_by_their_start():
    loss = np.array([4.0, 2.0, 1.0])
    curves = {"P = 1": {"theory_strength": np.ones(3), "sim_strength": np.ones((3, 2)), "theory_loss": loss,
                        "sim_loss": np.column_stack([loss, 3 * loss])}}
    fig = viz.pathway_race_figure(np.arange(3), curves)
    theory_line, sim_line = fig.axes[1].get_lines()
    np.testing.assert_allclose(theory_line.get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(sim_line.get_ydata(), [1.0, 0.5, 0.25])


def test_xor_figure_scatters_only_active_units():
    xor = tasks.xor_path_task()
    w = np.random.default_rng(2).normal(size=(2, 2, 5))
    active = np.zeros((2, 5), bool)
    active[0, :2] = active[1, 4] = True
    fig = viz.xor_learning_figure(np.arange(3), np.ones((3, 2)), np.ones((3, 2)), np.ones(3), w, active,
                                  xor["inputs"], xor["targets"])
    counts = [len(c.get_offsets()) for c in fig.axes[1].collections]
    assert counts == [2, 1, 4]


def test_examples_run():
    assert doctest.testmod(_learning_dynamics).failed == 0


def test_shares_figure_draws_each_member_and_the_member_mean():
    sim = np.array([[0.0, 0.2], [0.4, 0.6], [0.8, 1.0]])
    fig = viz.pathway_shares_figure(np.arange(3), {"P = 4": np.array([0.1, 0.5, 0.9])}, {"P = 4": sim}, title="r")
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(lines[2].get_ydata(), sim[:, 1])
    np.testing.assert_allclose(lines[3].get_ydata(), [0.1, 0.5, 0.9])  # the mean over the two members
    assert "mean of 2" in fig.axes[0].get_legend().get_texts()[1].get_text()
