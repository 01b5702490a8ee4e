"""The copy-average study: smoke run into a run folder, config validation, CLI bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import jax
import pytest

from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study


@pytest.fixture
def restore_x64():
    before = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", before)


def test_smoke_run_writes_summary_with_converged_students(tmp_path, restore_x64):
    study = get_study("copy-average")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("k", "d", "activation", "runs", "gamma1", "gamma2", "gamma3"):
        assert key in summary
    assert summary["k"] == config.k and summary["d"] == config.k + 1 and summary["activation"] == "erf"
    assert len(summary["runs"]) == len(config.n_values) * config.n_seeds
    for run in summary["runs"]:
        assert set(run) >= {"n", "seed", "loss", "grad_max", "min_eigenvalue", "class"}
        # true convergence: gradient below 1e-10 and a local minimum
        assert run["grad_max"] < 1e-10 and run["min_eigenvalue"] > -1e-8
        assert run["loss"] >= 0 and run["class"] in ("C-A optimal", "copy-average", "P-n-C", "other")
    assert summary["ca_configurations_max_grad"] < 1e-9 and summary["one_neuron_loss_concave"]
    assert (folder / "figures" / "losses.png").exists() and (folder / "report.html").exists()


def test_widths_in_cells_combine_into_one_phase_diagram(tmp_path, restore_x64):
    """``widths_per_cell`` runs each width group as its own run folder (sweep runner) and the
    combined rows are exactly the cells' rows; a rerun reuses the finished cells."""
    study = get_study("copy-average")
    config = study.config_class.resolve({"k": 3, "n_values": [1, 2], "n_seeds": 1, "flow_max_steps": 500,
                                         "widths_per_cell": 1})
    folder = execute(study, config, out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    cells = sorted((folder / "cells").iterdir())
    assert [c.name for c in cells] == ["n_values=1", "n_values=2"] and summary["n_cells"] == 2
    cell_rows = [row for cell in cells for row in json.loads((cell / "summary.json").read_text())["runs"]]
    assert summary["runs"] == cell_rows and [r["n"] for r in cell_rows] == [1, 2]
    fixed = summary["tolerance_sensitivity"]["as fixed"]
    assert sum(fixed[c] for c in ("C-A optimal", "copy-average", "perturbed C-A", "P-n-C", "other")) == 2
    assert fixed["C-A optimal"] == summary["class_counts"]["C-A optimal"]
    stamp = (cells[0] / "summary.json").stat().st_mtime_ns
    execute(study, config.model_copy(update={"cells_dir": str(folder / "cells")}), out=tmp_path / "again")
    assert (cells[0] / "summary.json").stat().st_mtime_ns == stamp


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
