"""The Dask executor on a real LocalCluster of two worker processes on 127.0.0.1.

The truth is the same sweep run serially in this process (and in the local process pool): every
cell's params bit for bit, its metrics and ``sweep.csv``. Faults are real: a worker process is
killed by its PID in the middle of a cell, a cell raises on every try, the scheduler address has
nothing listening, a worker sees another folder than this process.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from safetensors.numpy import load_file

from toyscope.runs import (
    DaskExecutor,
    ExecutorError,
    ProcessExecutor,
    SerialExecutor,
    run_sweep,
)

distributed = pytest.importorskip("distributed")

BASE = {"preset": "smoke"}  # 200 steps in 20 checkpointed chunks
GRID = {"width": [2, 4]}
SEEDS = 2
TIMING = ("wall", "time", "seconds", "_s")  # wall-clock columns of sweep.csv, if a study has any


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two single-threaded worker processes, started in a folder of their own (their working
    directory, which the folder test below relies on)."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("workers-cwd"))
    try:
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                         dashboard_address=":0", memory_limit=0, silence_logs=logging.CRITICAL)
    finally:
        os.chdir(here)
    yield local
    local.close()


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    """The truth: the sweep run serially in this process."""
    from toyscope.studies import _registry

    out = tmp_path_factory.mktemp("serial") / "sweep"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(_registry.STUDIES, "demo", ("demo_study", "demo"))
        run_sweep("demo", BASE, GRID, out, seeds=SEEDS, executor=SerialExecutor())
    return out


def _csv_rows(path: Path) -> list[list[str]]:
    lines = [line.split(",") for line in path.read_text().splitlines()]
    keep = [i for i, name in enumerate(lines[0]) if not any(t in name.lower() for t in TIMING)]
    return [[row[i] for i in keep] for row in lines]


def _assert_same_cells(folder: Path, truth: Path, cells=None) -> None:
    cells = cells or sorted(p.name for p in truth.iterdir() if p.is_dir() and p.name != "assets")  # assets: plotly.js
    for cell in cells:
        ours, theirs = load_file(str(folder / cell / "params.safetensors")), load_file(str(truth / cell / "params.safetensors"))
        assert sorted(ours) == sorted(theirs)
        for name in ours:
            assert ours[name].dtype == theirs[name].dtype and ours[name].tobytes() == theirs[name].tobytes(), (cell, name)
        assert (folder / cell / "metrics.csv").read_bytes() == (truth / cell / "metrics.csv").read_bytes(), cell
        assert (folder / cell / "config.toml").read_bytes() == (truth / cell / "config.toml").read_bytes(), cell


def test_a_dask_sweep_equals_the_serial_sweep_and_the_process_pools(cluster, serial_sweep, tmp_path, demo_registered):
    with DaskExecutor(scheduler=cluster.scheduler_address) as executor:
        assert executor.address == cluster.scheduler_address
        assert "2 workers" in executor.describe()
        run_sweep("demo", BASE, GRID, tmp_path / "dask", seeds=SEEDS, executor=executor)
    run_sweep("demo", BASE, GRID, tmp_path / "pool", seeds=SEEDS, executor=ProcessExecutor(2))
    for folder in (tmp_path / "dask", tmp_path / "pool"):
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in serial_sweep.iterdir())  # no probe left
        _assert_same_cells(folder, serial_sweep)
        assert _csv_rows(folder / "sweep.csv") == _csv_rows(serial_sweep / "sweep.csv")
    # the executor is not part of a run: the cells' configs are the serial ones (checked above)


def test_cells_of_both_dtypes_on_one_worker_leak_nothing_into_each_other(cluster, serial_sweep, tmp_path,
                                                                         demo_registered):
    """float64, float32, float64 again on ONE worker process: the float32 cell equals the serial
    sweep's (run here without x64), both float64 cells ran with x64 on and agree, the two dtypes'
    numbers differ (so a leak would show), and the worker's global x64 mode is off afterwards."""
    from toyscope.runs._dask import _on_worker
    from toyscope.runs._run import _run_cell
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    try:
        worker = min(client.nthreads())
        order = [("float64", "a"), ("float32", "b"), ("float64", "c")]
        for dtype, name in order:  # one after another, all on the same worker
            job = ("demo", "demo_study", {**BASE, "dtype": dtype, "width": 2, "seed": 0}, str(tmp_path / "one" / name),
                   True)
            status, ran_on, _ = client.submit(_on_worker, _run_cell, job, None, workers=[worker],
                                              allow_other_workers=False, pure=False).result()
            assert status == "ran" and ran_on.startswith(worker)
        assert client.run(lambda: __import__("jax").config.jax_enable_x64, workers=[worker]) == {worker: False}
    finally:
        client.close()
    for dtype, name in order:
        meta = json.loads((tmp_path / "one" / name / "meta.json").read_text())
        assert meta["x64"] is (dtype == "float64")
    _assert_same_cells(tmp_path / "one" / "b", serial_sweep / "width=2_seed=0", ["."])
    _assert_same_cells(tmp_path / "one" / "c", tmp_path / "one" / "a", ["."])
    # the two dtypes compute different numbers (the demo's data are float64 under x64)
    a, b = (load_file(str(tmp_path / "one" / n / "params.safetensors")) for n in ("a", "b"))
    assert any(a[k].tobytes() != b[k].tobytes() for k in a)


