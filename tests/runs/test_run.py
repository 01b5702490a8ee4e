"""Executing a study into a run folder: atomic completion, resume after a kill, late errors,
sweeps through the run context, the x64 scope."""

import json
import os
import signal
import subprocess
import time

import jax
import numpy as np
import pytest

from toyscope.runs import RunFolderContext, RunFolderError, execute, load_run
from toyscope.studies import NullContext, get_study

from conftest import DEMO_CLI


def _cli(*args, **kwargs):
    return subprocess.run([*DEMO_CLI, *args], capture_output=True, text=True, timeout=300, **kwargs)


def test_resume_after_kill_equals_uninterrupted(tmp_path):
    """Kill the CLI after its first checkpoint, resume, and compare with a run never interrupted."""
    args = ["--set", "n_networks=64", "--set", "width=32", "--set", "n_steps=20000", "--quiet"]
    full = _cli("run", "demo", *args, "--out", str(tmp_path / "full"))
    assert full.returncode == 0, full.stderr

    target = tmp_path / "killed"
    partial = tmp_path / "killed.partial"
    checkpoint = partial / "checkpoints" / "train.pkl"
    process = subprocess.Popen([*DEMO_CLI, "run", "demo", *args, "--out", str(target)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not checkpoint.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert checkpoint.exists() and partial.is_dir() and not target.exists(), "the run finished before the kill"

    resumed = _cli("run", "--resume", str(partial), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert target.is_dir() and not partial.exists()
    a, b = load_run(tmp_path / "full"), load_run(target)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    np.testing.assert_array_equal(a.metrics["loss_mean"], b.metrics["loss_mean"])


def test_a_late_bad_input_error_keeps_the_work_done_so_far(tmp_path, demo_registered):
    """A ValueError before any work leaves nothing; one after checkpoints were written keeps the
    partial folder (a table's finished cells are not thrown away) and says how to go on."""
    study = get_study("demo")
    with pytest.raises(RunFolderError, match="fail_with_value_error was set$"):
        execute(study, study.config_class.resolve({"preset": "smoke", "fail_with_value_error": True}), tmp_path / "early")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RunFolderError, match=r"fail_after_training was set \(kept .*late.partial: fix the cause, then --resume it\)"):
        execute(study, study.config_class.resolve({"preset": "smoke", "fail_after_training": True}), tmp_path / "late")
    assert (tmp_path / "late.partial" / "checkpoints" / "train.pkl").is_file() and not (tmp_path / "late").exists()


def test_context_sweep_matches_running_each_cell(tmp_path, demo_registered):
    """A study's ``ctx.sweep``: run folders under a run folder, in memory under NullContext; both
    give every cell's own summary, in grid order."""
    grid = {"width": [2, 4]}
    in_memory = NullContext().sweep("demo", {"preset": "smoke", "n_steps": 40}, grid)
    on_disk = RunFolderContext(tmp_path).sweep("demo", {"preset": "smoke", "n_steps": 40}, grid)
    study = get_study("demo")
    for width, (values, summary), (values_disk, summary_disk) in zip(grid["width"], in_memory, on_disk):
        direct = study.run(study.config_class.resolve({"preset": "smoke", "n_steps": 40, "width": width}), NullContext())
        assert values == values_disk == {"width": width}
        assert summary["final_loss_mean"] == pytest.approx(direct.summary["final_loss_mean"], rel=1e-6)
        assert summary_disk["final_loss_mean"] == pytest.approx(direct.summary["final_loss_mean"], rel=1e-6)
    assert sorted(p.name for p in (tmp_path / "cells").iterdir()) == ["width=2", "width=4"]


def test_float64_runs_in_an_x64_scope_that_is_restored(tmp_path, demo_registered):
    study = get_study("demo")
    assert not jax.config.jax_enable_x64
    folder = execute(study, study.config_class.resolve({"preset": "smoke", "dtype": "float64"}), tmp_path / "f64")
    assert json.loads((folder / "meta.json").read_text())["x64"] is True
    assert not jax.config.jax_enable_x64  # switched back after the run
    folder = execute(study, study.config_class.resolve({"preset": "smoke"}), tmp_path / "f32")
    assert json.loads((folder / "meta.json").read_text())["x64"] is False


def test_a_sweep_records_a_diverged_cell_and_runs_the_others(tmp_path, demo_registered):
    from toyscope.runs import SerialExecutor, sweep_cells

    cells = sweep_cells("demo", {"preset": "smoke", "n_steps": 40}, {"learning_rate": [1e30, 0.05]}, tmp_path / "sweep",
                        executor=SerialExecutor())
    blown, fine = cells
    assert blown.summary["diverged"] is True and "non-finite" in blown.summary["divergence"]
    assert "final_loss_mean" in fine.summary and (fine.folder / "summary.json").is_file()
