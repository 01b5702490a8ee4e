"""Study ``xor-basins``: loss basins, logic gates and minimal circuits of small sigmoid XOR nets.

Paper: ``xor-basins.txt`` (SERI MATS write-up "Learning XOR"). Reproduces and extends: the
fraction of 2-2-1 sigmoid nets reaching 100% / 75% / 50% accuracy; t-SNE clusters of final
params and K-means agreement; gate labels of the units (NAND, NOR, implication); the permuted
twin that the paper did not see; minimal XOR sub-networks in width-3 nets (paper: 14 of 20)
and split computation; splicing three XOR nets into one 4-input net; the activation covariance
of the spliced net (paper: 5 large singular values of 9). Adds tests of "cluster = basin":
linear mode connectivity, Hessian spectra, trajectories, and which initialisations succeed.

Everything here composes library functions: ``nets`` (init, surgery), ``train``
(``fit_small_ensemble``), ``analysis`` (gates, ablation, alignment, landscape, embedding,
covariance, statistics) and ``viz``.
"""

from __future__ import annotations

import time
from typing import Literal

import jax
import numpy as np
from pydantic import Field, field_validator, model_validator

from .. import analysis, nets, tasks, train, viz
from ..analysis import format_fraction, proportion_interval
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table

ACCURACY_CLASSES = ("1.0", "0.75", "0.5", "other")


