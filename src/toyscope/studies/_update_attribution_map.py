r"""The regime map of the update-attribution study (``experiment="regime_map"``).

The paper never states the learning rate, and the study's default (0.1) gives an R^2 near 0 where
the paper reports 0.28 (weights) and 0.17 (biases). Instead of choosing another rate, the map
measures R^2 of q on r over a grid fixed in the config before the run: activation x phase-1
window (the paper's text says both 1,200 and 12,000 of 60,000) x phase-1 learning rate x fork
learning rate x fork length (the forks' snapshots). Every cell carries R^2 with a [0, 1]
interval over seeds (``analysis.r2_interval``), the phase-1 plateau (``analysis.phase1_plateau``)
and accuracy. At the full fork length the baselines: the linearised forks
(``analysis.linearised_forks``), the same forks on a shuffled order of their samples
(``analysis.order_noise``), the split of the first layer's correlation into its per-unit,
per-pixel and within parts (``analysis.r2_split``), and the paper's clusters checked
(``analysis.constant_input_clusters``). Forks run in float64 where float32 leaves a fork
difference exactly zero (``analysis.fork_zero_differences``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .. import analysis, nets, tasks, train, viz
from ._base import ConfigError, Deviation, Figure, Section, StudyResult, Table

_fmt = analysis.format_interval_summary
_fmt_accuracy = analysis.format_accuracy_summary

class _MapData(NamedTuple):
    """The data of one phase-1 window reading."""

    images_of_60000: int
    window: int
    split: tasks.GroupForks
    tally_from: int


def run_regime_map(config, ctx, *, divergence: train.DivergenceRule, fork_divergence: train.DivergenceRule,
                   paper_r2: dict, reference_size: int) -> StudyResult:
    """R^2 of q on r over (activation, phase-1 window, phase-1 rate, fork rate, fork length), with
    the phase-1 plateau and accuracy of every cell and the baselines (module docstring).

    ``config``: an ``UpdateAttributionConfig`` with ``experiment="regime_map"``; the rules and the
    paper's numbers come from the study module."""
    dataset = tasks.load_split(config.dataset, config.split)
    ctx.data_files(dataset.files)
    group_a, group_b = tasks.check_class_groups(config.groups, dataset.n_classes)
    task = tasks.class_group_task(dataset.images, dataset.labels, (group_a, group_b),
                                  pixel_max=dataset.pixel_max, n_classes=dataset.n_classes)
    data = {"x": jnp.asarray(task["x"]), "y": jnp.asarray(task["y"]), "group": jnp.asarray(task["group"])}
    # the forks' accuracy: on the test split when the forks train on the training split (never seen)
    evaluation = tasks.load_split(config.dataset, "test") if dataset.split == "train" else None
    if evaluation is not None:
        ctx.data_files(evaluation.files)
        test = tasks.class_group_task(evaluation.images, evaluation.labels, (group_a, group_b),
                                      pixel_max=evaluation.pixel_max, n_classes=evaluation.n_classes)
    windows = []
    for images in config.map_phase1_images:
        window = tasks.scaled_window(images, len(dataset), reference_size)
        split = tasks.group_forks(task["index"], task["label"], (group_a, group_b), window=window,
                                  fork_examples=config.fork_examples)
        if split.phase1.size < 4 or split.rest.size < 4:
            raise ConfigError(f"map_phase1_images={images} leaves {split.phase1.size} phase-1 examples; choose others")
        windows.append(_MapData(images, window, split, split.phase1.size // 2 if config.tally_window == "second_half" else 0))

    cells, phase1_rows, baselines, checks, loss_curves = [], [], [], [], {}
    for act in config.map_activations:
        output = act if config.output_activation == "same" else config.output_activation
        spec = nets.mlp([data["x"].shape[1], config.hidden, 2], act, output)
        loss_fn = train.mlp_objective(spec, config.loss)
        for wd in windows:
            for p1_rate in config.map_phase1_learning_rates:
                tag = f"{act}-w{wd.images_of_60000}-p{p1_rate:g}"
                params = nets.init(spec, key=jax.random.key(config.seed), n_networks=config.n_seeds, bias_scheme="same")
                tallies = jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], 2, *p.shape[1:]), p.dtype), params)
                phase1 = train.train(loss_fn, params, data, optimizer=train.Optimizer("sgd", p1_rate),
                                     n_steps=len(wd.split.phase1), batching=train.Online(wd.split.phase1),
                                     observer=train.group_tally_observer(wd.tally_from), aux=tallies,
                                     checkpointer=ctx.checkpointer(f"map-phase1-{tag}"), progress=f"phase 1 ({tag})",
                                     fast_path=False, divergence=divergence)
                if phase1.diverged.any():
                    phase1 = train.keep_members(phase1, ~phase1.diverged)
                n_members = int(jax.tree_util.tree_leaves(phase1.params)[0].shape[0])
                plateau = analysis.phase1_plateau(np.asarray(phase1.loss), tail=0.5)
                loss_curves[tag] = np.asarray(phase1.loss).mean(axis=1)
                accuracy = analysis.ensemble_accuracy(np.asarray(nets.apply(spec, phase1.params, data["x"][wd.split.rest])),
                                                      task["group"][wd.split.rest])
                test_accuracy = (analysis.ensemble_accuracy(np.asarray(nets.apply(spec, phase1.params, jnp.asarray(test["x"]))),
                                                            test["group"]) if evaluation is not None else None)
                phase1_row = {"activation": act, "phase1_images_of_60000": wd.images_of_60000, "phase1_window_images": wd.window,
                              "phase1_learning_rate": p1_rate, "n_phase1": int(wd.split.phase1.size),
                              "n_tallied": int(wd.split.phase1.size - wd.tally_from), "n_seeds": n_members,
                              "n_diverged": int(config.n_seeds - n_members),
                              "plateau_relative_change": analysis.interval_summary(plateau["relative_change"]),
                              "plateau_slope_per_step": analysis.interval_summary(plateau["slope"]),
                              "held_out_accuracy": analysis.accuracy_summary(accuracy, int(wd.split.rest.size)),
                              "test_accuracy": (analysis.accuracy_summary(test_accuracy, len(test["group"]))
                                                if test_accuracy is not None else None)}
                phase1_rows.append(phase1_row)
                linear = (analysis.linearised_forks(loss_fn, phase1.params, data, wd.split.forks,
                                                    learning_rate=min(config.map_fork_learning_rates))
                          if config.map_baselines else None)
                for fork_rate in config.map_fork_learning_rates:
                    name = f"{tag}-f{fork_rate:g}"
                    forks, precision = _map_forks(ctx, name, loss_fn, phase1.params, data, wd.split.forks, fork_rate,
                                                  config, fork_divergence)
                    cells.extend(_map_cells(phase1.aux, forks, n_members, phase1_row, fork_rate, precision, spec,
                                            test if evaluation is not None else None, wd.split.fork_classes))
                    if config.map_baselines:
                        baselines.append(_map_baselines(ctx, name, loss_fn, phase1, forks["result"], linear, data,
                                                        wd.split.forks, fork_rate, n_members, config, phase1_row,
                                                        fork_divergence, precision))
                        if act == config.map_activations[0]:
                            checks.append(_map_checks(phase1.aux, forks["result"].params, n_members, data, wd,
                                                      phase1_row, fork_rate))

    summary = {
        "experiment": "regime_map", "dataset": dataset.name, "split": dataset.split, "split_size": len(dataset),
        "evaluation_split": None if evaluation is None else f"{evaluation.name} {evaluation.split} ({len(evaluation)} images)",
        "groups": {"A": list(group_a), "B": list(group_b)},
        "grid": {"activations": config.map_activations, "phase1_images_of_60000": config.map_phase1_images,
                 "phase1_learning_rates": config.map_phase1_learning_rates,
                 "fork_learning_rates": config.map_fork_learning_rates, "fork_snapshots": config.map_fork_snapshots,
                 "n_seeds": config.n_seeds, "fork_examples": config.fork_examples},
        "paper": paper_r2,
        "phase1": phase1_rows,
        "cells": cells,
        "closest_to_paper": _closest_cells(cells, paper_r2),
        "baselines": baselines,
        "checks": checks,
    }
    sections = _map_sections(summary, loss_curves, paper_r2)
    return StudyResult(summary=summary, sections=sections, deviations=_map_deviations(summary, config, dataset, reference_size))


