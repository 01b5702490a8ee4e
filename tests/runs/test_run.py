"""Executing a study into a run folder: atomic completion, resume after a kill, late errors,
sweeps through the run context, the x64 scope."""

import json
import os
import pickle
import platform
import signal
import subprocess
import time

import jax
import numpy as np
import pytest
from conftest import DEMO_CLI

from toyscope.runs import RunFolderContext, RunFolderError, execute, load_run
from toyscope.runs import _run as run_module
from toyscope.runs._files import write_config
from toyscope.studies import NullContext, get_study


def _cli(*args, **kwargs):
    return subprocess.run([*DEMO_CLI, *args], capture_output=True, text=True, timeout=300, **kwargs)


def test_resume_after_kill_equals_uninterrupted(tmp_path):
    """Kill the CLI after its first checkpoint, resume, and compare with a run never interrupted."""
    args = ["--set", "n_networks=64", "--set", "width=32", "--set", "n_steps=20000", "--quiet"]
    full = _cli("run", "demo", *args, "--out", str(tmp_path / "full"))
    assert full.returncode == 0, full.stderr

    target = tmp_path / "killed"
    partial = tmp_path / "killed.partial"
    checkpoint = partial / "checkpoints" / "train.npz"
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
    # meta.json: both segments (the killed one ends at its last heartbeat), the total time of both
    segments = b.meta["segments"]
    assert b.meta["resumed"] is True and len(segments) == 2 and not a.meta["resumed"] and len(a.meta["segments"]) == 1
    assert segments[0]["start"] <= segments[0]["end"] <= segments[1]["start"] <= segments[1]["end"]
    assert {s["host"] for s in segments} == {platform.node()}
    assert b.meta["wall_time_s"] == pytest.approx(sum(s["wall_time_s"] for s in segments), abs=0.02)
    assert b.meta["started"] == segments[0]["start"]
    assert not (target / "lock.json").exists() and not (target / "segments.json").exists()


class _Killed(BaseException):
    """Stands in for SIGKILL right after a file was written (what a kill leaves on disk is the same:
    every write is atomic)."""


# (study, config, the file after whose first write the run is killed)
XOR_SMALL = {"preset": "smoke", "n_networks": 64, "n_steps": 400, "n_networks_per_scale": 64, "analysis_sample": 50,
             "n_pairs": 10, "n_trajectories": 2, "splice_steps": 50}
BIMT_SMALL = {"preset": "smoke", "n_steps": 200, "n_seeds": 1}
INTERRUPTIONS = {  # (the demo study's kill mid-training is the test above)
    "xor-basins at a stage boundary": ("xor-basins", XOR_SMALL, "cache/main_ensemble.npz"),  # no checkpointed training
    "bimt mid-training": ("bimt", BIMT_SMALL, "checkpoints/train.npz"),
    # the first of ten checkpoints of the first pathway group's simulation
    "neural-race mid-training": ("neural-race", {"preset": "smoke", "experiment": "race", "group_sizes": [2]},
                                 "checkpoints/race_g2.npz"),
}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """Each study's run never interrupted (one per study, shared by its interruption points)."""
    folders = {}

    def run(name, values):
        if name not in folders:
            study = get_study(name)
            folders[name] = load_run(execute(study, study.config_class.resolve(values), tmp_path_factory.mktemp(name) / "r"))
        return folders[name]

    return run


@pytest.mark.parametrize("case", list(INTERRUPTIONS))
def test_a_study_killed_at_a_stage_boundary_or_mid_training_resumes_bit_for_bit(case, tmp_path, monkeypatch,
                                                                                 uninterrupted):
    name, values, kill_after = INTERRUPTIONS[case]
    full = uninterrupted(name, values)
    study, config = get_study(name), get_study(name).config_class.resolve(values)
    partial = tmp_path / "r.partial"
    real_write = run_module.write_tree

    def write_then_die(path, value, **kwargs):
        real_write(path, value, **kwargs)
        if path == partial / kill_after:
            raise _Killed(path)

    monkeypatch.setattr(run_module, "write_tree", write_then_die)
    with pytest.raises(_Killed):
        execute(study, config, tmp_path / "r")
    monkeypatch.undo()
    assert (partial / kill_after).is_file() and not (tmp_path / "r").exists()
    resumed = load_run(execute(study, config, resume=partial))
    assert sorted(resumed.params) == sorted(full.params)
    for key in full.params:
        np.testing.assert_array_equal(resumed.params[key], full.params[key], err_msg=key)
    for key in full.metrics:
        np.testing.assert_array_equal(resumed.metrics[key], full.metrics[key], err_msg=key)
    assert len(resumed.meta["segments"]) == 2


def _pickled_payload(proof):
    """A pickle that creates ``proof`` when loaded."""

    class Payload:
        def __reduce__(self):
            return (open, (str(proof), "w"))

    return pickle.dumps(Payload())


