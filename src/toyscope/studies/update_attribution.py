"""Study ``update-attribution``: where does a network store what it learned from each class?

Reproduces "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``): a
784-100-2 softplus network is trained by per-sample SGD on MNIST 1/7 (group A) against 6/8
(group B); during the second half of phase 1 every parameter's |update| is tallied by group,
giving the relative updating r = a/(a+b). Four forks of the phase-1 net are then trained on the
remaining data restricted to 1 vs 6/8, 7 vs 6/8, 1/7 vs 6 and 1/7 vs 8, giving the relative
difference q = c/(c+d). The paper's figures: q against r for weights (R^2 = 0.28) and biases
(R^2 = 0.17), the per-pixel correlation map, and the remark that sigmoid nets show nothing.
This study adds seeds, a block permutation test and an activation sweep.

``run`` follows the paper's Methods and Analysis: the data (``tasks.group_forks``), phase 1 with
tallies and the four forks for each activation (``train``), r against q per seed
(``analysis.member_attribution``) with block permutation p-values, the per-pixel map
(``analysis.mean_correlation_map``), the activation sweep, then R^2 against fork length
(``analysis.r2_against_snapshots``) and the phase-1 loss. Every figure comes from ``viz``.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator

from .. import analysis, nets, tasks, train, viz
from ._base import ConfigError, Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table
from ._headlines import AtLeast, Headline, IntervalAbove, PaperInInterval
from ._memory import MemoryEstimate
from ._update_attribution_map import run_regime_map

REFERENCE_SPLIT_SIZE = 60_000  # the paper's windows refer to MNIST's 60,000-image training split
PAPER_R2 = {"weights": 0.28, "biases": 0.17}
N_FORK_SNAPSHOTS = 8  # fork params kept at 1/8, 2/8, ... of the fork length (R^2 against fork length)


class UpdateAttributionConfig(StudyConfig):
    """Config of the update-attribution study (defaults = the default run)."""

    # one-line descriptions of the keys (``toyscope config update-attribution``)
    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "fork_learning_rate": "the forks' SGD rate (none: learning_rate, as the default run)",
        "experiment": "attribution (the paper's run) or regime_map (R^2 over fork rate x fork length x window)",
        "map_fork_learning_rates": "regime map: fork learning rates (positive)",
        "map_phase1_images": "regime map: phase-1 windows in images of 60,000 (paper: 1,200 or 12,000)",
        "map_phase1_learning_rates": "regime map: phase-1 learning rates (positive)",
        "map_activations": "regime map: hidden activations",
        "map_fork_snapshots": "regime map: fork lengths read, 1/N, 2/N, ... of the longest fork (>= 1)",
        "map_float64": "regime map: rerun forks in float64 (auto: where float32 leaves fork differences exactly zero)",
        "map_float64_share": "regime map, auto: rerun when more than this share of differences is exactly zero, in [0, 1)",
        "map_baselines": "regime map: linearised forks, shuffled-order control forks, R^2 split into unit/pixel parts",
        "dataset": "image dataset (10 classes)",
        "split": "which split to read (auto: train if in the data dir, else test)",
        "groups": "two class groups, each split into halves for the forks (classes 0-9)",
        "phase1_images": "phase-1 window in images of a 60,000-image split (paper 12,000 or 1,200; 2 to 59,999)",
        "tally_window": "which part of phase 1 tallies the updates (paper: the second half)",
        "hidden": "hidden units of the 784-hidden-10 MLP (>= 1)",
        "activation": "hidden activation",
        "output_activation": "output activation (same: as the hidden layer; linear for bce/softmax_ce)",
        "loss": "training loss",
        "learning_rate": "per-sample SGD learning rate (> 0)",
        "n_seeds": "initialisation seeds, trained at once (>= 2, for the interval)",
        "sweep_activations": "hidden activations of the activation sweep",
        "fork_examples": "cap on examples per fork (none: all the remaining data; >= 1)",
        "n_permutations": "permutations of each permutation test (>= 1)",
        "fork_engine": "forks on the exact blocked per-sample path, or the general engine",
    }

    dataset: Literal["mnist", "fashion-mnist", "digits"] = "mnist"
    split: Literal["auto", "train", "test"] = "auto"  # auto: train if in the data dir, else test
    groups: list[list[int]] = [[1, 7], [6, 8]]
    phase1_images: int = 12_000  # phase-1 window in images of a 60,000-image split (paper: 12,000 or 1,200)
    tally_window: Literal["second_half", "all"] = "second_half"
    hidden: int = 100
    activation: Literal["softplus", "relu", "sigmoid", "tanh"] = "softplus"
    output_activation: Literal["same", "linear", "sigmoid", "softplus"] = "softplus"  # same: as the hidden layer
    loss: Literal["mse", "bce", "softmax_ce"] = "mse"
    learning_rate: float = 0.1
    n_seeds: int = 5
    sweep_activations: list[Literal["softplus", "relu", "sigmoid", "tanh"]] = ["softplus", "relu", "sigmoid", "tanh"]
    fork_examples: int | None = None  # cap on examples per fork (None: all remaining data)
    n_permutations: int = 9999
    fork_engine: Literal["engine", "blocked"] = "blocked"  # blocked: exact per-sample SGD in blocks (faster)
    fork_learning_rate: float | None = None  # the forks' SGD rate (None: learning_rate, the default run)
    # experiment="regime_map": R^2 over fork learning rate x fork length x phase-1 window,
    # with baselines; grids fixed here before the first map run
    experiment: Literal["attribution", "regime_map"] = "attribution"
    map_fork_learning_rates: list[float] = [1e-1, 1e-2, 1e-3, 3e-4, 1e-4]
    map_phase1_images: list[int] = [1200, 12_000]  # both readings of the paper's phase-1 window (of 60,000)
    map_phase1_learning_rates: list[float] = [0.1]  # phase 1's rate (the default run's)
    map_activations: list[Literal["softplus", "relu", "sigmoid", "tanh"]] = ["softplus"]
    map_fork_snapshots: int = 8  # fork lengths: 1/8, 2/8, ... of the longest fork
    map_float64: Literal["auto", "always", "never"] = "auto"  # auto: forks again in float64 when float32 leaves
    map_float64_share: float = 0.0  # more than this share of the parameters with a fork difference exactly zero
    map_baselines: bool = True  # linearised forks, forks on a shuffled order, R^2 split into unit / pixel parts

    def peak_memory(self) -> MemoryEstimate:
        """Estimated peak memory: the images (70,000 of 784 pixels, float32, twice), and
        ``n_seeds`` float32 784-``hidden``-10 MLPs forked onto every group (groups + 1 forks),
        each with a tally per group and about 12 working copies (the activation sweep runs one
        activation at a time)."""
        n_params = 784 * self.hidden + self.hidden + 10 * self.hidden + 10
        forks = len(self.groups) + 1
        return MemoryEstimate({
            "images": 2 * 4 * 70_000 * 784,
            "networks, forks and tallies": 4 * self.n_seeds * n_params * forks * (len(self.groups) + 12),
        })

    PRESETS = {
        "default": {},
        "smoke": {"n_seeds": 2, "sweep_activations": ["softplus"], "phase1_images": 6000,
                  "fork_examples": 240, "n_permutations": 999},
        # the regime map: 2 windows x 5 fork rates x 8 fork lengths, 5 seeds, with baselines;
        # expected time on the 60k split: about 2.5 min on 2 idle cores, 20 min at load 15
        "regime-map": {"experiment": "regime_map", "sweep_activations": ["softplus"]},
        "regime-map-smoke": {"experiment": "regime_map", "n_seeds": 2, "sweep_activations": ["softplus"],
                             "fork_examples": 240, "map_fork_learning_rates": [1e-1, 1e-4], "map_fork_snapshots": 2},
    }

    @field_validator("groups")
    @classmethod
    def _groups_valid(cls, groups):
        try:
            for group in tasks.check_class_groups(groups, 10):  # every supported dataset has 10 classes
                tasks.split_group(group)
        except ValueError as err:
            raise ValueError(str(err)) from None
        return groups

    @model_validator(mode="after")
    def _consistent(self):
        if self.loss in ("bce", "softmax_ce") and self.output_activation != "linear":
            raise ValueError(f"loss={self.loss!r} works on logits: set output_activation='linear'")
        if self.phase1_images < 2 or self.phase1_images >= REFERENCE_SPLIT_SIZE:
            raise ValueError(f"phase1_images must be in [2, {REFERENCE_SPLIT_SIZE}), got {self.phase1_images}")
        if self.n_seeds < 2:
            raise ValueError(f"n_seeds must be >= 2 (for the interval), got {self.n_seeds}")
        if not self.learning_rate > 0 or self.hidden < 1 or self.n_permutations < 1:
            raise ValueError("learning_rate must be > 0, hidden >= 1 and n_permutations >= 1")
        rates = [*self.map_fork_learning_rates, *self.map_phase1_learning_rates]
        if self.fork_learning_rate is not None:
            rates.append(self.fork_learning_rate)
        if not all(rate > 0 for rate in rates):
            raise ValueError(f"learning rates must be > 0, got {rates}")
        if not self.map_fork_learning_rates or not self.map_phase1_learning_rates or not self.map_activations:
            raise ValueError("map_fork_learning_rates, map_phase1_learning_rates and map_activations must be non-empty")
        if not all(2 <= images < REFERENCE_SPLIT_SIZE for images in self.map_phase1_images) or not self.map_phase1_images:
            raise ValueError(f"map_phase1_images must be non-empty, each in [2, {REFERENCE_SPLIT_SIZE})")
        if not 0 <= self.map_float64_share < 1:
            raise ValueError(f"map_float64_share must be in [0, 1), got {self.map_float64_share}")
        if self.map_fork_snapshots < 1:
            raise ValueError(f"map_fork_snapshots must be >= 1, got {self.map_fork_snapshots}")
        if self.fork_examples is not None and self.fork_examples < 1:
            raise ValueError(f"fork_examples must be >= 1 or None, got {self.fork_examples}")
        return self


class _Recipe(NamedTuple):
    """How every network of the study is built and trained."""

    hidden: int
    output_activation: str  # "same": as the hidden layer
    loss: str
    learning_rate: float
    n_seeds: int
    seed: int
    fork_engine: str
    fork_learning_rate: float  # = learning_rate unless set


#: When a phase-1 net counts as diverged: its recorded data loss (per-sample MSE/BCE on 2 outputs
#: in [0, 1] after a softplus/sigmoid output; at most a few units at initialisation and falling
#: under SGD at rate 0.1) above 1e3, or a weight above 1e3 (He-initialised weights are below ~1
#: and 12,000 online steps at rate 0.1 move them by far less than that). Seeds that break it are
#: left out of the attribution, the forks and every statistic; the run fails when all do.
DIVERGENCE = train.DivergenceRule(max_loss=1e3, max_abs_weight=1e3, advice="lower --set learning_rate=...")
#: The same bounds on every fork (the forks continue the kept phase-1 nets at the same rate). A
#: seed's four forks are compared with each other, so one diverged fork would spoil the seed's
#: q = c/(c+d): any diverged fork fails the run (share 0) instead of being analysed.
FORK_DIVERGENCE = train.DivergenceRule(max_loss=1e3, max_abs_weight=1e3, max_diverged_share=0.0,
                                       advice="lower --set learning_rate=...")


class _ActivationRun(NamedTuple):
    """Phase 1, the forks and the per-seed attribution of one hidden activation."""

    spec: nets.MLP
    phase1: train.TrainResult  # aux: the |update| tallies, leaves (E, 2, ...)
    forks: train.ForkResult  # params: leaves (4, E, ...)
    members: list[analysis.MemberAttribution]  # one per seed
    accuracy: np.ndarray  # (E,) held-out accuracy of the phase-1 nets
    n_diverged: int = 0  # seeds left out (broke DIVERGENCE)


def run(config: UpdateAttributionConfig, ctx) -> StudyResult:
    if config.experiment == "regime_map":  # the map over fork rate, fork length and window
        return run_regime_map(config, ctx, divergence=DIVERGENCE, fork_divergence=FORK_DIVERGENCE,
                              paper_r2=PAPER_R2, reference_size=REFERENCE_SPLIT_SIZE)
    # Data (paper, Methods): groups A and B, the phase-1 window of the first images, forks on the rest
    dataset = tasks.load_split(config.dataset, config.split)
    ctx.data_files(dataset.files)
    group_a, group_b = tasks.check_class_groups(config.groups, dataset.n_classes)
    task = tasks.class_group_task(dataset.images, dataset.labels, (group_a, group_b),
                                  pixel_max=dataset.pixel_max, n_classes=dataset.n_classes)
    window = tasks.scaled_window(config.phase1_images, len(dataset), REFERENCE_SPLIT_SIZE)
    split = tasks.group_forks(task["index"], task["label"], (group_a, group_b), window=window,
                              fork_examples=config.fork_examples)
    if split.phase1.size < 4 or split.rest.size < 4:
        raise ConfigError(f"phase-1 window of {window} images leaves {split.phase1.size} phase-1 and "
                          f"{split.rest.size} fork examples; choose another phase1_images")
    tally_from = split.phase1.size // 2 if config.tally_window == "second_half" else 0
    data = {"x": jnp.asarray(task["x"]), "y": jnp.asarray(task["y"]), "group": jnp.asarray(task["group"])}
    recipe = _Recipe(config.hidden, config.output_activation, config.loss, config.learning_rate, config.n_seeds,
                     config.seed, config.fork_engine, config.fork_learning_rate or config.learning_rate)

    # Phase 1 with |update| tallies by group, the four forks, and r against q per seed, for the
    # paper's softplus and for the other hidden activations (the paper's remark on sigmoid)
    activations = list(dict.fromkeys([config.activation, *config.sweep_activations]))
    runs = {act: _run_activation(ctx, act, recipe, data, split, tally_from, held_out_labels=task["group"][split.rest])
            for act in activations}
    main = runs[config.activation]

    # q against r (paper: R^2 = 0.28 weights, 0.17 biases), with block permutation p-values (ours)
    p_perm = {kind: [analysis.block_permutation_test(*getattr(m, f"{kind}_blocks"),
                                                     n_permutations=config.n_permutations, seed=config.seed + e)
                     for e, m in enumerate(main.members)] for kind in ("weight", "bias")}
    # the per-pixel correlation map (paper), and R^2 with the forks stopped early (ours)
    pixel_map = analysis.mean_correlation_map(np.stack([m.pixel_correlation for m in main.members]),
                                              dataset.images.shape[1:])
    fork_length = analysis.r2_against_snapshots(main.phase1.aux, main.forks.snapshot_steps, main.forks.snapshots,
                                                config.n_seeds - main.n_diverged)

    summary = {
        "dataset": dataset.name,
        "split": dataset.split,
        "split_size": len(dataset),
        "reproduction": dataset.split == "train" and dataset.name == "mnist" and len(dataset) == REFERENCE_SPLIT_SIZE,
        "n_examples": {"phase1": int(split.phase1.size), "phase1_tallied": int(split.phase1.size - tally_from),
                       "forks": [int(s.size) for s in split.forks], "held_out_for_accuracy": int(split.rest.size)},
        "phase1_window_images": int(window),
        "phase1_images_of_60000": config.phase1_images,
        "groups": {"A": list(group_a), "B": list(group_b), "A_halves": [list(h) for h in tasks.split_group(group_a)],
                   "B_halves": [list(h) for h in tasks.split_group(group_b)]},
        "activation": config.activation,
        **_attribution_summary(main.members, p_perm, config.n_permutations),
        "r2_by_activation": {act: _activation_summary(runs[act], int(split.rest.size)) for act in activations},
        "held_out_accuracy": analysis.accuracy_summary(main.accuracy, int(split.rest.size)),
        "r2_against_fork_length": {
            "fork_steps": fork_length["steps"],
            "weights": [analysis.interval_summary(v, "fraction") for v in fork_length["weights"]],
            "biases": [analysis.interval_summary(v, "fraction") for v in fork_length["biases"]]},
        "loss": config.loss, "output_activation": config.output_activation, "learning_rate": config.learning_rate,
        "pixel_correlation": analysis.correlation_map_summary(pixel_map),
    }
    if config.fork_learning_rate is not None:  # only when set, so the default run keeps its keys
        summary["fork_learning_rate"] = config.fork_learning_rate
    diverged = {act: r.n_diverged for act, r in runs.items() if r.n_diverged}
    if diverged:  # only when some seeds diverged, so existing summaries keep their keys
        summary["diverged_seeds"] = diverged

    sections = [
        _setup_section(summary, recipe, dataset, activation=config.activation, phase1_images=config.phase1_images),
        _q_vs_r_section(summary, main.members, p_perm, main.accuracy, n_permutations=config.n_permutations),
        _pixel_section(summary, pixel_map),
        _activation_sweep_section(summary, activations, output_activation=config.output_activation),
        _fork_length_section(summary),
        _phase1_section({act: np.asarray(runs[act].phase1.loss).mean(axis=1) for act in activations}),
    ]
    params, docs, networks = _params(main, activation=config.activation)
    metrics = {"step": np.arange(split.phase1.size)}
    for act in activations:
        metrics[f"phase1_loss_{act}"] = np.asarray(runs[act].phase1.loss).mean(axis=1)
    return StudyResult(summary=summary, params=params, param_docs=docs, metrics=metrics, sections=sections,
                       deviations=_deviations(summary, recipe, dataset, fork_examples=config.fork_examples),
                       networks=networks)


def _run_activation(ctx, act: str, recipe: _Recipe, data: dict, split: tasks.GroupForks, tally_from: int, *,
                    held_out_labels) -> _ActivationRun:
    """Phase 1 with tallies, the four forks and the per-seed attribution for one hidden activation, all
    seeds at once; the phase-1 nets' accuracy on the examples after the window."""
    output = act if recipe.output_activation == "same" else recipe.output_activation
    spec = nets.mlp([data["x"].shape[1], recipe.hidden, 2], act, output)
    params = nets.init(spec, key=jax.random.key(recipe.seed), n_networks=recipe.n_seeds, bias_scheme="same")
    loss_fn = train.mlp_objective(spec, recipe.loss)
    tallies = jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], 2, *p.shape[1:]), p.dtype), params)
    sgd = train.Optimizer("sgd", recipe.learning_rate)
    # phase 1 on the general engine (fast_path=False): the blocked path is exact too, but rounds
    # differently, and this study's published numbers come from the engine
    phase1 = train.train(loss_fn, params, data, optimizer=sgd, n_steps=len(split.phase1),
                         batching=train.Online(split.phase1), observer=train.group_tally_observer(tally_from),
                         aux=tallies, checkpointer=ctx.checkpointer(f"phase1-{act}"), progress=f"phase 1 ({act})",
                         fast_path=False, divergence=DIVERGENCE)
    n_diverged = int(phase1.diverged.sum())
    if n_diverged:  # diverged seeds are left out of the forks and every analysis
        phase1 = train.keep_members(phase1, ~phase1.diverged)
    record = train.Record(snapshot_every=math.ceil(max(s.size for s in split.forks) / N_FORK_SNAPSHOTS))
    sgd = train.Optimizer("sgd", recipe.fork_learning_rate)
    if recipe.fork_engine == "blocked":
        forks = ctx.cached(f"forks-{act}", lambda: train.fork(loss_fn, phase1.params, data, split.forks,
                                                              optimizer=sgd, record=record, progress=None,
                                                              divergence=FORK_DIVERGENCE))
    else:
        forks = train.fork(loss_fn, phase1.params, data, split.forks, optimizer=sgd, record=record,
                           checkpointer=ctx.checkpointer(f"forks-{act}"), progress=f"forks ({act})", fast_path=False,
                           divergence=FORK_DIVERGENCE)
    members = [analysis.member_attribution(phase1.aux, forks.params, e) for e in range(recipe.n_seeds - n_diverged)]
    held_out = np.asarray(nets.apply(spec, phase1.params, data["x"][split.rest]))
    return _ActivationRun(spec, phase1, forks, members, analysis.ensemble_accuracy(held_out, held_out_labels),
                          n_diverged)


