r"""The BIMT training recipe, for any network with a :class:`~toyscope.bimt.NetworkLayout`.

One training of ``n_networks`` networks (vmapped) with Adam on ``loss_fn`` plus
:math:`\lambda(t)\,(\ell_w + \ell_b)` (the connection cost, :func:`~toyscope.bimt.connection_cost`)
on a piecewise-constant :math:`\lambda` schedule, and a round of neuron swaps
(:func:`~toyscope.bimt.swap_neurons`) every ``swap_every`` steps, through
``toyscope.train.train``. The methods of the paper's ablation (Figure 2, Tables 1-2):

* ``vanilla``: no penalty, no swaps;
* ``l1``: the penalty with :math:`A = 0` (every length :math:`y^*`: plain L1);
* ``l1-local``: the penalty with the local geometry (:math:`A > 0`);
* ``l1-swap``: the :math:`A = 0` penalty, swaps scored with the local geometry;
* ``bimt``: local penalty and swaps.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 2 and Figure 2.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from .. import train
from ._cost import connection_cost, connection_cost_terms
from ._geometry import network_distances
from ._layout import NetworkLayout
from ._swaps import SWAP_LOOPS, SWAP_SCORES, swap_hook

METHODS = ("vanilla", "l1", "l1-local", "l1-swap", "bimt")


@dataclasses.dataclass(frozen=True)
class BimtMethod:
    """Which parts of BIMT a training uses, and their settings.

    Attributes:
        name: one of :data:`METHODS`.
        lambdas, lambda_steps: the :math:`\\lambda` schedule (``lambdas[i]`` for ``lambda_steps[i]`` steps).
        extent: :math:`A`, the width of every line (local geometry).
        layer_gap: :math:`y^*`, the distance between lines.
        norm: ``"l1"`` or ``"l2"`` connection lengths.
        normalization: the cost's ``"sum"`` (paper) or per-linear-layer ``"mean"`` (authors' code).
        penalize_bias: include the bias term of the cost.
        top_k: :math:`k`, neurons per group that look for a swap partner.
        swap_every: :math:`S`, steps between swap rounds.
        swap_inputs, swap_outputs: whether input and output neurons may move.
        swap_loop: ``"neuron"`` (toyscope's: follow each important neuron) or ``"position"`` (the
            authors' code: fixed top-k slots), see :func:`~toyscope.bimt.swap_neurons`.
        swap_score: ``"with-embedding"`` (toyscope's) or ``"weights"`` (the authors').
        bias_penalty_from: the first step whose penalty includes the bias term (0: every step;
            the authors' symbolic notebooks: the last quarter).
        last_layer_distance: whether the last linear layer's weights pay the local distance in the
            penalty (``False``: only :math:`y^*`, as the authors' MNIST notebook trains; swaps are
            still scored with it).
        swap_extent: :math:`A` of the geometry swaps are scored with (``None``: ``extent``; the
            authors' S4 notebook trains at 1 and scores at 2).
    """

    name: str
    lambdas: tuple[float, ...]
    lambda_steps: tuple[int, ...]
    extent: float = 2.0
    layer_gap: float = 0.1
    norm: str = "l1"
    normalization: str = "sum"
    penalize_bias: bool = True
    top_k: int = 6
    swap_every: int = 200
    swap_inputs: bool = True
    swap_outputs: bool = True
    swap_loop: str = "neuron"
    swap_score: str = "with-embedding"
    bias_penalty_from: int = 0
    last_layer_distance: bool = True
    swap_extent: float | None = None

    def __post_init__(self):
        if self.name not in METHODS:
            raise ValueError(f"unknown BIMT method {self.name!r}; valid: {', '.join(METHODS)}")
        if len(self.lambdas) != len(self.lambda_steps):
            raise ValueError(f"lambdas and lambda_steps need equal lengths, got {len(self.lambdas)} and "
                             f"{len(self.lambda_steps)}")
        if self.swap_loop not in SWAP_LOOPS:
            raise ValueError(f"unknown swap_loop {self.swap_loop!r}; valid: {', '.join(SWAP_LOOPS)}")
        if self.swap_score not in SWAP_SCORES:
            raise ValueError(f"unknown swap_score {self.swap_score!r}; valid: {', '.join(SWAP_SCORES)}")
        if isinstance(self.bias_penalty_from, bool) or not isinstance(self.bias_penalty_from, (int, np.integer)) \
                or self.bias_penalty_from < 0:
            raise ValueError(f"bias_penalty_from must be a step >= 0, got {self.bias_penalty_from!r}")
        if self.swap_extent is not None and not (np.isfinite(self.swap_extent) and self.swap_extent >= 0):
            raise ValueError(f"swap_extent must be a finite A >= 0 (or None: extent), got {self.swap_extent!r}")

    @property
    def penalised(self) -> bool:
        """Whether the connection cost is added to the loss."""
        return self.name != "vanilla"

    @property
    def local_penalty(self) -> bool:
        """Whether the penalty uses the local geometry (else :math:`A = 0`, plain L1)."""
        return self.name in ("l1-local", "bimt")

    @property
    def swaps(self) -> bool:
        """Whether neurons are swapped."""
        return self.name in ("l1-swap", "bimt")


def replacement_order(n_examples: int, *, n_networks: int, n_steps: int, batch_size: int, seed: int):
    """Minibatch indices drawn with replacement, as the authors' code does:
    ``(n_networks, n_steps, batch_size)`` int32 (``toyscope.train.train``'s ``order``), from
    ``numpy.random.default_rng(seed)``."""
    order = np.random.default_rng(seed).integers(0, n_examples, size=(n_networks, n_steps, batch_size))
    return jnp.asarray(order, jnp.int32)


def train_bimt(layout: NetworkLayout, loss_fn: Callable, params, data: dict, *, method: BimtMethod, n_networks: int,
               n_steps: int, learning_rate: float, metrics: dict | None = None, batch_size: int | None = None,
               key=None, order=None, record_every: int, snapshot_every: int, checkpointer=None,
               divergence: train.DivergenceRule | None = None, progress: str | None = None):
    """Train ``n_networks`` networks with a BIMT ``method`` (see the module docstring).

    Args:
        layout: the network's layout (:func:`~toyscope.bimt.mlp_layout`, :func:`~toyscope.bimt.transformer_layout`).
        loss_fn: ``(params, batch) -> scalar`` for ONE network, without the penalty.
        params: ``n_networks`` networks' params (leading ensemble axis).
        data: the training arrays (``{"x": ..., "y": ...}``), shared by all networks.
        method: the method and its settings.
        n_steps, learning_rate: Adam's steps and learning rate.
        metrics: ``{name: params -> scalar}`` recorded every ``record_every`` steps.
        batch_size: minibatches of this size (``None``: full batch), drawn from ``key`` or given
            as ``order`` (:func:`replacement_order`).
        record_every, snapshot_every: how often to record metrics and keep params.
        checkpointer, divergence, progress: passed to ``toyscope.train.train`` (``divergence`` is a
            :class:`toyscope.train.DivergenceRule` on the data loss, never the penalised loss).

    Returns:
        ``toyscope.train.train``'s result; ``result.aux["n_swaps"]`` ``(n_networks,)`` counts the swaps.

    Example:
        >>> import jax
        >>> from toyscope import bimt, nets, tasks
        >>> spec = nets.layered_network([4, 8, 2])
        >>> layout = bimt.mlp_layout(spec)
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=2)
        >>> method = bimt.BimtMethod("bimt", (1e-3,), (200,), swap_every=50)
        >>> result = bimt.train_bimt(layout, bimt.layered_loss(spec, "mse"), params,
        ...                          tasks.symbolic_task("a", 32, 8, seed=0)["train"], method=method, n_networks=2,
        ...                          n_steps=200, learning_rate=1e-3, record_every=50, snapshot_every=200)
        >>> result.aux["n_swaps"].shape
        (2,)
    """
    local = network_distances(layout, extent=method.extent, layer_gap=method.layer_gap, norm=method.norm)
    flat = network_distances(layout, extent=0.0, layer_gap=method.layer_gap, norm=method.norm)
    penalty = dict(local if method.local_penalty else flat)
    if not method.last_layer_distance:
        penalty.update({path: flat[path] for path in layout.linear_layers[-1].paths})
    penalty = {k: jnp.asarray(v) for k, v in penalty.items()}
    lambdas = train.piecewise_constant(method.lambdas, method.lambda_steps)
    regularizer, schedule = None, lambdas
    if method.penalised and method.penalize_bias and method.bias_penalty_from > 0:
        def regularizer(p):  # [weights' term, biases' term], the second switched on at bias_penalty_from
            return connection_cost_terms(layout, p, penalty, layer_gap=method.layer_gap,
                                         normalization=method.normalization)

        def schedule(step):
            lam = lambdas(step)
            return jnp.stack([lam, jnp.where(step >= method.bias_penalty_from, lam, jnp.zeros_like(lam))])
    elif method.penalised:
        def regularizer(p):
            return connection_cost(layout, p, penalty, layer_gap=method.layer_gap, penalize_bias=method.penalize_bias,
                                   normalization=method.normalization)
    hook = None
    if method.swaps:
        scored = local if method.swap_extent is None else network_distances(
            layout, extent=method.swap_extent, layer_gap=method.layer_gap, norm=method.norm)
        hook = swap_hook(layout, scored, top_k=method.top_k, swap_inputs=method.swap_inputs,
                         swap_outputs=method.swap_outputs, normalization=method.normalization,
                         loop=method.swap_loop, score=method.swap_score)
    return train.train(
        loss_fn, params, {k: jnp.asarray(v) for k, v in data.items()},
        optimizer=train.Optimizer("adam", learning_rate), n_steps=n_steps,
        batching=train.Minibatch(batch_size, key=key, order=order) if batch_size else train.FullBatch(),
        regularizer=None if regularizer is None else train.Regularizer(regularizer, schedule),
        hook=None if hook is None else train.PeriodicHook(hook, method.swap_every),
        aux={"n_swaps": jnp.zeros((n_networks,), jnp.int32)},
        record=train.Record(every=record_every, snapshot_every=snapshot_every, metrics=metrics),
        checkpointer=checkpointer, divergence=divergence, progress=progress)
