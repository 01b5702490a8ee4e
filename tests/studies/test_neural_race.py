"""Study neural-race: the smoke preset through a run folder, and one-line errors for bad input."""

import json

import numpy as np
import pytest
from safetensors.numpy import load_file
from typer.testing import CliRunner

from toyscope import tasks
from toyscope.cli._app import app
from toyscope.runs import RunFolderError, execute
from toyscope.studies import ConfigError, get_study
from _self_describing import assert_self_describing


def test_smoke_routing_run_writes_summary_and_figures(tmp_path):
    study = get_study("neural-race")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    assert list(assert_self_describing(folder)) == ["random"]
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("theory_max_rel_gap", "hidden_to_input_sv_ratio", "sqrt_M", "trained_route_error",
                "untrained_route_error", "cross_domain_same_item_similarity", "reduction_off_diagonal"):
        assert key in summary, key
    assert summary["experiment"] == "routing" and summary["M"] == 7
    assert summary["reduction_off_diagonal"] < 1e-6
    assert summary["theory_max_rel_gap"] < 0.1  # decoupled GD tracks the reduced ODE even in the smoke run
    for name in ("routing_loss", "routing_singular_values", "routing_similarity_outputs"):
        assert (folder / "figures" / f"{name}.png").exists()
    # the report quotes the run's numbers: the half-loss deviation names this run's times
    deviation = json.loads((folder / "report.json").read_text())["deviations"][0]
    half, starts = summary["time_to_half_loss"], summary["theory_start_points"]
    assert deviation["ours"].startswith(f"half-loss time random {half['random_mean']:.3g}; theory from sigma0 b0 = 0.2: "
                                        f"{half['theory']:.3g}")
    # the theory from b0 = sigma0 is the main theory curve; the authors' start is sigma0 / 2.5
    assert starts["sigma0"]["time_to_half_loss"] == half["theory"]
    assert starts["authors_sigma0_over_2.5"]["b0"] == pytest.approx(0.08)
    # a later start learns later: the half-loss time falls as b0 grows
    ordered = sorted(starts.values(), key=lambda v: v["b0"])
    assert [v["time_to_half_loss"] for v in ordered] == sorted((v["time_to_half_loss"] for v in ordered), reverse=True)
    # the exact fixed point solves b_h (b_h^2 + (M - 1) b0^2) = M s, b_in^2 = (b_h^2 + (M - 1) b0^2) / M (bisection)
    for (b_in, b_h), (b_in_small, b_h_small) in zip(summary["fixed_point_b_in_b_h_exact"],
                                                    summary["fixed_point_b_in_b_h_small_init"]):
        s_target, c0 = b_h_small ** 3 / 7, 6 * 0.2 ** 2
        low, high = 0.0, 10.0
        for _ in range(200):
            mid = (low + high) / 2
            low, high = (mid, high) if mid * (mid ** 2 + c0) < 7 * s_target else (low, mid)
        assert b_h == pytest.approx(low, rel=1e-9) and b_in == pytest.approx(np.sqrt((low ** 2 + c0) / 7), rel=1e-9)
    # the summary's route errors, recomputed from the saved weights by a plain loop over routes
    params = load_file(str(folder / "params.safetensors"))
    m, k = 7, 4
    encodings, targets = tasks.orthogonal_encodings(m, 4, 4, seed=config.seed), tasks.hierarchical_targets()
    routes = tasks.band_routes(m, k)
    n_members = params["random.h1_0_0->h2_0_0"].shape[0]
    trained, untrained = np.zeros(n_members), np.zeros(n_members)
    for e in range(n_members):
        for i in range(m):
            for o in range(m):
                y_hat = (encodings[i].astype(np.float64) @ params[f"random.in{i}->h1_0_0"][e]
                         @ params["random.h1_0_0->h2_0_0"][e] @ params[f"random.h2_0_0->out{o}"][e])
                error = np.sum((y_hat - targets) ** 2) / np.sum(targets ** 2)
                if routes[i, o]:
                    trained[e] += error / routes.sum()
                else:
                    untrained[e] += error / (~routes).sum()
    assert summary["trained_route_error"]["mean"] == pytest.approx(trained.mean(), rel=1e-3, abs=1e-6)
    assert summary["untrained_route_error"]["mean"] == pytest.approx(untrained.mean(), rel=1e-3, abs=1e-6)


