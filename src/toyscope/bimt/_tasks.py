r"""The paper's per-task settings and the losses of its tasks, for the study and the benchmarks.

:data:`PAPER_SETUPS` holds, for each task of Tables 1-2, the network widths, loss, :math:`\lambda`
schedule, :math:`y^*`, :math:`k`, cost normalisation and training length the paper (or, where it
is silent, the authors' code) uses; :func:`own_task_setup` the same settings for a task of your
own (a formula: as the symbolic tasks; labelled data: as two moons). :func:`layered_loss` and :func:`layered_metrics` are the MLP
tasks' loss and test metrics; :func:`in_context_losses` the in-context task's (Section 3.4): MSE
of :math:`y` at both x-tokens for training, and at the last token for the reported test loss.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Sections 3.1-3.5 and Tables 1-2.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp

from .. import nets, train


@dataclasses.dataclass(frozen=True)
class TaskSetup:
    """The paper's settings for one task."""

    widths: tuple[int, ...]  # neuron layers; with tokens the first is the embedding dimension
    loss: str
    lambdas: tuple[float, ...]
    lambda_steps: tuple[int, ...]
    layer_gap: float
    top_k: int
    normalization: str
    n_tokens: int = 0
    n_steps: int = 20_000
    accuracy: bool = False  # report test accuracy (classification)
    layer_shapes: tuple | None = None  # grids for a 3-D embedding (None: every layer a line)
    batch_size: int | None = None  # minibatches instead of full batch
    swap_inputs: bool = True


_SYMBOLIC = dict(loss="mse", lambdas=(1e-3, 1e-2, 1e-3), lambda_steps=(5000, 10000, 5000), layer_gap=0.1, top_k=6,
                 normalization="sum")
_GROUP = dict(loss="softmax_ce", lambdas=(0.1, 1.0, 0.1), lambda_steps=(5000, 10000, 5000), layer_gap=0.5, top_k=30,
              normalization="mean", n_tokens=2, accuracy=True)
PAPER_SETUPS: dict[str, TaskSetup] = {
    "symbolic-a": TaskSetup(widths=(4, 20, 20, 2), **_SYMBOLIC),
    "symbolic-b": TaskSetup(widths=(3, 20, 20, 3), **_SYMBOLIC),
    "symbolic-c": TaskSetup(widths=(4, 20, 20, 20, 20, 1), **_SYMBOLIC),
    "two-moons": TaskSetup(widths=(2, 20, 20, 2), loss="softmax_ce", lambdas=(0.01,), lambda_steps=(20000,),
                           layer_gap=0.1, top_k=6, normalization="sum", accuracy=True),
    "mod-add": TaskSetup(widths=(32, 50, 50, 59), **_GROUP),
    "permutation-s4": TaskSetup(widths=(32, 50, 50, 24), **_GROUP),
    # Section 3.5: 28x28 input grid, 10x10 hidden grids (3-D embedding), no input swaps, MSE on one-hot,
    # minibatches of 100 and per-layer mean cost as in the authors' notebook
    "mnist": TaskSetup(widths=(784, 100, 100, 10), loss="mse", lambdas=(1e-3, 1e-2, 0.1, 0.3),
                       lambda_steps=(10000, 10000, 10000, 10000), layer_gap=0.5, top_k=30, normalization="mean",
                       n_steps=40_000, accuracy=True, layer_shapes=((28, 28), (10, 10), (10, 10), 10), batch_size=100,
                       swap_inputs=False),
    # Section 3.4: a 2-layer, 1-head, width-32 transformer (widths unused), minibatches of 64 and per-layer mean
    # cost as in the authors' notebook
    "in-context": TaskSetup(widths=(2, 32, 2), loss="mse", lambdas=(1e-3, 1e-2, 0.1, 0.3),
                            lambda_steps=(10000, 10000, 10000, 10000), layer_gap=0.5, top_k=30, normalization="mean",
                            n_steps=40_000, batch_size=64),
}


def own_task_setup(kind: str, widths) -> TaskSetup:
    r"""Settings for a task of your own (a typed formula or an ``.npz`` file) with neuron layers ``widths``.

    A ``"regression"`` trains like the paper's symbolic formulas (MSE, :math:`\lambda` =
    (1e-3, 1e-2, 1e-3) for (5k, 10k, 5k) of 20k steps, :math:`y^*` = 0.1, k = 6, summed cost); a
    ``"classification"`` like two moons (softmax cross-entropy on integer labels, constant
    :math:`\lambda` = 0.01, test accuracy reported). The loss follows the task's kind.

    Args:
        kind: ``"regression"`` or ``"classification"``.
        widths: ``(d_in, hidden..., d_out)``; for a classification ``d_out`` is the number of classes.

    Raises:
        ValueError: an unknown ``kind``, fewer than 2 widths or a width < 1.

    Example:
        >>> own_task_setup("classification", (2, 20, 20, 3)).loss
        'softmax_ce'
    """
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must be at least (d_in, d_out), each >= 1, got {widths}")
    if kind == "regression":
        return TaskSetup(widths=widths, **_SYMBOLIC)
    if kind == "classification":
        return dataclasses.replace(PAPER_SETUPS["two-moons"], widths=widths)
    raise ValueError(f"kind must be 'regression' or 'classification', got {kind!r}")


def scaled_schedule(setup: TaskSetup, n_steps: int) -> tuple[int, ...]:
    """The paper's :math:`\\lambda` schedule durations scaled to ``n_steps`` (each at least 1)."""
    return tuple(max(1, int(round(n_steps * d / sum(setup.lambda_steps)))) for d in setup.lambda_steps)


def layered_loss(spec: nets.LayeredNetwork, loss: str) -> Callable:
    """``(params, batch) -> loss`` of ONE BIMT MLP on ``batch["x"]``, ``batch["y"]`` (``loss``:
    a ``toyscope.train.loss_function`` name)."""
    loss_of = train.loss_function(loss)

    def loss_fn(params, batch):
        return loss_of(nets.apply(spec, params, batch["x"]), batch["y"])

    return loss_fn


def layered_metrics(spec: nets.LayeredNetwork, loss_fn: Callable, test: dict, *, accuracy: bool) -> dict:
    """``{"test_loss": params -> loss on test}`` and, for classification, ``"test_accuracy"``
    (argmax against labels, or against the argmax of one-hot targets)."""
    metrics = {"test_loss": lambda p: loss_fn(p, test)}
    if accuracy:
        labels = test["y"] if test["y"].ndim == 1 else jnp.argmax(test["y"], -1)
        metrics["test_accuracy"] = lambda p: jnp.mean(
            jnp.argmax(nets.apply(spec, p, test["x"]), -1) == labels)
    return metrics


def in_context_losses(spec: nets.TinyTransformer) -> tuple[Callable, Callable]:
    """``(loss, last_token_loss)``, each ``(params, batch) -> MSE`` of ONE tiny transformer on
    in-context regression (:func:`toyscope.tasks.in_context_regression_task`): the prediction at
    every x-token (positions ``0, 2, ...``) against ``batch["y"]``, and at the last token only."""
    def loss_fn(params, batch):
        return jnp.mean((nets.apply(spec, params, batch["x"])[..., 0::2, 0] - batch["y"]) ** 2)

    def last_loss(params, batch):
        return jnp.mean((nets.apply(spec, params, batch["x"])[..., -1, 0] - batch["y"][..., -1]) ** 2)

    return loss_fn, last_loss
