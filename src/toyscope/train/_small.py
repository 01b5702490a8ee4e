r"""A fast path for huge ensembles of tiny MLPs trained by full-batch gradient descent.

For networks with a handful of units on a handful of examples (XOR: 2-2-1 on 4 points), a
vmapped step spends its time in batched matrix products of 2x2 matrices. Here every scalar
parameter becomes one ``(E,)`` vector and the forward pass is unrolled over examples and units,
so the whole step is a few long elementwise loops over the ensemble, which XLA fuses; the
ensemble axis is also sharded over the host's CPU devices (see ``toyscope._host``). The maths
is exactly the general engine of :func:`toyscope.train.train` with plain SGD on full batches:

.. math:: \theta_{t+1} = \theta_t - \eta \nabla_\theta \frac{1}{N}\sum_n \ell(f_\theta(x_n), y_n)

for every member independently (tested against the engine). :func:`toyscope.train.train`
dispatches here itself (see its docstring for when).
"""

from __future__ import annotations

import functools
import inspect
import operator

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets
from .._progress import progress_bar
from ._engine import TrainingDiverged, TrainResult
from ._losses import softplus_sigmoid_gradient

#: largest unrolled graph (examples x scalar parameters) accepted; beyond it use :func:`fit`
MAX_UNROLLED = 4096


def _to_scalars(spec: nets.MLP, params):
    """Ensemble params -> per layer ``(W[i][j], b[j])`` lists of ``(E,)`` arrays."""
    out = []
    for layer, (d_in, d_out) in zip(params, zip(spec.widths[:-1], spec.widths[1:])):
        w = [[layer["weight"][:, i, j] for j in range(d_out)] for i in range(d_in)]
        b = [layer["bias"][:, j] for j in range(d_out)] if "bias" in layer else None
        out.append({"w": w, "b": b})
    return out


def _from_scalars(scalars):
    params = []
    for layer in scalars:
        weight = jnp.stack([jnp.stack(row, axis=-1) for row in layer["w"]], axis=-2)
        entry = {"weight": weight}
        if layer["b"] is not None:
            entry["bias"] = jnp.stack(layer["b"], axis=-1)
        params.append(entry)
    return params


def _pre_activation(h, layer, j, fold_zeros: bool):
    r""":math:`z_j = \sum_i h_i W_{ij} + b_j` for one unit, summed left to right. Known inputs
    (floats) of exactly 1 multiply by nothing (bit for bit the same results, tested); with
    ``fold_zeros``, a known 0 drops its term, which only added a signed zero, yet the first layer's
    gradients then round differently (measured; presumably XLA fuses and contracts the multiply-adds
    differently), so only the opt-in closed-form path folds zeros."""
    terms = []
    for i, hi in enumerate(h):
        weight = layer["w"][i][j]
        if isinstance(hi, float) and hi == 1.0:
            terms.append(weight)
        elif not (fold_zeros and isinstance(hi, float) and hi == 0.0):
            terms.append(hi * weight)
    z = functools.reduce(operator.add, terms) if terms else None
    if layer["b"] is not None:
        z = layer["b"][j] if z is None else z + layer["b"][j]
    return jnp.zeros_like(layer["w"][0][j]) if z is None else z


def _per_member_loss(spec: nets.MLP, scalars, x: np.ndarray, y: np.ndarray, loss: str,
                     closed_form_gradient: bool = False):
    """``(E,)`` mean loss over the examples, unrolled over examples and units (``closed_form_gradient``:
    ``bce`` differentiates to ``sigmoid(out) - target``, see :func:`softplus_sigmoid_gradient`)."""
    closed_form_gradient = closed_form_gradient and loss == "bce"  # mse's autodiff is its closed form
    softplus = softplus_sigmoid_gradient if closed_form_gradient else jax.nn.softplus
    total = 0.0
    for n in range(x.shape[0]):
        h = [float(v) for v in x[n]]
        for layer, name in zip(scalars, spec.activations):
            act = nets.ACTIVATIONS[name]
            h = [act(_pre_activation(h, layer, j, closed_form_gradient)) for j in range(len(layer["w"][0]))]
        for j, out in enumerate(h):
            target = float(y[n, j])
            if loss == "bce":
                total = total + (softplus(out) - target * out)
            else:
                total = total + (out - target) ** 2
    return total / (x.shape[0] * y.shape[1])


#: XLA:CPU compile options of the chunk runner: 512-bit vectors where the CPU has them (AVX-512;
#: on a Zen 5 1.4-1.6x on the closed-form path, 1.0-1.15x on the default one, bit-identical results
#: since every operation is elementwise); elsewhere LLVM splits them into the widths the CPU has.
#: (A JAX whose ``jit`` takes no ``compiler_options`` compiles without them.)
_COMPILER_OPTIONS = {"xla_cpu_prefer_vector_width": 512}
_jit_chunk = (functools.partial(jax.jit, compiler_options=_COMPILER_OPTIONS)
              if "compiler_options" in inspect.signature(jax.jit).parameters else jax.jit)


