"""Benchmark ``online-sgd``: a 784-100-2 softplus network, one example per SGD step, with one
|update| tally per class group for every parameter (the update-attribution method).

toyscope's figure is the engine (:func:`toyscope.train.train` in ``online`` mode with an
observer); the baseline in the same process is a plain ``jit(scan)`` loop that updates and
tallies by hand. Inputs are the MNIST test images from the data directory, or random inputs of
the same shape when they are missing (said in the record's ``data`` field).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import nets, train


def _data(n_samples: int):
    try:
        from ..tasks import load_dataset

        dataset = load_dataset("mnist", "test")
        x = (dataset.images.reshape(len(dataset.images), -1)[:n_samples].astype(np.float32) + 1) / 256
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


def tally_observer(aux, delta, batch, step):
    """Add |delta| of every parameter to the tally of the example's group (aux: (2, ...) per leaf)."""
    group = batch["group"][0]
    return jax.tree_util.tree_map(lambda tally, d: tally.at[group].add(jnp.abs(d)), aux, delta)


def _plain_loop(spec, params, x, y, group, learning_rate):
    loss = train.mlp_loss(spec, "mse")
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


def _steady_rate(make_call, n_short: int, n_long: int) -> tuple[float, float]:
    """Samples/s from the time difference of a short and a long run (cancels compile time);
    returns ``(rate, compile_and_short_s)``."""
    times = {}
    for n in (n_short, n_long):
        start = time.perf_counter()
        jax.block_until_ready(make_call(n)())
        times[n] = time.perf_counter() - start
    return (n_long - n_short) / max(times[n_long] - times[n_short], 1e-9), times[n_short]


def bench_online_sgd(n_samples: int = 10_000, learning_rate: float = 0.01) -> list[dict]:
    """Samples per second of per-sample SGD with group tallies: engine vs a plain scan loop."""
    spec = nets.mlp([784, 100, 2], "softplus", "softplus")
    x, y, group, source = _data(n_samples)
    params = nets.init(spec, key=jax.random.key(0), bias_scheme="same")
    ensemble = jax.tree_util.tree_map(lambda p: p[None], params)
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((1, 2, *p.shape)), params)
    data = {"x": x, "y": y, "group": group}
    loss = train.mlp_loss(spec, "mse")
    short = n_samples // 5

    def engine(n):
        return lambda: train.train(loss, ensemble, jax.tree_util.tree_map(lambda a: a[:n], data),
                                   optimizer=optax.sgd(learning_rate), n_steps=n, mode="online",
                                   order=np.arange(n), observer=tally_observer, aux=aux,
                                   record_every=short, chunk_steps=short, progress=None).params

    def plain(n):
        return _plain_loop(spec, params, x[:n], y[:n], group[:n], learning_rate)

    engine_rate, engine_first = _steady_rate(engine, short, n_samples)
    plain_rate, _ = _steady_rate(plain, short, n_samples)
    return [{"name": "online-sgd", "value": engine_rate, "unit": "samples/s", "baseline": plain_rate,
             "baseline_name": "plain jit(scan) with tallies", "ratio": engine_rate / plain_rate,
             "compile_s": engine_first - short / engine_rate, "n_samples": n_samples, "data": source,
             "target": 1e5}]