def _map_forks(ctx, name, loss_fn, params, data, subsets, fork_rate, config, fork_divergence, *,
               precision: str | None = None):
    """The four forks at ``fork_rate``. ``map_float64="auto"``: in float32, then again in float64 when
    more than ``map_float64_share`` of the parameters have a fork difference (c or d) exactly zero;
    ``"always"`` / ``"never"``; ``precision`` forces one (the shuffled control follows its forks).
    Returns ``({"result", "zeros_float32", "zeros_float64"}, dtype)``."""
    sgd = train.Optimizer("sgd", fork_rate)
    record = train.Record(snapshot_every=math.ceil(max(s.size for s in subsets) / config.map_fork_snapshots))

    def run32():
        return train.fork(loss_fn, params, data, subsets, optimizer=sgd, record=record, progress=None,
                          divergence=fork_divergence)

    def run64():
        with jax.enable_x64(True):
            params64 = jax.tree_util.tree_map(lambda p: jnp.asarray(np.asarray(p), jnp.float64), params)
            data64 = {"x": jnp.asarray(np.asarray(data["x"]), jnp.float64),
                      "y": jnp.asarray(np.asarray(data["y"]), jnp.float64), "group": data["group"]}
            result = train.fork(loss_fn, params64, data64, subsets, optimizer=sgd, record=record, progress=None,
                                divergence=fork_divergence)
            return jax.tree_util.tree_map(lambda a: np.asarray(a) if hasattr(a, "shape") else a, result)

    if precision is None:
        precision = {"always": "float64", "never": "float32"}.get(config.map_float64)
    zeros32 = None
    if precision != "float64":
        result = ctx.cached(f"map-forks-{name}-float32", run32)
        zeros32 = analysis.fork_zero_differences(result.params)
        share = max(zeros32["c_zero"], zeros32["d_zero"]) / zeros32["n"]
        if precision == "float32" or share <= config.map_float64_share:
            return {"result": result, "zeros_float32": zeros32, "zeros_float64": None}, "float32"
    result = ctx.cached(f"map-forks-{name}-float64", run64)
    return {"result": result, "zeros_float32": zeros32,
            "zeros_float64": analysis.fork_zero_differences(result.params)}, "float64"


