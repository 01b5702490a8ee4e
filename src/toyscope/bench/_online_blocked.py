"""Benchmark ``online-sgd-blocked``: the ``online-sgd`` workload (784-100-2 softplus net, one
example per SGD step, |update| tallies per group) through :func:`toyscope.train.blocked_online_sgd`.

The baseline in the same process is the plain ``jit(scan)`` loop of the ``online-sgd`` benchmark;
both are timed after a warm-up call (compiled programs are reused), best of three.
"""

from __future__ import annotations

import math
import time

import jax
import numpy as np

from .. import nets, train
from ._online import _data, _plain_loop


def _warm_rate(call, n_samples: int, repeats: int = 3) -> tuple[float, float]:
    """``(samples/s, compile_s)``: one warm-up call (compiles), then the best of ``repeats`` calls."""
    start = time.perf_counter()
    jax.block_until_ready(call())
    first = time.perf_counter() - start
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        best = min(best, time.perf_counter() - start)
    return n_samples / best, max(first - best, 0.0)


def bench_online_sgd_blocked(n_samples: int = 10_000, learning_rate: float = 0.01, block_size: int = 128) -> list[dict]:
    """Samples per second of blocked exact per-sample SGD with group tallies vs a plain scan loop."""
    spec = nets.mlp([784, 100, 2], "softplus", "softplus")
    x, y, group, source = _data(n_samples)
    params = nets.init(spec, key=jax.random.key(0), bias_scheme="same")
    ensemble = jax.tree_util.tree_map(lambda p: p[None], params)
    data = {"x": x, "y": y, "group": group}

    def blocked(n):
        return lambda: train.blocked_online_sgd(spec, ensemble, data, np.arange(n), learning_rate=learning_rate,
                                                block_size=block_size, n_groups=2)[:2]

    def plain(n):
        return _plain_loop(spec, params, x[:n], y[:n], group[:n], learning_rate)

    blocked_rate, compile_s = _warm_rate(blocked(n_samples), n_samples)
    plain_rate, _ = _warm_rate(plain(n_samples), n_samples)
    return [{"name": "online-sgd-blocked", "value": blocked_rate, "unit": "samples/s", "baseline": plain_rate,
             "baseline_name": "plain jit(scan) with tallies", "ratio": blocked_rate / plain_rate,
             "compile_s": compile_s, "n_samples": n_samples,
             "block_size": block_size, "data": source, "target": 1e5}]