def test_an_unreachable_scheduler_fails_fast_in_one_line_and_writes_nothing(tmp_path, demo_registered):
    from typer.testing import CliRunner

    from toyscope.cli import app

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ExecutorError, match=f"cannot reach a Dask scheduler at tcp://127.0.0.1:{port}"):
        DaskExecutor(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=2).start()
    result = CliRunner().invoke(app, ["sweep", "demo", "--grid", "width=2", "--scheduler", f"tcp://127.0.0.1:{port}",
                                      "--out", str(tmp_path / "out")])
    assert time.monotonic() - started < 15
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach a Dask scheduler at tcp://127.0.0.1:{port}")
    assert not (tmp_path / "out").exists()


def test_a_folder_a_worker_cannot_see_is_refused_in_one_line_and_left_as_found(cluster, tmp_path, monkeypatch,
                                                                                demo_registered):
    """``/proc/self/cwd/sweep`` is this process's folder here and another one in each worker (they
    run in another working directory): the probe file does not reach them."""
    monkeypatch.chdir(tmp_path)
    refusal = (r"^Dask worker tcp://127\.0\.0\.1:\d+ cannot use the sweep folder: .*; "
               r"put --out on a filesystem every worker sees$")
    with DaskExecutor(scheduler=cluster.scheduler_address) as executor, pytest.raises(ExecutorError, match=refusal):
        run_sweep("demo", BASE, GRID, Path("/proc/self/cwd/sweep"), seeds=SEEDS, executor=executor)
    assert list(tmp_path.iterdir()) == []