def _fork_accuracy(spec, snapshot, test, fork_classes) -> np.ndarray:
    """``(4, E)`` accuracy of each fork on the test examples of its own classes (labels: the group)."""
    out = []
    for k, (classes_0, classes_1) in enumerate(fork_classes):
        mask = np.isin(test["label"], (*classes_0, *classes_1))
        params = jax.tree_util.tree_map(lambda p, k=k: jnp.asarray(p[k], jnp.float32), snapshot)
        outputs = np.asarray(nets.apply(spec, params, jnp.asarray(test["x"][mask])))
        out.append(analysis.ensemble_accuracy(outputs, test["group"][mask]))
    return np.stack(out)


def _map_cells(tallies, forks, n_members, phase1_row, fork_rate, precision, spec, test, fork_classes) -> list[dict]:
    """One summary row per fork length: R^2 (weights, biases) with [0, 1] intervals over seeds."""
    result = forks["result"]
    rows = []
    for i, step in enumerate(result.snapshot_steps):
        if step == 0:
            continue
        snapshot = jax.tree_util.tree_map(lambda p, i=i: np.asarray(p[i]), result.snapshots)
        fits = [analysis.member_attribution(tallies, snapshot, e) for e in range(n_members)]
        row = {key: phase1_row[key] for key in ("activation", "phase1_images_of_60000", "phase1_learning_rate")}
        row.update({"fork_learning_rate": fork_rate, "fork_steps": int(step), "dtype": precision,
                    "float32_zero_differences": forks["zeros_float32"],
                    "float64_zero_differences": forks["zeros_float64"],
                    "r2_weights": analysis.r2_interval([f.weight.correlation for f in fits]),
                    "r2_biases": analysis.r2_interval([f.bias.correlation for f in fits]),
                    "per_seed_r2_weights": [f.weight.r2 for f in fits], "per_seed_r2_biases": [f.bias.r2 for f in fits],
                    "excluded_weights": [f.weight.n_excluded for f in fits],
                    "plateau_relative_change": phase1_row["plateau_relative_change"]["mean"],
                    "phase1_held_out_accuracy": phase1_row["held_out_accuracy"]["mean"]})
        if test is not None:
            row["fork_test_accuracy"] = analysis.interval_summary(_fork_accuracy(spec, snapshot, test, fork_classes).mean(axis=0))
        rows.append(row)
    return rows


