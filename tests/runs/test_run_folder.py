"""Run folders: layout, loading, atomic completion, resume after a kill, sweeps."""

import os
import signal
import subprocess
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

import toyscope
from toyscope.runs import RunFolderError, SerialExecutor, execute, load_run, run_sweep
from toyscope.studies import NullContext, get_study

from conftest import DEMO_CLI


def test_run_folder_layout_and_load_run(tmp_path, demo_registered):
    study = get_study("demo")
    folder = execute(study, study.config_class.resolve({"preset": "smoke"}), tmp_path / "r1")
    names = {p.name for p in folder.iterdir()}
    assert {"config.toml", "meta.json", "params.safetensors", "metrics.csv", "summary.json",
            "report.html", "figures", "tables"} <= names
    assert not (tmp_path / "r1.partial").exists()
    assert (folder / "figures" / "loss.png").exists() and (folder / "figures" / "loss.svg").exists()
    html = (folder / "report.html").read_text()
    assert "data:image/png;base64" in html and "Deviations from the paper" in html
    assert html.rindex("<h2>") == html.index("<h2>Deviations from the paper</h2>")  # the report ends with them
    run = toyscope.load_run(folder)
    assert run.study == "demo" and run.config["n_steps"] == 200 and run.config["preset"] == "smoke"
    assert run.params["layer0.weight"].shape == (8, 2, 8)
    np.testing.assert_array_equal(load_file(str(folder / "params.safetensors"))["layer1.bias"], run.params["layer1.bias"])
    assert run.metrics["loss_mean"].shape == (200,)
    assert run.meta["seed"] == 0 and "jax" in run.meta and run.meta["wall_time_s"] > 0
    with pytest.raises(RunFolderError, match="exists already"):
        execute(study, study.config_class.resolve({}), folder)


def test_load_run_rejects_bad_folders(tmp_path):
    with pytest.raises(RunFolderError, match="no run folder"):
        load_run(tmp_path / "missing")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "config.toml").write_text("this is = = not toml")
    with pytest.raises(RunFolderError, match="not valid TOML"):
        load_run(tmp_path / "fake")


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


def test_sweep_runs_cells_and_resumes(tmp_path, demo_registered):
    out = tmp_path / "sweep"
    csv = run_sweep("demo", {"preset": "smoke"}, {"width": ["2", "4"]}, out, seeds=2, executor=SerialExecutor(),
                    parse_value=int)
    lines = csv.read_text().strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("cell,width,seed,final_loss_mean")
    cells = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(cells) == 4
    stamp = (cells[0] / "summary.json").stat().st_mtime_ns
    from toyscope._progress import _QUIET, set_quiet

    set_quiet(False)  # quiet cells run in this process (serial) must not leave the caller quiet
    run_sweep("demo", {"preset": "smoke"}, {"width": ["2", "4"]}, out, seeds=2, executor=SerialExecutor(), parse_value=int)
    assert _QUIET.get() is False
    assert (cells[0] / "summary.json").stat().st_mtime_ns == stamp  # finished cells are not rerun


def test_cell_folders_are_named_by_their_values_so_growing_a_grid_reuses_them(tmp_path, demo_registered):
    """A cell's folder does not depend on its place in the grid: adding a value in front reruns
    nothing; labels that must be shortened or cleaned stay distinct through a hash."""
    from toyscope.runs._run import cell_name

    out = tmp_path / "sweep"
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [4]}, out, executor=SerialExecutor())
    stamp = (out / "width=4" / "summary.json").stat().st_mtime_ns
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [2, 4]}, out, executor=SerialExecutor())
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["width=2", "width=4"]
    assert (out / "width=4" / "summary.json").stat().st_mtime_ns == stamp
    long_a, long_b = {"x": "a" * 100 + "1"}, {"x": "a" * 100 + "2"}
    names = {cell_name(c) for c in (long_a, long_b, {"x": "a b"}, {"x": "a/b"}, {"x": "a-b"})}
    assert len(names) == 5 and all(len(n) <= 80 and "/" not in n and " " not in n for n in names)


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


def test_sweep_refuses_a_cell_folder_with_another_config(tmp_path, demo_registered):
    out = tmp_path / "sweep"
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [2]}, out, executor=SerialExecutor())
    with pytest.raises(RunFolderError, match="another config.*n_steps: 40 there, 60 wanted"):
        run_sweep("demo", {"preset": "smoke", "n_steps": 60}, {"width": [2]}, out, executor=SerialExecutor())


def test_context_sweep_matches_running_each_cell(tmp_path, demo_registered):
    """A study's ``ctx.sweep``: run folders under a run folder, in memory under NullContext; both
    give every cell's own summary, in grid order."""
    from toyscope.runs import RunFolderContext

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
    import json

    import jax

    from toyscope.runs import execute
    from toyscope.studies import get_study

    study = get_study("demo")
    assert not jax.config.jax_enable_x64
    folder = execute(study, study.config_class.resolve({"preset": "smoke", "dtype": "float64"}), tmp_path / "f64")
    assert json.loads((folder / "meta.json").read_text())["x64"] is True
    assert not jax.config.jax_enable_x64  # switched back after the run
    folder = execute(study, study.config_class.resolve({"preset": "smoke"}), tmp_path / "f32")
    assert json.loads((folder / "meta.json").read_text())["x64"] is False