def _stat(members: list[analysis.MemberAttribution], kind: str, field: str) -> list:
    """One field of the weights' or biases' fit, per seed."""
    return [getattr(getattr(m, kind), field) for m in members]


def _attribution_summary(members: list[analysis.MemberAttribution], p_perm: dict, n_permutations: int) -> dict:
    """The summary keys of the main activation's q-against-r fits."""
    return {
        "r2_weights": {**analysis.interval_summary(_stat(members, "weight", "r2"), "fraction"), "paper": PAPER_R2["weights"]},
        "r2_biases": {**analysis.interval_summary(_stat(members, "bias", "r2"), "fraction"), "paper": PAPER_R2["biases"]},
        "slope_weights": analysis.interval_summary(_stat(members, "weight", "slope")),
        "slope_biases": analysis.interval_summary(_stat(members, "bias", "slope")),
        "p_weights": {"block_permutation_by_hidden_unit": p_perm["weight"],
                      "ols_assumes_independent_points": _stat(members, "weight", "p_ols"),
                      "n_permutations": n_permutations},
        "p_biases": {"permutation": p_perm["bias"], "ols_assumes_independent_points": _stat(members, "bias", "p_ols"),
                     "n_permutations": n_permutations},
        "excluded": {"weights": _stat(members, "weight", "n_excluded"), "biases": _stat(members, "bias", "n_excluded"),
                     "n_weights": members[0].weight.n + members[0].weight.n_excluded,
                     "n_biases": members[0].bias.n + members[0].bias.n_excluded},
    }


