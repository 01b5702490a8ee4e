"""Study ``update-attribution``: where does a network store what it learned from each class?

Reproduces "update-attribution-mnist" (``../shared/papers/update-attribution-mnist.txt``): a
784-100-2 softplus network is trained by per-sample SGD on MNIST 1/7 (group A) against 6/8
(group B); during the second half of phase 1 every parameter's |update| is tallied by group,
giving the relative updating r = a/(a+b). Four forks of the phase-1 net are then trained on the
remaining data restricted to 1 vs 6/8, 7 vs 6/8, 1/7 vs 6 and 1/7 vs 8, giving the relative
difference q = c/(c+d). The paper's figures: q against r for weights (R^2 = 0.28) and biases
(R^2 = 0.17), the per-pixel correlation map, and the remark that sigmoid nets show nothing.
This study adds seeds, a block permutation test and an activation sweep.
"""

from __future__ import annotations

import math
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator

from .. import analysis, nets, tasks, train, viz
from ._base import ConfigError, Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table

REFERENCE_SPLIT_SIZE = 60_000  # the paper's windows refer to MNIST's 60,000-image training split
PAPER_R2 = {"weights": 0.28, "biases": 0.17}
N_FORK_SNAPSHOTS = 8  # fork params kept at 1/8, 2/8, ... of the fork length (R^2 against fork length)


