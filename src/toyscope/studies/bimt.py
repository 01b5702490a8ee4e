r"""Brain-inspired modular training (BIMT): connection cost, neuron swaps, modularity.

Reproduces Liu, Gan & Tegmark, "Seeing is believing: brain-inspired modular training for
mechanistic interpretability", Entropy 26 (2024) 41 (``../shared/papers/bimt-modular-training.txt``):
one task and one training method per run, ``n_seeds`` seeds trained at once (vmapped).

* tasks: ``symbolic-a``/``-b``/``-c`` (Section 3.1, Figure 3), ``two-moons`` (Section 3.2,
  Figure 4), ``mod-add`` and ``permutation-s4`` (Section 3.3, Figures 5-6), ``in-context``
  (Section 3.4, Figure 7: a tiny transformer, see ``_bimt_in_context``); and your own: ``formula``
  (``--set formula="y1 = x1*x3; y2 = x2 + x4**2"``, inputs drawn as the symbolic tasks') and
  ``file`` (``--set data=F.npz`` with arrays ``x``, ``y``: a regression or a classification), with
  ``hidden_widths`` set by config and the loss chosen from the task's kind;
* methods: ``vanilla``, ``l1`` (A = 0), ``l1-local``, ``l1-swap`` (A = 0 penalty, swaps scored
  with the local geometry), ``bimt`` (local + swap) (Figure 2, Tables 1-2);
* outputs: test loss or accuracy, Newman modularity (Table 2), active weights, swaps, the final
  connectivity graph, its evolution, loss curves, the pruning frontier (Appendix A), module
  knock-outs (mod-add) and active embedding neurons with the sign neuron (S4);
* presets: ``smoke``, and ``figure2``: Figure 2's task (Appendix A) for one method (the study
  ``bimt-methods`` runs all five and checks Figures 2 and A1).

Everything is composed from ``toyscope.bimt`` (the network's layout, geometry, cost, swaps, the
training recipe, the paper's settings and its Section 3.3 measurements), ``toyscope.analysis``
(modularity, pruning, intervals), ``toyscope.tasks`` and ``toyscope.viz``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator, PrivateAttr

from .. import analysis, bimt, nets, tasks, viz
from ..analysis import format_number
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table
from ._headlines import Headline, Within
from ._bimt_in_context import DIVERGENCE, member, run_in_context, slot_names, without_diverged
from ._memory import MemoryEstimate
from ._module_section import module_section

# the tasks, in the column order of the paper's Tables 1-2
TASK_NAMES = ("symbolic-a", "symbolic-b", "symbolic-c", "two-moons", "mod-add", "permutation-s4", "in-context", "mnist")
METHODS = bimt.METHODS
OWN_TASKS = ("formula", "file")  # tasks of your own (not in the paper's tables)


# the paper's settings per task (toyscope.bimt.PAPER_SETUPS)
TaskSetup = bimt.TaskSetup
TASK_SETUPS: dict[str, TaskSetup] = bimt.PAPER_SETUPS


class BimtConfig(StudyConfig):
    """One task, one method, ``n_seeds`` seeds vmapped. ``None`` means the task's paper value."""

    # one-line descriptions of the keys (``toyscope config bimt``); none = the task's paper value
    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "task": "task of the paper (Sections 3.1-3.5), or your own: formula, file",
        "method": "training method (vanilla, L1, L1 with locality, L1 with swaps, BIMT)",
        "settings": "built-in tasks: the paper's settings, or those of the authors' notebooks (keys you set win)",
        "swap_loop": "swap loop: follow each important neuron, or the authors' fixed top-k positions (none: the settings')",
        "mnist_data": "mnist: test-split (10k test images split 80/20) or standard (60k train / 10k test) (none: the settings')",
        "swap_score": "swap score: weights and embedding, or the authors' weights only (none: the settings')",
        "n_seeds": "initialisation seeds, vmapped",
        "n_steps": "training steps (none: the task's paper value)",
        "learning_rate": "Adam learning rate",
        "lambdas": "penalty strength of each phase (none: the task's schedule)",
        "lambda_steps": "steps of each phase (none: the task's schedule)",
        "extent": "width A of the neuron layout",
        "layer_gap": "distance y* between layers (none: the task's)",
        "top_k": "neurons per layer tried for swaps (none: the task's)",
        "swap_every": "steps between swap rounds",
        "norm": "weight norm of the connection cost",
        "normalization": "cost summed or averaged per layer (none: the task's)",
        "penalize_bias": "include biases in the cost",
        "swap_inputs": "allow swapping input neurons",
        "swap_outputs": "allow swapping output neurons",
        "n_snapshots": "snapshots of the connectivity during training",
        "active_threshold": "a weight counts as active above this |w|",
        "n_train": "training examples (symbolic and two-moons tasks)",
        "n_test": "test examples (symbolic and two-moons tasks)",
        "n_sequences": "in-context: sequences (80/20 split)",
        "w_range": "in-context: w ~ U[w_range]",
        "x_range": "in-context: x ~ U[x_range]",
        "d_model": "in-context: transformer width (MLP 4x)",
        "mlp_activation": "in-context: the MLPs' GELU (authors' code: gelu_tanh)",
        "formula": "task=formula: outputs as formulas of x1..xn, e.g. \"y1 = x1*x3; y2 = x2 + x4**2\"",
        "n_inputs": "task=formula: number of inputs (none: the highest index the formula uses)",
        "data": "task=file: an .npz file with arrays x and y (integer y: classification, float y: regression)",
        "test_fraction": "task=file: share of the examples held out (none: 0.2)",
        "hidden_widths": "task=formula/file: hidden layer widths (none: [20, 20] as the symbolic tasks)",
    }

    task: Literal["symbolic-a", "symbolic-b", "symbolic-c", "two-moons", "mod-add", "permutation-s4", "in-context",
                  "mnist", "formula", "file"] = "symbolic-a"
    method: Literal["vanilla", "l1", "l1-local", "l1-swap", "bimt"] = "bimt"
    settings: Literal["paper", "notebook"] = "paper"
    swap_loop: Literal["neuron", "position"] | None = None
    swap_score: Literal["with-embedding", "weights"] | None = None
    mnist_data: Literal["test-split", "standard"] | None = None
    n_seeds: int = 1
    n_steps: int | None = None
    learning_rate: float = 1e-3
    lambdas: list[float] | None = None
    lambda_steps: list[int] | None = None
    extent: float = 2.0
    layer_gap: float | None = None
    top_k: int | None = None
    swap_every: int = 200
    norm: Literal["l1", "l2"] = "l1"
    normalization: Literal["sum", "mean"] | None = None
    penalize_bias: bool = True
    swap_inputs: bool = True
    swap_outputs: bool = True
    n_snapshots: int = 4
    active_threshold: float = 1e-2
    n_train: int = 100
    n_test: int = 100
    n_sequences: int = 10_000  # in-context: sequences (80/20 split)
    w_range: list[float] = [-1.0, 1.0]  # in-context: w ~ U[w_range] (authors' code; see _bimt_in_context)
    x_range: list[float] = [1.0, 3.0]  # in-context: x ~ U[x_range]
    d_model: int = 32  # in-context: transformer width (MLP 4x); the smoke preset shrinks it
    mlp_activation: Literal["gelu", "gelu_tanh"] = "gelu"  # in-context: the MLPs' GELU (authors' code: gelu_tanh)
    formula: str | None = None  # task=formula: "y1 = x1*x3; y2 = x2 + x4**2" (toyscope.tasks.parse_formula)
    n_inputs: int | None = None  # task=formula: inputs x1..xn (None: the highest index the formula uses)
    data: str | None = None  # task=file: an .npz file with arrays x and y (toyscope.tasks.load_arrays)
    test_fraction: float | None = None  # task=file: share of the examples held out (None: 0.2)
    hidden_widths: list[int] | None = None  # task=formula/file: hidden layers (None: [20, 20] as the symbolic tasks)
    _own: tuple | None = PrivateAttr(None)  # task=formula/file: (kind, widths, n_train, n_test), set by _check

    def peak_memory(self) -> MemoryEstimate:
        """Estimated peak memory (bytes by part), from the config alone: float32 params of
        ``n_seeds`` networks times (snapshots + about 12 working copies: Adam's two moments,
        gradients, the state, the swap hook's candidates), the data (MNIST: 70,000 images of
        784 pixels, twice), and the activations of a batch forward and backward (3 copies). The
        in-context transformer counts about 16 d_model^2 parameters per layer (2 layers)."""
        setup = task_setup(self)
        widths = list(setup.widths)
        n_train, n_test = self._own[2:] if self._own is not None else (self.n_train, self.n_test)
        if self.task == "in-context":
            n_params, n_examples, width_sum = 2 * 16 * self.d_model ** 2, self.n_sequences, 8 * self.d_model
            data = 4 * 2 * 16 * self.n_sequences
        else:
            n_params = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
            n_examples, width_sum = (setup.batch_size or n_train), sum(widths)
            data = 2 * 4 * 70_000 * 794 if self.task == "mnist" else 4 * (n_train + n_test) * (widths[0] + widths[-1])
        return MemoryEstimate({
            "params, optimiser state and snapshots": 4 * self.n_seeds * n_params * (self.n_snapshots + 12),
            "data": data,
            "activations": 3 * 4 * self.n_seeds * n_examples * width_sum,
        })

    PRESETS = {"default": {}, "smoke": {"n_steps": 1000, "n_seeds": 2, "n_snapshots": 2, "d_model": 8,
                                        "n_sequences": 500},
               # Figure 2's task (Appendix A), one method per run (bimt-methods runs all five); ~50 s here
               "figure2": {"task": "formula", "formula": bimt.FIGURE2_FORMULA, "n_seeds": 5}}

    @field_validator("data")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        """The data file as an absolute path (a resume from another folder reads the same file)."""
        return None if value is None else str(Path(value).expanduser().absolute())

    @model_validator(mode="after")
    def _check(self):
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds must be >= 1, got {self.n_seeds}")
        if self.n_steps is not None and (self.n_steps < 100 or self.n_steps % 100):
            raise ValueError(f"n_steps must be a positive multiple of 100, got {self.n_steps}")
        if self.n_snapshots < 1 or 100 % self.n_snapshots:
            raise ValueError(f"n_snapshots must divide 100, got {self.n_snapshots}")
        if self.lambda_steps is not None and self.lambdas is None:
            raise ValueError("lambda_steps needs lambdas")
        if self.lambdas is not None and self.lambda_steps is not None and len(self.lambdas) != len(self.lambda_steps):
            raise ValueError(f"lambdas and lambda_steps need equal lengths, got {len(self.lambdas)} and {len(self.lambda_steps)}")
        if self.swap_every < 1 or self.learning_rate <= 0 or self.extent < 0:
            raise ValueError("swap_every >= 1, learning_rate > 0 and extent >= 0 are required")
        for name in ("w_range", "x_range"):
            value = getattr(self, name)
            if len(value) != 2 or not value[1] > value[0]:
                raise ValueError(f"{name} must be [low, high] with high > low, got {value}")
        if self.d_model < 1:
            raise ValueError(f"d_model must be >= 1, got {self.d_model}")
        if self.n_sequences < 10:
            raise ValueError(f"n_sequences must be >= 10, got {self.n_sequences}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        self._own = _check_own_task(self)
        return self


@dataclasses.dataclass(frozen=True)
class Resolved:
    """The settings actually used (config over task defaults)."""

    setup: TaskSetup
    n_steps: int
    lambdas: tuple[float, ...]
    lambda_steps: tuple[int, ...]
    layer_gap: float
    top_k: int
    normalization: str
    learning_rate: float = 1e-3
    extent: float = 2.0
    swap_every: int = 200
    swap_loop: str = "neuron"
    swap_score: str = "with-embedding"


def _check_own_task(config: BimtConfig) -> tuple | None:
    """For task=formula/file: ``(kind, widths, n_train, n_test)``, after drawing or reading the data
    once (a bad formula, non-finite outputs or a bad file fail here, before anything is written);
    ``None`` for a built-in task. Each own-task key is refused on the tasks it does not apply to."""
    for name, used_by in (("formula", ("formula",)), ("n_inputs", ("formula",)), ("data", ("file",)),
                          ("test_fraction", ("file",)), ("hidden_widths", OWN_TASKS)):
        if getattr(config, name) is not None and config.task not in used_by:
            raise ValueError(f"{name} applies to task={' or task='.join(used_by)} only (the built-in tasks use the "
                             f"paper's settings), got task={config.task}")
    if config.task not in OWN_TASKS:
        return None
    if config.task == "formula" and config.formula is None:
        raise ValueError("task=formula needs a formula, e.g. --set formula=\"y1 = x1*x3; y2 = x2 + x4**2\"")
    if config.task == "file" and config.data is None:
        raise ValueError("task=file needs a data file: --set data=F.npz (arrays x and y, np.savez(path, x=x, y=y))")
    hidden = [20, 20] if config.hidden_widths is None else config.hidden_widths
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden_widths must be one or more widths >= 1, e.g. [20, 20], got {hidden}")
    data = load_task(config.task, n_train=config.n_train, n_test=config.n_test, seed=config.seed,
                     **_own_task_values(config))
    kind, n_in = data["kind"], data["train"]["x"].shape[1]
    n_out = data["n_outputs"] if kind == "classification" else data["train"]["y"].shape[1]
    return kind, (n_in, *hidden, n_out), len(data["train"]["x"]), len(data["test"]["x"])


def _own_task_values(config: BimtConfig) -> dict:
    """The config values that make a task of your own (formula, n_inputs, data, test_fraction)."""
    return {"formula": config.formula, "n_inputs": config.n_inputs, "data": config.data,
            "test_fraction": config.test_fraction}


def task_setup(config: BimtConfig) -> TaskSetup:
    """The paper's settings of a built-in task; for task=formula/file those of
    :func:`toyscope.bimt.own_task_setup` (regression: as the symbolic tasks, classification: as two
    moons) with the config's hidden widths."""
    if config.task not in OWN_TASKS:
        return (bimt.NOTEBOOK_SETUPS if config.settings == "notebook" else TASK_SETUPS)[config.task]
    own = config._own if config._own is not None else _check_own_task(config)
    return bimt.own_task_setup(own[0], own[1])


def resolve_settings(config: BimtConfig) -> Resolved:
    """Fill ``None`` fields from the task's settings (paper or notebook); a shorter run scales the λ
    schedule. ``learning_rate``, ``extent`` and ``swap_every`` come from the settings unless set."""
    setup = task_setup(config)
    n_steps = config.n_steps or setup.n_steps
    if config.lambdas is not None:
        lambdas = tuple(config.lambdas)
        lambda_steps = (tuple(config.lambda_steps) if config.lambda_steps is not None
                        else (max(1, n_steps // len(lambdas)),) * len(lambdas))
    else:
        lambdas = setup.lambdas
        lambda_steps = bimt.scaled_schedule(setup, n_steps)
    chosen = config.model_fields_set
    return Resolved(setup, n_steps, lambdas, lambda_steps, config.layer_gap or setup.layer_gap,
                    config.top_k or setup.top_k, config.normalization or setup.normalization,
                    learning_rate=config.learning_rate if "learning_rate" in chosen else setup.learning_rate,
                    extent=config.extent if "extent" in chosen else setup.extent,
                    swap_every=config.swap_every if "swap_every" in chosen else setup.swap_every,
                    swap_loop=config.swap_loop or setup.swap_loop, swap_score=config.swap_score or setup.swap_score)


def load_task(task: str, *, n_train: int, n_test: int, seed: int, formula: str | None = None,
              n_inputs: int | None = None, data: str | None = None, test_fraction: float | None = None,
              moons_points: int | None = None, mnist_data: str = "test-split", draw: str = "generator") -> dict:
    """An MLP task's train/test data (drawn once from ``seed``; shared by all seeds); ``formula``
    and ``n_inputs`` make task=formula, ``data`` and ``test_fraction`` task=file; ``moons_points``
    (two moons) points per split (None: the task's default); ``mnist_data`` ``"test-split"`` or
    ``"standard"`` (:func:`toyscope.tasks.mnist_standard_task`); ``draw`` the symbolic, two-moons
    and group tasks' draw (``toyscope.tasks``' ``"generator"`` or ``"legacy"``)."""
    if task == "formula":
        return tasks.formula_task(formula, n_train=n_train, n_test=n_test, seed=seed, n_inputs=n_inputs)
    if task == "file":
        return tasks.array_task(data, test_fraction=0.2 if test_fraction is None else test_fraction, seed=seed)
    if task.startswith("symbolic-"):
        return tasks.symbolic_task(task[-1], n_train, n_test, seed=seed, draw=draw)
    if task == "two-moons":
        if moons_points is not None:
            return tasks.two_moons_task(moons_points, moons_points, seed=seed, draw=draw)
        return tasks.two_moons_task(seed=seed, draw=draw)
    if task == "mod-add":
        return tasks.modular_addition_task(59, seed=seed, draw=draw)
    if task == "mnist":
        return tasks.mnist_standard_task() if mnist_data == "standard" else tasks.mnist_split_task(seed=seed)
    return tasks.permutation_task(4, seed=seed, draw=draw)


def data_seed(config: BimtConfig) -> int:
    """The seed of the data draw: the settings' own (the notebooks' ``np.random.seed``), else the run's."""
    seed = task_setup(config).data_seed
    return config.seed if seed is None else seed


def method_settings(config: BimtConfig, settings: Resolved) -> bimt.BimtMethod:
    """The BIMT method and settings of a run (config over the task's paper values)."""
    return bimt.BimtMethod(
        config.method, settings.lambdas, settings.lambda_steps, extent=settings.extent, layer_gap=settings.layer_gap,
        norm=config.norm, normalization=settings.normalization, penalize_bias=config.penalize_bias,
        top_k=settings.top_k, swap_every=settings.swap_every, swap_inputs=config.swap_inputs and settings.setup.swap_inputs,
        swap_outputs=config.swap_outputs, swap_loop=settings.swap_loop, swap_score=settings.swap_score,
        bias_penalty_from=round(settings.setup.bias_penalty_from * settings.n_steps / settings.setup.n_steps),
        last_layer_distance=settings.setup.last_layer_distance, swap_extent=settings.setup.swap_extent)


def _network(task: str, setup: TaskSetup, data: dict):
    """The task's BIMT MLP and its layout (token tasks: the output width is the vocabulary)."""
    widths = list(setup.widths)
    if task in ("mod-add", "permutation-s4"):
        widths[-1] = data["vocab_size"]
    spec = nets.layered_network(widths, "silu", n_tokens=setup.n_tokens,
                                vocab_size=data.get("vocab_size", 0) if setup.n_tokens else 0)
    return spec, bimt.mlp_layout(spec, line_shapes=setup.layer_shapes)


def _draw_kwargs(spec, data, params) -> dict:
    kwargs = {"n_tokens": spec.n_tokens, "output_names": slot_names(data["output_names"], params["output_order"])}
    if not spec.n_tokens:
        kwargs["input_names"] = slot_names(data["input_names"], params["input_order"])
    return kwargs


def _knockout_table(rows, n_test: int) -> list[list]:
    """Knock-out rows with each accuracy's Wilson 95% interval over ``n_test`` examples."""
    out = []
    for name, n_neurons, value in rows:
        low, high = analysis.proportion_interval(int(round(value * n_test)), n_test)
        out.append([name, n_neurons, value, f"[{low:.3f}, {high:.3f}]"])
    return out


@dataclasses.dataclass(frozen=True)
class TrainedTask:
    """One MLP task trained under one method (:func:`train_mlp_task`): the task's data, the
    settings used, the network and its BIMT layout, the loss and test metrics, and the training
    result with the diverged seeds left out (``n_diverged`` of them)."""

    data: dict
    settings: Resolved
    spec: nets.LayeredNetwork
    layout: bimt.NetworkLayout
    loss_fn: object
    metrics: dict
    test: dict
    result: object
    n_diverged: int


def train_mlp_task(config: BimtConfig, ctx, *, stage: str = "train") -> TrainedTask:
    """Draw (or read) an MLP task's data and train ``config.n_seeds`` seeds of ``config.method``
    on it with :func:`toyscope.bimt.train_bimt`; ``stage`` names the training checkpoint (several
    methods in one run folder need one each). Every task but in-context."""
    settings = resolve_settings(config)
    setup = settings.setup
    moons_points = setup.n_train if config.task == "two-moons" else None
    mnist_data = config.mnist_data or (setup.mnist_data if config.task == "mnist" else "test-split")
    data = ctx.cached("data", lambda: load_task(config.task, n_train=config.n_train, n_test=config.n_test,
                                                 seed=data_seed(config), moons_points=moons_points, mnist_data=mnist_data,
                                                 draw=setup.data_draw, **_own_task_values(config)))
    if "files" in data:
        ctx.data_files(data["files"])
    spec, layout = _network(config.task, setup, data)
    test = {k: jnp.asarray(v) for k, v in data["test"].items()}
    loss_fn = bimt.layered_loss(spec, setup.loss)
    metrics = bimt.layered_metrics(spec, loss_fn, test, accuracy=setup.accuracy)
    n_steps = settings.n_steps
    result = bimt.train_bimt(
        layout, loss_fn, nets.init(spec, key=jax.random.key(config.seed), n_networks=config.n_seeds),
        data["train"], method=method_settings(config, settings), n_networks=config.n_seeds, n_steps=n_steps,
        learning_rate=settings.learning_rate, metrics=metrics, batch_size=setup.batch_size,
        key=jax.random.key(config.seed + 1) if setup.batch_size else None, record_every=n_steps // 100,
        snapshot_every=n_steps // config.n_snapshots, checkpointer=ctx.checkpointer(stage),
        divergence=DIVERGENCE, progress=f"bimt {config.task} {config.method}")
    result, n_diverged = without_diverged(result)  # diverged seeds are left out of every analysis
    return TrainedTask(data, settings, spec, layout, loss_fn, metrics, test, result, n_diverged)


def run(config: BimtConfig, ctx) -> StudyResult:
    if config.task == "in-context":
        settings = resolve_settings(config)
        return run_in_context(config, settings, method_settings(config, settings), ctx)
    trained = train_mlp_task(config, ctx)
    data, settings, spec, layout = trained.data, trained.settings, trained.spec, trained.layout
    loss_fn, metrics, test, result, n_diverged = (trained.loss_fn, trained.metrics, trained.test, trained.result,
                                                  trained.n_diverged)
    setup = settings.setup
    coords = bimt.network_coordinates(layout, extent=settings.extent, layer_gap=settings.layer_gap)
    classification = setup.accuracy
    n_seeds = config.n_seeds - n_diverged
    members = [member(result.params, e) for e in range(n_seeds)]

    final_test_loss = np.array([float(metrics["test_loss"](jax.tree_util.tree_map(jnp.asarray, m))) for m in members])
    final_accuracy = (np.array([float(metrics["test_accuracy"](jax.tree_util.tree_map(jnp.asarray, m))) for m in members])
                      if classification else None)
    modularity, communities = zip(*(analysis.modularity(bimt.network_weights(layout, m), return_communities=True) for m in members))
    modularity = np.array(modularity)
    n_active = np.array([bimt.count_active_weights(layout, m, config.active_threshold) for m in members])
    n_swaps = np.asarray(result.aux["n_swaps"]).astype(int)

    summary = {
        "task": config.task, "method": config.method, "n_seeds": n_seeds, "n_steps": settings.n_steps,
        "test_loss": float(final_test_loss.mean()), "test_loss_std": float(final_test_loss.std()),
        "modularity": float(modularity.mean()), "modularity_std": float(modularity.std()),
        "n_active_weights": float(n_active.mean()), "n_swaps": float(n_swaps.mean()),
        "per_seed": {"test_loss": final_test_loss.tolist(), "modularity": modularity.tolist(),
                     "n_active_weights": n_active.tolist(), "n_swaps": n_swaps.tolist()},
    }
    if n_diverged:  # only when some seeds diverged, so existing summaries keep their keys
        summary["diverged_seeds"] = n_diverged
    if config.task in OWN_TASKS:  # only for your own tasks, so the built-in summaries keep their keys
        summary.update({"kind": data["kind"], "widths": list(setup.widths)})
        summary.update({"formula": data["formula"]} if config.task == "formula" else {"data_file": config.data})
    if classification:
        summary["test_accuracy"] = float(final_accuracy.mean())
        summary["test_accuracy_std"] = float(final_accuracy.std())
        summary["per_seed"]["test_accuracy"] = final_accuracy.tolist()

    # figures: final graph, evolution, loss curves, pruning frontier
    best = members[0]
    graph_fig = viz.connectivity_figure(bimt.network_weights(layout, best), coords, title=f"{config.task}, {config.method} (seed 0)",
                                        size=(5, 5), **_draw_kwargs(spec, data, best))
    panels = []
    for index, step in enumerate(result.snapshot_steps):
        snap = member(result.snapshots, (index, 0))
        panels.append((f"step {int(step)}", bimt.network_weights(layout, snap), _draw_kwargs(spec, data, snap)))
    evolution_fig = viz.connectivity_evolution_figure(panels, coords, n_tokens=spec.n_tokens)

    loss_fig = viz.penalised_training_figure(result.steps, result.loss, result.metrics["test_loss"],
                                             np.cumsum(settings.lambda_steps)[:-1])

    frontier_fig = viz.pruning_frontier_figure([
        analysis.pruning_frontier(jax.tree_util.tree_map(jnp.asarray, m), lambda p: loss_fn(p, test), n_thresholds=30)
        for m in members])

    metric_name = "test accuracy" if classification else "test loss"
    metric_values = final_accuracy if classification else final_test_loss
    metric_support = "fraction" if classification else "positive"
    headline = Table("headline", ["quantity", "centre [95% interval]", "per seed"], [
        [metric_name, analysis.format_mean_interval(metric_values, support=metric_support),
         ", ".join(f"{v:.3g}" for v in metric_values)],
        ["modularity Q", analysis.format_mean_interval(modularity), ", ".join(f"{v:.3f}" for v in modularity)],
        [f"active weights (|w| > {config.active_threshold})", analysis.format_mean_interval(n_active, support="positive"),
         ", ".join(map(str, n_active))],
        ["swaps", analysis.format_mean_interval(n_swaps), ", ".join(map(str, n_swaps))],
    ], caption=f"{n_seeds} seeds; 95% intervals over seeds (Student t; for the {metric_name} and the active "
               f"weights on the {'logit' if classification else 'log'} and log scale, so they stay in range; none "
               "below 3 seeds).")
    sections = [
        Section("Result", (
            f"Task {_task_label(config, data, setup)}, method {config.method}, {n_seeds} seed(s) trained at once for "
            f"{settings.n_steps:,} steps ({config.settings} settings; Adam, lr {settings.learning_rate}, λ {settings.lambdas} for "
            f"{settings.lambda_steps} steps, A = "
            f"{settings.extent}, y* = {settings.layer_gap}, k = {settings.top_k}, S = {settings.swap_every}, "
            f"swap loop '{settings.swap_loop}', swap score '{settings.swap_score}', "
            f"{config.norm} distances, cost normalization '{settings.normalization}'). Modularity: Newman Q of the "
            "|w|-weighted neuron graph with networkx greedy_modularity_communities (weight='weight', resolution=1)."
            + (f" {n_diverged} of {config.n_seeds} seeds diverged (test loss above {DIVERGENCE.max_loss:g} or a "
               f"weight above {DIVERGENCE.max_abs_weight:g}) and are left out." if n_diverged else "")),
            [Figure("graph", graph_fig, "Final connectivity graph of seed 0 (blue positive, red negative, width ∝ |w|/max|w| per layer).",
                    interactive=viz.connectivity_graph_figure(bimt.network_weights(layout, best), coords,
                                                              title=f"{config.task}, {config.method} (seed 0)",
                                                              **_draw_kwargs(spec, data, best))),
             Figure("evolution", evolution_fig, "Connectivity graph of seed 0 over training."),
             Figure("loss", loss_fig, "Train and test loss per seed (dotted lines: λ schedule changes).",
                    interactive=viz.training_curves_figure(result.steps, result.loss, result.metrics["test_loss"],
                                                           np.cumsum(settings.lambda_steps)[:-1])),
             Figure("pruning", frontier_fig, "Pruning frontier: surviving parameters vs test loss (Appendix A).")],
            [headline]),
    ]
    vector = not spec.n_tokens
    modules = analysis.network_modules(spec, best, data["test"]["x"] if vector else None,
                                       input_names=data.get("input_names") if vector else None,
                                       output_names=data.get("output_names"))
    sections.append(module_section(modules, lead="Seed 0's final network."))
    if len(members) > 1:  # every seed's modules, not only seed 0's
        rows = []
        for index, network in enumerate(members):
            report = modules if index == 0 else analysis.network_modules(
                spec, network, data["test"]["x"] if vector else None,
                input_names=data.get("input_names") if vector else None, output_names=data.get("output_names"))
            rows += [[index, *row] for row in report.rows()] or [[index, "none", "-", "-", "-", "-"]]
        sections.append(Section("Modules per seed", (
            f"The module report of every seed's final network (same threshold, {modules.threshold:g} x max|w|, "
            "and the same leak measure as seed 0's above)."),
            tables=[Table("modules_per_seed", ["seed", "module", "inputs", "outputs", "hidden neurons per layer",
                                               "largest leak"], rows,
                          "One row per module and seed; leak: an output's sensitivity to an input outside its module "
                          "over its mean sensitivity to its own inputs.")]))
    if config.task == "two-moons":
        sections.append(Section("Decision boundaries", (
            "Seed 0's probability of class 2 (softmax) at the snapshots of the evolution figure, with the test "
            "points (Figure 4, bottom)."), [Figure("decision", viz.decision_snapshots_figure(
                spec, [member(result.snapshots, (i, 0)) for i in range(len(result.snapshot_steps))],
                [f"step {int(step)}" for step in result.snapshot_steps], data["test"]["x"], data["test"]["y"]),
                                                  "Decision boundary of seed 0 over training.")]))
    if config.task == "mod-add":
        rows = _knockout_table(bimt.module_knockouts(spec, best, communities[0], data["test"]["x"], data["test"]["y"]),
                               len(data["test"]["y"]))
        sections.append(Section("Module knock-out", (
            "Seed 0: test accuracy after zeroing every weight into and out of the non-output neurons of each Newman "
            "module holding at least 5% of the total |w| (paper: 100% -> 15.25%, 29.33%, 33.67% for modules A, B, C)."),
            tables=[Table("knockout", ["module", "neurons", "test accuracy", "Wilson 95%"], rows)]))
        summary["knockout_accuracy"] = [r[2] for r in rows[1:]]
    if config.task == "permutation-s4":
        per_seed = [[list(row) for row in bimt.active_embedding_neurons(m, data["signs"], config.active_threshold)]
                    for m in members]
        counts = [len(rows) for rows in per_seed]
        sign_r = [max((abs(r[2]) for r in rows), default=0.0) for rows in per_seed]
        summary["n_active_embedding_neurons"] = float(np.mean(counts))
        summary["per_seed"]["n_active_embedding_neurons"] = counts
        summary["max_abs_sign_correlation"] = sign_r
        low, high = analysis.correlation_interval(sign_r[0], 24)
        sections.append(Section("Active embedding neurons", (
            f"Embedding positions with an outgoing |w| and an embedding entry above {config.active_threshold}: "
            f"{counts} per seed (paper: 9). Largest |correlation| of an active neuron's 24 values with the "
            f"permutation sign, seed 0: {sign_r[0]:.3f} [{low:.3f}, {high:.3f}] (Fisher 95%); a sign neuron has |r| = 1."),
            tables=[Table("s4_active_neurons", ["slot", "max |E|", "corr with sign"], per_seed[0],
                          caption="seed 0")]))

    params_out, docs = {}, {}
    for i, layer in enumerate(result.params["layers"]):
        for name, value in layer.items():
            params_out[f"layer{i}.{name}"] = np.asarray(value)
            axes = "member, d_in, d_out" if name == "weight" else "member, d_out"
            docs[f"layer{i}.{name}"] = f"MLP layer {i} {name}, neurons in final slot order; axes ({axes})"
    for name in ("embedding", "input_order", "output_order"):
        if name in result.params:
            params_out[name] = np.asarray(result.params[name])
    docs.update({"embedding": "[E, vocab, d_0] token embeddings", "input_order": "[E, d_0] input slot s reads feature input_order[s]",
                 "output_order": "[E, d_L] output slot s is output/class output_order[s]"})
    metric_cols = {"step": result.steps, "train_loss_mean": result.loss.mean(axis=1),
                   "test_loss_mean": result.metrics["test_loss"].mean(axis=1)}
    if classification:
        metric_cols["test_accuracy_mean"] = result.metrics["test_accuracy"].mean(axis=1)
    return StudyResult(summary=summary, params=params_out, param_docs={k: v for k, v in docs.items() if k in params_out},
                       metrics=metric_cols, sections=sections, deviations=_deviations(config, settings),
                       networks={"": _stored(spec, data)})


def _stored(spec, data) -> nets.StoredNetwork:
    """The trained network as ``params.safetensors`` declares it, with the task's input and output names."""
    names = {key: None if data.get(key) is None else tuple(map(str, data[key])) for key in ("input_names", "output_names")}
    return nets.StoredNetwork(spec, inputs=names["input_names"], outputs=names["output_names"])


def _task_label(config: BimtConfig, data: dict, setup: TaskSetup) -> str:
    """The task as the report names it: a built-in task's name; a formula with its text and draw;
    a data file with its path (its checksum is in meta.json)."""
    sizes = f"{len(data['train']['x'])} train / {len(data['test']['x'])} test examples"
    widths = "-".join(map(str, setup.widths))
    if config.task == "formula":
        return (f"formula \"{data['formula']}\" (inputs {', '.join(data['input_names'])} ~ U[-1, 1], {sizes}, "
                f"network {widths}, MSE)")
    if config.task == "file":
        loss = "softmax cross-entropy" if setup.accuracy else "MSE"
        return f"file {config.data} ({data['kind']}, {sizes}, network {widths}, {loss}; checksum in meta.json)"
    return config.task


def _deviations(config: BimtConfig, settings: Resolved) -> list[Deviation]:
    rows = [
        Deviation("neuron x-coordinates", "x = A j / n", "x = A (j + 1/2) / n (as the authors' code)",
                  "centres layers of different widths; uniform in [0, A] either way"),
        Deviation("seeds and data", "five random seeds (data and init)",
                  f"{config.n_seeds} init seed(s) vmapped, one data draw from seed {data_seed(config)}"
                  + (" (the notebook's numpy seed, legacy draw)" if settings.setup.data_draw == "legacy" else ""),
                  "training all seeds at once needs shared data"),
        Deviation("Adam moments at a swap", "not permuted (authors' code)", "permuted with the weights",
                  "a swap then leaves the whole training state equivalent"),
        Deviation("swap partner search", "recompute the whole cost for every candidate", "exact cost change from two matrix products",
                  "the same cost change for every pair (tested), vectorised and jitted"),
    ]
    if config.method in ("l1-swap", "bimt"):
        rows.append(Deviation(
            "swap loop", "authors' code: fixed top-k positions, best slot (staying included), first on ties",
            "the authors' loop (swap_loop=position)" if settings.swap_loop == "position"
            else "follow each top-k neuron, swap on a strict gain (swap_loop=position: the authors')",
            "the paper's text allows both; they make different decisions"))
        if config.task in ("mod-add", "permutation-s4"):
            rows.append(Deviation(
                "swap score of input neurons", "authors' code: linear-layer weights only",
                "weights only (swap_score=weights)" if settings.swap_score == "weights"
                else "weights plus the embedding's |E| of that dimension (swap_score=weights: the authors')",
                "an embedding dimension's entries are its incoming weights"))
    if config.settings == "notebook" and config.task not in OWN_TASKS:
        rows.append(Deviation("settings", "the paper's (Sections 3.1-3.5)",
                              "the authors' notebooks (toyscope.bimt.NOTEBOOK_SETUPS, cited per value)",
                              "settings=notebook"))
        if config.task in ("mnist", "in-context"):
            rows.append(Deviation("notebook data draw", "torch's generator (DataLoader shuffle / torch.rand)",
                                  "toyscope's own draw", "torch's random streams are not repeated without torch"))
        if config.task.startswith("symbolic-") or config.task in ("two-moons", "mod-add", "permutation-s4"):
            rows.append(Deviation("notebook init", "torch.manual_seed(seed) in the notebook",
                                  "PyTorch's default init distribution from JAX keys",
                                  "the data points are the notebook's; the initial weights are not"))
    if config.task in OWN_TASKS:
        rows.append(Deviation("task", "the paper's tasks", "your own task with the settings of the paper's "
                              + ("two-moons task" if settings.setup.accuracy else "symbolic formulas"),
                              "task=formula / task=file"))
    if settings.normalization == "mean":
        rows.append(Deviation("cost normalisation", "sum over weights (paper formula)",
                              "per-layer mean (authors' mod-add / S4 code)",
                              "the paper's λ = (0.1, 1, 0.1) is only sensible with the code's torch.mean; with the sum the penalty dwarfs the loss"))
    if config.task in ("mod-add", "permutation-s4"):
        rows.append(Deviation("hidden widths", "not stated", "50, 50 (authors' notebooks)", "paper gives no widths"))
    if config.task == "permutation-s4":
        rows.append(Deviation("S4 training", "same as modular addition", "same as modular addition (λ schedule, A = 2, lr 1e-3)",
                              "the authors' notebook instead uses λ = 1 constant, A = 1, lr 2e-3; we follow the paper"))
    if config.task == "two-moons":
        rows.append(Deviation("two-moons data", "not stated", "make_moons(2000, noise=0.1), 1000 train / 1000 test",
                              "paper gives no sample size or noise"))
    if config.n_steps is not None and config.n_steps != settings.setup.n_steps:
        rows.append(Deviation("training length", f"{settings.setup.n_steps} steps", f"{settings.n_steps} steps (λ schedule scaled)",
                              "shorter run (preset or --set n_steps)"))
    if config.task == "mnist":
        if (config.mnist_data or settings.setup.mnist_data) != "standard":
            rows.append(Deviation("MNIST data", "60,000 training images, 10,000 test",
                                  "the 10,000-image test split only, split 80/20 (mnist_data=standard: the 60k split)",
                                  "the default keeps the recorded numbers; the paper's 98.2% used the full training split"))
        rows += [
            Deviation("MNIST training", "λ (1e-3, 1e-2, 0.1, 0.3), batch not stated", "paper's λ; minibatches of 100 and "
                      "per-layer mean cost as the authors' notebook; output layer on a line (notebook: a ring)",
                      "paper gives no batch size; a line is the library's layout for a 1-D layer"),
        ]
    return rows


def paper_headlines(key: str, section_metric: str, section_modularity: str, *, optional: bool) -> tuple[Headline, ...]:
    """Headlines for the paper's Tables 1 and 2: per task and method, the test loss or accuracy and the
    modularity Q, each reproduced when within two of the paper's seed stds of its mean (plus half its
    last printed digit). ``key`` formats the summary key from ``task``, ``method`` and ``metric``; a
    single-cell run (``bimt``) selects its row by ``when``, a table (``bimt-table``) by ``optional``."""
    rows = []
    for task, by_method in bimt.PAPER_TABLE1.items():
        classification = TASK_SETUPS[task].accuracy
        for method, (mean, std) in by_method.items():
            when = {} if optional else {"task": task, "method": method}
            label = f"{task}, {method}: " if optional else ""
            if classification:
                metric, paper, spread, unit, support = "test_accuracy", mean / 100, std / 100, 0.001, "fraction"
                name = "test accuracy"
            else:
                metric, paper, spread, support = "test_loss", mean, std, "positive"
                unit, name = 0.1 * 10.0 ** math.floor(math.log10(mean)), "test loss"
            q_mean, q_std = bimt.PAPER_TABLE2[task][method]
            basis = "two of the paper's seed stds, plus half its last digit"
            rows.append(Headline(label + name, key.format(task=task, method=method, metric=metric), paper,
                                 f"± {format_number(spread)}, 5 seeds", Within(2 * spread + unit / 2, basis=basis),
                                 section_metric, when=when, optional=optional,
                                 values_key=None if optional else ("per_seed", metric), support=support))
            rows.append(Headline(label + "modularity Q", key.format(task=task, method=method, metric="modularity"),
                                 q_mean, f"± {format_number(q_std)}, 5 seeds", Within(2 * q_std + 0.0005, basis=basis),
                                 section_modularity, when=when, optional=optional,
                                 values_key=None if optional else ("per_seed", "modularity")))
    return tuple(rows)


STUDY = Study(name="bimt", description="Brain-inspired modular training: connection cost, swaps, modularity",
              config_class=BimtConfig, run=run, paper="bimt-modular-training.txt",
              headlines=paper_headlines("{metric}", "Result", "Result", optional=False))
