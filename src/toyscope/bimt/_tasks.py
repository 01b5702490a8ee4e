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
    learning_rate: float = 1e-3  # Adam (the notebooks' AdamW with weight decay 0 is the same update)
    extent: float = 2.0  # A
    swap_every: int = 200  # S (a period longer than training: no swaps)
    swap_loop: str = "neuron"  # toyscope.bimt.swap_neurons' loop
    swap_score: str = "with-embedding"  # toyscope.bimt.swap_neurons' score
    n_train: int | None = None  # two moons: points per split (None: the task's default)
    mnist_data: str = "test-split"  # mnist: "test-split" (10k test images, 80/20) or "standard" (60k / 10k)
    bias_penalty_from: int = 0  # first step whose penalty includes the biases (of n_steps; scaled with it)
    last_layer_distance: bool = True  # the last layer's weights pay the distance term in the penalty
    swap_extent: float | None = None  # A of the swap scores (None: extent)
    data_draw: str = "generator"  # toyscope.tasks' draw: "generator" or "legacy" (numpy.random.RandomState)
    data_seed: int | None = None  # seed of the data draw (None: the run's seed)


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


# The authors' notebooks (KindXiaoming/BIMT), where they differ from the paper's text; each value is
# cited as notebook, cell. Common to all: AdamW with weight_decay 0 (= Adam), their swap loop and
# weights-only score (the BioMLP class: symbolic_formulas_3.1 cell 2, modular_addition_3.3 cell 1),
# coordinates in [0, 1] with a distance factor ("weight_factor") = our A.
# Data: the notebooks draw with numpy's global RandomState after np.random.seed(s) (toyscope.tasks'
# draw="legacy" repeats those draws); MNIST's and in-context's draws use torch's generator, which
# toyscope does not repeat (named in docs/results/bimt.md).
_AUTHORS = dict(swap_loop="position", swap_score="weights")
# symbolic cells 2, 4: top_k 5, AdamW lr 2e-3, weight_factor 1; biases penalised only from step
# int(3 * steps / 4) = 15,000 ("do not penalize bias at first"); inputs np.random.rand(100, d) * 2 - 1,
# train then test
_NOTEBOOK_SYMBOLIC = dict(_SYMBOLIC, top_k=5, learning_rate=2e-3, extent=1.0, bias_penalty_from=15_000,
                          data_draw="legacy", **_AUTHORS)
NOTEBOOK_SETUPS: dict[str, TaskSetup] = {
    "symbolic-a": dataclasses.replace(PAPER_SETUPS["symbolic-a"], **_NOTEBOOK_SYMBOLIC, data_seed=0),  # cell 4
    "symbolic-b": dataclasses.replace(PAPER_SETUPS["symbolic-b"], **_NOTEBOOK_SYMBOLIC, data_seed=4),  # cell 7
    # cell 10: lambda x3 at step 5k, x1 at 15k; seed 3
    "symbolic-c": dataclasses.replace(PAPER_SETUPS["symbolic-c"], **{**_NOTEBOOK_SYMBOLIC, "lambdas": (1e-3, 3e-3, 3e-3)},
                                      data_seed=3),
    # two_moon_3.2 cell 1: 10,001 steps, lambda 1e-3 then 1e-2 from step 5000, l0 = 0.2, top_k = 10,
    # weight_factor 1, lr 2e-3, make_moons 200 train then 200 test, noise 0.1, after np.random.seed(1)
    "two-moons": dataclasses.replace(PAPER_SETUPS["two-moons"], lambdas=(1e-3, 1e-2), lambda_steps=(5000, 5000),
                                     n_steps=10_000, layer_gap=0.2, top_k=10, extent=1.0, learning_rate=2e-3,
                                     n_train=200, data_draw="legacy", data_seed=1, **_AUTHORS),
    # modular_addition_3.3 cells 1-2: as the paper (lr 1e-3, lambda 0.1/1/0.1, weight_factor 2, l0 0.5, top_k 30);
    # train pairs np.random.choice(59**2, int(0.8 * 59**2), replace=False) after np.random.seed(4)
    "mod-add": dataclasses.replace(PAPER_SETUPS["mod-add"], data_draw="legacy", data_seed=4, **_AUTHORS),
    # permutation_S4_3.3 cell 3: lambda 1 constant, lr 2e-3, weight_factor 1 in training; swaps scored by
    # get_cc()'s default weight_factor 2.0 (cell 1); train pairs np.random.choice(24**2, 460) after seed 1
    "permutation-s4": dataclasses.replace(PAPER_SETUPS["permutation-s4"], lambdas=(1.0,), lambda_steps=(20_000,),
                                          learning_rate=2e-3, extent=1.0, swap_extent=2.0, data_draw="legacy",
                                          data_seed=1, **_AUTHORS),
    # mnist_3.5 cells 1 and 3: the 60k training split, lambda 0.01, x10 at 10k, x10 at 20k, for 40k steps; swaps every 500
    # steps, of every layer including the input pixels (relocate from i = 0); top_k 30, l0 0.5; the last layer
    # trained without the distance term (get_cc(weight_factor=2.0, no_penalize_last=True)), swaps scored with it
    "mnist": dataclasses.replace(PAPER_SETUPS["mnist"], lambdas=(0.01, 0.1, 1.0), lambda_steps=(10_000, 10_000, 20_000),
                                 swap_every=500, swap_inputs=True, mnist_data="standard", last_layer_distance=False,
                                 **_AUTHORS),
    # incontext_3.4 cells 4-5: lambda 1e-3, x10 at 10k, x10 at 30k, over 40k; top_k 20; swap_log 1e6: no swaps
    "in-context": dataclasses.replace(PAPER_SETUPS["in-context"], lambdas=(1e-3, 1e-2, 0.1),
                                      lambda_steps=(10_000, 20_000, 10_000), top_k=20, swap_every=10 ** 9, **_AUTHORS),
}
SETTINGS = ("paper", "notebook")


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
