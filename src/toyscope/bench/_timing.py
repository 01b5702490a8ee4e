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


def chunked_warm_compile(run: Callable[[ChunkClock], object], n_steps: int, chunk: int) -> float:
    """The compile seconds of :func:`chunked_rates` for one more call after JAX's in-memory caches
    are cleared (traced again, programs loaded from the persistent compilation cache)."""
    jax.clear_caches()
    return chunked_rates(run, n_steps, chunk)[2]


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


def cold_warm_steady(fn: Callable[[], object], repeats: int = 2) -> tuple[float, float, float]:
    """``(cold_compile_s, warm_compile_s, steady_s)`` of ``fn()``.

    Cold: the first call's extra time over the best of ``repeats`` later calls (``toyscope bench``
    starts every process with an empty compilation cache); warm: the extra time of one more call
    after JAX's in-memory caches are cleared, so that it traces again and loads its programs from
    the persistent cache, as a second ``toyscope`` invocation would.
    """
    cold, steady = first_and_steady(fn, repeats)
    return cold, warm_compile(fn, steady), steady


def warm_compile(fn: Callable[[], object], steady_s: float) -> float:
    """The extra time over ``steady_s`` of ``fn()`` after JAX's in-memory caches are cleared (traced
    again, programs loaded from the persistent compilation cache)."""
    jax.clear_caches()
    return max(timed(fn) - steady_s, 0.0)


def seed_rate_records(name: str, *, n_steps: int, steady: tuple[float, float], compile_s: tuple[float, float],
                      plain_s: float, plain_compile_s: float, shared: dict, one_seed: dict | None = None,
                      five_seeds: dict | None = None) -> list[dict]:
    """The two records of a BIMT benchmark: steps/s of one seed and seeds/s of 5 seeds vmapped,
    each against the plain baseline that ran ``n_steps`` in ``plain_s`` seconds.

    Args:
        steady, compile_s: ``(one seed, five seeds)`` steady steps/s and compile seconds.
        shared: settings written into both records; one_seed, five_seeds: extra fields of each.
    """
    baseline = n_steps / plain_s
    five = 5 * steady[1] / n_steps
    return [
        {"name": name, "value": steady[0], "unit": "steps/s (1 seed, swaps, steady)", "baseline": baseline,
         "baseline_name": "jit(scan(adam)) without penalty or swaps", "ratio": steady[0] / baseline,
         "compile_s": compile_s[0], "plain_compile_s": plain_compile_s, **(one_seed or {}), **shared},
        {"name": f"{name}-5-seeds", "value": five, "unit": "seeds/s (5 vmapped, steady)",
         "baseline": baseline / n_steps, "baseline_name": "plain single-seed runs per second",
         "ratio": five / (baseline / n_steps), "compile_s": compile_s[1], "plain_compile_s": plain_compile_s,
         **(five_seeds or {}), **shared},
    ]