def _activation_summary(run: _ActivationRun, n_held_out: int) -> dict:
    """One activation's entry of ``summary["r2_by_activation"]``."""
    return {"weights": analysis.interval_summary(_stat(run.members, "weight", "r2"), "fraction"),
            "biases": analysis.interval_summary(_stat(run.members, "bias", "r2"), "fraction"),
            "held_out_accuracy": analysis.accuracy_summary(run.accuracy, n_held_out),
            "seeds_with_r2": int(np.isfinite(_stat(run.members, "weight", "r2")).sum()),
            "excluded_weights": _stat(run.members, "weight", "n_excluded"),
            "excluded_biases": _stat(run.members, "bias", "n_excluded")}


def _params(main: _ActivationRun, *, activation: str) -> tuple[dict, dict, dict]:
    """The main activation's phase-1 nets, tallies and fork finals: tensors, docs (with axes) and
    the networks among them (``phase1``: the ensemble; ``forks``: one ensemble per fork)."""
    params, docs = {}, {}
    forks = "fork [A1 vs B, A2 vs B, A vs B1, A vs B2]"
    for l, layer in enumerate(main.phase1.params):
        for kind, value in layer.items():
            axes = "d_in, d_out" if kind == "weight" else "d_out"
            params[f"phase1.layer{l}.{kind}"] = np.asarray(value)
            docs[f"phase1.layer{l}.{kind}"] = f"phase-1 net ({activation}) layer{l}.{kind}; axes (member, {axes})"
            params[f"tally.layer{l}.{kind}"] = np.asarray(main.phase1.aux[l][kind])
            docs[f"tally.layer{l}.{kind}"] = (f"sum over phase-1 steps of |update| of layer{l}.{kind} per class group; "
                                              f"axes (member, group [A, B], {axes})")
            params[f"forks.layer{l}.{kind}"] = np.asarray(main.forks.params[l][kind])
            docs[f"forks.layer{l}.{kind}"] = f"fork finals layer{l}.{kind}; axes ({forks}, member, {axes})"
    networks = {"phase1": main.spec, "forks": nets.StoredNetwork(main.spec, axes=("fork", "member"))}
    return params, docs, networks