class XorBasinsConfig(StudyConfig):
    """Options of ``toyscope run xor-basins`` (defaults = the default run)."""

    n_networks: int = Field(1000, ge=10, description="networks in the main ensemble")
    width: int = Field(2, ge=1, le=8, description="hidden width of the main ensemble (paper: 2, the 5-neuron net)")
    width_large: int = Field(3, ge=2, le=8, description="hidden width for the minimal-circuit study (paper: 3)")
    n_networks_large: int | None = Field(None, ge=10, description="networks of width_large (default: n_networks)")
    targets: str = Field("0110", description="truth table over (0,0),(0,1),(1,0),(1,1); 0110 = XOR")
    init_scheme: str = Field("torch_default", description="initialiser (see toyscope.nets.SCHEMES)")
    init_scale: float | None = Field(None, gt=0, description="sigma0 for init_scheme='normal'")
    optimizer: Literal["sgd", "momentum", "adam", "adamw"] = "sgd"
    learning_rate: float = Field(1.0, gt=0)
    n_steps: int = Field(5000, ge=10)
    record_every: int = Field(50, ge=1)
    snapshot_every: int = Field(250, ge=1)
    analysis_sample: int = Field(5000, ge=50, description="max networks for t-SNE, pairs, trajectories, figures")
    tsne_perplexity: float = Field(30.0, gt=1)
    tsne_iterations: int = Field(1000, ge=250)
    n_clusters: int | Literal["auto"] = "auto"
    canonical_key: Literal["outgoing", "incoming_norm", "bias"] = "outgoing"
    n_pairs: int = Field(300, ge=10, description="pairs within and between clusters for loss barriers")
    n_trajectories: int = Field(150, ge=2)
    init_scales: list[float] = Field(default_factory=lambda: [0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    n_networks_per_scale: int = Field(1000, ge=10)
    splice_inputs: int = Field(4, ge=2, le=10)
    splice_pairs: list[list[int]] = Field(default_factory=lambda: [[1, 2], [2, 3], [3, 4]],
                                          description="1-based input pairs of the spliced XOR blocks")
    splice_noise: float = Field(0.0, ge=0, description="std of the off-block weights at splice time")
    splice_steps: int = Field(5000, ge=10)

    PRESETS = {
        "default": {},
        "smoke": {"n_networks": 128, "n_steps": 1000, "init_scales": [1.0], "n_networks_per_scale": 128,
                  "analysis_sample": 128, "n_pairs": 40, "n_trajectories": 20, "splice_steps": 300,
                  "tsne_perplexity": 15.0, "tsne_iterations": 250},
    }

    @field_validator("targets")
    @classmethod
    def _binary_targets(cls, value: str) -> str:
        if len(value) != 4 or set(value) - {"0", "1"}:
            raise ValueError("targets must be 4 characters of 0/1 (a truth table over (0,0),(0,1),(1,0),(1,1))")
        return value

    @field_validator("init_scheme")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value not in nets.SCHEMES:
            raise ValueError(f"unknown init scheme; valid: {', '.join(nets.SCHEMES)}")
        return value

    @field_validator("init_scales")
    @classmethod
    def _positive_scales(cls, value: list[float]) -> list[float]:
        if not value or any(s <= 0 for s in value):
            raise ValueError("init_scales must be a non-empty list of positive numbers")
        return value

    @model_validator(mode="after")
    def _consistent(self):
        if self.n_steps % self.record_every or self.snapshot_every % self.record_every:
            raise ValueError(f"record_every={self.record_every} must divide n_steps and snapshot_every")
        if self.init_scheme == "normal" and self.init_scale is None:
            raise ValueError("init_scheme='normal' needs init_scale")
        for pair in self.splice_pairs:
            if len(pair) != 2 or pair[0] == pair[1] or not all(1 <= i <= self.splice_inputs for i in pair):
                raise ValueError(f"splice pair {pair} must be two different inputs in 1..{self.splice_inputs}")
        return self


# --------------------------------------------------------------------------------------------
# Training


def _init(spec, config, key, n, scheme=None, scale=None):
    scheme = scheme or config.init_scheme
    scale = scale if scale is not None else config.init_scale
    return nets.init(spec, key=key, n_networks=n, scheme=scheme, scale=scale)


def train_ensemble(spec, params, data, config, *, snapshot_every=None, progress=None):
    """Full-batch training of an ensemble: the fast path for plain GD on many nets, the general engine otherwise."""
    if config.optimizer == "sgd" and nets.ensemble_size(params) >= 64:
        return train.fit_small_ensemble(spec, params, data["x"], data["y"], loss="bce",
                                        learning_rate=config.learning_rate, n_steps=config.n_steps,
                                        record_every=config.record_every, snapshot_every=snapshot_every,
                                        progress=progress)
    return train.fit(spec, params, data, loss="bce", optimizer=config.optimizer, learning_rate=config.learning_rate,
                     n_steps=config.n_steps, record_every=config.record_every, snapshot_every=snapshot_every,
                     progress=progress)


def accuracy(spec, params, data) -> np.ndarray:
    """Fraction of the data points each network classifies correctly (logit > 0 means class 1): ``(E,)``."""
    logits = np.asarray(nets.apply(spec, params, data["x"]))
    return ((logits > 0) == (data["y"] > 0.5)).mean(axis=(1, 2))


def accuracy_class(acc: np.ndarray) -> np.ndarray:
    """'1.0', '0.75', '0.5' or 'other' per network."""
    out = np.full(acc.shape, "other", dtype=object)
    for name in ("1.0", "0.75", "0.5"):
        out[np.isclose(acc, float(name))] = name
    return out.astype(str)


def fraction_rows(classes: np.ndarray) -> tuple[dict, list[list]]:
    n = len(classes)
    fractions, rows = {}, []
    for name in ACCURACY_CLASSES:
        k = int((classes == name).sum())
        low, high = proportion_interval(k, n)
        fractions[name] = {"count": k, "fraction": k / n, "interval": [low, high]}
        rows.append([name, k, format_fraction(k, n)])
    return fractions, rows


# --------------------------------------------------------------------------------------------
# The study


def run(config: XorBasinsConfig, ctx) -> StudyResult:
    started = time.perf_counter()
    stage_seconds: dict[str, float] = {}
    clock = {"name": None, "t": started}

    def stage(name: str | None) -> None:
        """Close the running stage's timer and start ``name``'s."""
        now = time.perf_counter()
        if clock["name"]:
            stage_seconds[clock["name"]] = round(now - clock["t"], 2)
        clock.update(name=name, t=now)

    rng = np.random.default_rng(config.seed)
    keys = jax.random.split(jax.random.key(config.seed), 6)
    data = tasks.boolean_task(np.array([int(c) for c in config.targets]), 2)
    spec = nets.mlp([2, config.width, 1], "sigmoid")
    sections: list[Section] = []
    summary: dict = {"n_networks": config.n_networks, "width": config.width, "targets": config.targets}

    # ---- 1. train the main ensemble --------------------------------------------------------
    stage("train")
    init_params = _init(spec, config, keys[0], config.n_networks)
    result = ctx.cached("main_ensemble", lambda: train_ensemble(
        spec, init_params, data, config, progress=f"training {config.n_networks} nets"))
    final = result.params
    acc = accuracy(spec, final, data)
    classes = accuracy_class(acc)
    fractions, fraction_table = fraction_rows(classes)
    summary["accuracy_fractions"] = {k: v["fraction"] for k, v in fractions.items()}
    summary["accuracy_fraction_intervals"] = {k: v["interval"] for k, v in fractions.items()}
    final_loss = result.loss[-1]
    loss_rows, plateau = _loss_by_class(result, classes)
    summary["final_loss_median_by_class"] = {r[0]: r[2] for r in loss_rows}
    sections.append(_training_section(config, spec, result, classes, fraction_table, loss_rows, plateau))

    # ---- 2. gate labels and signatures (all networks) --------------------------------------
    stage("gates")
    labels = analysis.circuit_labels(spec, final, data["x"])
    signature_counts = _counts(labels.signatures)
    summary["signature_counts"] = signature_counts
    consistent = int(labels.composition_consistent.sum())
    summary["gate_composition_consistent_fraction"] = consistent / config.n_networks
    summary["gate_composition_consistent_interval"] = list(proportion_interval(consistent, config.n_networks))
    twins = labels.twin_counts()
    summary["permuted_twin_counts"] = twins

    # ---- 3. parameter space: canonical form, clusters, embeddings --------------------------
    stage("clusters_embeddings")
    flat = np.asarray(nets.flatten_params(final), np.float64)
    canonical = analysis.canonicalize_hidden_units(spec, final, key=config.canonical_key)
    flat_canonical = np.asarray(nets.flatten_params(canonical), np.float64)
    km_raw, k_raw = analysis.kmeans_clusters(flat, config.n_clusters, seed=config.seed)
    km_can, k_can = analysis.kmeans_clusters(flat_canonical, config.n_clusters, seed=config.seed)
    summary["kmeans_ari"] = analysis.adjusted_rand(km_raw, classes)
    summary["kmeans_ari_canonical"] = analysis.adjusted_rand(km_can, classes)
    summary["kmeans_k"] = {"raw": k_raw, "canonical": k_can}
    summary["kmeans_ari_signature_canonical"] = analysis.adjusted_rand(km_can, labels.unordered_signatures)

    sample = np.sort(rng.choice(config.n_networks, min(config.n_networks, config.analysis_sample), replace=False))
    tsne = ctx.cached("tsne", lambda: analysis.tsne_embedding(
        flat[sample], seed=config.seed, perplexity=config.tsne_perplexity, iterations=config.tsne_iterations))
    km_tsne, _ = analysis.kmeans_clusters(tsne, k_raw, seed=config.seed)
    summary["kmeans_tsne_ari"] = analysis.adjusted_rand(km_raw[sample], km_tsne)
    summary["twins_in_different_clusters"] = {"raw": _twins_split(labels, km_raw), "canonical": _twins_split(labels, km_can)}
    pca_raw, var_raw = analysis.pca_embedding(flat[sample])
    pca_can, var_can = analysis.pca_embedding(flat_canonical[sample])
    sections.append(_embedding_section(config, summary, classes, sample, tsne, km_raw, km_can, pca_raw, var_raw,
                                       pca_can, var_can, k_raw, k_can))
    sections.append(_gates_section(config, labels, classes, km_can, signature_counts, twins, consistent))

    # ---- 4. basins: mode connectivity and sharpness ----------------------------------------
    stage("basins")
    loss_of_flat = analysis.flat_mlp_loss(spec, data, "bce")
    grad_norm = analysis.gradient_norms(loss_of_flat, flat.astype(np.float32))
    eigenvalues = analysis.hessian_eigenvalues(loss_of_flat, flat.astype(np.float32))
    basin_section, basin_summary = _basin_section(config, spec, canonical, flat_canonical, km_can, classes, sample,
                                                  loss_of_flat, grad_norm, eigenvalues, final_loss, rng)
    summary.update(basin_summary)
    sections.append(basin_section)

    # ---- 5. trajectories and "close initialisations end close" ----------------------------
    stage("trajectories")
    flat_init = np.asarray(nets.flatten_params(init_params), np.float64)
    members = sample[: config.n_trajectories]
    # Trajectories: the sampled members retrained with snapshots (same inits, same full-batch GD,
    # so the same paths) instead of keeping snapshots of every network of the ensemble.
    trajectories = ctx.cached("trajectories", lambda: train_ensemble(
        spec, _members(init_params, members), data, config, snapshot_every=config.snapshot_every))
    traj_section, traj_summary = _trajectory_section(config, trajectories, classes[members], flat_init, flat, sample)
    summary.update(traj_summary)
    sections.append(traj_section)

    # ---- 6. which initialisations succeed --------------------------------------------------
    stage("init_success")
    success = classes == "1.0"
    auc = analysis.success_auc(flat_init, success, seed=config.seed)
    summary["init_success_auc"] = None if auc is None else auc[0]
    scale_rows = ctx.cached("init_scales", lambda: _scale_sweep(config, spec, data, keys[1]))
    summary["success_by_init_scale"] = {str(r[0]): r[1] / r[2] for r in scale_rows}
    sections.append(_init_section(config, auc, scale_rows, success))

    # ---- 7. decision boundaries -----------------------------------------------------------
    stage("decision_boundaries")
    sections.append(_decision_section(spec, final, data, km_can, classes, labels, flat_canonical, config))

    # ---- 8. minimal circuits in wider nets -------------------------------------------------
    stage("minimal_circuits")
    spec_large = nets.mlp([2, config.width_large, 1], "sigmoid")
    n_large = config.n_networks_large or config.n_networks
    init_large = _init(spec_large, config, keys[2], n_large)
    result_large = ctx.cached("large_ensemble", lambda: train_ensemble(
        spec_large, init_large, data, config, progress=f"training {n_large} width-{config.width_large} nets"))
    minimal_section, minimal_summary = _minimal_section(config, spec_large, result_large, data)
    summary.update(minimal_summary)
    sections.append(minimal_section)

    # ---- 9. splicing and the activation covariance ----------------------------------------
    stage("splice")
    splice_section, splice_summary, splice_params = _splice_section(config, spec, final, success, keys[3], ctx)
    summary.update(splice_summary)
    sections.append(splice_section)

    stage(None)
    summary["stage_seconds"] = stage_seconds
    summary["wall_seconds_study"] = round(time.perf_counter() - started, 2)
    params_out = {f"final.layer{i}.{k}": np.asarray(v) for i, layer in enumerate(final) for k, v in layer.items()}
    params_out.update({f"init.layer{i}.{k}": np.asarray(v) for i, layer in enumerate(init_params) for k, v in layer.items()})
    params_out.update({f"large.layer{i}.{k}": np.asarray(v) for i, layer in enumerate(result_large.params)
                       for k, v in layer.items()})
    params_out["trajectory.flat"] = _trajectory_flat(trajectories)
    params_out["trajectory.steps"] = np.asarray(trajectories.snapshot_steps)
    params_out["trajectory.members"] = np.asarray(members)
    params_out.update(splice_params)
    docs = {
        "final.layer0.weight": f"(E, 2, {config.width}) input->hidden weights after training (y = x @ W + b)",
        "init.layer0.weight": "(E, 2, width) the same at initialisation",
        "large.layer0.weight": f"(E_large, 2, {config.width_large}) width-{config.width_large} nets after training",
        "trajectory.flat": "(n_snapshots, n_trajectories, P) flat params (nets.flatten_params order) of a sample",
        "trajectory.steps": "(n_snapshots,) training step of each snapshot",
        "trajectory.members": "(n_trajectories,) ensemble index of each trajectory",
    }
    metrics = {"step": result.steps}
    for name in ACCURACY_CLASSES:
        chosen = classes == name
        if chosen.any():
            metrics[f"median_loss_{name}"] = np.median(result.loss[:, chosen], axis=1)
    return StudyResult(summary=summary, params=params_out, param_docs=docs, metrics=metrics, sections=sections,
                       deviations=_deviations(config, summary))


def _members(params, index):
    return [{k: np.asarray(v)[index] for k, v in layer.items()} for layer in params]


def _trajectory_flat(result) -> np.ndarray:
    """``(n_snapshots, E, P)`` flat params of every snapshot of ``result``."""
    snaps = [{k: np.asarray(v) for k, v in layer.items()} for layer in result.snapshots]
    return np.stack([np.asarray(nets.flatten_params([{k: v[t] for k, v in layer.items()} for layer in snaps]))
                     for t in range(len(result.snapshot_steps))])


def _twins_split(labels, clusters) -> list[int]:
    """``[split, total]``: of the circuits seen in both hidden-unit orders, how many have the two
    orders' most common clusters differ."""
    split = total = 0
    for unordered in np.unique(labels.unordered_signatures):
        members = labels.unordered_signatures == unordered
        orders = np.unique(labels.signatures[members])
        if len(orders) < 2:
            continue
        modal = {o: np.bincount(clusters[members & (labels.signatures == o)]).argmax() for o in orders[:2]}
        total += 1
        split += int(len(set(modal.values())) > 1)
    return [split, total]


def _counts(values) -> dict[str, int]:
    unique, counts = np.unique(np.asarray(values), return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return {str(unique[i]): int(counts[i]) for i in order}


# --------------------------------------------------------------------------------------------
# Sections


def _loss_by_class(result, classes):
    rows, plateau = [], {}
    steps = result.steps
    last = steps >= 0.8 * steps[-1]
    for name in ACCURACY_CLASSES:
        chosen = classes == name
        if not chosen.any():
            continue
        losses = result.loss[:, chosen]
        final = losses[-1]
        median_curve = np.median(losses, axis=1)
        # log-log slope of the median loss over the last 20% of training: about -1 for
        # separable data with sigmoid/BCE (loss ~ 1/t), about 0 on a plateau.
        slope = float(np.polyfit(np.log(steps[last] + 1), np.log(median_curve[last]), 1)[0])
        drop = float(1 - median_curve[-1] / median_curve[last][0])
        plateau[name] = {"loglog_slope": slope, "relative_drop_last_20pct": drop}
        rows.append([name, int(chosen.sum()), float(np.median(final)), float(np.quantile(final, 0.1)),
                     float(np.quantile(final, 0.9)), slope, drop])
    return rows, plateau


def _training_section(config, spec, result, classes, fraction_table, loss_rows, plateau) -> Section:
    fig, (ax_bar, ax_loss) = viz.new_figure(10, 3.6, ncols=2)
    n = len(classes)
    for i, name in enumerate(ACCURACY_CLASSES):
        k = int((classes == name).sum())
        low, high = proportion_interval(k, n)
        ax_bar.bar(i, k / n, color=viz.PALETTE[i], yerr=[[max(k / n - low, 0)], [max(high - k / n, 0)]],
                   capsize=4)
    ax_bar.set_xticks(range(4), [f"{c} acc." for c in ACCURACY_CLASSES])
    ax_bar.set_ylabel("fraction of networks (95% Wilson)")
    ax_bar.set_title(f"{n} sigmoid 2-{config.width}-1 nets, {config.n_steps} steps of full-batch GD", fontsize=9)
    for i, name in enumerate(ACCURACY_CLASSES):
        chosen = classes == name
        if chosen.any():
            viz.quantile_band(ax_loss, np.maximum(result.steps, 1), result.loss[:, chosen], color=viz.PALETTE[i],
                              label=f"{name} acc.")
    ax_loss.set_xscale("log")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("BCE loss (median, 10-90%)")
    ax_loss.legend(fontsize=8, frameon=False)
    falling = [name for name, p in plateau.items() if p["loglog_slope"] < -0.3]
    flat_classes = [name for name, p in plateau.items() if p["loglog_slope"] >= -0.3]
    text = (
        f"Default run: {n} networks, init '{config.init_scheme}'"
        f"{'' if config.init_scale is None else f' (sigma0 = {config.init_scale})'}, optimiser {config.optimizer}, "
        f"learning rate {config.learning_rate}, {config.n_steps} full-batch steps on the 4 points "
        f"(truth table {config.targets}), BCE on the logit. These settings were chosen before measuring "
        "(PyTorch's default initialisation, as the paper's code most likely used, and a plain GD rate of 1) "
        "and were not tuned.\n\n"
        "Sigmoid + BCE on separable data has no finite minimiser: on a solved net the loss keeps falling as the "
        "weights grow, roughly like 1/t (log-log slope -1). Over the last 20% of training the median loss of the "
        f"classes {', '.join(falling) or 'none'} is still falling (slope < -0.3), while "
        f"{', '.join(flat_classes) or 'none'} sit on a plateau (an unsolved point keeps the loss up). "
        "So a loss 'stuck at 0.3-0.6' is what a net that misclassifies a point (or is still escaping a "
        "plateau) shows; a solved net does not stop at a positive loss, it only slows down."
    )
    return Section(
        "Training and accuracy", text,
        [Figure("accuracy_and_loss", fig, "Left: fraction of networks at each training accuracy with 95% Wilson "
                "intervals. Right: BCE loss over training per accuracy class (median and 10-90% band), log-log.")],
        [Table("accuracy_fractions", ["accuracy", "networks", "fraction [95% CI]"], fraction_table,
               "Final training accuracy on the 4 points."),
         Table("final_loss_by_class", ["accuracy", "networks", "median loss", "10%", "90%", "log-log slope (last 20%)",
                                       "relative drop (last 20%)"], loss_rows,
               "Final loss per accuracy class, and whether it is still falling at the end.")],
    )


def _embedding_section(config, summary, classes, sample, tsne, km_raw, km_can, pca_raw, var_raw, pca_can, var_can,
                       k_raw, k_can) -> Section:
    fig, axes = viz.new_figure(11, 7.5, nrows=2, ncols=2)
    viz.scatter_by_label(axes[0, 0], tsne, classes[sample], order=ACCURACY_CLASSES)
    axes[0, 0].set_title("t-SNE of final params, coloured by accuracy", fontsize=9)
    viz.scatter_by_label(axes[0, 1], tsne, km_raw[sample], names={i: f"cluster {i}" for i in range(k_raw)})
    axes[0, 1].set_title(f"t-SNE, coloured by K-means (k={k_raw}) in parameter space", fontsize=9)
    viz.scatter_by_label(axes[1, 0], pca_raw, classes[sample], order=ACCURACY_CLASSES)
    axes[1, 0].set_title(f"PCA of raw params ({100 * var_raw.sum():.0f}% variance)", fontsize=9)
    viz.scatter_by_label(axes[1, 1], pca_can, classes[sample], order=ACCURACY_CLASSES)
    axes[1, 1].set_title(f"PCA after sorting hidden units ({100 * var_can.sum():.0f}% variance)", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    text = (
        f"t-SNE (perplexity {config.tsne_perplexity}, seeded) on {len(sample)} networks' final parameters "
        f"({'all' if len(sample) == len(classes) else 'a seeded subsample'}), and K-means in the original "
        f"parameter space (all {len(classes)} networks) with k chosen by silhouette (k = {k_raw} raw, {k_can} after "
        "canonicalisation). "
        f"Adjusted Rand index of K-means with the accuracy classes: {summary['kmeans_ari']:.3f} on raw parameters, "
        f"{summary['kmeans_ari_canonical']:.3f} after sorting hidden units by their outgoing weight; with the "
        f"circuit signatures (canonical): {summary['kmeans_ari_signature_canonical']:.3f}. Agreement of K-means in "
        f"parameter space with K-means on the t-SNE picture (same k): ARI {summary['kmeans_tsne_ari']:.3f}.\n\n"
        "Hidden-unit permutation symmetry: every solution has a twin with its hidden units swapped. Of the "
        f"{summary['twins_in_different_clusters']['raw'][1]} circuits seen in both orders, the two orders' most "
        f"common K-means clusters differ for {summary['twins_in_different_clusters']['raw'][0]} on raw parameters "
        f"and for {summary['twins_in_different_clusters']['canonical'][0]} after canonicalisation (see the gate "
        "section for how often each twin occurs)."
    )
    return Section("Parameter space: clusters and embeddings", text,
                   [Figure("embeddings", fig, "Final parameters in t-SNE and PCA, coloured by accuracy class and by "
                           "K-means cluster. Canonical = hidden units sorted by outgoing weight.")])


def _gates_section(config, labels, classes, km_can, signature_counts, twins, consistent) -> Section:
    n = len(classes)
    rows = []
    for sig, count in list(signature_counts.items())[:15]:
        chosen = labels.signatures == sig
        acc_mix = ", ".join(f"{c}: {int((classes[chosen] == c).sum())}" for c in ACCURACY_CLASSES
                            if (classes[chosen] == c).any())
        rows.append([sig, count, format_fraction(count, n), acc_mix])
    twin_rows = []
    for unordered, orders in list(twins.items())[:10]:
        total = sum(orders.values())
        parts = "; ".join(f"{o} ({c})" for o, c in orders.items())
        twin_rows.append([unordered, total, len(orders), parts])
    cluster_rows = []
    for c in np.unique(km_can):
        chosen = km_can == c
        top = _counts(labels.unordered_signatures[chosen])
        first = next(iter(top.items()))
        cluster_rows.append([int(c), int(chosen.sum()), first[0], format_fraction(first[1], int(chosen.sum())),
                             len(top)])
    inconsistent = ~labels.composition_consistent
    bad_rows = [[sig, count, ", ".join(f"{c}: {int((classes[inconsistent & (labels.signatures == sig)] == c).sum())}"
                                       for c in ACCURACY_CLASSES
                                       if (classes[inconsistent & (labels.signatures == sig)] == c).any())]
                for sig, count in list(_counts(labels.signatures[inconsistent]).items())[:10]] if inconsistent.any() else []
    text = (
        "Each unit is labelled by its truth table on the four binary inputs (on = pre-activation > 0, i.e. "
        "sigmoid > 0.5), named among the 16 two-input Boolean functions; A is the first argument, B the second. "
        "The output is also read as a function of the hidden units' binary pattern; patterns no input produces "
        "are don't-cares, so every consistent gate is listed (the paper's 'implication' is A_NIMPLY_B = A AND "
        "NOT B, which with NAND and NOR hidden units is indistinguishable from XOR on the reachable patterns).\n\n"
        f"Composing the labelled gates reproduces the network's own classification of the 4 points in "
        f"{format_fraction(consistent, n)} of networks; where it does not, a hidden unit sits near 0.5 on some "
        "input so its binary label misstates what the output reads."
    )
    return Section("Logic gates and circuit signatures", text, [], [
        Table("signatures", ["signature (hidden -> output)", "networks", "fraction [95% CI]", "accuracy classes"], rows,
              "Most common circuit signatures (hidden units in network order)."),
        Table("permuted_twins", ["signature up to hidden-unit order", "networks", "orders seen", "each order (count)"],
              twin_rows, "Permuted twins: how often each ordering of the same circuit occurs. The paper saw no "
              "NOR/NAND-swapped twin in 100 runs."),
        Table("signatures_per_cluster", ["K-means cluster (canonical)", "networks", "top signature", "share",
                                         "distinct signatures"], cluster_rows,
              "Does a cluster in parameter space hold one circuit?"),
        Table("composition_failures", ["signature", "networks where composition fails", "accuracy classes"], bad_rows,
              "Where composing the binary gate labels does not reproduce the network's classification."),
    ])


def _pair_indices(labels, sample, n_pairs, rng, within: bool):
    sample_labels = labels[sample]
    pairs = []
    tries = 0
    while len(pairs) < n_pairs and tries < 50 * n_pairs:
        tries += 1
        i, j = rng.choice(len(sample), 2, replace=False)
        if (sample_labels[i] == sample_labels[j]) == within:
            pairs.append((sample[i], sample[j]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _basin_section(config, spec, canonical, flat_canonical, clusters, classes, sample, loss_of_flat, grad_norm,
                   eigenvalues, final_loss, rng):
    summary = {}
    barrier_rows, barriers = [], {}
    for kind, within in (("within cluster", True), ("between clusters", False)):
        pairs = _pair_indices(clusters, sample, config.n_pairs, rng, within)
        if len(pairs) == 0:
            continue
        a = [{k: np.asarray(v)[pairs[:, 0]] for k, v in layer.items()} for layer in canonical]
        b = [{k: np.asarray(v)[pairs[:, 1]] for k, v in layer.items()} for layer in canonical]
        b_aligned = analysis.align_hidden_units(spec, b, a)
        theta_a = np.asarray(nets.flatten_params(a), np.float32)
        theta_b = np.asarray(nets.flatten_params(b_aligned), np.float32)
        barrier = analysis.loss_barriers(loss_of_flat, theta_a, theta_b)
        barriers[kind] = barrier
        connected = int((barrier < 1e-3).sum())
        low, high = proportion_interval(connected, len(barrier))
        barrier_rows.append([kind, len(barrier), float(np.median(barrier)), float(np.quantile(barrier, 0.9)),
                             format_fraction(connected, len(barrier))])
        summary[f"barrier_median_{'within' if within else 'between'}"] = float(np.median(barrier))
        summary[f"connected_fraction_{'within' if within else 'between'}"] = [connected / len(barrier), low, high]
    top = eigenvalues[:, -1]
    bottom = eigenvalues[:, 0]
    sharp_rows = []
    for c in np.unique(clusters):
        chosen = clusters == c
        mix = _counts(classes[chosen])
        sharp_rows.append([int(c), int(chosen.sum()), ", ".join(f"{k}: {v}" for k, v in mix.items()),
                           float(np.median(final_loss[chosen])), float(np.median(grad_norm[chosen])),
                           float(np.median(top[chosen])), float(np.median(bottom[chosen])), config.n_steps])
    summary["hessian_top_eigenvalue_median"] = float(np.median(top))
    summary["gradient_norm_median"] = float(np.median(grad_norm))
    fig, (ax_b, ax_h) = viz.new_figure(10, 3.6, ncols=2)
    for i, (kind, barrier) in enumerate(barriers.items()):
        ax_b.hist(np.log10(np.maximum(barrier, 1e-8)), bins=40, alpha=0.6, color=viz.PALETTE[i], label=kind)
    ax_b.set_xlabel("log10 loss barrier on the straight path (aligned)")
    ax_b.set_ylabel("pairs")
    ax_b.legend(fontsize=8, frameon=False)
    for i, name in enumerate(ACCURACY_CLASSES):
        chosen = classes == name
        if chosen.any():
            ax_h.scatter(np.log10(np.maximum(grad_norm[chosen], 1e-12)), np.log10(np.maximum(np.abs(top[chosen]), 1e-12)),
                         s=4, alpha=0.5, color=viz.PALETTE[i], label=f"{name} acc.")
    ax_h.set_xlabel("log10 gradient norm at the end")
    ax_h.set_ylabel("log10 top Hessian eigenvalue")
    ax_h.legend(fontsize=8, frameon=False, markerscale=3)
    text = (
        "Is a cluster a basin? Two tests. (1) Linear mode connectivity: for pairs of networks in the same "
        "K-means cluster (canonical parameters) and in different clusters, the second network's hidden units are "
        "aligned to the first's (exact Hungarian matching over unit features), then the loss is evaluated on "
        "the straight path between them (25 points). The barrier is the largest excess over the linear "
        "interpolation of the endpoint losses; 'connected' means barrier < 1e-3. (2) Sharpness: the Hessian "
        f"of the loss at the point where training stopped (step {config.n_steps}), with the gradient norm there. "
        "Sigmoid + BCE on XOR has no finite minimum for solved nets, so these are not minima: the gradient is "
        "small but non-zero and the curvature keeps shrinking as the weights grow."
    )
    return Section("Basins: mode connectivity and sharpness", text,
                   [Figure("basins", fig, "Left: loss barriers within and between clusters (barriers <= 1e-8, "
                           "including exact zeros, are drawn at -8). Right: gradient norm vs top "
                           "Hessian eigenvalue at the final point, per accuracy class.")],
                   [Table("barriers", ["pairs", "n", "median barrier", "90% quantile", "connected [95% CI]"], barrier_rows),
                    Table("sharpness_per_cluster", ["cluster", "networks", "accuracy classes", "median loss",
                                                    "median |grad|", "median top eigenvalue",
                                                    "median bottom eigenvalue", "stopped at step"], sharp_rows)]), summary


def _trajectory_section(config, trajectories, member_classes, flat_init, flat_final, sample):
    summary = {}
    figures = []
    if trajectories.snapshots is not None:
        traj = _trajectory_flat(trajectories)  # (T, M, P)
        members = range(traj.shape[1])
        points = traj.reshape(-1, traj.shape[-1])
        pca_points, _ = analysis.pca_embedding(points)
        pca_points = pca_points.reshape(traj.shape[0], traj.shape[1], 2)
        fig, ax = viz.new_figure(6, 5)
        for m in members:
            colour = viz.PALETTE[ACCURACY_CLASSES.index(member_classes[m])]
            ax.plot(pca_points[:, m, 0], pca_points[:, m, 1], color=colour, alpha=0.5, linewidth=0.8)
            ax.scatter(pca_points[-1, m, 0], pca_points[-1, m, 1], color=colour, s=10)
        ax.scatter(pca_points[0, :, 0], pca_points[0, :, 1], color="k", s=4, label="initialisations")
        for i, name in enumerate(ACCURACY_CLASSES):
            ax.plot([], [], color=viz.PALETTE[i], label=f"ends at {name} acc.")
        ax.legend(fontsize=7, frameon=False)
        ax.set_title(f"{traj.shape[1]} trajectories in the PCA plane of their own snapshots", fontsize=9)
        figures.append(Figure("trajectories", fig, "Training trajectories (snapshots every "
                              f"{config.snapshot_every} steps) projected on the top two principal axes of all "
                              "snapshot points; dots mark the ends, coloured by final accuracy."))
    pairs_sample = sample[: min(len(sample), 2000)]
    rho, n_pairs = analysis.distance_rank_correlation(flat_init[pairs_sample], flat_final[pairs_sample])
    low, high = analysis.correlation_interval(rho, len(pairs_sample))
    summary["init_final_distance_spearman"] = [rho, low, high]
    text = (
        f"'Close initialisations end close': Spearman rank correlation between the distance of two networks' "
        f"initial parameters and the distance of their final parameters, over {n_pairs} pairs of "
        f"{len(pairs_sample)} networks: rho = {rho:.3f} (95% interval {low:.3f} to {high:.3f}; Fisher interval "
        f"with n = {len(pairs_sample)} networks, not pairs, since pairs share networks)."
    )
    return Section("Trajectories", text, figures), summary


def _scale_sweep(config, spec, data, key):
    rows = []
    for i, scale in enumerate(config.init_scales):
        unit = nets.init(spec, key=jax.random.fold_in(key, i), n_networks=config.n_networks_per_scale,
                         scheme="normal", scale=1.0)
        params = jax.tree_util.tree_map(lambda a: scale * a, unit)  # N(0, scale^2), one compiled init
        result = train_ensemble(spec, params, data, config)
        success = int((accuracy(spec, result.params, data) == 1.0).sum())
        rows.append([scale, success, config.n_networks_per_scale])
    return rows


def _init_section(config, auc, scale_rows, success) -> Section:
    fig, ax = viz.new_figure(5.5, 3.6)
    scales = np.array([r[0] for r in scale_rows])
    frac = np.array([r[1] / r[2] for r in scale_rows])
    intervals = np.array([proportion_interval(r[1], r[2]) for r in scale_rows])
    ax.errorbar(scales, frac, yerr=[np.maximum(frac - intervals[:, 0], 0), np.maximum(intervals[:, 1] - frac, 0)], marker="o", capsize=3)
    ax.axhline(success.mean(), color="grey", linestyle="--", label=f"default init ({config.init_scheme})")
    ax.set_xscale("log")
    ax.set_xlabel("init scale sigma0 (all weights and biases ~ N(0, sigma0^2))")
    ax.set_ylabel("fraction at 100% accuracy")
    ax.legend(fontsize=8, frameon=False)
    rows = [[r[0], r[2], format_fraction(r[1], r[2])] for r in scale_rows]
    auc_text = ("could not be computed (fewer than 5 networks in a class)" if auc is None else
                f"{auc[0]:.3f} (std over 5 folds {auc[1]:.3f})")
    text = (
        "Which initialisations succeed? A logistic regression on the initial parameters (and their squares, "
        "standardised) predicting whether a network ends at 100% accuracy, 5-fold cross-validated ROC AUC: "
        f"{auc_text}. 0.5 would mean the initialisation carries no information that a linear-quadratic "
        "classifier can find. The sweep trains fresh ensembles with every weight and bias drawn from N(0, sigma0^2)."
    )
    return Section("Which initialisations succeed", text,
                   [Figure("init_scale", fig, "Success rate (100% accuracy) against the initialisation scale, "
                           "95% Wilson intervals.")],
                   [Table("success_by_scale", ["sigma0", "networks", "100% accuracy [95% CI]"], rows)])


def _decision_section(spec, final, data, clusters, classes, labels, flat_canonical, config) -> Section:
    cluster_ids = np.unique(clusters)
    n = len(cluster_ids)
    cols = min(n, 4)
    rows_n = int(np.ceil(n / cols))
    fig, axes = viz.new_figure(2.6 * cols, 2.6 * rows_n, nrows=rows_n, ncols=cols)
    axes = np.atleast_1d(axes).ravel()
    for ax, c in zip(axes, cluster_ids):
        members = np.flatnonzero(clusters == c)
        centre = flat_canonical[members].mean(axis=0)
        representative = members[np.argmin(((flat_canonical[members] - centre) ** 2).sum(1))]
        one = [{k: np.asarray(v)[representative] for k, v in layer.items()} for layer in final]
        grid = viz.decision_grid(spec, one)
        names = ",".join(analysis.gate_name(t) for t in labels.hidden_tables[representative])
        viz.plot_decision(ax, grid, data["x"], data["y"],
                          f"cluster {c} (n={len(members)})\n{classes[representative]} acc.; hidden {names}")
    for ax in axes[n:]:
        ax.set_visible(False)
    return Section("Decision boundaries", "One representative per K-means cluster (canonical parameters): the "
                   "member nearest the cluster centre. Pink = class 1, green = class 0, black line = 0.5.",
                   [Figure("decision_boundaries", fig, "Decision boundary of each cluster's representative on "
                           "[0,1]^2, with the 4 training points.")])


def _minimal_section(config, spec_large, result_large, data):
    final = result_large.params
    acc = accuracy(spec_large, final, data)
    classes = accuracy_class(acc)
    fractions, fraction_rows_large = fraction_rows(classes)
    circuits = analysis.minimal_circuits(spec_large, final, data["x"], target_units=2)
    solved = classes == "1.0"
    n_solved = int(solved.sum())
    k_min = int((circuits.has_minimal_subnetwork & solved).sum())
    k_merge = int((circuits.merge_repaired & solved).sum())
    low, high = proportion_interval(k_min, n_solved) if n_solved else (float("nan"), float("nan"))
    summary = {
        "large_accuracy_fractions": {k: v["fraction"] for k, v in fractions.items()},
        "minimal_subnetwork_fraction": k_min / n_solved if n_solved else None,
        "minimal_subnetwork_interval": [low, high],
        "minimal_subnetwork_count": [k_min, n_solved],
        "split_computation_count": k_merge,
        "large_final_loss_median": float(np.median(result_large.loss[-1])),
    }
    # which single units can go
    removable = circuits.keeps_classification[:, circuits.masks.sum(1) == config.width_large - 1]
    rows = [["contains a 2-unit sub-network with the same classification", format_fraction(k_min, n_solved)],
            ["... only after merging two units with the same gate (split computation)", format_fraction(k_merge, n_solved)],
            ["neither", format_fraction(n_solved - k_min - k_merge, n_solved)],
            ["mean number of removable single units", f"{removable[solved].sum(1).mean():.2f}" if n_solved else "-"]]
    fig, ax = viz.new_figure(5.5, 3.6)
    ax.hist(result_large.loss[-1], bins=60, color=viz.PALETTE[1])
    ax.set_xlabel(f"final BCE loss, width-{config.width_large} nets")
    ax.set_ylabel("networks")
    ax.axvspan(0.3, 0.6, color="grey", alpha=0.2, label="paper: 0.3-0.6")
    ax.legend(fontsize=8, frameon=False)
    text = (
        f"{len(classes)} sigmoid 2-{config.width_large}-1 nets (the paper's '6-neuron' net for width 3), trained "
        f"like the main ensemble. Of the {n_solved} that reach 100% accuracy, "
        f"{format_fraction(k_min, n_solved)} contain a 2-hidden-unit sub-network (remove the other units) that "
        f"classifies all 4 points as the full net does (paper: 14 of 20, about 46-88%). "
        f"{k_merge} more need the split-computation repair: two units with the same truth table, one removed "
        "and its outgoing weight added to the other. Median final loss of the width-"
        f"{config.width_large} nets: {summary['large_final_loss_median']:.3g} after {config.n_steps} steps "
        "(the paper got 0.3-0.6)."
    )
    return Section(f"Minimal circuits in width-{config.width_large} nets", text,
                   [Figure("large_loss", fig, f"Final loss of the width-{config.width_large} nets.")],
                   [Table("large_accuracy", ["accuracy", "networks", "fraction [95% CI]"], fraction_rows_large),
                    Table("minimal_circuits", ["among nets at 100% accuracy", "fraction [95% CI]"], rows)]), summary


def _splice_section(config, spec, final, success, key, ctx):
    pairs = [[i - 1 for i in pair] for pair in config.splice_pairs]
    n_blocks = len(pairs)
    solved = np.flatnonzero(success)
    if len(solved) < n_blocks:
        text = f"Skipped: only {len(solved)} networks reached 100% accuracy, {n_blocks} are needed."
        return Section("Splicing XOR nets", text), {"splice_blocks_still_xor": [], "covariance_singular_values": []}, {}
    blocks = [[{k: np.asarray(v)[i] for k, v in layer.items()} for layer in final] for i in solved[:n_blocks]]
    big_spec, big = nets.splice_blocks(spec, blocks, pairs, config.splice_inputs, off_block=config.splice_noise, key=key)
    x = tasks.binary_inputs(config.splice_inputs)
    xi = x.astype(np.int64)
    y = np.stack([xi[:, i] ^ xi[:, j] for i, j in pairs], axis=1).astype(np.float32)
    before = [{k: np.asarray(v) for k, v in layer.items()} for layer in big]
    params = jax.tree_util.tree_map(lambda a: np.asarray(a)[None], big)
    splice_config = config.model_copy(update={"n_steps": config.splice_steps, "record_every": 1})
    trained = ctx.cached("splice", lambda: train_ensemble(big_spec, params, {"x": x, "y": y}, splice_config))
    after = [{k: np.asarray(v)[0] for k, v in layer.items()} for layer in trained.params]
    mask = nets.block_mask(big_spec, pairs)
    off = np.concatenate([np.abs(a["weight"][~m["weight"]]) for a, m in zip(after, mask)])
    block_rows, still = [], []
    xor_data = tasks.xor_task()
    for b in range(n_blocks):
        old = nets.extract_block(big_spec, before, pairs, b)
        new = nets.extract_block(big_spec, after, pairs, b)
        drift = float(np.linalg.norm(np.asarray(nets.flatten_params(new)) - np.asarray(nets.flatten_params(old))) /
                      np.linalg.norm(np.asarray(nets.flatten_params(old))))
        ok = bool(accuracy(spec, jax.tree_util.tree_map(lambda a: np.asarray(a)[None], new), xor_data)[0] == 1.0)
        still.append(ok)
        block_rows.append([b + 1, str(config.splice_pairs[b]), f"{drift:.3f}", ok])
    big_acc = float(((np.asarray(nets.apply(big_spec, after, x)) > 0) == (y > 0.5)).mean())
    # activation covariance over all binary inputs, before and after retraining
    unit_names = [f"h{i + 1}" for i in range(big_spec.widths[1])] + [f"y{i + 1}" for i in range(big_spec.widths[2])]
    h = spec.widths[1]
    block_units = [list(range(b * h, (b + 1) * h)) + [big_spec.widths[1] + b] for b in range(n_blocks)]
    cov_rows, spectra = [], {}
    for name, p in (("after retraining", after), ("at splice time", before)):
        cov = analysis.activation_covariance(analysis.unit_activations(big_spec, p, x))
        s = np.linalg.svd(cov, compute_uv=False)
        spectra[name] = (cov, s)
        cov_rows.append([name, analysis.effective_rank(s), f"{analysis.block_structure_score(cov, block_units):.3f}",
                         f"{analysis.block_structure_baseline(len(cov), block_units):.3f}",
                         ", ".join(f"{v:.2e}" for v in s)])
    cov, s = spectra["after retraining"]
    fig, (ax_c, ax_s) = viz.new_figure(10, 4, ncols=2)
    viz.heatmap(ax_c, cov, labels=unit_names, title="activation covariance over the 16 binary inputs")
    for i, (name, (_, spec_s)) in enumerate(spectra.items()):
        ax_s.semilogy(np.arange(1, len(spec_s) + 1), np.maximum(spec_s, 1e-12), marker="o", color=viz.PALETTE[i],
                      label=name)
    ax_s.axhline(0.01 * s.max(), color="grey", linestyle="--", label="1% of largest")
    ax_s.set_xlabel("index")
    ax_s.set_ylabel("singular value")
    ax_s.legend(fontsize=8, frameon=False)
    summary = {
        "splice_blocks_still_xor": still,
        "splice_accuracy": big_acc,
        "splice_max_off_block_weight": float(off.max()) if off.size else 0.0,
        "covariance_singular_values": [float(v) for v in s],
        "covariance_effective_rank": analysis.effective_rank(s),
        "covariance_block_score": analysis.block_structure_score(cov, block_units),
    }
    text = (
        f"Three XOR nets that reached 100% accuracy (the first three of the main ensemble) are placed as blocks "
        f"of one {big_spec.widths[0]}-{big_spec.widths[1]}-{big_spec.widths[2]} net reading input pairs "
        f"{config.splice_pairs} (1-based), off-block weights starting at "
        f"{'0' if not config.splice_noise else f'N(0, {config.splice_noise}^2)'}, then the whole net is retrained on "
        f"the three XOR targets over all {len(x)} binary inputs for {config.splice_steps} steps (same optimiser and "
        f"rate). Accuracy of the large net: {big_acc:.3f}. Largest off-block weight after retraining: "
        f"{summary['splice_max_off_block_weight']:.2e}. Extracted blocks still computing XOR: {sum(still)} of "
        f"{len(still)} (paper: all).\n\n"
        "Activation covariance of the large net's units (hidden sigmoids and output probabilities) over all "
        f"binary inputs: {summary['covariance_effective_rank']} singular values above 1% of the largest (paper: 5 "
        f"of 9). What it means: the covariance has rank at most the number of independent directions in which "
        "the units' activations vary over the inputs. Each block's units are functions of only its two input "
        "bits, but sigmoids are not affine in them, so a block's three units span up to three directions; "
        "blocks sharing an input are correlated through it. Singular values far below 1% are directions where "
        "units are (almost) affine combinations of others, e.g. a saturated output that copies a hidden unit. "
        "The block score is the share of squared off-diagonal covariance within blocks (1 = block-diagonal), "
        "compared with the share expected without structure."
    )
    params_out = {f"splice.layer{i}.{k}": np.asarray(v) for i, layer in enumerate(after) for k, v in layer.items()}
    return Section("Splicing XOR nets and the activation covariance", text,
                   [Figure("splice_covariance", fig, "Left: covariance of the spliced net's unit activations after "
                           "retraining. Right: its singular values, before and after retraining.")],
                   [Table("splice_blocks", ["block", "inputs (1-based)", "relative drift", "still XOR"], block_rows),
                    Table("covariance", ["when", "singular values > 1%", "block score", "no-structure baseline",
                                         "singular values"], cov_rows)]), summary, params_out


def _deviations(config, summary) -> list[Deviation]:
    fr = summary["accuracy_fractions"]
    twins = summary.get("permuted_twin_counts", {})
    twin_seen = any(len(orders) > 1 for orders in twins.values())
    minimal = summary.get("minimal_subnetwork_fraction")
    return [
        Deviation("Ensemble size", "100 runs (20 for width 3)", f"{config.n_networks} (and "
                  f"{config.n_networks_large or config.n_networks} for width {config.width_large})",
                  "Thousands of nets train in seconds; the paper stopped at 100 for time."),
        Deviation("Accuracy fractions", "'consistently only 75%', 100% 'rarely'",
                  f"100%: {fr['1.0']:.3f}, 75%: {fr['0.75']:.3f}, 50%: {fr['0.5']:.3f}",
                  "The paper gives no numbers, learning rate, initialisation or step count; ours are fixed "
                  "beforehand (PyTorch default init, GD lr 1, 5,000 steps). Other choices move the fractions "
                  "(see the init-scale sweep)."),
        Deviation("Permuted twin (NOR/NAND swapped)", "not seen in 100 runs",
                  "seen" if twin_seen else "not seen", "With enough runs both orders occur, as the symmetry demands."),
        Deviation("Minimal XOR sub-network in width-3 nets", "14 of 20 (about 46-88%)",
                  "-" if minimal is None else f"{minimal:.3f} of nets at 100% accuracy "
                  f"({summary['minimal_subnetwork_count'][0]} of {summary['minimal_subnetwork_count'][1]})",
                  "Denominator: width-3 nets that solve XOR (the paper does not say whether its 20 all did)."),
        Deviation("Width-3 loss", "0.3-0.6 BCE", f"median {summary['large_final_loss_median']:.3g}",
                  "Solved nets keep lowering the loss (no finite minimum); 0.3-0.6 is typical of nets that still "
                  "misclassify a point or have not trained long enough."),
        Deviation("Covariance spectrum", "5 large singular values of 9",
                  f"{summary.get('covariance_effective_rank', '-')} above 1% of the largest",
                  "The paper does not define 'large'; we count values above 1% of the largest."),
        Deviation("Splicing", "tried once", f"blocks still XOR: {summary.get('splice_blocks_still_xor')}",
                  "One splice per run (seeded); sweep seeds for more."),
    ]


STUDY = Study(
    name="xor-basins",
    description="Loss basins, logic gates and minimal circuits of small sigmoid XOR networks",
    config_class=XorBasinsConfig,
    run=run,
    paper="xor-basins.txt",
)
