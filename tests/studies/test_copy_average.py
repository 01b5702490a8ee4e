"""The copy-average study: smoke run into a run folder, config validation, CLI bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import jax
import numpy as np
import pytest
from scipy.special import erf

from toyscope import load_run, theory
from toyscope.runs import execute
from toyscope.studies import ConfigError, NullContext, get_study
from _self_describing import assert_self_describing


@pytest.fixture
def restore_x64():
    before = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", before)


def _gammas_by_plain_loop(rows, k):
    """gamma1, gamma2 as the gammas table defines them, recomputed from the rows."""
    widths = sorted({r["n"] for r in rows if r["n"] < k})
    gamma1 = gamma2 = None
    for n in widths:
        if all(r["class"] == "C-A optimal" for r in rows if r["n"] <= n):
            gamma1 = n / k
    for n in widths:
        if all(r["class"] == "P-n-C" for r in rows if n <= r["n"] < k):
            gamma2 = n / k
            break
    return gamma1, gamma2


def _monte_carlo_loss(a, w, teacher_w, n_samples=400_000, seed=0, activation="erf"):
    """E[(f - f*)^2] for x ~ N(0, I) by sampling, f = sum_i a_i g(w_i.x), f* = sum_j g(v_j.x) with
    g(z) = erf(z/sqrt2) or max(z, 0); returns (estimate, standard error)."""
    x = np.random.default_rng(seed).normal(size=(n_samples, teacher_w.shape[1]))
    g = (lambda z: erf(z / np.sqrt(2))) if activation == "erf" else (lambda z: np.maximum(z, 0.0))
    error = g(x @ w.T) @ a - g(x @ teacher_w.T).sum(axis=1)
    squared = error**2
    return squared.mean(), squared.std() / np.sqrt(n_samples)


def test_smoke_run_converges_to_minima_whose_numbers_match_independent_truth(tmp_path, restore_x64):
    study = get_study("copy-average")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    assert_self_describing(folder)  # students and teacher documented (committee machines: no nets spec)
    summary = json.loads((folder / "summary.json").read_text())
    rows, k = summary["runs"], config.k
    assert [(r["n"], r["seed"]) for r in rows] == [(n, s) for n in config.n_values for s in range(config.n_seeds)]
    for run in rows:
        # true convergence: gradient below 1e-10 and a local minimum
        assert run["grad_max"] < 1e-10 and run["min_eigenvalue"] > -1e-8 and run["converged"]
        if run["class"] == "C-A optimal":  # the minimum the flow found is the closed-form C-A optimum L(k-n+1)
            np.testing.assert_allclose(run["loss"], theory.one_neuron_fit(k - run["n"] + 1).loss, atol=1e-9)
    # the closed-form losses of the saved students against Monte Carlo on Gaussian inputs
    params = load_run(folder).params
    teacher_w = params["teacher.w"]
    for e, run in enumerate(rows):
        n = int(params["member.n"][e])
        estimate, error = _monte_carlo_loss(params["student.a"][e, :n], params["student.w"][e, :n], teacher_w, seed=e)
        assert abs(estimate - run["loss"]) < 5 * error + 1e-6, (run, estimate, error)
    # the gammas and class counts follow from the rows by the table's rules
    assert (summary["gamma1"], summary["gamma2"]) == _gammas_by_plain_loop(rows, k)
    assert summary["class_counts"] == {c: [r["class"] for r in rows].count(c) for c in theory.NETWORK_CLASSES}
    assert summary["ca_configurations_max_grad"] < 1e-9 and summary["one_neuron_loss_concave"]
    assert (folder / "figures" / "losses.png").exists()


def test_relu_smoke_run_reaches_minima_whose_losses_match_monte_carlo(tmp_path, restore_x64):
    # the ReLU sweep's study path (`--set preset=relu` at smoke size): converged minima, their closed-form
    # losses against sampling, and the erf claims the report checks for ReLU
    study = get_study("copy-average")
    config = study.config_class.resolve({"preset": "smoke", "activation": "relu"})
    folder = execute(study, config, out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["activation"] == "relu" and summary["n_converged"] == summary["n_students"] == len(summary["runs"])
    params = load_run(folder).params
    for e, run in enumerate(summary["runs"]):
        assert run["grad_max"] < 1e-10 and run["min_eigenvalue"] > -1e-8
        n = int(params["member.n"][e])
        estimate, error = _monte_carlo_loss(params["student.a"][e, :n], params["student.w"][e, :n], params["teacher.w"],
                                            seed=e, activation="relu")
        assert abs(estimate - run["loss"]) < 5 * error + 1e-6, (run, estimate, error)
    # for ReLU the one-neuron loss is convex, not concave, and copy-average points are not critical
    assert summary["one_neuron_loss_concave"] is False and summary["ca_configurations_max_grad"] > 1e-3


def test_run_switches_x64_on_for_itself_only():
    study = get_study("copy-average")
    config = study.config_class.resolve({"k": 2, "n_values": [1], "n_seeds": 1, "flow_max_steps": 200})
    before = jax.config.jax_enable_x64
    with jax.enable_x64(False):
        result = study.run(config, NullContext())
        assert jax.config.jax_enable_x64 is False
    assert jax.config.jax_enable_x64 == before
    assert result.params["teacher.w"].dtype == np.float64 and result.summary["max_grad"] < 1e-10


@pytest.mark.parametrize("values, message", [
    ({"k": 5, "n_values": [6]}, "n_values must be <= k"),
    ({"k": 5, "d": 4}, "d must be >= k"),
    ({"k": 5, "n_values": [0, 2]}, "positive widths"),
    ({"dtype": "float32"}, "float64"),
])
def test_bad_config_is_one_line_error(values, message):
    with pytest.raises(ConfigError, match=message) as err:
        get_study("copy-average").config_class.resolve(values)
    assert "\n" not in str(err.value)


def test_cli_rejects_student_wider_than_teacher(tmp_path):
    result = subprocess.run([sys.executable, "-m", "toyscope.cli", "run", "copy-average", "--set", "k=4",
                             "--set", "n_values=5", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "n_values must be <= k" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_student_that_blows_up_fails_the_run_in_one_line():
    import numpy as np

    from toyscope import train
    from toyscope.studies import copy_average

    rule = copy_average.divergence_rule(5, 4)
    record = type("Record", (), {"loss": 0.1, "x": np.full(10, 1e6)})()
    with pytest.raises(train.TrainingDiverged, match=r"max \|weight\| 1e\+06 > 10000 .*width-4 student \(seed 1\)"):
        copy_average._check_divergence(rule, [(4, 1)], [record])
    record.x = np.ones(10)
    copy_average._check_divergence(rule, [(4, 1)], [record])  # silent on a healthy student


@pytest.mark.slow
def test_issue19_student_ends_where_gradient_flow_ends_not_where_newton_jumps(restore_x64):
    # `toyscope run copy-average --set "n_values=[10,11,12,13,14]" --set n_seeds=2`, student n = 14, seed 0,
    # converged alone from its recorded init. Its first flow stops at its 20,000-step cap with gradient
    # 1.5e-4 beside a saddle (9 negative Hessian eigenvalues); Newton from there reaches the C-A optimal
    # point (0.10326507), while gradient flow (diffrax Kvaerno5, rtol 1e-10, run separately, and Tsit5 at
    # rtol 1e-8 and 1e-10) ends at the P-n-C point 0.10562461. The study's first flow is now RKC2 (it
    # reaches the flow's gtol there); the issue's capped Tsit5 flow is run too, and both must end there.
    import dataclasses

    import jax.numpy as jnp

    from toyscope import train

    jax.config.update("jax_enable_x64", True)
    config = get_study("copy-average").config_class.resolve({"n_values": [10, 11, 12, 13, 14], "n_seeds": 2})
    teacher = theory.orthonormal_teacher(config.k, config.input_dim, dtype=jnp.float64)
    members = [(n, s) for n in config.widths for s in range(config.n_seeds)]
    params, mask = theory.glorot_normal_students([n for n, _ in members], config.input_dim,
                                                 key=jax.random.key(config.seed), dtype=jnp.float64)
    e = members.index((14, 0))
    student = jax.tree_util.tree_map(lambda leaf: leaf[e:e + 1], params)
    member_mask = mask[e:e + 1]
    free = theory.TwoLayerStudent(member_mask, jnp.broadcast_to(member_mask[:, :, None], student.w.shape))
    options = config.converge_options()

    def loss(s, m):
        return theory.population_loss(s, teacher, "erf", m)

    assert options.flow.solver == "rkc"
    objective = train.FlatObjective(loss, theory.TwoLayerStudent(jnp.zeros(14), jnp.zeros((14, config.input_dim))))
    for flow in (dataclasses.replace(options.flow, solver="tsit5"), options.flow):
        (record,) = train.converge(loss, student, member_mask.astype(jnp.float64), free=free, flow=flow,
                                   refinement=options.refinement, saddles=options.saddles,
                                   continuation=options.continuation, objective=objective)
        if flow.solver == "tsit5":
            assert record.flow_grad_max > flow.gtol and record.flow_stages >= 1  # capped beside the saddle
        assert record.converged and record.negative_handoffs == 0
        assert record.loss == pytest.approx(0.10562461, abs=1e-8)
        final = theory.TwoLayerStudent(*[np.asarray(v)[None] for v in objective.unravel(jnp.asarray(record.x))])
        (cls,) = theory.classify_students(final.a, final.w, [14], teacher.w, activation="erf",
                                         exact_tol=config.exact_tol, approx_tol=config.approx_tol)
        assert cls.network == "P-n-C", flow.solver


@pytest.mark.slow
def test_k_sweep_of_width_cells_reports_each_cells_gammas_and_reuses_finished_cells(tmp_path, restore_x64):
    """One run exercises both levels of cells: ``k_values`` runs each teacher width as a cell (its
    numbers are that cell's own), and inside each, ``widths_per_cell`` runs every width group as
    its own run folder whose rows are exactly the combined rows; a rerun reuses finished cells."""
    study = get_study("copy-average")
    config = study.config_class.resolve({"k_values": [2, 3], "width_grid": 2, "n_seeds": 1, "flow_max_steps": 300,
                                         "widths_per_cell": 1})
    assert study.config_class.resolve({"k": 10, "width_grid": 4}).widths == [2, 5, 8, 10]  # round(i * 10 / 4)
    folder = execute(study, config, out=tmp_path / "sweep")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["k_values"] == [2, 3] and (folder / "figures" / "gammas_against_k.png").exists()
    for k in (2, 3):  # each k's numbers are its own cell's, and the cell is a full copy-average run
        (cell,) = [p for p in (folder / "cells").iterdir() if json.loads((p / "summary.json").read_text())["k"] == k]
        cell_summary = json.loads((cell / "summary.json").read_text())
        assert summary["by_k"][str(k)]["gamma1"] == cell_summary["gamma1"]
        assert summary["by_k"][str(k)]["gamma_intervals"] == cell_summary["gamma_intervals"]
        widths = sorted({max(1, round(i * k / 2)) for i in (1, 2)})
        assert [r["n"] for r in cell_summary["runs"]] == widths
        # inside the k cell, one run folder per width, whose rows are the cell's rows
        inner = sorted((cell / "cells").iterdir())
        assert [c.name for c in inner] == [f"n_values={n}" for n in widths] and cell_summary["n_cells"] == 2
        inner_rows = [row for c in inner for row in json.loads((c / "summary.json").read_text())["runs"]]
        assert cell_summary["runs"] == inner_rows
        fixed = cell_summary["tolerance_sensitivity"]["as fixed"]
        assert sum(fixed[c] for c in ("C-A optimal", "copy-average", "perturbed C-A", "P-n-C", "other")) == 2
        assert fixed["C-A optimal"] == cell_summary["class_counts"]["C-A optimal"]
    first = sorted((folder / "cells").iterdir())[0] / "summary.json"
    stamp = first.stat().st_mtime_ns
    execute(study, config.model_copy(update={"cells_dir": str(folder / "cells")}), out=tmp_path / "again")
    assert first.stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match="width_grid"):
        study.config_class.resolve({"k_values": [5], "n_values": [2]})
