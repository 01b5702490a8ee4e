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


class ChunkClock:
    """A ``toyscope.train.train`` checkpointer that stores nothing and records when each chunk finished."""

    def __init__(self):
        self.times: list[float] = []

    def load(self):
        return None

    def save(self, state) -> None:
        self.times.append(time.perf_counter())


def check_chunked_steps(n_steps: int, chunk: int = 1_000) -> None:
    """The BIMT benchmarks time chunks of ``chunk`` steps, one per snapshot, and the ``bimt`` study
    needs the snapshot count to divide 100: ``n_steps / chunk`` must be one of 4, 5, 10, 20, 25,
    50, 100 (at least 3 chunks, so the steady rate spans 2).

    Raises:
        ValueError: otherwise, naming the valid values.
    """
    chunks = [c for c in range(3, 101) if 100 % c == 0]
    if n_steps % chunk or n_steps // chunk not in chunks:
        valid = ", ".join(f"{c * chunk:,}" for c in chunks)
        raise ValueError(f"n_steps must be one of {valid}, got {n_steps}")


def chunked_rates(run: Callable[[ChunkClock], object], n_steps: int, chunk: int) -> tuple[float, float, float]:
    """``(steady steps/s, end-to-end steps/s, compile seconds)`` of ``run(checkpointer)``, a training
    of ``n_steps`` saving every ``chunk`` steps: the steady rate is timed from the end of the first
    chunk (which holds the compilation) to the end of the last."""
    clock = ChunkClock()
    start = time.perf_counter()
    run(clock)
    total = time.perf_counter() - start
    steady = (len(clock.times) - 1) * chunk / (clock.times[-1] - clock.times[0])
    return steady, n_steps / total, max(clock.times[0] - start - chunk / steady, 0.0)


def first_and_steady(fn: Callable[[], object], repeats: int = 2) -> tuple[float, float]:
    """``(compile_s, steady_s)``: the first call's extra time over the best of ``repeats`` later calls."""
    first = timed(fn)
    steady = min(timed(fn) for _ in range(repeats))
    return max(first - steady, 0.0), steady
