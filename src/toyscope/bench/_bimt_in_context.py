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

from ._timing import check_chunked_steps, chunked_rates, first_and_steady


def _config(n_steps: int, n_seeds: int, chunk: int):
    from ..studies.bimt import BimtConfig, resolve_settings

    config = BimtConfig.resolve({"task": "in-context", "method": "bimt", "n_steps": n_steps, "n_seeds": n_seeds,
                                 "n_snapshots": n_steps // chunk})
    return config, resolve_settings(config)


def _bimt_rates(n_steps: int, n_seeds: int, chunk: int = 1_000) -> tuple[float, float]:
    """(steady steps/s, compile seconds) of the study's in-context BIMT training."""
    from ..studies._bimt_in_context import in_context_data, train_in_context

    config, settings = _config(n_steps, n_seeds, chunk)
    data = in_context_data(config)
    steady, _, compile_s = chunked_rates(lambda clock: train_in_context(config, settings, data, checkpointer=clock),
                                         n_steps, chunk)
    return steady, compile_s


def _plain_adam_scan(n_steps: int):
    """``jit(scan(adam))`` of one transformer on minibatches of 64, no penalty, no swaps."""
    from .. import nets
    from ..studies._bimt_in_context import N_HEADS, N_LAYERS, _losses, in_context_data

    config, settings = _config(n_steps, 1, 1_000)
    data = in_context_data(config)
    spec = nets.tiny_transformer(2, 2, d_model=config.d_model, n_layers=N_LAYERS, n_heads=N_HEADS)
    params = nets.init_tiny_transformer(spec, key=jax.random.key(0))
    loss_fn, _ = _losses(spec)
    x, y = jnp.asarray(data["train"]["x"]), jnp.asarray(data["train"]["y"])
    order = jnp.asarray(np.random.default_rng(1).integers(0, len(y), size=(n_steps, settings.setup.batch_size)))
    optimizer = optax.adam(config.learning_rate)

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
    baseline = n_steps / plain
    shared = {"n_steps": n_steps, "task": "in-context", "d_model": 32, "batch_size": 64, "swap_every": 200,
              "top_k": 30}
    return [
        {"name": "bimt-in-context", "value": steady_1, "unit": "steps/s (1 seed, swaps, steady)", "baseline": baseline,
         "baseline_name": "jit(scan(adam)) without penalty or swaps", "ratio": steady_1 / baseline,
         "compile_s": compile_1, "plain_compile_s": plain_compile, **shared},
        {"name": "bimt-in-context-5-seeds", "value": 5 * steady_5 / n_steps, "unit": "seeds/s (5 vmapped, steady)",
         "baseline": baseline / n_steps, "baseline_name": "plain single-seed runs per second",
         "ratio": 5 * steady_5 / baseline, "compile_s": compile_5, **shared},
    ]
