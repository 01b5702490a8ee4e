"""Benchmark ``bimt-symbolic-a``: BIMT training of the 4-20-20-2 SiLU net on symbolic task (a).

toyscope's figure is the ``bimt`` study's training (``toyscope.train.train`` with the connection
cost on a λ schedule and neuron swaps every 200 steps as a periodic hook), for one seed and for
5 seeds vmapped. The engine compiles once per call and runs in chunks of 1,000 steps; a timing
checkpointer stamps the end of every chunk, so the steady rate excludes compilation (the first
chunk) and the end-to-end rate of the whole call is reported beside it. In the same process the
plain baseline, ``jit(scan(adam step))`` of the same net with MSE and no penalty or swaps, is
timed after compilation. The authors' PyTorch notebook does about 780 steps/s here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from .. import bimt, nets, tasks
from ._bimt_torch import torch_bimt_training
from ._timing import check_chunked_steps, chunked_rates, first_and_steady, seed_rate_records, timed

SETUP = bimt.PAPER_SETUPS["symbolic-a"]


def _method(n_steps: int) -> bimt.BimtMethod:
    """The bimt study's method for symbolic-a: the paper's λ schedule scaled to ``n_steps``."""
    return bimt.BimtMethod("bimt", SETUP.lambdas, bimt.scaled_schedule(SETUP, n_steps), layer_gap=SETUP.layer_gap,
                           normalization=SETUP.normalization, top_k=SETUP.top_k)


def _data() -> dict:
    """The bimt study's symbolic-a data at its defaults (100 train, 100 test, seed 0)."""
    return tasks.symbolic_task("a", 100, 100, seed=0)


def _bimt_rates(n_steps: int, n_seeds: int, chunk: int = 1_000) -> tuple[float, float, float]:
    """(steady steps/s, end-to-end steps/s, compile seconds) of the bimt study's training of symbolic-a:
    the paper's settings (λ schedule scaled to ``n_steps``), Adam lr 1e-3, A = 2, swaps every 200 steps."""
    data = _data()
    spec = nets.layered_network(list(SETUP.widths), "silu")
    layout = bimt.mlp_layout(spec)
    method = _method(n_steps)
    loss_fn = bimt.layered_loss(spec, SETUP.loss)
    metrics = bimt.layered_metrics(spec, loss_fn, {k: jnp.asarray(v) for k, v in data["test"].items()}, accuracy=False)

    def run(clock):
        params = nets.init(spec, key=jax.random.key(0), n_networks=n_seeds)
        return bimt.train_bimt(layout, loss_fn, params, data["train"], method=method, n_networks=n_seeds,
                               n_steps=n_steps, learning_rate=1e-3, metrics=metrics, record_every=n_steps // 100,
                               snapshot_every=chunk, checkpointer=clock)

    return chunked_rates(run, n_steps, chunk)


def _plain_adam_scan(n_steps: int):
    data = _data()["train"]
    spec = nets.layered_network([4, 20, 20, 2])
    params = nets.init(spec, key=jax.random.key(0))["layers"]
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])
    optimizer = optax.adam(1e-3)

    def loss(p):
        h = x
        for i, layer in enumerate(p):
            h = h @ layer["weight"] + layer["bias"]
            if i < len(p) - 1:
                h = jax.nn.silu(h)
        return jnp.mean((h - y) ** 2)

    @jax.jit
    def run(p):
        def step(carry, _):
            p, state = carry
            updates, state = optimizer.update(jax.grad(loss)(p), state, p)
            return (optax.apply_updates(p, updates), state), None

        return jax.lax.scan(step, (p, optimizer.init(p)), None, length=n_steps)[0][0]

    return lambda: run(params)


def bench_bimt_symbolic_a(n_steps: int = 20_000) -> list[dict]:
    """Steps/s of BIMT training with swaps (one seed) and seeds/s with 5 seeds vmapped."""
    check_chunked_steps(n_steps)
    steady_1, end_to_end_1, compile_1 = _bimt_rates(n_steps, 1)
    jax.clear_caches()  # the same training again, as a second invocation: traced again, loaded from the cache
    warm_1 = _bimt_rates(n_steps, 1)[2]
    steady_5, end_to_end_5, compile_5 = _bimt_rates(n_steps, 5)
    plain_compile, plain = first_and_steady(_plain_adam_scan(n_steps), repeats=2)
    method = _method(n_steps)
    return seed_rate_records(
        "bimt-symbolic-a", n_steps=n_steps, steady=(steady_1, steady_5), compile_s=(compile_1, compile_5),
        plain_s=plain, plain_compile_s=plain_compile,
        shared={"n_steps": n_steps, "task": "symbolic-a", "swap_every": method.swap_every, "top_k": method.top_k},
        one_seed={"end_to_end_steps_per_s": end_to_end_1, "target": 20_000, "reference_notebook_steps_per_s": 780,
                  "warm_compile_s": warm_1, "steady_s": n_steps / steady_1},
        five_seeds={"end_to_end_seeds_per_s": 5 * end_to_end_5 / n_steps})


def _torch_run(n_steps: int) -> float:
    """Seconds of the PyTorch transcription of the authors' loop on the same task and settings."""
    data = _data()
    method = _method(n_steps)
    return timed(lambda: torch_bimt_training(
        SETUP.widths, data["train"]["x"], data["train"]["y"], data["test"]["x"], data["test"]["y"], n_steps=n_steps,
        lambdas=method.lambdas, lambda_steps=method.lambda_steps, learning_rate=1e-3, extent=method.extent,
        layer_gap=method.layer_gap, top_k=method.top_k, swap_every=method.swap_every))


def bench_bimt_short(n_steps: int = 2_000) -> list[dict]:
    """End-to-end seconds of a short BIMT run (symbolic-a, one seed, the bimt study's training)
    cold (empty compilation cache), warm (a second invocation: traced again, programs loaded from
    the cache) and steady (compiled programs in memory), against a plain PyTorch transcription of
    the authors' loop (``bench._bimt_torch``) in the same process; ``ratio`` is PyTorch's time over
    toyscope's warm time (above 1: toyscope is faster end to end). Without torch the record says
    so and has no ratio.

    Raises:
        ValueError: ``n_steps`` not a multiple of 100 between 300 and 10,000.
    """
    if n_steps % 100 or not 300 <= n_steps <= 10_000:
        raise ValueError(f"n_steps must be a multiple of 100 in [300, 10000], got {n_steps}")
    chunk = n_steps // 20 if n_steps % 20 == 0 and (n_steps // 20) % 100 == 0 else 100
    check_chunked_steps(n_steps, chunk)
    cold = n_steps / _bimt_rates(n_steps, 1, chunk)[1]
    jax.clear_caches()
    warm = n_steps / _bimt_rates(n_steps, 1, chunk)[1]
    steady = n_steps / _bimt_rates(n_steps, 1, chunk)[1]
    record = {"name": "bimt-symbolic-a-short", "value": warm, "unit": f"s end to end ({n_steps:,} steps, warm)",
              "cold_s": cold, "warm_s": warm, "steady_s": steady, "n_steps": n_steps, "task": "symbolic-a"}
    try:
        import torch  # noqa: F401
    except ImportError:
        return [{**record, "baseline_name": "PyTorch transcription of the authors' loop (torch not installed)"}]
    torch_s = _torch_run(n_steps)
    return [{**record, "baseline": torch_s, "baseline_name": "PyTorch transcription of the authors' loop, s",
             "ratio": torch_s / warm, "ratio_cold": torch_s / cold, "torch_steps_per_s": n_steps / torch_s}]
