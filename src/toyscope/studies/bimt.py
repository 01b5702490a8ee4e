r"""Brain-inspired modular training (BIMT): connection cost, neuron swaps, modularity.

Reproduces Liu, Gan & Tegmark, "Seeing is believing: brain-inspired modular training for
mechanistic interpretability", Entropy 26 (2024) 41 (``../shared/papers/bimt-modular-training.txt``):
one task and one training method per run, ``n_seeds`` seeds trained at once (vmapped).

* tasks: ``symbolic-a``/``-b``/``-c`` (Section 3.1, Figure 3), ``two-moons`` (Section 3.2,
  Figure 4), ``mod-add`` and ``permutation-s4`` (Section 3.3, Figures 5-6), ``in-context``
  (Section 3.4, Figure 7: a tiny transformer, see ``_bimt_in_context``);
* methods: ``vanilla``, ``l1`` (A = 0), ``l1-local``, ``l1-swap`` (A = 0 penalty, swaps scored
  with the local geometry), ``bimt`` (local + swap) (Figure 2, Tables 1-2);
* outputs: test loss or accuracy, Newman modularity (Table 2), active weights, swaps, the final
  connectivity graph, its evolution, loss curves, the pruning frontier (Appendix A), module
  knock-outs (mod-add) and active embedding neurons with the sign neuron (S4).

Everything is composed from ``toyscope.analysis`` (geometry, cost, swaps, modularity, pruning),
``toyscope.tasks`` and ``toyscope.train.train``.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import jax
import jax.numpy as jnp
import matplotlib.figure
import numpy as np
from pydantic import model_validator

from .. import analysis, nets, tasks, train, viz
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table
from ._bimt_in_context import member, run_in_context, slot_names

# the tasks, in the column order of the paper's Tables 1-2
TASK_NAMES = ("symbolic-a", "symbolic-b", "symbolic-c", "two-moons", "mod-add", "permutation-s4", "in-context", "mnist")
METHODS = ("vanilla", "l1", "l1-local", "l1-swap", "bimt")
LOCAL_PENALTY = {"l1-local", "bimt"}
SWAPS = {"l1-swap", "bimt"}


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
TASK_SETUPS: dict[str, TaskSetup] = {
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


class BimtConfig(StudyConfig):
    """One task, one method, ``n_seeds`` seeds vmapped. ``None`` means the task's paper value."""

    task: Literal["symbolic-a", "symbolic-b", "symbolic-c", "two-moons", "mod-add", "permutation-s4", "in-context",
                  "mnist"] = "symbolic-a"
    method: Literal["vanilla", "l1", "l1-local", "l1-swap", "bimt"] = "bimt"
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

    PRESETS = {"default": {}, "smoke": {"n_steps": 1000, "n_seeds": 2, "n_snapshots": 2, "d_model": 8,
                                        "n_sequences": 500}}

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


