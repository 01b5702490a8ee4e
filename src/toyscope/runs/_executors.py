"""Executors: how independent jobs (sweep cells) are carried out.

An executor is anything with ``map(fn, items)`` that yields the results in order, each as soon as
it and the ones before it are done, and ``check_folder(folder)``, which refuses (with
:class:`ExecutorError`) a folder its workers cannot read and write. :class:`SerialExecutor` runs
the jobs here, one after another; :class:`ProcessExecutor` runs them in a pool of spawned local
processes, each of which calls :func:`toyscope.configure_host_devices` and
:func:`toyscope.configure_compile_cache` before JAX starts (as the CLI does; a ``--no-compile-cache``
of the CLI reaches them through ``TOYSCOPE_COMPILE_CACHE=0``). Both see this machine's folders and
raise the first job's exception. An executor that retries jobs elsewhere (``toyscope.runs.DaskExecutor``) instead yields an :class:`ItemFailed` for a
job that failed on every allowed try, so that the other jobs finish.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .._compile_cache import configure_compile_cache
from .._host import configure_host_devices


class ExecutorError(ValueError):
    """An executor cannot run here: its engine is not installed, its scheduler is not reachable,
    or its workers cannot see the output folder (one line; the CLI exits 2)."""


class ItemFailed(NamedTuple):
    """What a retrying executor yields for a job that failed on every allowed try: the one-line
    ``error`` (``"RuntimeError: ..."``) and the ``worker`` that ran its last try."""

    error: str
    worker: str = ""


class Executor(Protocol):
    """Runs independent jobs: ``map(fn, items)`` yields their results in order, each as soon as
    it and the ones before it are done (so a caller can report progress); ``check_folder``
    raises :class:`ExecutorError` when a worker cannot read and write ``folder``."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]: ...

    def check_folder(self, folder: Path) -> None: ...


def _start_worker() -> None:
    """A worker process's setup before JAX starts: host devices and the compilation cache."""
    configure_host_devices()
    configure_compile_cache()


class SerialExecutor:
    """Runs cells one after another in this process."""

    def map(self, fn, items):
        return (fn(item) for item in items)

    def check_folder(self, folder: Path) -> None:
        """Nothing to check: the jobs run in this process."""


class ProcessExecutor:
    """Runs cells in a local pool of ``workers`` processes (spawned, so JAX starts clean)."""

    def __init__(self, workers: int = 2):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def map(self, fn, items):
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context,
                                                    initializer=_start_worker) as pool:
            yield from pool.map(fn, items)

    def check_folder(self, folder: Path) -> None:
        """Nothing to check: the workers are processes of this machine."""