def _map_baselines(ctx, name, loss_fn, phase1, forks, linear, data, subsets, fork_rate, n_members, config,
                   phase1_row, fork_divergence, precision) -> dict:
    """Linearised forks, forks on a shuffled order of the same samples, and the R^2 split (final forks)."""
    rng = np.random.default_rng(config.seed + 1)
    shuffled_subsets = [rng.permutation(s) for s in subsets]
    shuffled = _map_forks(ctx, f"shuffled-{name}", loss_fn, phase1.params, data, shuffled_subsets, fork_rate, config,
                          fork_divergence, precision=precision)[0]["result"]
    tallies, out = phase1.aux, {key: phase1_row[key] for key in ("activation", "phase1_images_of_60000",
                                                                  "phase1_learning_rate")}
    fits = {"trained": [analysis.member_attribution(tallies, forks.params, e) for e in range(n_members)],
            "linearised": [analysis.member_attribution(tallies, linear, e) for e in range(n_members)],
            "shuffled_order": [analysis.member_attribution(tallies, shuffled.params, e) for e in range(n_members)]}
    out.update({"fork_learning_rate": fork_rate, "fork_steps": int(max(s.size for s in subsets)), "dtype": precision})
    for kind, attr in (("weights", "weight"), ("biases", "bias")):
        for label, members in fits.items():
            out[f"r2_{kind}_{label}"] = analysis.r2_interval([getattr(m, attr).correlation for m in members])
        # does q from the trained forks follow the linearised / reordered q? (R^2 of q on q')
        for label in ("linearised", "shuffled_order"):
            q_pairs = [_q_of(fits["trained"][e], attr) for e in range(n_members)], \
                      [_q_of(fits[label][e], attr) for e in range(n_members)]
            out[f"q_agreement_{kind}_{label}"] = analysis.r2_interval(
                [analysis.fit_relative(a, b).correlation for a, b in zip(*q_pairs, strict=True)])
    out["order_noise"] = analysis.order_noise(forks.params, shuffled.params)
    splits = [analysis.r2_split(*analysis.first_layer_rq(tallies, forks.params, e)) for e in range(n_members)]
    out["r2_split_first_layer"] = {key: analysis.interval_summary([s[key] for s in splits])
                                   for key in ("correlation", "unit", "pixel", "within", "unit_r2", "pixel_r2")}
    out["block_permutation_p_weights"] = [
        analysis.block_permutation_test(*m.weight_blocks, n_permutations=min(config.n_permutations, 999),
                                        seed=config.seed + e) for e, m in enumerate(fits["trained"])]
    return out


def _q_of(member: analysis.MemberAttribution, attr: str) -> np.ndarray:
    return member.weight_blocks[1].ravel() if attr == "weight" else member.q_bias