_fmt = analysis.format_interval_summary
_fmt_accuracy = analysis.format_accuracy_summary


def _setup_section(summary: dict, recipe: _Recipe, dataset: tasks.Dataset, *, activation: str,
                   phase1_images: int) -> Section:
    n = summary["n_examples"]
    output = activation if recipe.output_activation == "same" else recipe.output_activation
    text = (
        (f"Seeds that diverged (loss above {DIVERGENCE.max_loss:g} or a weight above {DIVERGENCE.max_abs_weight:g}) "
         f"are left out of everything below, by activation: {summary['diverged_seeds']}. "
         if "diverged_seeds" in summary else "")
        + f"Data: {dataset.name} {dataset.split} split ({summary['split_size']:,} images). "
        + ("This is the paper's split, so with the paper's sizes (the default preset) the numbers below reproduce its "
           "setting." if summary["reproduction"] else
           f"The paper used the {REFERENCE_SPLIT_SIZE:,}-image training split, which is not in the data directory; the "
           f"windows are scaled by {summary['split_size']}/{REFERENCE_SPLIT_SIZE}, so this is NOT a reproduction of "
           "the paper's numbers, only of its method on less data.")
        + f" Groups A = {summary['groups']['A']}, B = {summary['groups']['B']}. Phase 1: the {n['phase1']} examples of "
        f"these classes among the first {summary['phase1_window_images']} images ({phase1_images} of "
        f"{REFERENCE_SPLIT_SIZE:,} scaled), tallies over the last {n['phase1_tallied']}. Forks: {n['forks']} examples "
        f"from the remaining images. Net {dataset.images.shape[1] * dataset.images.shape[2]}-{recipe.hidden}-2, "
        f"{activation} hidden, output {output}, loss {recipe.loss}, plain SGD with learning rate "
        f"{recipe.learning_rate}, He init of weights and biases, {recipe.n_seeds} seeds (inits). Phase-1 nets classify "
        f"the held-out remaining examples with accuracy {_fmt_accuracy(summary['held_out_accuracy'])}."
    )
    return Section("Setup", text)


