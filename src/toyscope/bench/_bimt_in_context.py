"""Benchmark ``bimt-in-context``: BIMT training of the tiny transformer of Section 3.4.

toyscope's figure is the ``bimt`` study's in-context training (``toyscope.train.train`` with the
transformer connection cost on a λ schedule and swaps in all nine permutation groups every 200
steps), for one seed and for 5 seeds vmapped, at the paper's width 32 and batch 64. The steady rate
comes from per-chunk timestamps (compilation, in the first chunk, excluded). In the same process
the plain baseline is ``jit(scan(adam step))`` of the same transformer and loss on the same
minibatches, without penalty or swaps, timed after compilation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import bimt, nets, tasks
from ._timing import check_chunked_steps, chunked_rates, first_and_steady, seed_rate_records

SETUP = bimt.PAPER_SETUPS["in-context"]
D_MODEL, N_LAYERS, N_HEADS, LEARNING_RATE = 32, 2, 1, 1e-3


def _data() -> dict:
    """The bimt study's in-context sequences at its defaults (10,000, w ~ U[-1, 1], x ~ U[1, 3], seed 0)."""
    return tasks.in_context_regression_task(10_000, w_range=(-1.0, 1.0), x_range=(1.0, 3.0), seed=0)


def _spec():
    return nets.tiny_transformer(2, 2, d_model=D_MODEL, n_layers=N_LAYERS, n_heads=N_HEADS)


def _method(n_steps: int) -> bimt.BimtMethod:
    """The bimt study's in-context method: the paper's λ schedule scaled to ``n_steps``."""
    return bimt.BimtMethod("bimt", SETUP.lambdas, bimt.scaled_schedule(SETUP, n_steps), layer_gap=SETUP.layer_gap,
                           normalization=SETUP.normalization, top_k=SETUP.top_k)


def _bimt_rates(n_steps: int, n_seeds: int, chunk: int = 1_000) -> tuple[float, float]:
    """(steady steps/s, compile seconds) of the bimt study's in-context training: the paper's settings
    (λ schedule scaled to ``n_steps``), minibatches of 64 drawn with replacement, A = 2, swaps every 200."""
    data = _data()
    spec = _spec()
    method = _method(n_steps)
    loss_fn, last_loss = bimt.in_context_losses(spec)
    test = {k: jnp.asarray(v) for k, v in data["test"].items()}
    metrics = {"test_loss": lambda p: last_loss(p, test), "test_loss_all_positions": lambda p: loss_fn(p, test)}
    train_data = {k: data["train"][k] for k in ("x", "y")}

    def run(clock):
        params = nets.init(spec, key=jax.random.key(0), n_networks=n_seeds)
        order = bimt.replacement_order(len(train_data["y"]), n_networks=n_seeds, n_steps=n_steps,
                                       batch_size=SETUP.batch_size, seed=1)
        return bimt.train_bimt(bimt.transformer_layout(spec), loss_fn, params, train_data, method=method,
                               n_networks=n_seeds, n_steps=n_steps, learning_rate=LEARNING_RATE, metrics=metrics,
                               batch_size=SETUP.batch_size, order=order, record_every=n_steps // 100,
                               snapshot_every=chunk, checkpointer=clock)

    steady, _, compile_s = chunked_rates(run, n_steps, chunk)
    return steady, compile_s


def _plain_adam_scan(n_steps: int):
    """``jit(scan(adam))`` of one transformer on minibatches of 64, no penalty, no swaps."""
    data = _data()
    spec = _spec()
    params = nets.init(spec, key=jax.random.key(0))
    loss_fn, _ = bimt.in_context_losses(spec)
    x, y = jnp.asarray(data["train"]["x"]), jnp.asarray(data["train"]["y"])
    order = jnp.asarray(np.random.default_rng(1).integers(0, len(y), size=(n_steps, SETUP.batch_size)))
    optimizer = optax.adam(LEARNING_RATE)

    @jax.jit
    def run(p):
        def step(carry, idx):
            p, state = carry
            updates, state = optimizer.update(jax.grad(loss_fn)(p, {"x": x[idx], "y": y[idx]}), state, p)
            return (optax.apply_updates(p, updates), state), None

        return jax.lax.scan(step, (p, optimizer.init(p)), order)[0][0]

    return lambda: run(params)


def bench_bimt_in_context(n_steps: int = 4_000) -> list[dict]:
    """Steps/s of in-context BIMT training with swaps (1 seed), seeds/s with 5 vmapped, vs plain Adam."""
    check_chunked_steps(n_steps)
    steady_1, compile_1 = _bimt_rates(n_steps, 1)
    steady_5, compile_5 = _bimt_rates(n_steps, 5)
    plain_compile, plain = first_and_steady(_plain_adam_scan(n_steps), repeats=2)
    method = _method(n_steps)
    return seed_rate_records(
        "bimt-in-context", n_steps=n_steps, steady=(steady_1, steady_5), compile_s=(compile_1, compile_5),
        plain_s=plain, plain_compile_s=plain_compile,
        shared={"n_steps": n_steps, "task": "in-context", "d_model": D_MODEL, "batch_size": SETUP.batch_size,
                "swap_every": method.swap_every, "top_k": method.top_k})
