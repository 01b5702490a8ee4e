"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

import jax


def timed(fn: Callable[[], object]) -> float:
    """Wall time of ``fn()`` in seconds, waiting for JAX's asynchronous results."""
    start = time.perf_counter()
    jax.block_until_ready(fn())
    return time.perf_counter() - start


def first_and_steady(fn: Callable[[], object], repeats: int = 2) -> tuple[float, float]:
    """``(compile_s, steady_s)``: the first call's extra time over the best of ``repeats`` later calls."""
    first = timed(fn)
    steady = min(timed(fn) for _ in range(repeats))
    return max(first - steady, 0.0), steady