def _q_vs_r_section(summary: dict, members: list[analysis.MemberAttribution], p_perm: dict, accuracy, *,
                    n_permutations: int) -> Section:
    w, b = summary["r2_weights"], summary["r2_biases"]
    text = (
        f"R^2 of q on r over the {len(members)} seeds, with its 95% interval where 3 or more seeds give one (Student t "
        f"on the logit scale, as R^2 lies in [0, 1]): weights {_fmt(w)} (paper "
        f"{PAPER_R2['weights']}), biases {_fmt(b)} (paper {PAPER_R2['biases']}). Slopes: weights "
        f"{_fmt(summary['slope_weights'])}, biases {_fmt(summary['slope_biases'])}. Block permutation p-values (r "
        f"shuffled between whole hidden units, {n_permutations} permutations), per seed: weights "
        f"{[round(p, 4) for p in p_perm['weight']]}, biases {[round(p, 4) for p in p_perm['bias']]}. OLS p-values "
        f"(assume independent points, which weights are not): weights "
        f"{[f'{p:.1e}' for p in summary['p_weights']['ols_assumes_independent_points']]}, biases "
        f"{[f'{p:.1e}' for p in summary['p_biases']['ols_assumes_independent_points']]}. Excluded parameters "
        f"(a+b = 0 or c+d = 0): weights {summary['excluded']['weights']} of {summary['excluded']['n_weights']}, "
        f"biases {summary['excluded']['biases']} of {summary['excluded']['n_biases']}."
    )
    rows = [[e, m.weight.r2, m.weight.slope, m.weight.correlation_low, m.weight.correlation_high, p_perm["weight"][e],
             m.weight.p_ols, m.bias.r2, m.bias.slope, p_perm["bias"][e], m.bias.p_ols, float(accuracy[e])]
            for e, m in enumerate(members)]
    seed_table = Table("per_seed", ["seed", "r2_weights", "slope_weights", "corr_low_weights*", "corr_high_weights*",
                                    "p_perm_weights", "p_ols_weights*", "r2_biases", "slope_biases", "p_perm_biases",
                                    "p_ols_biases*", "held_out_accuracy"], rows,
                       "Per seed. * assume independent points (Fisher-z interval of the correlation, OLS t-test).")
    sigmoid = summary["r2_by_activation"].get("sigmoid")
    paper_table = Table("paper_vs_measured", ["quantity", "paper", "measured"], [
        ["R^2 weights", f"{PAPER_R2['weights']} (one net, 60k split)", _fmt(w)],
        ["R^2 biases", f"{PAPER_R2['biases']}, p<0.0001 (t-test)", _fmt(b)],
        ["sigmoid", "no correlation seen", f"weights {_fmt(sigmoid['weights'])}" if sigmoid else "not run"],
    ], "Paper's numbers beside ours.")
    first = members[0]
    figure = Figure("q_vs_r", viz.relative_scatter_figure(*first.weight_blocks, first.r_bias, first.q_bias,
                                                          first.weight, first.bias),
                    "q against r for seed 0: weights (colour = hidden unit the weight enters or leaves, small "
                    "markers) and biases, with the least-squares line.",
                    interactive=viz.attribution_scatter_figure(*first.weight_blocks, first.r_bias, first.q_bias,
                                                               first.weight, first.bias, seed=0))
    return Section("Relative updating against relative fork difference", text, [figure], [paper_table, seed_table])


