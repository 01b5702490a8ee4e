"""Benchmark ``copy-average``: converge one k = 100, n = 46 erf student to max-abs gradient 1e-10.

toyscope's figure is the wall time of :func:`toyscope.train.converge` (diffrax Tsit5
gradient flow, continued past saddles by RKC2 stages before any hand-off, trust-region Newton-CG on
Hessian-vector products, Lanczos for the smallest Hessian eigenvalue), split into flow,
refinement and eigenvalue work, with the continuation stages run and the hand-offs made at a
negative eigenvalue (the stage budget spent). In the same process it
times the plain baseline, ``jit(lax.scan)`` gradient descent on the same closed-form loss at the
flow's typical step size, for the same wall time, and reports the gradient it reaches there and
the cost ratio per gradient step.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets, theory, train


def bench_copy_average(k: int = 100, n: int = 46, seed: int = 0, flow_max_steps: int = 20_000,
                       flow_gtol: float = 1e-4, gtol: float = 1e-10) -> list[dict]:
    """Seconds to converge one student (flow + refinement + eigenvalue), against plain GD.

    Raises:
        ValueError: not ``1 <= n <= k``.
    """
    if not 1 <= n <= k:
        raise ValueError(f"need 1 <= n <= k, got n={n}, k={k}")
    with jax.enable_x64(True):  # restored on exit
        d = k + 1
        teacher = theory.orthonormal_teacher(k, d, dtype=jnp.float64)
        students, mask = theory.glorot_normal_students([n], d, key=jax.random.key(seed), dtype=jnp.float64)
        free = theory.TwoLayerStudent(mask, jnp.broadcast_to(mask[:, :, None], students.w.shape))

        def loss(student, member_mask):
            return theory.population_loss(student, teacher, "erf", member_mask)

        start = time.perf_counter()
        (record,) = train.converge(loss, students, mask.astype(jnp.float64), free=free,
                                   flow=train.GradientFlow(gtol=flow_gtol, max_steps=flow_max_steps, rtol=1e-7, atol=1e-9),
                                   refinement=train.NewtonRefinement(gtol=gtol))
        total = time.perf_counter() - start
        labels = theory.classify_neurons(record.x[:n], record.x[n:].reshape(n, d), np.asarray(teacher.w))

        # plain baseline: fixed-step gradient descent under jit(scan), step = the flow's mean step size
        times = record.curve_times[np.isfinite(record.curve_times)]
        step = float(times.max() / max(record.flow_steps, 1)) if times.size else 1e-2
        grad = jax.grad(loss)
        member = nets.ensemble_member(students, 0)
        member_mask = mask[0].astype(jnp.float64)

        @jax.jit
        def descend(params, _):
            def body(p, _):
                return jax.tree_util.tree_map(lambda a, g: a - step * g, p, grad(p, member_mask)), None
            return jax.lax.scan(body, params, None, length=1000)[0]

        t0 = time.perf_counter()
        params = jax.block_until_ready(descend(member, 0))
        compile_plain = time.perf_counter() - t0
        plain_steps, t0 = 1000, time.perf_counter()
        while time.perf_counter() - t0 < total:
            params = jax.block_until_ready(descend(params, 0))
            plain_steps += 1000
        plain_s = time.perf_counter() - t0
        plain_grad = float(max(jnp.max(jnp.abs(g)) for g in jax.tree_util.tree_leaves(grad(params, member_mask))))
        per_step_plain = plain_s / (plain_steps - 1000)
        # NaN if a flow's solver does not count its gradients (the defaults, Tsit5 and RKC2, do)
        per_gradient_flow = record.flow_s / record.flow_gradients if record.flow_gradients > 0 else float("nan")
        return [{
            "name": "copy-average-converge", "value": total, "unit": "s", "baseline": plain_grad,
            "baseline_name": f"jit(scan) GD, step {step:.3g}, same wall time: max-abs grad reached",
            "ratio": per_gradient_flow / per_step_plain,
            "ratio_name": "flow s per gradient evaluation over plain GD s per step (one gradient)",
            "compile_s": compile_plain, "flow_s": record.flow_s, "refine_s": record.refine_s, "eigen_s": record.eigen_s,
            "grad_max": record.grad_max, "min_eigenvalue": record.min_eigenvalue, "loss": record.loss,
            "ca_optimal_loss": theory.optimal_copy_average_loss(n, k), "class": theory.classify_network(labels, k),
            "flow_steps": record.flow_steps, "flow_gradients": record.flow_gradients, "flow_grad_max": record.flow_grad_max,
            "flow_stages": record.flow_stages, "negative_handoffs": record.negative_handoffs,
            "handoff_eigenvalue": record.handoff_eigenvalue,
            "newton_iterations": record.newton_iterations, "method": record.method, "note": record.note,
            "k": k, "n": n, "seed": seed,
        }]