class UpdateAttributionConfig(StudyConfig):
    """Config of the update-attribution study (defaults = the default run)."""

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

    PRESETS = {
        "default": {},
        "smoke": {"n_seeds": 2, "sweep_activations": ["softplus"], "phase1_images": 6000,
                  "fork_examples": 240, "n_permutations": 999},
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
        if self.fork_examples is not None and self.fork_examples < 1:
            raise ValueError(f"fork_examples must be >= 1 or None, got {self.fork_examples}")
        return self


def _load(config: UpdateAttributionConfig, ctx) -> tasks.Dataset:
    if config.split == "auto":
        try:
            dataset = tasks.load_dataset(config.dataset, "train", download=False)
        except tasks.DataUnavailable:
            dataset = tasks.load_dataset(config.dataset, "test")
    else:
        dataset = tasks.load_dataset(config.dataset, config.split)
    ctx.data_files(dataset.files)
    return dataset


def _blocks_by_hidden_unit(leaves):
    """Stack ``[layer0 (d_in, h), layer1 (h, d_out)]`` arrays into ``(d_in + d_out, h)``: column j
    holds every weight into and out of hidden unit j."""
    return np.concatenate([leaves[0], leaves[1].T], axis=0)


def _analyse_member(params_tally, forks, member: int) -> dict:
    """r, q, fits, permutation p-values and the pixel correlations of one seed."""
    out = {}
    for kind in ("weight", "bias"):
        r_layers = [analysis.relative_updating(layer[kind][member, 0], layer[kind][member, 1]) for layer in params_tally]
        q_layers = [analysis.relative_difference(*(layer[kind][k, member] for k in range(4))) for layer in forks]
        fit = analysis.fit_relative(np.concatenate([x.ravel() for x in r_layers]), np.concatenate([x.ravel() for x in q_layers]))
        if kind == "weight":
            r_blocks, q_blocks = _blocks_by_hidden_unit(r_layers), _blocks_by_hidden_unit(q_layers)
            out["pixel_correlation"] = analysis.row_correlations(r_layers[0], q_layers[0])
        else:
            r_blocks = np.concatenate([x.ravel() for x in r_layers])[None]
            q_blocks = np.concatenate([x.ravel() for x in q_layers])[None]
            out["r_bias"], out["q_bias"] = r_blocks[0], q_blocks[0]
        out[kind] = fit
        out[f"{kind}_blocks"] = (r_blocks, q_blocks)
    return out


def _run_activation(config, act, spec_out, data, phase1_order, tally_from, subsets, ctx):
    """Phase 1 with tallies and the four forks for one activation, all seeds at once."""
    spec = nets.mlp([data["x"].shape[1], config.hidden, 2], act, act if spec_out == "same" else spec_out)
    params = nets.init(spec, key=jax.random.key(config.seed), n_networks=config.n_seeds, bias_scheme="same")
    loss_fn = train.mlp_loss(spec, config.loss)
    phase1 = train.online_sgd_with_tallies(
        loss_fn, params, data, learning_rate=config.learning_rate, order=phase1_order, tally_from=tally_from,
        checkpointer=ctx.checkpointer(f"phase1-{act}"), progress=f"phase 1 ({act})")
    snapshot_every = math.ceil(max(s.size for s in subsets) / N_FORK_SNAPSHOTS)
    if config.fork_engine == "blocked":
        forks = ctx.cached(f"forks-{act}", lambda: train.blocked_forks(
            spec, phase1.params, data, subsets, learning_rate=config.learning_rate, loss=config.loss,
            snapshot_every=snapshot_every))
    else:
        forks = train.train_forks(
            loss_fn, phase1.params, data, subsets, learning_rate=config.learning_rate, snapshot_every=snapshot_every,
            checkpointer=ctx.checkpointer(f"forks-{act}"), progress=f"forks ({act})")
    return spec, phase1, forks


def _r2_against_fork_length(tallies, forks, n_seeds) -> dict:
    """R^2 (weights, biases) per seed with the forks stopped at each snapshot (step 0 skipped)."""
    steps = [int(t) for t in forks.snapshot_steps if t > 0]
    out = {"steps": steps, "weights": [], "biases": []}
    for i, step in enumerate(forks.snapshot_steps):
        if step == 0:
            continue
        snapshot = jax.tree_util.tree_map(lambda p, i=i: p[i], forks.snapshots)
        fits = [_analyse_member(tallies, snapshot, e) for e in range(n_seeds)]
        out["weights"].append([f["weight"].r2 for f in fits])
        out["biases"].append([f["bias"].r2 for f in fits])
    return out


def _accuracy_dict(accuracy, n_examples: int) -> dict:
    """Held-out accuracy per seed with its Wilson 95% interval (a fraction of n_examples)."""
    correct = [int(round(a * n_examples)) for a in accuracy]
    return {"mean": float(np.mean(accuracy)), "min": float(np.min(accuracy)), "max": float(np.max(accuracy)),
            "per_seed": [float(a) for a in accuracy], "n_examples": n_examples,
            "wilson_per_seed": [list(analysis.proportion_interval(k, n_examples)) for k in correct]}


def _fmt_accuracy(d: dict) -> str:
    half = max((hi - lo) / 2 for lo, hi in d["wilson_per_seed"])
    return f"{d['mean']:.3f} (seeds {d['min']:.3f} to {d['max']:.3f}, each +-{half:.3f} Wilson 95%)"


def _interval_dict(values) -> dict:
    """Mean, std and 95% t-interval over the finite values (NaN seeds are listed but not used)."""
    values = [float(v) for v in values]
    finite = np.asarray([v for v in values if math.isfinite(v)])
    mean, low, high = analysis.mean_interval(finite)
    return {"mean": mean, "std": float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan,
            "low": low, "high": high, "n": int(finite.size), "per_seed": values}


def run(config: UpdateAttributionConfig, ctx) -> StudyResult:
    dataset = _load(config, ctx)
    group_a, group_b = tasks.check_class_groups(config.groups, dataset.n_classes)
    halves_a, halves_b = tasks.split_group(group_a), tasks.split_group(group_b)
    task = tasks.class_group_task(dataset.images, dataset.labels, (group_a, group_b),
                                  pixel_max=dataset.pixel_max, n_classes=dataset.n_classes)
    window = max(2, round(config.phase1_images * len(dataset) / REFERENCE_SPLIT_SIZE))
    in_phase1 = task["index"] < window
    phase1_order = np.flatnonzero(in_phase1)
    rest = np.flatnonzero(~in_phase1)
    if phase1_order.size < 4 or rest.size < 4:
        raise ConfigError(f"phase-1 window of {window} images leaves {phase1_order.size} phase-1 and "
                          f"{rest.size} fork examples; choose another phase1_images")
    tally_from = phase1_order.size // 2 if config.tally_window == "second_half" else 0
    labels = task["label"]
    fork_classes = [(halves_a[0], group_b), (halves_a[1], group_b), (group_a, halves_b[0]), (group_a, halves_b[1])]
    subsets = [rest[np.isin(labels[rest], (*ca, *cb))][:config.fork_examples] for ca, cb in fork_classes]
    data = {"x": jnp.asarray(task["x"]), "y": jnp.asarray(task["y"]), "group": jnp.asarray(task["group"])}

    activations = list(dict.fromkeys([config.activation, *config.sweep_activations]))
    per_act, main = {}, None
    for act in activations:
        spec, phase1, forks = _run_activation(config, act, config.output_activation, data, phase1_order,
                                              tally_from, subsets, ctx)
        members = [_analyse_member(phase1.aux, forks.params, e) for e in range(config.n_seeds)]
        held_out = np.asarray(nets.apply(spec, phase1.params, data["x"][rest]))
        accuracy = (held_out.argmax(-1) == task["group"][rest]).mean(axis=-1)
        per_act[act] = {"members": members, "accuracy": accuracy, "loss": np.asarray(phase1.loss)}
        if act == config.activation:
            main = {"spec": spec, "phase1": phase1, "forks": forks.params,
                    "fork_length": _r2_against_fork_length(phase1.aux, forks, config.n_seeds)}

    members = per_act[config.activation]["members"]
    for e, member in enumerate(members):
        for kind in ("weight", "bias"):
            r_blocks, q_blocks = member[f"{kind}_blocks"]
            member[f"p_perm_{kind}"] = analysis.block_permutation_test(
                r_blocks, q_blocks, n_permutations=config.n_permutations, seed=config.seed + e)

    def stat(act, kind, field):
        return [getattr(m[kind], field) for m in per_act[act]["members"]]

    accuracy = per_act[config.activation]["accuracy"]
    summary = {
        "dataset": dataset.name,
        "split": dataset.split,
        "split_size": len(dataset),
        "reproduction": dataset.split == "train" and dataset.name == "mnist" and len(dataset) == REFERENCE_SPLIT_SIZE,
        "n_examples": {"phase1": int(phase1_order.size), "phase1_tallied": int(phase1_order.size - tally_from),
                       "forks": [int(s.size) for s in subsets], "held_out_for_accuracy": int(rest.size)},
        "phase1_window_images": int(window),
        "phase1_images_of_60000": config.phase1_images,
        "groups": {"A": list(group_a), "B": list(group_b), "A_halves": [list(h) for h in halves_a],
                   "B_halves": [list(h) for h in halves_b]},
        "activation": config.activation,
        "r2_weights": {**_interval_dict(stat(config.activation, "weight", "r2")), "paper": PAPER_R2["weights"]},
        "r2_biases": {**_interval_dict(stat(config.activation, "bias", "r2")), "paper": PAPER_R2["biases"]},
        "slope_weights": _interval_dict(stat(config.activation, "weight", "slope")),
        "slope_biases": _interval_dict(stat(config.activation, "bias", "slope")),
        "p_weights": {"block_permutation_by_hidden_unit": [m["p_perm_weight"] for m in members],
                      "ols_assumes_independent_points": stat(config.activation, "weight", "p_ols"),
                      "n_permutations": config.n_permutations},
        "p_biases": {"permutation": [m["p_perm_bias"] for m in members],
                     "ols_assumes_independent_points": stat(config.activation, "bias", "p_ols"),
                     "n_permutations": config.n_permutations},
        "excluded": {"weights": stat(config.activation, "weight", "n_excluded"),
                     "biases": stat(config.activation, "bias", "n_excluded"),
                     "n_weights": members[0]["weight"].n + members[0]["weight"].n_excluded,
                     "n_biases": members[0]["bias"].n + members[0]["bias"].n_excluded},
        "r2_by_activation": {act: {"weights": _interval_dict(stat(act, "weight", "r2")),
                                   "biases": _interval_dict(stat(act, "bias", "r2")),
                                   "held_out_accuracy": _accuracy_dict(per_act[act]["accuracy"], int(rest.size)),
                                   "seeds_with_r2": int(np.isfinite(stat(act, "weight", "r2")).sum()),
                                   "excluded_weights": stat(act, "weight", "n_excluded"),
                                   "excluded_biases": stat(act, "bias", "n_excluded")}
                             for act in activations},
        "held_out_accuracy": _accuracy_dict(accuracy, int(rest.size)),
        "r2_against_fork_length": {
            "fork_steps": main["fork_length"]["steps"],
            "weights": [_interval_dict(v) for v in main["fork_length"]["weights"]],
            "biases": [_interval_dict(v) for v in main["fork_length"]["biases"]]},
        "loss": config.loss, "output_activation": config.output_activation, "learning_rate": config.learning_rate,
    }

    image_shape = dataset.images.shape[1:]
    pixel_map = np.nanmean(np.stack([m["pixel_correlation"] for m in members]), axis=0).reshape(image_shape) \
        if np.isfinite(np.stack([m["pixel_correlation"] for m in members])).any() else np.full(image_shape, np.nan)
    summary["pixel_correlation"] = {"mean_over_pixels": float(np.nanmean(pixel_map)),
                                    "fraction_positive": float(np.nanmean(pixel_map > 0))}

    sections = _sections(config, summary, per_act, members, pixel_map, activations, dataset)
    phase1, forks = main["phase1"], main["forks"]
    params, docs = {}, {}
    for l, layer in enumerate(phase1.params):
        for kind, value in layer.items():
            params[f"phase1.layer{l}.{kind}"] = np.asarray(value)
            docs[f"phase1.layer{l}.{kind}"] = f"phase-1 net ({config.activation}), (E seeds, ...)"
            params[f"tally.layer{l}.{kind}"] = np.asarray(phase1.aux[l][kind])
            docs[f"tally.layer{l}.{kind}"] = "sum of |update| per group (E, 2 = [A, B], ...)"
            params[f"forks.layer{l}.{kind}"] = np.asarray(forks[l][kind])
            docs[f"forks.layer{l}.{kind}"] = "fork finals (4 = [A1 vs B, A2 vs B, A vs B1, A vs B2], E, ...)"
    metrics = {"step": np.arange(phase1_order.size)}
    for act in activations:
        metrics[f"phase1_loss_{act}"] = per_act[act]["loss"].mean(axis=1)
    return StudyResult(summary=summary, params=params, param_docs=docs, metrics=metrics, sections=sections,
                       deviations=_deviations(config, summary, dataset))


def _fmt(d: dict) -> str:
    return f"{d['mean']:.3f} [{d['low']:.3f}, {d['high']:.3f}]"


def _sections(config, summary, per_act, members, pixel_map, activations, dataset) -> list[Section]:
    n = summary["n_examples"]
    data_text = (
        f"Data: {dataset.name} {dataset.split} split ({summary['split_size']} images). "
        + ("This is the paper's split: the numbers below are a reproduction." if summary["reproduction"] else
           f"The paper used the 60,000-image training split, which is not in the data directory; the windows are "
           f"scaled by {summary['split_size']}/{REFERENCE_SPLIT_SIZE}, so this is NOT a reproduction of the paper's "
           "numbers, only of its method on less data.")
        + f" Groups A = {summary['groups']['A']}, B = {summary['groups']['B']}. Phase 1: the {n['phase1']} examples of "
        f"these classes among the first {summary['phase1_window_images']} images ({config.phase1_images} of 60,000 "
        f"scaled), tallies over the last {n['phase1_tallied']}. Forks: {n['forks']} examples from the remaining images. "
        f"Net {dataset.images.shape[1] * dataset.images.shape[2]}-{config.hidden}-2, {config.activation} hidden, "
        f"output {config.output_activation}, loss {config.loss}, plain SGD with learning rate {config.learning_rate}, "
        f"He init of weights and biases, {config.n_seeds} seeds (inits). Phase-1 nets classify the held-out "
        f"remaining examples with accuracy {_fmt_accuracy(summary['held_out_accuracy'])}."
    )
    w, b = summary["r2_weights"], summary["r2_biases"]
    result_text = (
        f"R^2 of q on r, mean over {config.n_seeds} seeds with 95% t-interval: weights {_fmt(w)} (paper 0.28), "
        f"biases {_fmt(b)} (paper 0.17). Slopes: weights {_fmt(summary['slope_weights'])}, biases "
        f"{_fmt(summary['slope_biases'])}. Block permutation p-values (r shuffled between whole hidden units, "
        f"{config.n_permutations} permutations), per seed: weights {[round(p, 4) for p in summary['p_weights']['block_permutation_by_hidden_unit']]}, "
        f"biases {[round(p, 4) for p in summary['p_biases']['permutation']]}. OLS p-values (assume independent "
        f"points, which weights are not): weights {[f'{p:.1e}' for p in summary['p_weights']['ols_assumes_independent_points']]}, "
        f"biases {[f'{p:.1e}' for p in summary['p_biases']['ols_assumes_independent_points']]}. Excluded parameters "
        f"(a+b = 0 or c+d = 0): weights {summary['excluded']['weights']} of {summary['excluded']['n_weights']}, "
        f"biases {summary['excluded']['biases']} of {summary['excluded']['n_biases']}."
    )
    rows = []
    for e, m in enumerate(members):
        rows.append([e, m["weight"].r2, m["weight"].slope, m["weight"].correlation_low, m["weight"].correlation_high,
                     m["p_perm_weight"], m["weight"].p_ols, m["bias"].r2, m["bias"].slope, m["p_perm_bias"],
                     m["bias"].p_ols, float(per_act[config.activation]["accuracy"][e])])
    seed_table = Table("per_seed", ["seed", "r2_weights", "slope_weights", "corr_low_weights*", "corr_high_weights*",
                                    "p_perm_weights", "p_ols_weights*", "r2_biases", "slope_biases", "p_perm_biases",
                                    "p_ols_biases*", "held_out_accuracy"], rows,
                       "Per seed. * assume independent points (Fisher-z interval of the correlation, OLS t-test).")
    sweep_rows = [[act, _fmt(summary["r2_by_activation"][act]["weights"]), _fmt(summary["r2_by_activation"][act]["biases"]),
                   _fmt_accuracy(summary["r2_by_activation"][act]["held_out_accuracy"]),
                   float(np.mean(summary["r2_by_activation"][act]["excluded_weights"])),
                   float(np.mean(summary["r2_by_activation"][act]["excluded_biases"]))] for act in activations]
    sweep_table = Table("activation_sweep", ["activation", "r2_weights", "r2_biases", "held_out_accuracy",
                                             "excluded_weights_mean", "excluded_biases_mean"], sweep_rows,
                        "R^2 mean [95% t-interval] over the same seeds; paper: softplus works (0.28 / 0.17), sigmoid "
                        "shows 'nothing like this'.")
    paper_table = Table("paper_vs_measured", ["quantity", "paper", "measured"], [
        ["R^2 weights", "0.28 (one net, 60k split)", _fmt(w)],
        ["R^2 biases", "0.17, p<0.0001 (t-test)", _fmt(b)],
        ["sigmoid", "no correlation seen", f"weights {_fmt(summary['r2_by_activation']['sigmoid']['weights'])}"
         if "sigmoid" in summary["r2_by_activation"] else "not run"],
    ], "Paper's numbers beside ours.")
    return [
        Section("Setup", data_text),
        Section("Relative updating against relative fork difference", result_text,
                [Figure("q_vs_r", viz.relative_scatter_figure(
                    *members[0]["weight_blocks"], members[0]["r_bias"], members[0]["q_bias"], members[0]["weight"],
                    members[0]["bias"]), "q against r for seed 0: weights (colour = hidden unit "
                        "the weight enters or leaves, small markers) and biases, with the least-squares line.")],
                [paper_table, seed_table]),
        Section("Per-pixel correlation", "Correlation of r and q over the hidden-unit weights leaving each input "
                f"pixel, mean over seeds (mean over pixels {summary['pixel_correlation']['mean_over_pixels']:.3f}, "
                f"positive for {100 * summary['pixel_correlation']['fraction_positive']:.0f}% of pixels).",
                [Figure("pixel_map", viz.correlation_map_figure(pixel_map), "Per-pixel correlation of r and q (mean over seeds).")]),
        Section("Activation sweep", "The same seeds and data with each hidden activation (outputs follow "
                f"output_activation={config.output_activation!r}).",
                [Figure("activation_sweep", viz.r2_by_setting_figure(
                    summary["r2_by_activation"], {"softplus": PAPER_R2}), "R^2 per activation: dots are seeds, "
                        "bars the mean with its 95% interval; crosses the paper's softplus values.")], [sweep_table]),
        Section("R^2 against fork length", "The forks' params were also kept at fractions of their length "
                "(same runs, earlier stopping): if the test split's shorter forks were what lowers R^2, it would "
                "rise with fork length.", [Figure("r2_vs_fork_length", viz.r2_against_steps_figure(
                    summary["r2_against_fork_length"]["fork_steps"], summary["r2_against_fork_length"], PAPER_R2),
                                                  "R^2 of q on r against the number of fork steps (mean over seeds, "
                                                  "95% interval).")]),
        Section("Phase-1 training", "Per-step loss of phase 1 (mean over seeds); the paper says the loss reaches "
                "its minimum early in the first epoch.", [Figure("phase1_loss", viz.running_loss_figure(
                    {act: per_act[act]["loss"].mean(axis=1) for act in activations}),
                                                                 "Phase-1 per-sample loss, running mean over 50 steps.")]),
    ]


def _deviations(config, summary, dataset) -> list[Deviation]:
    n = summary["n_examples"]
    rows = [
        Deviation("data split", "MNIST training split (60,000 images)",
                  f"{dataset.name} {dataset.split} split ({summary['split_size']} images)",
                  "only the test split is available offline" if not summary["reproduction"] else "same"),
        Deviation("windows", "phase 1 = four-digit examples among the first 12,000 (or 1,200) of 60,000; forks on the rest",
                  f"first {summary['phase1_window_images']} images ({n['phase1']} examples); forks {n['forks']} examples",
                  "windows scaled by the split's size, as the issue asks"),
        Deviation("loss, output, learning rate", "not stated",
                  f"{config.loss} on {config.output_activation} outputs, SGD lr {config.learning_rate}",
                  "fixed before measuring (MSE on softplus outputs as the issue says; lr 0.1, then checked that "
                  "the phase-1 loss levels off within phase 1 as the paper reports); all three are options"),
        Deviation("networks", "one network", f"{config.n_seeds} seeds (initialisations), same data order",
                  "R^2 of one net has no error bar"),
        Deviation("p-values", "t-test for biases; none for weights",
                  "block permutation (r shuffled between hidden units) and OLS, marked",
                  "weights cluster by hidden unit; OLS assumes independence"),
        Deviation("weights/biases pooled", "not stated which layers",
                  f"both layers pooled ({summary['excluded']['n_weights']} weights, {summary['excluded']['n_biases']} biases)",
                  "the paper's plots do not say"),
        Deviation("activation sweep", "sigmoid net (presumably sigmoid everywhere) showed nothing",
                  f"hidden activation swept, output {config.output_activation}",
                  "keeps the loss and targets fixed across the sweep; output_activation='same' swaps both layers"),
        Deviation("fork training", "per-sample SGD", f"per-sample SGD via the {config.fork_engine!r} path",
                  "'blocked' computes the same SGD steps in blocks (tested against the engine to 1e-5 in float32); "
                  "float rounding can still move chaotic trajectories, changing per-seed R^2 by ~0.002"),
    ]
    if config.fork_examples is not None:
        rows.append(Deviation("fork length", "all remaining data", f"at most {config.fork_examples} examples per fork",
                              "fork_examples set (e.g. the smoke preset)"))
    return rows


STUDY = Study(
    name="update-attribution",
    description="Per-sample SGD on MNIST with per-parameter update tallies by class group",
    config_class=UpdateAttributionConfig,
    run=run,
    paper="update-attribution-mnist.txt",
)
