"""Benchmark ``online-sgd``: a 784-100-2 softplus network, one example per SGD step, with one
|update| tally per class group for every parameter (the update-attribution method).

toyscope's figure is the exact blocked path called directly (the deprecated public
``toyscope.train.blocked_online_sgd``, kept as the reference). Beside it: ``online-sgd-engine``,
the one entry point :func:`toyscope.train.train` in online mode with the per-step tally observer
(which dispatches to the blocked path; its ``ratio_to_blocked`` should be at least 1/1.5), and
``online-sgd-sparse``, the same call with ``Online(input_offset=1/256)`` (the first layer on each
block's lit pixels only, :mod:`toyscope.train._online_sparse`), and
``online-sgd-general-engine``, the same call with ``fast_path=False`` (the general engine). The
baseline in the same process is a plain ``jit(scan)`` loop that updates and tallies by hand.
Inputs are the MNIST test images from the data directory, or random inputs of the same shape
when they are missing (said in the record's ``data`` field).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets, train
from ._timing import first_and_steady, warm_compile


def _data(n_samples: int):
    try:
        from ..tasks import load_dataset, scale_pixels

        dataset = load_dataset("mnist", "test")
        x = scale_pixels(dataset.images[:n_samples])
        labels = dataset.labels[:n_samples]
        source = "MNIST test split"
    except Exception as err:  # noqa: BLE001 - any failure to load falls back, and says so
        rng = np.random.default_rng(0)
        x = rng.random((n_samples, 784), dtype=np.float32)
        labels = rng.integers(0, 10, n_samples)
        source = f"random inputs (MNIST unavailable: {str(err).splitlines()[0][:120]})"
    group = (labels % 2).astype(np.int32)
    y = np.eye(2, dtype=np.float32)[group]
    return jnp.asarray(x), jnp.asarray(y), jnp.asarray(group), source


def _plain_loop(spec, params, x, y, group, learning_rate):
    loss = train.mlp_objective(spec, "mse")
    tallies = jax.tree_util.tree_map(lambda p: jnp.zeros((2, *p.shape)), params)

    @jax.jit
    def run(p, tallies):
        def step(carry, i):
            p, tallies = carry
            grads = jax.grad(loss)(p, {"x": x[i][None], "y": y[i][None]})
            new = jax.tree_util.tree_map(lambda a, g: a - learning_rate * g, p, grads)
            tallies = jax.tree_util.tree_map(lambda t, n, o: t.at[group[i]].add(jnp.abs(n - o)), tallies, new, p)
            return (new, tallies), None

        return jax.lax.scan(step, (p, tallies), jnp.arange(x.shape[0]))[0]

    return lambda: run(params, tallies)


def bench_online_sgd(n_samples: int = 10_000, learning_rate: float = 0.01, block_size: int = 128) -> list[dict]:
    """Samples per second of per-sample SGD with group tallies, against a plain ``jit(scan)`` loop.

    Three records: the blocked path called directly (the figure), the one entry point
    :func:`toyscope.train.train` with a per-step :func:`toyscope.train.group_tally_observer`
    (``ratio_to_blocked``: its rate over the blocked path's), and the same call forced onto the
    general engine. Every path is timed after a warm-up call (compile time reported separately),
    best of two (one for the general engine, which is slow).

    Raises:
        ValueError: ``n_samples`` not a positive multiple of 5 (losses are recorded five times).
    """
    if n_samples < 5 or n_samples % 5:
        raise ValueError(f"n_samples must be a positive multiple of 5 (losses are recorded 5 times), got {n_samples}")
    spec = nets.mlp([784, 100, 2], "softplus", "softplus")
    x, y, group, source = _data(n_samples)
    params = nets.init(spec, key=jax.random.key(0), bias_scheme="same")
    ensemble = jax.tree_util.tree_map(lambda p: p[None], params)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((1, 2, *p.shape)), params)
    data = {"x": x, "y": y, "group": group}
    order = np.arange(n_samples)

    def blocked():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return train.blocked_online_sgd(spec, ensemble, data, order, learning_rate=learning_rate,
                                            block_size=block_size, n_groups=2)[:2]

    def entry_point_sparse():
        result = train.train(train.mlp_objective(spec, "mse"), ensemble, data,
                             optimizer=train.Optimizer("sgd", learning_rate), n_steps=n_samples,
                             batching=train.Online(order, block_size=block_size, input_offset=1 / 256),
                             observer=train.group_tally_observer(), aux=aux,
                             record=train.Record(every=n_samples // 5, chunk_steps=n_samples // 5), progress=None)
        entry_point_sparse.path = result.path
        return result.params, result.aux

    def entry_point(fast_path: bool):
        def call():
            result = train.train(train.mlp_objective(spec, "mse"), ensemble, data,
                                 optimizer=train.Optimizer("sgd", learning_rate), n_steps=n_samples,
                                 batching=train.Online(order, block_size=block_size),
                                 observer=train.group_tally_observer(), aux=aux,
                                 record=train.Record(every=n_samples // 5, chunk_steps=n_samples // 5),
                                 progress=None, fast_path=fast_path)
            call.path = result.path
            return result.params, result.aux
        return call

    plain = _plain_loop(spec, params, x, y, group, learning_rate)
    plain_compile, plain_s = first_and_steady(plain)
    records, blocked_s = [], None
    variants = (("online-sgd", blocked, 2, {"path": "train.blocked_online_sgd (direct)", "block_size": block_size}),
                ("online-sgd-engine", entry_point(True), 2,
                 {"path": "train.train(batching=Online, observer=group_tally_observer)", "block_size": block_size}),
                ("online-sgd-sparse", entry_point_sparse, 2,
                 {"path": "train.train(batching=Online(input_offset=1/256), observer=group_tally_observer)",
                  "block_size": block_size}),
                ("online-sgd-general-engine", entry_point(False), 1,
                 {"path": "train.train(..., fast_path=False): the general engine"}))
    for name, call, repeats, extra in variants:
        compile_s, steady_s = first_and_steady(call, repeats=repeats)
        warm_s = warm_compile(call, steady_s) if repeats > 1 else None  # not for the slow general engine
        blocked_s = steady_s if blocked_s is None else blocked_s
        if hasattr(call, "path"):
            extra = {**extra, "dispatched_to": call.path}
        records.append({"name": name, "value": n_samples / steady_s, "unit": "samples/s",
                        "baseline": n_samples / plain_s, "baseline_name": "plain jit(scan) with tallies",
                        "ratio": plain_s / steady_s, "ratio_to_blocked": blocked_s / steady_s,
                        "compile_s": compile_s, "baseline_compile_s": plain_compile, "steady_s": steady_s,
                        **({"warm_compile_s": warm_s} if warm_s is not None else {}),
                        "n_samples": n_samples, "data": source, "target": 1e5, **extra})
    return records
