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
from _self_describing import assert_self_describing

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


def _block_p_by_loop(r, q, n_permutations, seed):
    """Permutation p-value of corr(r, q), whole columns of r shuffled, one np.corrcoef per permutation."""
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n_permutations, r.shape[1])), axis=1)

    def rho(rr):
        keep = np.isfinite(rr) & np.isfinite(q)
        return np.corrcoef(rr[keep], q[keep])[0, 1]

    observed = rho(r)
    null = np.array([rho(r[:, p]) for p in perms])
    return (1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + n_permutations)


def test_smoke_run_numbers_match_a_numpy_recomputation_from_the_saved_tensors(tmp_path, mnist_data):
    study = get_study("update-attribution")
    config = study.config_class.resolve({"preset": "smoke"})
    folder = execute(study, config, out=tmp_path / "run")
    assert sorted(assert_self_describing(folder, not_networks=("tally",))) == ["forks", "phase1"]
    summary = json.loads((folder / "summary.json").read_text())
    has_train = (mnist_data / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    expected_split, images = ("train", "train-images-idx3-ubyte.gz") if has_train else \
        ("test", "t10k-images-idx3-ubyte.gz")
    assert summary["split"] == expected_split and images in json.loads((folder / "meta.json").read_text())["data_files"]
    assert summary["reproduction"] is has_train and summary["split_size"] == (60_000 if has_train else 10_000)
    assert summary["phase1_window_images"] == round(config.phase1_images * summary["split_size"] / 60_000)
    assert summary["n_examples"]["forks"] == [config.fork_examples] * 4

    # r, q per parameter with plain numpy from the saved tallies and fork params
    params = load_run(folder).params
    r, q = {}, {}
    for kind in ("weight", "bias"):
        for layer in (0, 1):
            tally = params[f"tally.layer{layer}.{kind}"].astype(np.float64)  # (E, 2, ...)
            forks = params[f"forks.layer{layer}.{kind}"].astype(np.float64)  # (4, E, ...)
            with np.errstate(invalid="ignore"):
                r[kind, layer] = tally[:, 0] / (tally[:, 0] + tally[:, 1])
                c, d = np.abs(forks[0] - forks[1]), np.abs(forks[2] - forks[3])
                q[kind, layer] = c / (c + d)
    for kind, key in (("weight", "r2_weights"), ("bias", "r2_biases")):
        for e in range(config.n_seeds):
            rs = np.concatenate([r[kind, layer][e].ravel() for layer in (0, 1)])
            qs = np.concatenate([q[kind, layer][e].ravel() for layer in (0, 1)])
            np.testing.assert_allclose(summary[key]["per_seed"][e], _r2(rs, qs), rtol=1e-6)
    # per-pixel correlation over the weights leaving each pixel, averaged over seeds and pixels
    per_seed = []
    for e in range(config.n_seeds):
        rows = []
        for rp, qp in zip(r["weight", 0][e], q["weight", 0][e]):
            keep = np.isfinite(rp) & np.isfinite(qp)
            ok = keep.sum() >= 3 and np.ptp(rp[keep]) > 0 and np.ptp(qp[keep]) > 0
            rows.append(np.corrcoef(rp[keep], qp[keep])[0, 1] if ok else np.nan)
        per_seed.append(rows)
    with np.errstate(invalid="ignore"):
        pixel_mean = np.nanmean(np.nanmean(np.array(per_seed), axis=0))
    np.testing.assert_allclose(summary["pixel_correlation"]["mean_over_pixels"], pixel_mean, rtol=1e-6)
    # block permutation p-value of seed 0's weights: hidden unit j = its incoming and outgoing weights
    blocks = [np.concatenate([x["weight", 0][0], x["weight", 1][0].T], axis=0) for x in (r, q)]
    np.testing.assert_allclose(summary["p_weights"]["block_permutation_by_hidden_unit"][0],
                               _block_p_by_loop(*blocks, config.n_permutations, config.seed), rtol=1e-12)


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
