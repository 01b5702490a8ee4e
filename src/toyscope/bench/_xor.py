"""Benchmark ``xor-ensemble``: E sigmoid 2-2-1 networks, full-batch GD on XOR.

toyscope's figure is :func:`toyscope.train.train` (which dispatches this request to its
small-ensemble fast path; the record's ``dispatched_to`` says so); in the same process it times
(1) the plain baseline, a ``jit(scan(vmap(grad)))`` loop over the same ensemble, and (2) the
general engine (the same call with ``fast_path=False``), and reports the ratios.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets, train
from ._timing import cold_warm_steady, first_and_steady

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _plain_vmap_scan(spec, params, n_steps, learning_rate):
    loss = train.mlp_objective(spec, "bce")
    data = {"x": jnp.asarray(XOR_X), "y": jnp.asarray(XOR_Y)}
    grad = jax.vmap(jax.grad(lambda p: loss(p, data)))

    @jax.jit
    def run(p):
        def step(p, _):
            return jax.tree_util.tree_map(lambda a, g: a - learning_rate * g, p, grad(p)), None

        return jax.lax.scan(step, p, None, length=n_steps)[0]

    return lambda: run(params)


def bench_xor_ensemble(n_networks: int = 10_000, n_steps: int = 5_000, learning_rate: float = 1.0) -> list[dict]:
    """Network-steps per second for toyscope's fast path, the plain loop and the generic engine."""
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=n_networks, scheme="normal", scale=1.0)
    work = n_networks * n_steps
    paths = []

    def run(fast_path: bool):
        result = train.train(train.mlp_objective(spec, "bce"), params, {"x": XOR_X, "y": XOR_Y},
                             optimizer=train.Optimizer("sgd", learning_rate), n_steps=n_steps,
                             record=train.Record(every=n_steps), progress=None, fast_path=fast_path)
        paths.append(result.path)
        return result.params

    fast_compile, fast_warm, fast = cold_warm_steady(lambda: run(True))
    plain_compile, plain = first_and_steady(_plain_vmap_scan(spec, params, n_steps, learning_rate), repeats=1)
    engine = first_and_steady(lambda: run(False), repeats=1)[1]
    shared = {"n_networks": n_networks, "n_steps": n_steps, "devices": jax.device_count()}
    return [
        {"name": "xor-ensemble", "value": work / fast, "unit": "network-steps/s", "baseline": work / plain,
         "baseline_name": "jit(scan(vmap(grad)))", "ratio": plain / fast, "compile_s": fast_compile,
         "warm_compile_s": fast_warm, "steady_s": fast, "baseline_compile_s": plain_compile,
         "target": 5e7, "dispatched_to": paths[0], **shared},
        {"name": "xor-ensemble-engine", "value": work / engine, "unit": "network-steps/s", "baseline": work / plain,
         "baseline_name": "jit(scan(vmap(grad)))", "ratio": plain / engine, "dispatched_to": paths[-1], **shared},
    ]
