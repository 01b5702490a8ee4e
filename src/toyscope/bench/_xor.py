r"""Benchmark ``xor-ensemble``: E sigmoid 2-2-1 networks, full-batch GD on XOR.

toyscope's figure is :func:`toyscope.train.train` (which dispatches this request to its
small-ensemble fast path; the record's ``dispatched_to`` says so) on the objective
``mlp_objective(spec, "bce", closed_form_gradient=True)``, which descends the closed-form gradient
:math:`\sigma(z) - y` of the cross-entropy (the same maths as autodiff, different float rounding;
opt-in, so studies keep their recorded numbers). In the same process it times (1) the plain
baseline, a ``jit(scan(vmap(grad)))`` loop over the same ensemble, (2) the fast path on the default
objective (``xor-ensemble-exact``: what the studies run, bit for bit), and (3) the general engine
(``fast_path=False``), and reports the ratios.
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
    """Network-steps per second for toyscope's fast path (closed-form gradient; and the default
    objective, bit-identical to the studies' runs), the plain loop and the generic engine."""
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(0), n_networks=n_networks, scheme="normal", scale=1.0)
    work = n_networks * n_steps
    paths = {}

    def run(fast_path: bool, closed_form_gradient: bool = False):
        objective = train.mlp_objective(spec, "bce", closed_form_gradient=closed_form_gradient)
        result = train.train(objective, params, {"x": XOR_X, "y": XOR_Y},
                             optimizer=train.Optimizer("sgd", learning_rate), n_steps=n_steps,
                             record=train.Record(every=n_steps), progress=None, fast_path=fast_path)
        paths[fast_path, closed_form_gradient] = result.path
        return result.params

    fast_compile, fast_warm, fast = cold_warm_steady(lambda: run(True, closed_form_gradient=True))
    # best of 2 for the baseline too, as for the paths it is compared with (it was 1 before: a ratio
    # of a best against a single timing leans toward toyscope on a loaded machine)
    plain_compile, plain = first_and_steady(_plain_vmap_scan(spec, params, n_steps, learning_rate))
    exact = first_and_steady(lambda: run(True))[1]
    engine = first_and_steady(lambda: run(False), repeats=1)[1]
    shared = {"n_networks": n_networks, "n_steps": n_steps, "devices": jax.device_count()}
    return [
        {"name": "xor-ensemble", "value": work / fast, "unit": "network-steps/s", "baseline": work / plain,
         "baseline_name": "jit(scan(vmap(grad)))", "ratio": plain / fast, "compile_s": fast_compile,
         "warm_compile_s": fast_warm, "steady_s": fast, "baseline_compile_s": plain_compile,
         "target": 1.5e8, "target_ratio": 7.0, "closed_form_gradient": True, "dispatched_to": paths[True, True],
         **shared},
        {"name": "xor-ensemble-exact", "value": work / exact, "unit": "network-steps/s", "baseline": work / plain,
         "baseline_name": "jit(scan(vmap(grad)))", "ratio": plain / exact, "closed_form_gradient": False,
         "dispatched_to": paths[True, False], **shared},
        {"name": "xor-ensemble-engine", "value": work / engine, "unit": "network-steps/s", "baseline": work / plain,
         "baseline_name": "jit(scan(vmap(grad)))", "ratio": plain / engine, "closed_form_gradient": False,
         "dispatched_to": paths[False, False], **shared},
    ]
