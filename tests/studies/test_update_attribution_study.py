"""The update-attribution study: smoke run into a run folder, its numbers recomputed from the saved
tensors with numpy, and bad configs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from toyscope import load_run
from toyscope.runs import execute
from toyscope.studies import ConfigError, get_study

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture
def mnist_data(monkeypatch):
    folder = Path(os.environ.get("TOYSCOPE_DATA", DATA))
    if not (folder / "mnist").is_dir():
        pytest.skip(f"no MNIST in {folder}")
    monkeypatch.setenv("TOYSCOPE_DATA", str(folder))
    return folder


def _r2(r, q):
    keep = np.isfinite(r) & np.isfinite(q)
    return np.corrcoef(r[keep], q[keep])[0, 1] ** 2


def test_smoke_run_writes_the_issue_keys_and_numbers_match_saved_tensors(tmp_path, mnist_data):
    study = get_study("update-attribution")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("dataset", "split", "n_examples", "groups", "r2_weights", "r2_biases", "p_weights", "p_biases",
                "r2_by_activation"):
        assert key in summary
    assert summary["dataset"] == "mnist" and summary["split"] == "test" and summary["reproduction"] is False
    assert set(summary["r2_by_activation"]) == {"softplus"}
    assert summary["n_examples"]["forks"] == [240] * 4
    for name in ("q_vs_r", "pixel_map", "activation_sweep", "r2_vs_fork_length"):
        assert (folder / "figures" / f"{name}.png").is_file()
    assert "t10k-images-idx3-ubyte.gz" in json.loads((folder / "meta.json").read_text())["data_files"]

    # recompute R^2 per seed with plain numpy from the saved tallies and fork params
    params = load_run(folder).params
    for kind, key in (("weight", "r2_weights"), ("bias", "r2_biases")):
        for e in range(config.n_seeds):
            rs, qs = [], []
            for layer in (0, 1):
                tally = params[f"tally.layer{layer}.{kind}"][e].astype(np.float64)
                forks = params[f"forks.layer{layer}.{kind}"][:, e].astype(np.float64)
                with np.errstate(invalid="ignore"):
                    rs.append((tally[0] / (tally[0] + tally[1])).ravel())
                    c, d = np.abs(forks[0] - forks[1]), np.abs(forks[2] - forks[3])
                    qs.append((c / (c + d)).ravel())
            expected = _r2(np.concatenate(rs), np.concatenate(qs))
            np.testing.assert_allclose(summary[key]["per_seed"][e], expected, rtol=1e-6)
    assert all(0 < p <= 1 for p in summary["p_weights"]["block_permutation_by_hidden_unit"])


@pytest.mark.parametrize("values, message", [
    ({"groups": [[1, 7], [7, 8]]}, "both groups"),
    ({"groups": [[1, 7], []]}, "empty"),
    ({"groups": [[1, 7], [6, 12]]}, "lacks"),
    ({"groups": [[1], [6, 8]]}, "cannot be split"),
    ({"loss": "bce"}, "output_activation='linear'"),
])
def test_bad_configs_are_one_line_config_errors(values, message):
    with pytest.raises(ConfigError, match=message) as err:
        get_study("update-attribution").config_class.resolve(values)
    assert "\n" not in str(err.value)


def test_cli_bad_groups_exit_2_with_one_line(tmp_path):
    command = [sys.executable, "-c", "import sys; from toyscope.cli import main; sys.argv[0] = 'toyscope'; main()",
               "run", "update-attribution", "--set", "groups=[[1, 7], [7, 8]]", "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "class 7 is in both groups" in lines[0]
    assert not (tmp_path / "run").exists()