def _map_checks(tallies, fork_params, n_members, data, wd: _MapData, phase1_row, fork_rate) -> dict:
    """The paper's clusters and edge pixels, checked on the final forks (first activation only)."""
    seen = np.concatenate([wd.split.phase1[wd.tally_from:], *wd.split.forks])
    x_seen = np.asarray(data["x"])[seen]
    out = {key: phase1_row[key] for key in ("activation", "phase1_images_of_60000", "phase1_learning_rate")}
    out["fork_learning_rate"] = fork_rate
    per_seed = []
    for e in range(n_members):
        m = analysis.member_attribution(tallies, fork_params, e)
        r_w, q_w = analysis.first_layer_rq(tallies, fork_params, e)
        h = r_w.shape[1]
        clusters = analysis.constant_input_clusters(x_seen, r_w, q_w, m.r_bias[:h], m.q_bias[:h])
        constant = (x_seen == x_seen[:1]).all(axis=0)
        pixel = m.pixel_correlation
        clusters["pixel_correlation_constant_inputs"] = float(np.nanmean(pixel[constant])) if constant.any() else math.nan
        clusters["pixel_correlation_other_inputs"] = float(np.nanmean(pixel[~constant]))
        per_seed.append(clusters)
    out["per_seed"] = per_seed
    return out


def _closest_cells(cells: list[dict], paper_r2: dict) -> dict:
    """The cells whose mean R^2 comes closest to the paper's, for weights and for biases."""
    out = {}
    for kind in ("weights", "biases"):
        finite = [c for c in cells if math.isfinite(c[f"r2_{kind}"]["mean"])]
        if not finite:
            continue
        best = min(finite, key=lambda c: abs(c[f"r2_{kind}"]["mean"] - paper_r2[kind]))
        contains = [c for c in finite if c[f"r2_{kind}"]["low"] <= paper_r2[kind] <= c[f"r2_{kind}"]["high"]]
        out[kind] = {"paper": paper_r2[kind], "closest": _cell_key(best), "closest_r2": best[f"r2_{kind}"],
                     "cells_whose_interval_contains_paper": [_cell_key(c) for c in contains],
                     "max_mean": max(c[f"r2_{kind}"]["mean"] for c in finite)}
    return out


def _cell_key(cell: dict) -> dict:
    return {key: cell[key] for key in ("activation", "phase1_images_of_60000", "phase1_learning_rate",
                                       "fork_learning_rate", "fork_steps")}


def _fmt_r2(d: dict) -> str:
    return f"{d['mean']:.3f} [{d['low']:.3f}, {d['high']:.3f}]"