def resolve_settings(config: BimtConfig) -> Resolved:
    """Fill ``None`` fields from the task's paper settings; a shorter run scales the λ schedule."""
    setup = TASK_SETUPS[config.task]
    n_steps = config.n_steps or setup.n_steps
    if config.lambdas is not None:
        lambdas = tuple(config.lambdas)
        lambda_steps = (tuple(config.lambda_steps) if config.lambda_steps is not None
                        else (max(1, n_steps // len(lambdas)),) * len(lambdas))
    else:
        lambdas = setup.lambdas
        lambda_steps = tuple(max(1, int(round(n_steps * d / sum(setup.lambda_steps)))) for d in setup.lambda_steps)
    return Resolved(setup, n_steps, lambdas, lambda_steps, config.layer_gap or setup.layer_gap,
                    config.top_k or setup.top_k, config.normalization or setup.normalization)


def load_task(config: BimtConfig) -> dict:
    """The task's train/test data (drawn once from ``config.seed``; shared by all seeds)."""
    if config.task.startswith("symbolic-"):
        return tasks.symbolic_task(config.task[-1], config.n_train, config.n_test, seed=config.seed)
    if config.task == "two-moons":
        return tasks.two_moons_task(seed=config.seed)
    if config.task == "mod-add":
        return tasks.modular_addition_task(59, seed=config.seed)
    if config.task == "mnist":
        return mnist_task(seed=config.seed)
    return tasks.permutation_task(4, seed=config.seed)


def mnist_task(*, seed: int, train_fraction: float = 0.8) -> dict:
    """MNIST's 10,000-image test split (the only one offline), split at random 80/20; pixels / 255
    flattened row-major (matching the 28x28 input grid), targets one-hot (MSE) with ``label``."""
    dataset = tasks.load_dataset("mnist", "test")
    order = np.random.default_rng(seed).permutation(len(dataset))
    n_train = int(round(train_fraction * len(dataset)))
    x = dataset.images.reshape(len(dataset), -1).astype(np.float32) / dataset.pixel_max
    one_hot = np.eye(10, dtype=np.float32)[dataset.labels]
    take = lambda idx: {"x": x[idx], "y": one_hot[idx]}  # noqa: E731
    return {"train": take(order[:n_train]), "test": take(order[n_train:]), "files": dict(dataset.files),
            "input_names": [f"p{i}" for i in range(784)], "output_names": list(dataset.classes)}


def _loss_and_metrics(spec, setup, data):
    loss_of = train.loss_function(setup.loss)
    test = {k: jnp.asarray(v) for k, v in data["test"].items()}

    def loss_fn(params, batch):
        return loss_of(nets.layered_network_apply(spec, params, batch["x"]), batch["y"])

    metrics = {"test_loss": lambda p: loss_fn(p, test)}
    if setup.accuracy:
        labels = test["y"] if test["y"].ndim == 1 else jnp.argmax(test["y"], -1)
        metrics["test_accuracy"] = lambda p: jnp.mean(
            jnp.argmax(nets.layered_network_apply(spec, p, test["x"]), -1) == labels)
    return loss_fn, metrics


def train_bimt(config: BimtConfig, data: dict, checkpointer=None):
    """Train ``config.n_seeds`` networks with ``config.method``; returns (spec, settings, result, coords)."""
    settings = resolve_settings(config)
    setup = settings.setup
    widths = list(setup.widths)
    if config.task in ("mod-add", "permutation-s4"):
        widths[-1] = data["vocab_size"]
    spec = nets.layered_network(widths, "silu", n_tokens=setup.n_tokens,
                                    vocab_size=data.get("vocab_size", 0) if setup.n_tokens else 0)
    params = nets.init_layered_network(spec, key=jax.random.key(config.seed), n_networks=config.n_seeds)
    shapes = setup.layer_shapes or spec.neuron_widths
    coords = analysis.neuron_coordinates(shapes, extent=config.extent, layer_gap=settings.layer_gap)
    local = analysis.connection_distances(coords, norm=config.norm)
    flat = analysis.connection_distances(
        analysis.neuron_coordinates(shapes, extent=0.0, layer_gap=settings.layer_gap), norm=config.norm)
    penalty = [jnp.asarray(d) for d in (local if config.method in LOCAL_PENALTY else flat)]

    regularizer = None
    if config.method != "vanilla":
        def regularizer(p):
            return analysis.connection_cost(p, penalty, layer_gap=settings.layer_gap, penalize_bias=config.penalize_bias,
                                            normalization=settings.normalization)
    hook = None
    if config.method in SWAPS:
        hook = analysis.swap_hook(spec, local, top_k=settings.top_k, swap_inputs=config.swap_inputs and setup.swap_inputs,
                                  swap_outputs=config.swap_outputs, normalization=settings.normalization)
    loss_fn, metrics = _loss_and_metrics(spec, setup, data)
    n_steps = settings.n_steps
    result = train.train(
        loss_fn, params, {k: jnp.asarray(v) for k, v in data["train"].items()},
        optimizer=train.make_optimizer("adam", config.learning_rate), n_steps=n_steps,
        mode="minibatch" if setup.batch_size else "full_batch", batch_size=setup.batch_size,
        key=jax.random.key(config.seed + 1) if setup.batch_size else None,
        regularizer=regularizer, regularizer_schedule=train.piecewise_constant(settings.lambdas, settings.lambda_steps),
        periodic_hook=hook, period=config.swap_every if hook else None,
        aux={"n_swaps": jnp.zeros((config.n_seeds,), jnp.int32)}, metrics=metrics,
        record_every=n_steps // 100, snapshot_every=n_steps // config.n_snapshots,
        checkpointer=checkpointer, progress=f"bimt {config.task} {config.method}")
    return spec, settings, result, coords


def _weights(params) -> list[np.ndarray]:
    return [np.asarray(layer["weight"]) for layer in params["layers"]]


def _draw_kwargs(spec, data, params) -> dict:
    kwargs = {"n_tokens": spec.n_tokens, "output_names": slot_names(data["output_names"], params["output_order"])}
    if not spec.n_tokens:
        kwargs["input_names"] = slot_names(data["input_names"], params["input_order"])
    return kwargs


def _knockout_rows(spec, params, communities, data) -> list[list]:
    """Accuracy after knocking out each Newman module (its non-output neurons)."""
    test = {k: jnp.asarray(v) for k, v in data["test"].items()}
    n_layers = spec.mlp.n_layers
    accuracy = lambda p: float(jnp.mean(jnp.argmax(nets.layered_network_apply(spec, p, test["x"]), -1) == test["y"]))  # noqa: E731
    n_test = int(test["y"].shape[0])

    def row(name, n_neurons, value):
        low, high = analysis.proportion_interval(int(round(value * n_test)), n_test)
        return [name, n_neurons, value, f"[{low:.3f}, {high:.3f}]"]

    rows = [row("none", 0, accuracy(params))]
    graph = analysis.neuron_graph(_weights(params))
    total = graph.size(weight="weight")
    for index, community in enumerate(communities):
        neurons = [n for n in community if n[0] < n_layers]
        strength = graph.subgraph(community).size(weight="weight")
        if not neurons or strength < 0.05 * total:
            continue
        knocked = analysis.knock_out_neurons(spec, jax.tree_util.tree_map(jnp.asarray, params), neurons)
        rows.append(row(f"module {index}", len(neurons), accuracy(knocked)))
    return rows


def _s4_embedding_rows(params, data, threshold):
    """Active embedding neurons (slot order) and their correlation with the permutation sign."""
    embedding = np.asarray(params["embedding"])  # (24, d)
    width = embedding.shape[1]
    outgoing = np.abs(np.asarray(params["layers"][0]["weight"])).reshape(2, width, -1).max(axis=(0, 2))
    active = np.flatnonzero((outgoing > threshold) & (np.abs(embedding).max(axis=0) > threshold))
    signs = data["signs"].astype(float)
    rows = []
    for slot in active:
        column = embedding[:, slot]
        r = float(np.corrcoef(column, signs)[0, 1]) if column.std() > 0 else 0.0
        rows.append([int(slot), float(np.abs(column).max()), r])
    return rows


def _decision_figure(spec, result, data, limits=(-1.5, 2.5), resolution=80):
    """Class-2 probability of seed 0 on a grid, one panel per snapshot."""
    axis = np.linspace(*limits, resolution, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(axis, axis)
    points = jnp.asarray(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
    steps = result.snapshot_steps
    fig = matplotlib.figure.Figure(figsize=(2.4 * len(steps), 2.6))
    axes = fig.subplots(1, len(steps), squeeze=False)[0]
    test = data["test"]
    for index, (ax, step) in enumerate(zip(axes, steps)):
        snap = jax.tree_util.tree_map(lambda x, i=index: jnp.asarray(x[i, 0]), result.snapshots)
        probability = jax.nn.softmax(nets.layered_network_apply(spec, snap, points))[:, 1]
        viz.plot_decision(ax, np.asarray(probability).reshape(resolution, resolution), limits=limits,
                          title=f"step {int(step)}")
        ax.scatter(test["x"][:, 0], test["x"][:, 1], c=test["y"], s=2, cmap="coolwarm", alpha=0.4)
    return fig


def run(config: BimtConfig, ctx) -> StudyResult:
    if config.task == "in-context":
        return run_in_context(config, resolve_settings(config), ctx)
    data = ctx.cached("data", lambda: load_task(config))
    if "files" in data:
        ctx.data_files(data["files"])
    spec, settings, result, coords = train_bimt(config, data, ctx.checkpointer("train"))
    setup = settings.setup
    classification = setup.accuracy
    n_seeds = config.n_seeds
    members = [member(result.params, e) for e in range(n_seeds)]

    loss_fn, metrics = _loss_and_metrics(spec, setup, data)
    final_test_loss = np.array([float(metrics["test_loss"](jax.tree_util.tree_map(jnp.asarray, m))) for m in members])
    final_accuracy = (np.array([float(metrics["test_accuracy"](jax.tree_util.tree_map(jnp.asarray, m))) for m in members])
                      if classification else None)
    modularity, communities = zip(*(analysis.modularity(_weights(m), return_communities=True) for m in members))
    modularity = np.array(modularity)
    n_active = np.array([sum(int((np.abs(w) > config.active_threshold).sum()) for w in _weights(m)) for m in members])
    n_swaps = np.asarray(result.aux["n_swaps"]).astype(int)

    summary = {
        "task": config.task, "method": config.method, "n_seeds": n_seeds, "n_steps": settings.n_steps,
        "test_loss": float(final_test_loss.mean()), "test_loss_std": float(final_test_loss.std()),
        "modularity": float(modularity.mean()), "modularity_std": float(modularity.std()),
        "n_active_weights": float(n_active.mean()), "n_swaps": float(n_swaps.mean()),
        "per_seed": {"test_loss": final_test_loss.tolist(), "modularity": modularity.tolist(),
                     "n_active_weights": n_active.tolist(), "n_swaps": n_swaps.tolist()},
    }
    if classification:
        summary["test_accuracy"] = float(final_accuracy.mean())
        summary["test_accuracy_std"] = float(final_accuracy.std())
        summary["per_seed"]["test_accuracy"] = final_accuracy.tolist()

    # figures: final graph, evolution, loss curves, pruning frontier
    best = members[0]
    graph_fig = viz.connectivity_figure(_weights(best), coords, title=f"{config.task}, {config.method} (seed 0)",
                                        size=(5, 5), **_draw_kwargs(spec, data, best))
    panels = []
    for index, step in enumerate(result.snapshot_steps):
        snap = member(result.snapshots, (index, 0))
        panels.append((f"step {int(step)}", _weights(snap), _draw_kwargs(spec, data, snap)))
    evolution_fig = viz.connectivity_evolution_figure(panels, coords, n_tokens=spec.n_tokens)

    loss_fig = viz.penalised_training_figure(result.steps, result.loss, result.metrics["test_loss"],
                                             np.cumsum(settings.lambda_steps)[:-1])

    test = {k: jnp.asarray(v) for k, v in data["test"].items()}
    frontier_fig = viz.pruning_frontier_figure([
        analysis.pruning_frontier(jax.tree_util.tree_map(jnp.asarray, m), lambda p: loss_fn(p, test), n_thresholds=30)
        for m in members])

    metric_name = "test accuracy" if classification else "test loss"
    metric_values = final_accuracy if classification else final_test_loss
    headline = Table("headline", ["quantity", "mean [95% t-interval]", "per seed"], [
        [metric_name, analysis.format_mean_interval(metric_values), ", ".join(f"{v:.3g}" for v in metric_values)],
        ["modularity Q", analysis.format_mean_interval(modularity), ", ".join(f"{v:.3f}" for v in modularity)],
        [f"active weights (|w| > {config.active_threshold})", analysis.format_mean_interval(n_active), ", ".join(map(str, n_active))],
        ["swaps", analysis.format_mean_interval(n_swaps), ", ".join(map(str, n_swaps))],
    ], caption=f"{n_seeds} seeds; intervals are Student-t 95% intervals of the mean over seeds.")
    sections = [
        Section("Result", (
            f"Task {config.task}, method {config.method}, {n_seeds} seed(s) trained at once for {settings.n_steps} "
            f"steps (Adam, lr {config.learning_rate}, λ {settings.lambdas} for {settings.lambda_steps} steps, A = "
            f"{config.extent}, y* = {settings.layer_gap}, k = {settings.top_k}, S = {config.swap_every}, "
            f"{config.norm} distances, cost normalization '{settings.normalization}'). Modularity: Newman Q of the "
            "|w|-weighted neuron graph with networkx greedy_modularity_communities (weight='weight', resolution=1)."),
            [Figure("graph", graph_fig, "Final connectivity graph of seed 0 (blue positive, red negative, width ∝ |w|/max|w| per layer)."),
             Figure("evolution", evolution_fig, "Connectivity graph of seed 0 over training."),
             Figure("loss", loss_fig, "Train and test loss per seed (dotted lines: λ schedule changes)."),
             Figure("pruning", frontier_fig, "Pruning frontier: surviving parameters vs test loss (Appendix A).")],
            [headline]),
    ]
    if config.task == "two-moons":
        sections.append(Section("Decision boundaries", (
            "Seed 0's probability of class 2 (softmax) at the snapshots of the evolution figure, with the test "
            "points (Figure 4, bottom)."), [Figure("decision", _decision_figure(spec, result, data),
                                                  "Decision boundary of seed 0 over training.")]))
    if config.task == "mod-add":
        rows = _knockout_rows(spec, best, communities[0], data)
        sections.append(Section("Module knock-out", (
            "Seed 0: test accuracy after zeroing every weight into and out of the non-output neurons of each Newman "
            "module holding at least 5% of the total |w| (paper: 100% -> 15.25%, 29.33%, 33.67% for modules A, B, C)."),
            tables=[Table("knockout", ["module", "neurons", "test accuracy", "Wilson 95%"], rows)]))
        summary["knockout_accuracy"] = [r[2] for r in rows[1:]]
    if config.task == "permutation-s4":
        per_seed = [_s4_embedding_rows(m, data, config.active_threshold) for m in members]
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
            docs[f"layer{i}.{name}"] = f"[E, ...] MLP layer {i} {name}, neurons in final slot order"
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
                       metrics=metric_cols, sections=sections, deviations=_deviations(config, settings))


def _deviations(config: BimtConfig, settings: Resolved) -> list[Deviation]:
    rows = [
        Deviation("neuron x-coordinates", "x = A j / n", "x = A (j + 1/2) / n (as the authors' code)",
                  "centres layers of different widths; uniform in [0, A] either way"),
        Deviation("seeds and data", "five random seeds (data and init)", f"{config.n_seeds} init seed(s) vmapped, one data draw from seed {config.seed}",
                  "training all seeds at once needs shared data"),
        Deviation("Adam moments at a swap", "not permuted (authors' code)", "permuted with the weights",
                  "a swap then leaves the whole training state equivalent"),
        Deviation("swap partner search", "recompute the whole cost for every candidate", "exact cost change from two matrix products",
                  "same decision, vectorised and jitted"),
    ]
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
        rows += [
            Deviation("MNIST data", "60,000 training images, 10,000 test", "the 10,000-image test split only, split 80/20",
                      "only the test split is available offline; the paper's 98.2% used the full training split"),
            Deviation("MNIST training", "λ (1e-3, 1e-2, 0.1, 0.3), batch not stated", "paper's λ; minibatches of 100 and "
                      "per-layer mean cost as the authors' notebook; output layer on a line (notebook: a ring)",
                      "paper gives no batch size; a line is the library's layout for a 1-D layer"),
        ]
    return rows


STUDY = Study(name="bimt", description="Brain-inspired modular training: connection cost, swaps, modularity",
              config_class=BimtConfig, run=run, paper="bimt-modular-training.txt")
