"""Executors: how independent jobs (sweep cells) are carried out.

An executor is anything with ``map(fn, items)`` that yields the results in order, each as soon as
it and the ones before it are done. :class:`SerialExecutor` runs them here, one after another;
:class:`ProcessExecutor` runs them in a pool of spawned local processes, each of which calls
:func:`toyscope.configure_host_devices` and :func:`toyscope.configure_compile_cache` before JAX
starts (as the CLI does; a ``--no-compile-cache`` of the CLI reaches them through
``TOYSCOPE_COMPILE_CACHE=0``).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from .._compile_cache import configure_compile_cache
from .._host import configure_host_devices


class Executor(Protocol):
    """Runs independent jobs: ``map(fn, items)`` yields their results in order, each as soon as
    it and the ones before it are done (so a caller can report progress)."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]: ...


def _start_worker() -> None:
    """A worker process's setup before JAX starts: host devices and the compilation cache."""
    configure_host_devices()
    configure_compile_cache()


class SerialExecutor:
    """Runs cells one after another in this process."""

    def map(self, fn, items):
        return (fn(item) for item in items)


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