def _map_sections(summary: dict, loss_curves: dict, paper_r2: dict) -> list[Section]:
    cells, grid = summary["cells"], summary["grid"]
    sections = []
    text = (f"Data: {summary['dataset']} {summary['split']} split ({summary['split_size']} images); fork accuracy on "
            f"{summary['evaluation_split'] or 'none (no separate split)'}. Grid fixed before the run: fork learning "
            f"rates {grid['fork_learning_rates']}, phase-1 windows {grid['phase1_images_of_60000']} of 60,000, phase-1 "
            f"rates {grid['phase1_learning_rates']}, activations {grid['activations']}, {grid['fork_snapshots']} fork "
            f"lengths, {grid['n_seeds']} seeds. R^2 intervals: Fisher z of the seeds' correlations, t-interval, back-"
            "transformed and squared (support [0, 1]).")
    for kind in ("weights", "biases"):
        close = summary["closest_to_paper"].get(kind)
        if close:
            text += (f" {kind.capitalize()}: paper {close['paper']}; largest mean R^2 in the map {close['max_mean']:.3f}; "
                     f"closest cell {close['closest']} with {_fmt_r2(close['closest_r2'])}; "
                     f"{len(close['cells_whose_interval_contains_paper'])} cells' intervals contain the paper's value.")
    rows = [[c["activation"], c["phase1_images_of_60000"], c["phase1_learning_rate"], c["fork_learning_rate"],
             c["fork_steps"], c["dtype"], c["r2_weights"]["mean"], c["r2_weights"]["low"], c["r2_weights"]["high"],
             c["r2_biases"]["mean"], c["r2_biases"]["low"], c["r2_biases"]["high"], c["plateau_relative_change"],
             c["phase1_held_out_accuracy"], c.get("fork_test_accuracy", {}).get("mean", math.nan)] for c in cells]
    table = Table("regime_map", ["activation", "phase1_images_of_60000", "phase1_lr", "fork_lr", "fork_steps", "dtype",
                                 "r2_weights", "r2_weights_low", "r2_weights_high", "r2_biases", "r2_biases_low",
                                 "r2_biases_high", "phase1_plateau_relative_change", "phase1_held_out_accuracy",
                                 "fork_test_accuracy"], rows,
                  "Every cell of the map: R^2 mean over seeds with its [0, 1] interval; the phase-1 plateau (relative "
                  "change of the fitted loss over the tallied half of phase 1) and accuracy repeat across the fork "
                  "rates of one phase 1.")
    figures = [Figure("regime_map", viz.attribution_map_figure(cells, paper_r2),
                      "R^2 of q on r against fork length, one line per fork learning rate (band: 95% interval over "
                      "seeds), one column per phase-1 window; dashed: the paper's 0.28 (weights) and 0.17 (biases).")]
    sections.append(Section("Regime map", text, figures, [table]))
    p1 = summary["phase1"]
    p1_rows = [[r["activation"], r["phase1_images_of_60000"], r["phase1_learning_rate"], r["n_phase1"], r["n_seeds"],
                _fmt(r["plateau_relative_change"]), _fmt_accuracy(r["held_out_accuracy"]),
                _fmt_accuracy(r["test_accuracy"]) if r["test_accuracy"] else "-"] for r in p1]
    sections.append(Section(
        "Phase 1 of every cell", "The paper says the loss reaches a minimum early in the first epoch. Plateau: least-"
        "squares slope of the per-sample loss over the tallied (second) half of phase 1, as the relative change of the "
        "fitted loss across it (0: flat; -0.5: falls by half its mean).",
        [Figure("map_phase1_loss", viz.running_loss_figure(loss_curves), "Phase-1 loss per cell (mean over seeds).")],
        [Table("map_phase1", ["activation", "phase1_images_of_60000", "phase1_lr", "examples", "seeds",
                              "plateau_relative_change", "held_out_accuracy", "test_accuracy"], p1_rows,
               "Held-out: the training split's images after the window (never seen by phase 1); test: the test split.")]))
    if summary["baselines"]:
        b_rows = [[b["activation"], b["phase1_images_of_60000"], b["fork_learning_rate"],
                   _fmt_r2(b["r2_weights_trained"]), _fmt_r2(b["r2_weights_linearised"]),
                   _fmt_r2(b["r2_weights_shuffled_order"]), _fmt_r2(b["q_agreement_weights_linearised"]),
                   _fmt_r2(b["q_agreement_weights_shuffled_order"]), b["order_noise"]["ratio"],
                   _fmt(b["r2_split_first_layer"]["unit"]), _fmt(b["r2_split_first_layer"]["pixel"]),
                   _fmt(b["r2_split_first_layer"]["within"]), _fmt_r2(b["r2_biases_trained"]),
                   _fmt_r2(b["r2_biases_linearised"])] for b in summary["baselines"]]
        sections.append(Section(
            "Baselines", "At the full fork length. Linearised: every fork predicted to first order, theta_0 - eta * sum "
            "of the per-sample gradients at the phase-1 params over the fork's samples (its q does not depend on eta). "
            "Shuffled order: the same forks' samples in a random order. q agreement: R^2 of the trained forks' q on the "
            "baseline's q. Order noise: median |fork - reordered fork| over median fork difference c, d. R^2 split: the "
            "first layer's correlation of r and q = unit part (hidden-unit means) + pixel part (input-pixel means) + "
            "within part; the block permutation test shuffles r between whole hidden units, which leaves the pixel part "
            "unchanged, so it tests the unit and within parts, not the pixel part.",
            tables=[Table("map_baselines", ["activation", "phase1_images_of_60000", "fork_lr", "r2_weights",
                                            "r2_weights_linearised", "r2_weights_shuffled_order",
                                            "q_vs_linearised_q", "q_vs_shuffled_q", "order_noise_ratio",
                                            "corr_part_unit", "corr_part_pixel", "corr_part_within", "r2_biases",
                                            "r2_biases_linearised"], b_rows, "Mean [95% interval] over seeds.")]))
    if summary["checks"]:
        c_rows = []
        for c in summary["checks"]:
            seeds = c["per_seed"]
            c_rows.append([c["phase1_images_of_60000"], c["fork_learning_rate"], seeds[0]["n_constant_inputs"],
                           max(s["max_abs_r_gap"] for s in seeds), max(s["max_abs_q_gap"] for s in seeds),
                           float(np.mean([s["bias_correlation"] for s in seeds])),
                           float(np.mean([s["pixel_correlation_constant_inputs"] for s in seeds])),
                           float(np.mean([s["pixel_correlation_other_inputs"] for s in seeds]))])
        sections.append(Section(
            "The paper's clusters and edge pixels, checked", "An input that is constant over every tallied and fork "
            "sample (an always-blank pixel, 1/256) updates weight (p, h) by exactly 1/256 of hidden bias h's update, so "
            "its weights have the r and q of their unit's bias: one point per hidden unit (the paper's clusters, and its "
            "'pattern of clusters is almost identical to the pattern of bias updates'), and the per-pixel correlation of "
            "every such pixel is the hidden biases' correlation (the paper's weak edges).",
            tables=[Table("map_checks", ["phase1_images_of_60000", "fork_lr", "constant_inputs", "max_abs_r_gap",
                                         "max_abs_q_gap", "corr_hidden_biases", "pixel_corr_constant_inputs",
                                         "pixel_corr_other_inputs"], c_rows,
                          "Gaps: largest |r_weight - r_bias| and |q_weight - q_bias| over constant inputs, all seeds.")]))
    return sections