def _pixel_section(summary: dict, pixel_map) -> Section:
    pixels = summary["pixel_correlation"]
    return Section(
        "Per-pixel correlation", "Correlation of r and q over the hidden-unit weights leaving each input pixel, mean "
        f"over seeds (mean over pixels {pixels['mean_over_pixels']:.3f}, positive for "
        f"{100 * pixels['fraction_positive']:.0f}% of pixels).",
        [Figure("pixel_map", viz.correlation_map_figure(pixel_map),
                "Per-pixel correlation of r and q (mean over seeds).")])


def _activation_sweep_section(summary: dict, activations: list[str], *, output_activation: str) -> Section:
    by_act = summary["r2_by_activation"]
    rows = [[act, _fmt(by_act[act]["weights"]), _fmt(by_act[act]["biases"]),
             _fmt_accuracy(by_act[act]["held_out_accuracy"]), float(np.mean(by_act[act]["excluded_weights"])),
             float(np.mean(by_act[act]["excluded_biases"]))] for act in activations]
    table = Table("activation_sweep", ["activation", "r2_weights", "r2_biases", "held_out_accuracy",
                                       "excluded_weights_mean", "excluded_biases_mean"], rows,
                  f"R^2 over the same seeds with its 95% interval (Student t on the logit scale; none below 3 seeds); paper: softplus works ({PAPER_R2['weights']} / "
                  f"{PAPER_R2['biases']}), sigmoid shows 'nothing like this'.")
    return Section(
        "Activation sweep", f"The same seeds and data with each hidden activation (outputs follow "
        f"output_activation={output_activation!r}).",
        [Figure("activation_sweep", viz.r2_by_setting_figure(by_act, {"softplus": PAPER_R2}),
                "R^2 per activation: dots are seeds, bars the 95% interval over seeds around its centre (logit scale; none "
                "below 3 seeds); crosses the paper's "
                "softplus values.")], [table])