def test_a_cell_failing_every_try_is_recorded_and_the_others_finish(cluster, tmp_path, monkeypatch, demo_registered):
    """Through the command line: the cluster is named, the failed cell's row holds its error, the
    command ends with one line counting the failures (exit 1), the failed cell's work is kept."""
    from typer.testing import CliRunner

    from toyscope.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["sweep", "demo", "--grid", "fail_after_training=false,true", "--set", "preset=smoke",
                                      "--scheduler", cluster.scheduler_address, "--retries", "1", "--out", "sweep"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"Dask cluster at {cluster.scheduler_address}, 2 workers; ")
    assert lines[-1].startswith("error: 1 of 2 cells failed (first: fail_after_training=true: RunFolderError: demo: "
                                "fail_after_training was set")
    assert lines[-1].endswith("run the same sweep again to retry them")
    rows = (tmp_path / "sweep" / "sweep.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert header[:2] == ["cell", "fail_after_training"] and {"error", "failed", "final_loss_mean"} <= set(header)
    assert rows[1].startswith("fail_after_training=false,False,") and "fail_after_training was set" in rows[2]
    assert (tmp_path / "sweep" / "fail_after_training=false" / "params.safetensors").is_file()
    assert (tmp_path / "sweep" / "fail_after_training=true.partial").is_dir()  # kept for a rerun to resume


def test_a_worker_killed_mid_cell_reruns_the_cell_elsewhere_from_its_partial(cluster, serial_sweep, tmp_path,
                                                                             demo_registered):
    """The first cell to write a training checkpoint: its worker (the PID in its lock) is killed;
    the cell runs again (on the other worker or the restarted one), takes over the dead worker's
    lock at once, resumes, and every cell equals the serial sweep. (The cells pause 0.05 s after
    each checkpoint, which changes no number, so that training lasts long enough to be
    interrupted.)"""
    out = tmp_path / "dask"
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    worker_pids = set(client.run(os.getpid).values())
    client.close()
    errors = []

    def sweep():
        try:
            with DaskExecutor(scheduler=cluster.scheduler_address, retries=0) as executor:
                run_sweep("demo", {**BASE, "checkpoint_pause_s": 0.05}, {"width": [2]}, out, seeds=SEEDS,
                          executor=executor)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    thread = threading.Thread(target=sweep)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        for checkpoint in out.glob("*.partial/checkpoints/train.npz") if out.is_dir() else ():
            pid = json.loads((checkpoint.parents[1] / "lock.json").read_text())["pid"]
            assert pid in worker_pids
            os.kill(pid, signal.SIGKILL)
            killed = checkpoint.parents[1].name.removesuffix(".partial")
            break
        time.sleep(0.01)
    thread.join(240)
    assert killed is not None, "no cell was seen mid-training"
    assert not errors, errors
    meta = json.loads((out / killed / "meta.json").read_text())
    assert meta["resumed"] is True and len(meta["segments"]) == 2  # the killed try, then the resumed one
    cells = sorted(p.name for p in out.iterdir() if p.is_dir() and p.name != "assets")
    assert cells == ["width=2_seed=0", "width=2_seed=1"]
    for cell in cells:  # the same numbers as the serial sweep (whose config has no pause)
        ours, theirs = load_file(str(out / cell / "params.safetensors")), load_file(str(serial_sweep / cell / "params.safetensors"))
        assert all(ours[k].tobytes() == theirs[k].tobytes() for k in theirs) and sorted(ours) == sorted(theirs)
        assert (out / cell / "metrics.csv").read_bytes() == (serial_sweep / cell / "metrics.csv").read_bytes()
    serial_rows = _csv_rows(serial_sweep / "sweep.csv")
    assert _csv_rows(out / "sweep.csv") == serial_rows[:1] + [row for row in serial_rows[1:] if row[0] in cells]


def test_a_study_sweeping_through_its_run_context_uses_the_dask_executor(cluster, serial_sweep, tmp_path,
                                                                         demo_registered):
    """The meta-studies' path (``RunFolderContext.sweep``): the context's executor runs the cells,
    whatever ``workers`` the study asks for, and they equal the serial sweep's."""
    from toyscope.runs import RunFolderContext

    with DaskExecutor(scheduler=cluster.scheduler_address) as executor:
        cells = RunFolderContext(tmp_path, executor).sweep("demo", BASE, {"width": [2], "seed": [1]}, workers=1)
    assert [values for values, _ in cells] == [{"width": 2, "seed": 1}]
    assert cells[0][1] == json.loads((serial_sweep / "width=2_seed=1" / "summary.json").read_text())
    meta = json.loads((tmp_path / "cells" / "width=2_seed=1" / "meta.json").read_text())
    assert meta["segments"][0]["host"] == socket.gethostname()
    _assert_same_cells(tmp_path / "cells", serial_sweep, ["width=2_seed=1"])


@pytest.mark.parametrize("args, message", [
    (["--executor", "ray"], "--executor must be 'process' or 'dask', got 'ray'"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--workers sizes a new local cluster"),
    (["--executor", "process", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler is the address of a Dask cluster"),
    (["--executor", "dask", "--workers", "0"], "--workers must be >= 1, got 0"),
])
def test_executor_options_that_do_not_go_together_exit_2_in_one_line(args, message, tmp_path, demo_registered):
    from typer.testing import CliRunner

    from toyscope.cli import app

    result = CliRunner().invoke(app, ["sweep", "demo", "--grid", "width=2", *args, "--out", str(tmp_path / "out")])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_without_distributed_the_dask_executor_says_how_to_install_it(monkeypatch, tmp_path, demo_registered):
    import sys

    from typer.testing import CliRunner

    from toyscope.cli import app

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    message = "--executor dask needs dask.distributed, which is not installed: pip install 'toyscope[dask]'"
    with pytest.raises(ExecutorError) as caught:
        DaskExecutor(2).start()
    assert str(caught.value) == message
    result = CliRunner().invoke(app, ["sweep", "demo", "--grid", "width=2", "--executor", "dask", "--out",
                                      str(tmp_path / "out")])
    assert (result.exit_code, result.output) == (2, f"error: {message}\n") and not (tmp_path / "out").exists()
