"""The lock of an unfinished run folder: one process writes it at a time.

``<name>.partial/lock.json`` is created with ``O_CREAT | O_EXCL`` (atomic on local and network
filesystems, unlike ``fcntl`` locks) and records the holder's host, PID, start time and a
heartbeat that a background thread refreshes every :data:`HEARTBEAT_S` seconds. Another process
refuses the folder, naming the holder, unless the lock is stale: its heartbeat is older than
:data:`STALE_AFTER_S`, or it names this host and a PID that is not alive. A stale lock is taken
over (renamed away, then created anew), so a killed process or a dead cluster worker never
blocks a resume.

The same thread keeps the end time of this process's entry in ``segments.json`` current, so a
resumed run's ``meta.json`` can list every segment (start, end, host) even of killed processes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Self

from ._files import RunFolderError

LOCK_NAME = "lock.json"
SEGMENTS_NAME = "segments.json"
HEARTBEAT_S = 5.0
STALE_AFTER_S = 60.0


class RunFolderLocked(RunFolderError):
    """Another live process holds the run folder's lock (names it)."""


def _now_iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write_replace(path: Path, value) -> None:
    """Write via a temporary file and ``os.replace``, never creating the folder (a deleted
    folder stays deleted)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w") as handle:
        handle.write(json.dumps(value))
    os.replace(tmp, path)


def _write_in_place(path: Path, value) -> None:
    """Rewrite an existing file without creating any (the heartbeat never races a removal of the
    folder; a reader may see a torn file, which counts as a fresh lock of someone unknown)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(value))


_SEGMENTS_GUARD = threading.Lock()  # the heartbeat thread and the end of the run both update segments.json


def lock_holder(folder: Path) -> str | None:
    """Who holds ``folder``'s lock, as a phrase (``"pid 12 on host-a since ..."``), or None if no
    live process does."""
    info = _read(folder / LOCK_NAME)
    if info is None or _is_stale(info):
        return None
    return _describe(info)


def _describe(info: dict) -> str:
    age = max(0.0, time.time() - float(info.get("heartbeat", 0)))
    return (f"pid {info.get('pid')} on {info.get('host')} since {info.get('started_iso')} "
            f"(heartbeat {age:.0f} s ago)")


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _is_stale(info: dict) -> bool:
    try:
        heartbeat = float(info["heartbeat"])
    except (KeyError, TypeError, ValueError):
        return True  # not a lock of ours
    if time.time() - heartbeat > STALE_AFTER_S:
        return True
    pid = info.get("pid")
    return info.get("host") == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid)


class RunLock:
    """The lock this process holds on one unfinished run folder (see the module docstring).

    Use :meth:`acquire`, then ``with lock:`` around the work (the heartbeat runs inside it; an
    exception releases the lock), and :meth:`release` (or :meth:`moved`) at the end.
    """

    def __init__(self, folder: Path, info: dict):
        self.folder = folder
        self.info = info
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def acquire(cls, folder: Path) -> RunLock:
        """Take ``folder``'s lock (taking over a stale one) and open this process's segment.

        Raises:
            RunFolderLocked: a live process holds it.
        """
        now = time.time()
        info = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex,
                "started": now, "started_iso": _now_iso(now), "heartbeat": now}
        path = folder / LOCK_NAME
        for _ in range(3):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                held = _read(path)
                if held is None and _age(path) < STALE_AFTER_S:
                    held = {"pid": "?", "host": "?", "started_iso": "just now", "heartbeat": time.time()}  # being written
                if held is not None and not _is_stale(held):
                    raise RunFolderLocked(f"{folder} is being written by {_describe(held)}; wait for it to finish, "
                                          "or stop that process") from None
                _take_over_stale(path, held)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(info))
            lock = cls(folder, info)
            lock._open_segment()
            return lock
        raise RunFolderLocked(f"{folder}: could not take its lock (other processes keep taking it)")

    def _open_segment(self) -> None:
        segments = _read_segments(self.folder)
        segments.append({"start": self.info["started"], "end": self.info["started"], "host": self.info["host"],
                         "pid": self.info["pid"]})
        _write_replace(self.folder / SEGMENTS_NAME, segments)

    def beat(self) -> None:
        """Refresh the heartbeat and this segment's end (skipped if the lock is no longer ours)."""
        now = time.time()
        held = _read(self.folder / LOCK_NAME)
        if held is None or held.get("token") != self.info["token"]:
            return
        self.info["heartbeat"] = now
        try:
            _write_in_place(self.folder / LOCK_NAME, self.info)
            with _SEGMENTS_GUARD:
                segments = _read_segments(self.folder)
                if segments:
                    segments[-1]["end"] = now
                    _write_in_place(self.folder / SEGMENTS_NAME, segments)
        except OSError:
            pass  # the folder was removed or renamed under us: nothing to keep alive

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            self.beat()

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=f"toyscope-lock-{self.folder.name}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc_type is not None:
            self.release()

    def stop(self) -> None:
        """Stop the heartbeat (the lock file stays)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def release(self, folder: Path | None = None) -> None:
        """Remove the lock file from ``folder`` (default: the locked folder), if it is still ours."""
        self.stop()
        path = (folder or self.folder) / LOCK_NAME
        held = _read(path)
        if held is not None and held.get("token") == self.info["token"]:
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def _read_segments(folder: Path) -> list[dict]:
    value = _read_list(folder / SEGMENTS_NAME)
    return [s for s in value if isinstance(s, dict) and {"start", "end", "host"} <= set(s)]


def _read_list(path: Path) -> list:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return value if isinstance(value, list) else []


def read_segments(folder: Path) -> list[dict]:
    """The segments recorded in an unfinished run folder: ``[{start, end, host, pid}]`` (epoch seconds)."""
    return _read_segments(folder)


def close_segment(folder: Path) -> list[dict]:
    """Set this segment's end to now; returns every segment."""
    with _SEGMENTS_GUARD:
        segments = _read_segments(folder)
        if segments:
            segments[-1]["end"] = time.time()
            _write_replace(folder / SEGMENTS_NAME, segments)
    return segments


def _take_over_stale(path: Path, held: dict | None) -> None:
    """Move a stale lock out of the way; if what was moved turns out to be a fresh lock (another
    process took over first), put it back."""
    aside = path.with_name(f".{path.name}.stale-{uuid.uuid4().hex}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # someone else moved it first
    moved = _read(aside)
    if held is not None and moved is not None and moved.get("token") != held.get("token") and not _is_stale(moved):
        try:
            os.link(aside, path)  # fails if a lock exists again
        except OSError:
            pass
    try:
        aside.unlink()
    except FileNotFoundError:
        pass
