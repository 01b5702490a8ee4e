"""The run-folder lock: a second process on the same --out is refused naming the holder; a stale
lock (old heartbeat, or a dead PID on this host) is taken over; the heartbeat keeps a live one
fresh."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import DEMO_CLI

from toyscope.runs import _lock
from toyscope.runs._lock import (
    LOCK_NAME,
    RunFolderLocked,
    RunLock,
    lock_holder,
    read_segments,
)


def test_a_second_process_on_the_same_out_is_refused_naming_the_holder(tmp_path):
    target = tmp_path / "run"
    lock_file = tmp_path / "run.partial" / LOCK_NAME
    args = ["run", "demo", "--set", "n_networks=64", "--set", "width=32", "--set", "n_steps=400000", "--quiet"]
    first = subprocess.Popen([*DEMO_CLI, *args, "--out", str(target)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not lock_file.exists() and first.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        assert lock_file.exists(), "the first process never took the lock"
        seconds = [subprocess.Popen([*DEMO_CLI, *second_args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for second_args in ([*args, "--out", str(target)],  # the same command again
                                       ["run", "--resume", str(tmp_path / "run.partial"), "--quiet"])]
        for second in seconds:
            _, stderr = second.communicate(timeout=300)
            lines = stderr.strip().splitlines()
            assert second.returncode == 2 and len(lines) == 1, stderr
            assert f"being written by pid {first.pid} on {socket.gethostname()}" in lines[0]
        assert first.poll() is None, "the first process ended before the others tried"
    finally:
        first.kill()
        first.wait()
    assert json.loads(lock_file.read_text())["pid"] == first.pid  # the second process left it alone


def _write_lock(folder, **fields):
    folder.mkdir(parents=True, exist_ok=True)
    info = {"host": "worker-7", "pid": 4242, "token": "t", "started": time.time(), "started_iso": "then",
            "heartbeat": time.time(), **fields}
    (folder / LOCK_NAME).write_text(json.dumps(info))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stale_lock_is_taken_over_and_a_live_one_is_not(tmp_path):
    folder = tmp_path / "r.partial"
    _write_lock(folder)  # another host, fresh heartbeat: alive as far as we can tell
    with pytest.raises(RunFolderLocked, match="being written by pid 4242 on worker-7"):
        RunLock.acquire(folder)
    assert lock_holder(folder).startswith("pid 4242 on worker-7")
    for stale in ({"heartbeat": time.time() - 2 * _lock.STALE_AFTER_S},  # a dead cluster worker
                  {"host": socket.gethostname(), "pid": _dead_pid()}):  # a killed process on this host
        _write_lock(folder, **stale)
        assert lock_holder(folder) is None
        lock = RunLock.acquire(folder)
        assert json.loads((folder / LOCK_NAME).read_text())["pid"] == os.getpid()
        lock.release()
        assert not (folder / LOCK_NAME).exists()
    (folder / LOCK_NAME).write_text("")  # being created by someone else right now: respected
    with pytest.raises(RunFolderLocked):
        RunLock.acquire(folder)


def test_the_heartbeat_keeps_the_lock_and_the_segment_fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(_lock, "HEARTBEAT_S", 0.05)
    folder = tmp_path / "r.partial"
    folder.mkdir()
    lock = RunLock.acquire(folder)
    first = json.loads((folder / LOCK_NAME).read_text())["heartbeat"]
    with lock:
        time.sleep(0.5)
    later = json.loads((folder / LOCK_NAME).read_text())["heartbeat"]
    assert later > first
    (segment,) = read_segments(folder)
    assert segment["end"] == pytest.approx(later) and segment["host"] == socket.gethostname()
    lock.release()
    assert not (folder / LOCK_NAME).exists()