@functools.lru_cache(maxsize=32)
def _compiled(spec, x_bytes, x_shape, y_bytes, y_shape, loss, learning_rate, record_every, closed_form_gradient):
    """The jitted chunk runner for one problem (cached, so repeated calls do not recompile)."""
    x = np.frombuffer(x_bytes, np.float32).reshape(x_shape)
    y = np.frombuffer(y_bytes, np.float32).reshape(y_shape)
    member_loss = lambda s: _per_member_loss(spec, s, x, y, loss)  # noqa: E731
    descended = lambda s: _per_member_loss(spec, s, x, y, loss, closed_form_gradient)  # noqa: E731
    grad = jax.grad(lambda s: jnp.sum(descended(s)))

    def step(s, _):
        g = grad(s)
        return jax.tree_util.tree_map(lambda p, gi: p - learning_rate * gi, s, g), None

    def interval(s, _):
        recorded = member_loss(s)
        s, _ = jax.lax.scan(step, s, None, length=record_every)
        return s, recorded

    @_jit_chunk
    def run_chunk(s, n_intervals_marker):
        return jax.lax.scan(interval, s, None, length=n_intervals_marker.shape[0])

    return run_chunk, member_loss


def _ensemble_sharding(n_members: int):
    devices = jax.devices()
    if len(devices) < 2 or n_members % len(devices):
        return None
    mesh = jax.sharding.Mesh(np.array(devices), ("ensemble",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("ensemble"))


def small_ensemble_descent(
    spec: nets.MLP, params, x, y, *, loss: str = "bce", learning_rate: float = 1.0, n_steps: int = 1000,
    record_every: int = 1, snapshot_every: int | None = None, progress: str | None = "training",
    closed_form_gradient: bool = False,
) -> TrainResult:
    r"""Full-batch gradient descent on an ensemble of tiny MLPs, fast (see module docstring).

    Args:
        spec: the network; params: ensemble params (leading axis E).
        x: inputs ``(N, d_in)``; y: targets ``(N, d_out)`` (logit targets in [0, 1] for ``bce``).
        loss: ``bce`` (on logits, as :func:`bce_with_logits_loss`) or ``mse``.
        learning_rate, n_steps, record_every, snapshot_every: as in :func:`toyscope.train.train`.
        closed_form_gradient: ``bce`` descends its closed-form gradient :math:`\sigma(z) - y`
            (as :class:`~toyscope.train.MLPObjective` says; about 3.5x faster on XOR, different
            rounding); no effect with ``mse``.

    Returns:
        A :class:`TrainResult` (no optimiser state or aux).

    Raises:
        ValueError: not an ensemble, unsupported loss, or a problem too large to unroll.
        TrainingDiverged: a member's loss became non-finite (named with the first recorded step).
    """
    x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
    if not nets.is_ensemble(spec, params):
        raise ValueError("fit_small_ensemble needs ensemble params (leading axis E); use fit for one network")
    if loss not in ("bce", "mse"):
        raise ValueError(f"fit_small_ensemble supports loss 'bce' or 'mse', got {loss!r}")
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 2 or x.shape[1] != spec.widths[0] or y.shape != (x.shape[0], spec.widths[-1]):
        raise ValueError(f"need x (N, {spec.widths[0]}) and y (N, {spec.widths[-1]}), got {x.shape} and {y.shape}")
    if x.shape[0] * spec.n_params > MAX_UNROLLED:
        raise ValueError(f"{x.shape[0]} examples x {spec.n_params} parameters is too large to unroll "
                         f"(max {MAX_UNROLLED}); use toyscope.train.fit")
    if record_every < 1 or n_steps % record_every:
        raise ValueError(f"record_every must be >= 1 and divide n_steps={n_steps}, got {record_every}")
    if snapshot_every is not None and (snapshot_every < 1 or snapshot_every % record_every):
        raise ValueError(f"snapshot_every must be a positive multiple of record_every={record_every}")

    n_members = nets.ensemble_size(spec, params)
    run_chunk, member_loss = _compiled(spec, x.tobytes(), x.shape, y.tobytes(), y.shape, loss,
                                       float(learning_rate), record_every, bool(closed_form_gradient))

    scalars = _to_scalars(spec, params)
    sharding = _ensemble_sharding(n_members)
    if sharding is not None:
        scalars = jax.device_put(scalars, sharding)
    chunk = snapshot_every or record_every * max(1, (n_steps // record_every) // 10)
    losses, snapshots, snapshot_steps = [], [], []
    if snapshot_every:
        snapshots.append(jax.device_get(params))
        snapshot_steps.append(0)
    done = 0
    with progress_bar(progress, n_steps) as bar:
        while done < n_steps:
            length = min(chunk, n_steps - done)
            scalars, recorded = run_chunk(scalars, np.empty(length // record_every))
            done += length
            recorded = np.asarray(recorded)
            bad = ~np.isfinite(recorded)
            if bad.any():
                row, member = np.argwhere(bad)[0]
                first = done - length + int(row) * record_every
                raise TrainingDiverged(f"non-finite loss by step {first} in ensemble member {int(member)}; "
                                       "lower the learning rate")
            losses.append(recorded)
            if snapshot_every and (done % snapshot_every == 0 or done == n_steps):
                snapshots.append(jax.device_get(_from_scalars(scalars)))
                snapshot_steps.append(done)
            bar.update(done)
    final = jax.device_get(_from_scalars(scalars))
    stacked = jax.tree_util.tree_map(lambda *a: np.stack(a), *snapshots) if snapshots else None
    return TrainResult(params=final, opt_state=None, aux=None, steps=np.arange(0, n_steps, record_every),
                       loss=np.concatenate(losses, axis=0), metrics={},
                       snapshot_steps=np.asarray(snapshot_steps, np.int64), snapshots=stacked, frozen_members=[],
                       path="small_ensemble")