def _fork_length_section(summary: dict) -> Section:
    fork_length = summary["r2_against_fork_length"]
    return Section(
        "R^2 against fork length", "The forks' params were also kept at fractions of their length (same runs, "
        "earlier stopping): if the test split's shorter forks were what lowers R^2, it would rise with fork length.",
        [Figure("r2_vs_fork_length", viz.r2_against_steps_figure(fork_length["fork_steps"], fork_length, PAPER_R2),
                "R^2 of q on r against the number of fork steps (centre over seeds with its 95% interval on the logit "
                "scale; no band below 3 seeds).")])


def _phase1_section(losses: dict[str, np.ndarray]) -> Section:
    return Section(
        "Phase-1 training", "Per-step loss of phase 1 (mean over seeds); the paper says the loss reaches its minimum "
        "early in the first epoch.",
        [Figure("phase1_loss", viz.running_loss_figure(losses),
                "Phase-1 per-sample loss, running mean over 50 steps.",
                interactive=viz.curves_figure([viz.Curve(name, np.arange(len(loss)), loss) for name, loss in losses.items()],
                                              xlabel="step", ylabel="per-sample loss", log_y=True,
                                              title="phase-1 loss (raw, not smoothed)"))])


def _deviations(summary: dict, recipe: _Recipe, dataset: tasks.Dataset, *,
                fork_examples: int | None) -> list[Deviation]:
    n = summary["n_examples"]
    rows = [
        Deviation("data split", "MNIST training split (60,000 images)",
                  f"{dataset.name} {dataset.split} split ({summary['split_size']} images)",
                  "the training split is not in the data directory" if not summary["reproduction"] else "same"),
        Deviation("windows", "phase 1 = four-digit examples among the first 12,000 (or 1,200) of 60,000; forks on the rest",
                  f"first {summary['phase1_window_images']} images ({n['phase1']} examples); forks {n['forks']} examples",
                  "windows scaled by the split's size, keeping the paper's proportions"),
        Deviation("loss, output, learning rate", "not stated",
                  f"{recipe.loss} on {recipe.output_activation} outputs, SGD lr {recipe.learning_rate}"
                  + (f", forks at lr {recipe.fork_learning_rate}" if recipe.fork_learning_rate != recipe.learning_rate else ""),
                  "fixed before measuring (MSE on softplus outputs; lr 0.1); R^2 depends mostly on "
                  "the forks' rate: the regime map (--set preset=regime-map) maps it from 0.1 to 1e-4"),
        Deviation("evaluation split", "not named", "held-out accuracy on the split's images after the phase-1 window",
                  "never seen by phase 1 (the forks train on them); the regime map adds the test split"),
        Deviation("networks", "one network", f"{recipe.n_seeds} seeds (initialisations), same data order",
                  "R^2 of one net has no error bar"),
        Deviation("p-values", "t-test for biases; none for weights",
                  "block permutation (r shuffled between hidden units) and OLS, marked",
                  "weights cluster by hidden unit; OLS assumes independence"),
        Deviation("weights/biases pooled", "not stated which layers",
                  f"both layers pooled ({summary['excluded']['n_weights']} weights, {summary['excluded']['n_biases']} biases)",
                  "the paper's plots do not say"),
        Deviation("activation sweep", "sigmoid net (presumably sigmoid everywhere) showed nothing",
                  f"hidden activation swept, output {recipe.output_activation}",
                  "keeps the loss and targets fixed across the sweep; output_activation='same' swaps both layers"),
        Deviation("fork training", "per-sample SGD", f"per-sample SGD via the {recipe.fork_engine!r} path",
                  "'blocked' computes the same SGD steps in blocks (tested against the engine to 1e-5 in float32); "
                  "float rounding can still move chaotic trajectories, changing per-seed R^2 by ~0.002"),
    ]
    if fork_examples is not None:
        rows.append(Deviation("fork length", "all remaining data", f"at most {fork_examples} examples per fork",
                              "fork_examples set (e.g. the smoke preset)"))
    return rows


_QVR = "Relative updating against relative fork difference"
# the paper's numbers (one network, 60k training split) and the rule of each verdict, fixed before measuring
HEADLINES = (
    Headline("R^2 of q on r, weights", "r2_weights", PAPER_R2["weights"], rule=PaperInInterval(), section=_QVR),
    Headline("R^2 of q on r, biases", "r2_biases", PAPER_R2["biases"], paper_spread="p < 0.0001", rule=PaperInInterval(),
             section=_QVR),
    Headline("slope of q on r, weights", "slope_weights", paper_text="positive (plot)",
             rule=IntervalAbove(0.0, "a positive slope"), section=_QVR),
    Headline("pixels with positive corr(r, q)", ("pixel_correlation", "fraction_positive"), paper_text="mostly > 0",
             rule=AtLeast(0.5, "'mostly' read as more than half"), section="Per-pixel correlation"),
)


STUDY = Study(
    name="update-attribution",
    description="Per-sample SGD on MNIST with per-parameter update tallies by class group",
    config_class=UpdateAttributionConfig,
    run=run,
    paper="update-attribution-mnist.txt",
    headlines=HEADLINES,
)