@pytest.mark.parametrize("values, message", [
    ({"n_trained": 8}, "n_trained (K=8) must be <= n_domains (M=7)"),
    ({"sigma0": 0.0}, "sigma0"),
    ({"experiment": "race", "group_sizes": [3]}, "group_sizes must divide M=10"),
    ({"experiment": "race-one-net", "group_sizes": [2, 2]}, "race-one-net needs at least two distinct group_sizes"),
])
def test_bad_config_is_one_line(values, message):
    with pytest.raises(ConfigError) as err:
        get_study("neural-race").config_class.resolve(values)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_route_pattern_leaving_an_input_domain_untrained_fails_before_work(tmp_path):
    study = get_study("neural-race")
    config = study.config_class.resolve({"n_domains": 3, "routes": "0:0,0:1,2:2"})
    with pytest.raises(RunFolderError, match="input domain 1 has no trained route"):
        execute(study, config, out=tmp_path / "run")
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_cli_rejects_k_larger_than_m_with_one_line(tmp_path):
    result = CliRunner().invoke(app, ["run", "neural-race", "--set", "n_trained=9", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "n_trained (K=9) must be <= n_domains (M=7)" in lines[0]
    assert not (tmp_path / "r").exists()


def test_race_simulates_every_sharing_level_and_shared_learns_faster(tmp_path):
    study = get_study("neural-race")
    config = study.config_class.resolve({"preset": "smoke", "experiment": "race", "n_domains": 2, "n_trained": 1,
                                         "group_sizes": [1, 2], "duration": 15.0})
    folder = execute(study, config, out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    dedicated, shared = summary["by_P"]["1"], summary["by_P"]["4"]
    assert dedicated["pathways"] == 4 and shared["pathways"] == 1
    assert dedicated["trained_edges"] == 3 * 2 < dedicated["of_edges"]  # 2 trained routes, 3 edges each
    for p in (dedicated, shared):
        assert 0 < p["sim_final_loss_fraction"] < 1 and 0 < p["theory_final_loss_fraction"] < 1
    assert shared["sim_final_loss_fraction"] < dedicated["sim_final_loss_fraction"]
    assert shared["theory_final_loss_fraction"] < dedicated["theory_final_loss_fraction"]
    assert (folder / "figures" / "race.png").exists()


def test_race_inside_one_network_the_shared_pathway_carries_the_learnt_modes(tmp_path):
    # the smoke race-one-net run: the reduced ODE, the decoupled simulation and the random-init
    # simulation are three separate computations of the same shares
    study = get_study("neural-race")
    folder = execute(study, study.config_class.resolve({"preset": "smoke", "experiment": "race-one-net"}),
                     out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["reduction_off_diagonal"] < 1e-6 and summary["theory_max_rel_gap"] < 0.05
    by_p = summary["by_P"]
    for shares in by_p.values():
        np.testing.assert_allclose(shares["decoupled_final_share_by_mode"], shares["theory_final_share_by_mode"],
                                   atol=2e-3)
    # a learnt mode's target is carried by the pathways together: its shares sum to 1
    top = sum(shares["theory_final_share_by_mode"][0] for shares in by_p.values())
    assert top == pytest.approx(1.0, abs=1e-3)
    widest = f"P = {max(summary['P_values'])}"
    assert by_p[widest]["sim_final_share_top_mode"]["mean"] > 0.99
    assert summary["theory_winner"] == summary["sim_winner"] == widest
    assert (folder / "figures").is_dir() and any((folder / "figures").glob("*.png"))


def test_fig6_authors_preset_takes_the_authors_steps():
    # the authors' loss (sum over the 28 trained routes of the per-route mean over 4 items x 7 outputs)
    # is 2 x 28 / 7 = 8 times ours (mean over the 112 examples of 1/2 ||e||^2): lr 0.048 = 8 x 0.006
    from toyscope.studies import neural_race

    config = get_study("neural-race").config_class.resolve({"preset": "fig6-authors"})
    assert (config.m, config.n_trained, config.init) == (7, 4, "orthogonal")
    np.testing.assert_allclose(config.sigma0_values, np.linspace(0.2, 2.5, 6), atol=5e-3)
    routes = tasks.band_routes(7, 4)
    assert 2 * routes.sum() / 7 * 0.006 == pytest.approx(config.learning_rate)
    schedule = neural_race._Schedule(config.learning_rate / 2.5 ** config.lr_sigma_exponent, 1.0, 1.0,
                                     config.n_records, steps=config.n_steps)
    assert schedule.n_steps == 700 and schedule.learning_rate == pytest.approx(8 * 0.006 / 2.5 ** (1 / 3))