def _map_deviations(summary: dict, config, dataset: tasks.Dataset, reference_size: int) -> list[Deviation]:
    return [
        Deviation("data split", "MNIST training split (60,000 images)",
                  f"{dataset.name} {dataset.split} split ({summary['split_size']} images)",
                  "same" if dataset.split == "train" and len(dataset) == reference_size else "the training split is missing"),
        Deviation("fork learning rate", "not stated", f"swept: {summary['grid']['fork_learning_rates']}",
                  "the setting the paper never states, mapped instead of chosen"),
        Deviation("phase-1 window", "1,200 or 12,000 of 60,000 (the text says both)",
                  f"both: {summary['grid']['phase1_images_of_60000']}", "both readings mapped"),
        Deviation("networks", "one network", f"{config.n_seeds} seeds", "R^2 of one net has no error bar"),
        Deviation("precision", "not stated", "float32; float64 for a fork rate whose float32 forks leave a difference "
                  "exactly zero (map_float64='auto')", "rounded-away updates would be read as 'no difference'"),
        Deviation("phase-1 plateau", "loss 'appears to reach a minimum early within the first training epoch'",
                  "relative change of the fitted loss over the tallied half: " + ", ".join(
                      f"{r['plateau_relative_change']['mean']:+.2f} (window {r['phase1_images_of_60000']:,}, lr "
                      f"{r['phase1_learning_rate']:g})" for r in summary["phase1"]),
                  "measured, not assumed: 0 would be a plateau"),
        Deviation("evaluation split", "not named", f"phase-1 nets: the split's images after the window and "
                  f"{summary['evaluation_split'] or 'no separate split'}; forks: the latter, on their own classes",
                  "the forks train on the images after the window"),
    ]