def test_a_folder_with_pickles_is_refused_and_runs_no_code(tmp_path):
    """An old-format (or crafted) folder: --resume and load_run refuse it in one line, and the
    pickles in it are never loaded."""
    proof = tmp_path / "pwned"
    partial = tmp_path / "sent.partial"
    write_config(partial / "config.toml", "demo", {"preset": "smoke"})
    (partial / "checkpoints").mkdir()
    (partial / "checkpoints" / "train.pkl").write_bytes(_pickled_payload(proof))
    resumed = _cli("run", "--resume", str(partial), "--quiet")
    assert resumed.returncode == 2 and len(resumed.stderr.strip().splitlines()) == 1, resumed.stderr
    assert "unsafe to load" in resumed.stderr and "rerun" in resumed.stderr and "train.pkl" in resumed.stderr
    finished = tmp_path / "sent"
    os.rename(partial, finished)
    with pytest.raises(RunFolderError, match=r"pickled files \(checkpoints/train.pkl\), which are unsafe to load"):
        load_run(finished)
    assert not proof.exists()


def test_a_late_bad_input_error_keeps_the_work_done_so_far(tmp_path, demo_registered):
    """A ValueError before any work leaves nothing; one after checkpoints were written keeps the
    partial folder (a table's finished cells are not thrown away) and says how to go on."""
    study = get_study("demo")
    with pytest.raises(RunFolderError, match="fail_with_value_error was set$"):
        execute(study, study.config_class.resolve({"preset": "smoke", "fail_with_value_error": True}), tmp_path / "early")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RunFolderError, match=r"fail_after_training was set \(kept .*late.partial: fix the cause, then "
                                             r"--resume it; a bad config value cannot change on resume, so then delete it "
                                             r"and run again\)"):
        execute(study, study.config_class.resolve({"preset": "smoke", "fail_after_training": True}), tmp_path / "late")
    assert (tmp_path / "late.partial" / "checkpoints" / "train.npz").is_file() and not (tmp_path / "late").exists()


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
    assert sorted(p.name for p in (tmp_path / "cells").iterdir() if p.is_dir()) == ["width=2", "width=4"]


def test_float64_runs_in_an_x64_scope_that_is_restored(tmp_path, demo_registered):
    study = get_study("demo")
    assert not jax.config.jax_enable_x64
    folder = execute(study, study.config_class.resolve({"preset": "smoke", "dtype": "float64"}), tmp_path / "f64")
    assert json.loads((folder / "meta.json").read_text())["x64"] is True
    assert not jax.config.jax_enable_x64  # switched back after the run
    folder = execute(study, study.config_class.resolve({"preset": "smoke"}), tmp_path / "f32")
    assert json.loads((folder / "meta.json").read_text())["x64"] is False


def test_bad_input_leaves_nothing_and_a_config_only_partial_never_blocks(tmp_path, demo_registered):
    study = get_study("demo")
    smoke = study.config_class.resolve({"preset": "smoke", "n_steps": 20})
    # a bad value found by the study or too little memory: nothing left, not even a new parent
    for bad in ({"fail_with_value_error": True}, {"fail_with": "memory"}):
        with pytest.raises((RunFolderError, MemoryError)):
            execute(study, study.config_class.resolve({**smoke.model_dump(), **bad}), tmp_path / "new" / "deeper" / "r")
        assert not (tmp_path / "new").exists()
    # an interrupted start left only its config: the same run goes ahead
    partial = tmp_path / "r.partial"
    partial.mkdir()
    (partial / "config.toml").write_text('study = "demo"\n[config]\n')
    assert execute(study, smoke, tmp_path / "r") == tmp_path / "r" and not partial.exists()
    # a partial holding work still refuses (resume it instead)
    (tmp_path / "s.partial" / "checkpoints").mkdir(parents=True)
    (tmp_path / "s.partial" / "checkpoints" / "train.npz").write_bytes(b"work")
    with pytest.raises(RunFolderError, match="exists: resume it with --resume"):
        execute(study, smoke, tmp_path / "s")


def test_a_config_that_would_not_survive_config_toml_is_refused_before_running(tmp_path):
    from pydantic import Field

    from toyscope.studies import ConfigError, Study, StudyConfig

    class Loose(StudyConfig):
        threshold: float = Field(1.0, allow_inf_nan=True)  # admits inf, which TOML (as written) drops

    ran = []
    study = Study("loose", "a config that admits inf", Loose, lambda config, ctx: ran.append(config))
    with pytest.raises(ConfigError, match=r"^'threshold' = inf cannot be saved in config.toml exactly$"):
        execute(study, Loose.resolve({"threshold": float("inf")}), tmp_path / "a" / "r")
    assert ran == [] and list(tmp_path.iterdir()) == []


def test_a_sweep_records_a_diverged_cell_and_runs_the_others(tmp_path, demo_registered):
    from toyscope.runs import SerialExecutor, sweep_cells

    cells = sweep_cells("demo", {"preset": "smoke", "n_steps": 40}, {"learning_rate": [1e30, 0.05]}, tmp_path / "sweep",
                        executor=SerialExecutor())
    blown, fine = cells
    assert blown.summary["diverged"] is True and "non-finite" in blown.summary["divergence"]
    assert "final_loss_mean" in fine.summary and (fine.folder / "summary.json").is_file()
