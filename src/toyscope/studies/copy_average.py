"""Study ``copy-average``: teacher-student distillation with exact population losses.

Paper: ``../shared/papers/teacher-student-copy-average.txt`` (Şimşek et al., NeurIPS 2023,
"Should under-parameterized student networks copy or average teacher weights?", blog version).
An erf (or ReLU) student of width n fits an orthonormal teacher of width k under Gaussian
inputs. The loss is computed in closed form (no data), every student is driven to a true
minimum (gradient flow, damped or trust-region Newton to max-abs gradient 1e-10, smallest Hessian
eigenvalue, saddle escapes), each neuron is classified as copy / average, and each network as
C-A optimal / copy-average / P-n-C / other. Reproduces Fig. 1 (alignments and magnitudes) and
Fig. 2 (losses at convergence against n, with gamma1, gamma2, gamma3).
"""

from __future__ import annotations

import time
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator

from .. import theory, train
from ..analysis import format_fraction, proportion_interval
from ..viz import PALETTE, new_figure
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table

PAPER_GAMMAS = {"gamma1": 0.46, "gamma2": 0.6, "gamma3": 0.75}
CLASS_COLOURS = {"C-A optimal": PALETTE[1], "copy-average": PALETTE[2], "perturbed C-A": PALETTE[5],
                 "P-n-C": PALETTE[0], "other": PALETTE[8]}


class CopyAverageConfig(StudyConfig):
    """Teacher width ``k``, input dimension ``d`` (default k + 1), student widths ``n_values``
    (default 1..k), ``n_seeds`` initialisations per width (vmapped), the activation, and the
    convergence and classification tolerances (fixed before any sweep).

    ``widths_per_cell``: run the widths in groups of this many, each group a resumable
    ``copy-average`` run folder of the sweep runner (under ``cells_dir``, default ``cells/`` in the
    run folder; every group is padded to its own widest student and compiled once), and combine
    their rows into one phase diagram. Seeds are then drawn per group."""

    dtype: Literal["float32", "float64"] = "float64"
    k: int = 20
    d: int | None = None
    n_values: list[int] | None = None
    n_seeds: int = 2
    activation: Literal["erf", "relu"] = "erf"
    allow_wider_students: bool = False
    flow_solver: Literal["tsit5", "dopri5", "dopri8", "bosh3", "kvaerno3", "kvaerno5"] = "tsit5"
    flow_gtol: float = 1e-4
    flow_max_steps: int = 20_000
    flow_rtol: float = 1e-7
    flow_atol: float = 1e-9
    gtol: float = 1e-10
    eig_tol: float = 1e-8
    max_escapes: int = 5
    escape_step: float = 1e-3
    dense_limit: int = 2000
    exact_tol: float = 1e-5  # = theory._classify.DEFAULT_EXACT_TOL
    approx_tol: float = 0.1
    widths_per_cell: int | None = None
    cells_dir: str | None = None

    PRESETS = {
        "default": {},
        "smoke": {"k": 5, "n_values": [2, 4], "n_seeds": 1, "flow_max_steps": 2000},
    }

    @field_validator("n_values", mode="before")
    @classmethod
    def _one_width(cls, value):
        return [value] if isinstance(value, int) else value

    @model_validator(mode="after")
    def _check(self):
        if self.dtype != "float64":
            raise ValueError("copy-average needs dtype = float64 (gradient norms of 1e-10 are below float32 resolution)")
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.d is not None and self.d < self.k:
            raise ValueError(f"d must be >= k = {self.k} (orthonormal teacher vectors), got {self.d}")
        if self.n_values is not None:
            if not self.n_values or min(self.n_values) <= 0:
                raise ValueError(f"n_values must be positive widths, got {self.n_values}")
            if max(self.n_values) > self.k and not self.allow_wider_students:
                raise ValueError(f"n_values must be <= k = {self.k} (set allow_wider_students=true), got {max(self.n_values)}")
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds must be >= 1, got {self.n_seeds}")
        if self.widths_per_cell is not None and self.widths_per_cell < 1:
            raise ValueError(f"widths_per_cell must be >= 1, got {self.widths_per_cell}")
        for name in ("flow_gtol", "gtol", "escape_step", "exact_tol", "approx_tol"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        return self

    @property
    def input_dim(self) -> int:
        return self.d if self.d is not None else self.k + 1

    @property
    def widths(self) -> list[int]:
        return sorted(set(self.n_values)) if self.n_values is not None else list(range(1, self.k + 1))


def _padded_members(config: CopyAverageConfig, dtype):
    """Glorot students for every (n, seed), zero-padded to the widest n, with their masks."""
    labels = [(n, s) for n in config.widths for s in range(config.n_seeds)]
    params, mask = theory.glorot_normal_students([n for n, _ in labels], config.input_dim,
                                                 key=jax.random.key(config.seed), dtype=dtype)
    free = theory.TwoLayerStudent(mask, jnp.broadcast_to(mask[:, :, None], params.w.shape))
    return params, mask.astype(dtype), free, labels


def _student_loss(teacher, activation):
    """``loss(student, mask)``: the closed-form population loss against ``teacher``."""

    def loss(student, member_mask):
        return theory.population_loss(student, teacher, activation, member_mask)

    return loss


def _objective(teacher, activation, n_max, d, dtype) -> train.FlatObjective:
    """The compiled closed-form loss of one student padded to ``n_max`` neurons (mask as argument)."""
    return train.FlatObjective(_student_loss(teacher, activation),
                               theory.TwoLayerStudent(jnp.zeros(n_max, dtype), jnp.zeros((n_max, d), dtype)))


def _classify(a, w, teacher_w, k, activation, exact_tol, approx_tol):
    labels = theory.classify_neurons(a, w, teacher_w, activation=activation, exact_tol=exact_tol, approx_tol=approx_tol)
    return labels, theory.classify_network(labels, k)


def _gammas(rows, k, ca_classes=("C-A optimal",)):
    """gamma1, gamma2 from per-(n, seed) classes; gamma3 from a linear fit of P-n-C losses.

    ``ca_classes``: the classes counted as C-A optimal for gamma1 (ReLU adds "perturbed C-A");
    gamma3 compares with the erf C-A optimal loss L(k-n+1), so it is erf only.
    """
    widths = sorted({r["n"] for r in rows})
    by_n = {n: [r["class"] for r in rows if r["n"] == n] for n in widths}
    below_k = [n for n in widths if n < k]
    gamma1 = None
    for n in below_k:
        if all(c in ca_classes for c in by_n[n]):
            gamma1 = n / k
        else:
            break
    gamma2 = None
    for n in reversed(below_k):
        if all(c == "P-n-C" for c in by_n[n]):
            gamma2 = n / k
        else:
            break
    pnc = [(r["n"], r["loss"]) for r in rows if r["class"] == "P-n-C"]
    gamma3, fit = None, None
    if len({n for n, _ in pnc}) >= 2:
        slope, intercept = np.polyfit([n for n, _ in pnc], [l for _, l in pnc], 1)
        fit = (float(slope), float(intercept))
        grid = np.linspace(1, k, 20 * k + 1)
        ca = np.interp(grid, np.arange(1, k + 1), theory.one_neuron_losses(k)[::-1])
        below = np.flatnonzero(slope * grid + intercept < ca)
        gamma3 = float(grid[below[0]] / k) if below.size else None
    return gamma1, gamma2, gamma3, fit


def _fig_neurons(a, w, teacher_w, labels, title):
    """Fig. 1: alignment box plot per student neuron and magnitudes (|w_i|, a_i)."""
    order = np.argsort([{"exact-copy": 0, "approx-copy": 1, "exact-average": 2, "approx-average": 3}.get(l.label, 4)
                        for l in labels], kind="stable")
    signs = np.where(a < 0, -1.0, 1.0)
    fig, (left, right) = new_figure(9, 3.4, ncols=2)
    alignments = [(signs[i] * teacher_w @ w[i]) / np.linalg.norm(w[i]) for i in order]
    left.boxplot(alignments)
    left.set_xticks(range(1, len(order) + 1), [labels[i].label.replace("-", "\n") for i in order], fontsize=7)
    left.set_ylabel(r"$w_i^\top v_j / \|w_i\|$")
    left.set_title(title, fontsize=9)
    positions = np.arange(1, len(order) + 1)
    right.bar(positions - 0.2, np.linalg.norm(w[order], axis=1), 0.4, label=r"$r_i = \|w_i\|$", color=PALETTE[1])
    right.bar(positions + 0.2, np.abs(a[order]), 0.4, label=r"$|a_i|$", color=PALETTE[0])
    right.set_yscale("log")
    right.set_xticks(positions)
    right.set_xlabel("student neuron (ordered)")
    right.legend(fontsize=8)
    return fig


def _fig_losses(rows, k, gammas, fit, activation):
    """Fig. 2: losses at convergence against n, C-A optimal line, P-n-C points and fit."""
    fig, ax = new_figure(6, 4)
    n_line = np.arange(1, k + 1)
    if activation == "erf":
        ax.plot(n_line, theory.one_neuron_losses(k)[::-1], "-", color=PALETTE[1], label="C-A optimal  L(k-n+1)")
    for name, colour in CLASS_COLOURS.items():
        pts = [(r["n"], r["loss"]) for r in rows if r["class"] == name]
        if pts:
            ax.plot(*zip(*pts), "o", ms=4, color=colour, alpha=0.8, label=f"converged: {name}")
    if fit is not None:
        ax.plot(n_line, fit[0] * n_line + fit[1], "--", color=PALETTE[0], lw=1, label="P-n-C linear fit")
    for name, value, style in (("gamma1", gammas[0], ":"), ("gamma2", gammas[1], "-."), ("gamma3", gammas[2], "--")):
        if value is not None:
            ax.axvline(value * k, ls=style, color="grey", lw=0.8)
            ax.text(value * k, ax.get_ylim()[1] * 0.95, name.replace("gamma", "γ"), fontsize=8)
    ax.set_xlabel("student width n")
    ax.set_ylabel("population loss at convergence")
    ax.set_title(f"k = {k}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def _fig_curves(records, rows):
    fig, ax = new_figure(6, 3.6)
    for record, row in zip(records, rows):
        keep = np.isfinite(record.curve_times) & np.isfinite(record.curve_losses)
        ax.loglog(record.curve_times[keep], record.curve_losses[keep], lw=0.8,
                  color=CLASS_COLOURS.get(row["class"], PALETTE[8]), alpha=0.7)
    ax.set_xlabel("gradient-flow time t")
    ax.set_ylabel("loss")
    ax.set_title("gradient-flow stage (colour = final class)", fontsize=9)
    return fig


def _fig_concavity(losses):
    fig, (left, right) = new_figure(8, 3, ncols=2)
    ells = np.arange(1, losses.size + 1)
    left.plot(ells, losses, "o-", ms=3, color=PALETTE[1])
    left.set_xlabel("ℓ (teacher neurons fitted by one neuron)")
    left.set_ylabel("L(ℓ)")
    if losses.size >= 3:
        right.plot(ells[1:-1], theory.second_differences(losses), "o", ms=3, color=PALETTE[0])
        right.axhline(0, color="grey", lw=0.8)
        right.set_yscale("symlog", linthresh=1e-8)
    right.set_xlabel("ℓ")
    right.set_ylabel("L(ℓ+1) - 2L(ℓ) + L(ℓ-1)")
    return fig


def _critical_point_checks(config, objective, teacher, dtype, n_max, key):
    """Gradient of constructed copy-average configurations (C-A optimal and a random partition per n)."""
    k, rows = config.k, []
    rng = np.random.default_rng(key)
    for n in config.widths:
        if n > k:
            continue
        cuts = np.sort(rng.choice(np.arange(1, k), size=n - 1, replace=False)) if n > 1 else np.array([], int)
        random_partition = np.diff(np.concatenate([[0], cuts, [k]])).tolist()
        for name, partition in (("C-A optimal", [1] * (n - 1) + [k - n + 1]), ("random", random_partition)):
            student = theory.copy_average_configuration(partition, teacher)
            a = jnp.zeros(n_max, dtype).at[:n].set(student.a)
            w = jnp.zeros((n_max, teacher.w.shape[1]), dtype).at[:n].set(student.w)
            mask = (jnp.arange(n_max) < n).astype(dtype)
            x = objective.ravel(theory.TwoLayerStudent(a, w))
            grad = np.asarray(objective.grad(jnp.asarray(x), mask))
            free = np.flatnonzero(objective.ravel(theory.TwoLayerStudent(mask, jnp.broadcast_to(mask[:, None], w.shape))))
            eigen = (train.smallest_hessian_eigen(objective, x, mask, free=free, dense_limit=config.dense_limit).value
                     if name == "C-A optimal" and free.size <= config.dense_limit else None)
            rows.append([n, name, "+".join(map(str, partition)), float(objective.value(jnp.asarray(x), mask)),
                         theory.copy_average_loss(partition), float(np.max(np.abs(grad[free]))), eigen])
    return rows


_SENSITIVITY_VARIANTS = ("as fixed", "exact_tol x10", "exact_tol /10", "approx_tol x10", "approx_tol /10")


def _tolerances(config: CopyAverageConfig, variant: str) -> tuple[float, float]:
    exact, approx = config.exact_tol, config.approx_tol
    return {"as fixed": (exact, approx), "exact_tol x10": (exact * 10, approx), "exact_tol /10": (exact / 10, approx),
            "approx_tol x10": (exact, approx * 10), "approx_tol /10": (exact, approx / 10)}[variant]


def _converge_members(config: CopyAverageConfig, ctx, teacher, objective, params, mask, free, members):
    """Drive every padded member to a minimum and classify it: rows, final (a, w), labels, records,
    and the tolerance sensitivity (variant -> summed neuron and network class counts)."""
    k, activation = config.k, config.activation
    records = ctx.cached("converge", lambda: train.converge_ensemble(
        _student_loss(teacher, activation), params, mask, free, flow_gtol=config.flow_gtol, flow_max_steps=config.flow_max_steps,
        solver=config.flow_solver, rtol=config.flow_rtol, atol=config.flow_atol, gtol=config.gtol,
        eig_tol=config.eig_tol, max_escapes=config.max_escapes, escape_step=config.escape_step,
        dense_limit=config.dense_limit, objective=objective, progress="copy-average: refine"))
    teacher_w = np.asarray(teacher.w)
    rows, final_a, final_w, all_labels = [], [], [], []
    for (n, s), record in zip(members, records):
        student = objective.unravel(jnp.asarray(record.x))
        a, w = np.asarray(student.a)[:n], np.asarray(student.w)[:n]
        labels, network = _classify(a, w, teacher_w, k, activation, config.exact_tol, config.approx_tol)
        all_labels.append(labels)
        final_a.append(np.asarray(student.a))
        final_w.append(np.asarray(student.w))
        ca_loss = theory.optimal_copy_average_loss(n, k) if (activation == "erf" and n <= k) else None
        rows.append({"n": n, "seed": s, "loss": record.loss, "ca_optimal_loss": ca_loss, "grad_max": record.grad_max,
                     "min_eigenvalue": record.min_eigenvalue, "converged": record.converged,
                     "saddle_escapes": record.saddle_escapes, "class": network,
                     "neuron_classes": theory.class_counts(labels), "flow_steps": record.flow_steps,
                     "flow_grad_max": record.flow_grad_max, "newton_iterations": record.newton_iterations,
                     "flow_s": record.flow_s, "refine_s": record.refine_s, "eigen_s": record.eigen_s,
                     "note": record.note})
    # tolerance sensitivity: every tolerance x10 and /10, class counts over all networks
    sensitivity = {}
    for variant in _SENSITIVITY_VARIANTS:
        exact_tol, approx_tol = _tolerances(config, variant)
        counts = dict.fromkeys([*theory.NEURON_CLASSES, *theory.NETWORK_CLASSES], 0)
        for (n, _), a, w in zip(members, final_a, final_w):
            labels, network = _classify(a[:n], w[:n], teacher_w, k, activation, exact_tol, approx_tol)
            for kind, count in theory.class_counts(labels).items():
                counts[kind] += count
            counts[network] += 1
        sensitivity[variant] = counts
    return rows, final_a, final_w, all_labels, records, sensitivity


def _rows_from_cells(config: CopyAverageConfig, ctx):
    """Run the widths in groups of ``widths_per_cell`` through the sweep runner; their rows and
    summed tolerance sensitivity."""
    widths = config.widths
    groups = [widths[i:i + config.widths_per_cell] for i in range(0, len(widths), config.widths_per_cell)]
    base = config.model_dump(exclude={"preset", "n_values", "widths_per_cell", "cells_dir"})
    cells = ctx.sweep("copy-average", base, {"n_values": groups}, config.cells_dir)
    rows = [row for _, summary in cells for row in summary["runs"]]
    sensitivity = {variant: {name: sum(summary["tolerance_sensitivity"][variant][name] for _, summary in cells)
                             for name in cells[0][1]["tolerance_sensitivity"][variant]}
                   for variant in _SENSITIVITY_VARIANTS}
    return rows, sensitivity, len(groups)


def run(config: CopyAverageConfig, ctx) -> StudyResult:
    if not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.float64
    k, d, activation = config.k, config.input_dim, config.activation
    teacher = theory.orthonormal_teacher(k, d, dtype=dtype)
    objective = _objective(teacher, activation, max(config.widths), d, dtype)
    started = time.perf_counter()
    n_cells = None
    if config.widths_per_cell is not None and len(config.widths) > config.widths_per_cell:
        rows, sensitivity, n_cells = _rows_from_cells(config, ctx)
        final_a = final_w = all_labels = records = members = None
    else:
        params, mask, free, members = _padded_members(config, dtype)
        rows, final_a, final_w, all_labels, records, sensitivity = _converge_members(
            config, ctx, teacher, objective, params, mask, free, members)
    converge_s = time.perf_counter() - started
    teacher_w = np.asarray(teacher.w)
    n_max = max(config.widths)

    gamma1, gamma2, gamma3, fit = _gammas(rows, k, ("C-A optimal",) if activation == "erf" else ("C-A optimal", "perturbed C-A"))
    if activation != "erf":
        gamma3 = None  # needs the erf C-A optimal loss
    n_converged = sum(r["converged"] for r in rows)

    sections = []
    ell_losses = theory.one_neuron_losses(k) if activation == "erf" else None
    # Fig. 1 examples: the first C-A optimal net with an average neuron, and the first P-n-C net
    examples = []  # per class, the net whose width is nearest 0.4 k (the paper's Fig. 1 has n = 4, k = 8)
    for wanted in ("C-A optimal", "perturbed C-A", "P-n-C") if final_a is not None else ():
        candidates = [i for i, row in enumerate(rows) if row["class"] == wanted and 1 < row["n"] < k]
        if candidates:
            examples.append((min(candidates, key=lambda i: abs(rows[i]["n"] - 0.4 * k)), wanted))
    neuron_figures = []
    for index, wanted in examples:
        n = rows[index]["n"]
        neuron_figures.append(Figure(
            f"neurons_{wanted.replace(' ', '_').replace('-', '')}_n{n}",
            _fig_neurons(final_a[index][:n], final_w[index][:n], teacher_w, all_labels[index],
                         f"{wanted}: n = {n}, k = {k}, seed {rows[index]['seed']}"),
            f"Fig. 1 analogue ({wanted}, n = {n}, k = {k}): left, alignments w_i.v_j/|w_i| of each student neuron "
            "with all teacher vectors (erf neurons sign-flipped to a_i > 0); right, magnitudes |w_i| and |a_i|."))
    sections.append(Section(
        "Neurons (Fig. 1)",
        f"Teacher: k = {k} orthonormal vectors in d = {d} dimensions, output weights 1, activation {activation}. "
        f"Students: Glorot-normal, n in {config.widths}, {config.n_seeds} seed(s) each. Loss L = E[(f - f*)^2] in closed "
        "form (no factor 1/2). Neuron classes use exact_tol = "
        f"{config.exact_tol:g} and approx_tol = {config.approx_tol:g} (1 - cosine), fixed before the runs.",
        neuron_figures))

    member_table = Table("members", ["n", "seed", "loss", "C-A optimal loss", "grad max-abs", "min Hessian eig",
                                     "escapes", "class", "exact copy", "exact avg", "approx copy", "approx avg", "other",
                                     "flow steps", "flow grad", "flow s", "refine s", "eig s", "note"],
                         [[r["n"], r["seed"], r["loss"], r["ca_optimal_loss"], r["grad_max"], r["min_eigenvalue"],
                           r["saddle_escapes"], r["class"], *r["neuron_classes"].values(), r["flow_steps"],
                           r["flow_grad_max"], round(r["flow_s"], 2), round(r["refine_s"], 2), round(r["eigen_s"], 2),
                           r["note"]] for r in rows],
                         "Every student at convergence (grad = max-abs gradient; eig = smallest Hessian eigenvalue).")
    gamma_table = Table("gammas", ["quantity", "paper", "measured", "grid resolution"],
                        [[name, PAPER_GAMMAS[name], value, 1 / k] for name, value in
                         (("gamma1", gamma1), ("gamma2", gamma2), ("gamma3", gamma3))],
                        "gamma1: largest n/k up to which every seed (at every smaller n) is C-A optimal; gamma2: "
                        "smallest n/k from which every seed up to n = k - 1 is P-n-C; gamma3: where the linear fit of "
                        "P-n-C losses crosses below the C-A optimal loss L(k-n+1). None: not observed.")
    per_width = Table("classes_per_n", ["n", "n/k", "C-A optimal", "P-n-C", "other classes", "mean loss"],
                      [[n, n / k, format_fraction(sum(r["class"] == "C-A optimal" for r in group), len(group)),
                        format_fraction(sum(r["class"] == "P-n-C" for r in group), len(group)),
                        ", ".join(sorted({r["class"] for r in group} - {"C-A optimal", "P-n-C"})),
                        float(np.mean([r["loss"] for r in group]))]
                       for n in config.widths for group in [[r for r in rows if r["n"] == n]]],
                      "Fraction of seeds per width in each class, with Wilson 95% intervals.")
    sections.append(Section(
        "Losses at convergence (Fig. 2)",
        f"{format_fraction(n_converged, len(rows))} students reached max-abs gradient < {config.gtol:g} with smallest "
        f"Hessian eigenvalue >= -{config.eig_tol:g} (converged to a minimum). "
        f"gamma1 = {gamma1}, gamma2 = {gamma2}, gamma3 = {gamma3} (paper: about 0.46, 0.6, 0.75).",
        [Figure("losses", _fig_losses(rows, k, (gamma1, gamma2, gamma3), fit, activation),
                "Fig. 2 analogue: loss at convergence against student width n, coloured by network class; solid line "
                "the C-A optimal loss L(k-n+1), dashed the linear fit of P-n-C losses, vertical lines gamma*k."),
         *([Figure("flow_curves", _fig_curves(records, rows), "Loss during the gradient-flow stage, every student.")]
           if records is not None else [])],
        [gamma_table, per_width, member_table]))
    sections.append(Section(
        "Classification sensitivity",
        "Class counts over all students with each tolerance multiplied and divided by 10.",
        tables=[Table("tolerance_sensitivity", ["variant", "exact_tol", "approx_tol", *theory.NEURON_CLASSES,
                                                *[f"net: {c}" for c in theory.NETWORK_CLASSES]],
                                [[variant, *_tolerances(config, variant), *sensitivity[variant].values()]
                                 for variant in _SENSITIVITY_VARIANTS])]))
    summary_extra = {}
    if activation == "erf":
        checks = _critical_point_checks(config, objective, teacher, dtype, n_max, config.seed)
        second = theory.second_differences(ell_losses)
        concave = bool(np.all(second <= 1e-12))
        summary_extra = {"ca_configurations_max_grad": max(r[5] for r in checks) if checks else None,
                         "one_neuron_loss_concave": concave,
                         "one_neuron_loss_max_second_difference": float(second.max()) if second.size else None}
        sections.append(Section(
            "Copy-average configurations are critical points; L(ℓ) is concave",
            f"Constructed copy-average configurations (the C-A optimal partition and one random partition per n): "
            f"largest max-abs gradient {summary_extra['ca_configurations_max_grad']:.2e}. The one-neuron loss L(ℓ), "
            f"ℓ = 1..{k}, has largest second difference {summary_extra['one_neuron_loss_max_second_difference']} "
            f"(discretely concave: {concave}). The optimal one-neuron fit comes out as r* = 1/sqrt(2ℓ-1), a* = ℓ.",
            [Figure("one_neuron_loss", _fig_concavity(ell_losses), "L(ℓ) and its second differences (<= 0: concave).")],
            [Table("critical_points", ["n", "partition kind", "partition", "loss", "sum L(l_i)", "grad max-abs",
                                       "min Hessian eig (C-A optimal)"], checks)]))

    summary = {
        "k": k, "d": d, "activation": activation, "gamma1": gamma1, "gamma2": gamma2, "gamma3": gamma3,
        "paper_gamma1": PAPER_GAMMAS["gamma1"], "paper_gamma2": PAPER_GAMMAS["gamma2"],
        "paper_gamma3": PAPER_GAMMAS["gamma3"], "pnc_loss_fit": fit,
        "n_students": len(rows), "n_converged": n_converged,
        "converged_interval": list(proportion_interval(n_converged, len(rows))),
        "max_grad": max(r["grad_max"] for r in rows), "converge_s": round(converge_s, 2),
        "class_counts": {c: sum(r["class"] == c for r in rows) for c in theory.NETWORK_CLASSES},
        "runs": rows, "tolerance_sensitivity": sensitivity, "n_cells": n_cells,
        **summary_extra,
    }
    deviations = [
        Deviation("optimiser", "gradient flow with MLPGradientFlow.jl (Julia, adaptive ODE + Newton)",
                  f"diffrax {config.flow_solver} flow until max-abs grad < {config.flow_gtol:g} or "
                  f"{config.flow_max_steps} steps, then damped Newton (exact Hessian) with a scipy trust region as "
                  f"fallback, to {config.gtol:g}",
                  "the flow is stiff near the end; an explicit solver cannot finish it in budget (see docs)"),
        Deviation("data", "finite samples / exact Gaussian integrals", "exact closed-form population loss",
                  "the arcsine kernel makes sampling unnecessary"),
        Deviation("loss normalisation", "E[(f - f*)^2]/2 in some texts", "E[(f - f*)^2] (no 1/2)",
                  "as the issue fixes; halves nothing but the loss scale"),
        Deviation("seeds and widths", "many seeds, k up to 100", f"k = {k}, {config.n_seeds} seed(s) per n",
                  "2-core budget; gammas have grid resolution 1/k and few seeds"),
        Deviation("gamma definitions", "read off Fig. 2 by eye", "rules in the gammas table, on the measured classes",
                  "the blog gives no operational definition"),
    ]
    metrics = {"n": np.array([r["n"] for r in rows]), "seed": np.array([r["seed"] for r in rows]),
               "loss": np.array([r["loss"] for r in rows]), "grad_max": np.array([r["grad_max"] for r in rows]),
               "min_eigenvalue": np.array([np.nan if r["min_eigenvalue"] is None else r["min_eigenvalue"] for r in rows]),
               "saddle_escapes": np.array([r["saddle_escapes"] for r in rows])}
    params = {"teacher.w": teacher_w}
    param_docs = {"teacher.w": "(k, d) orthonormal teacher vectors (output weights 1)"}
    if final_a is not None:  # with cells, every cell's run folder holds its own students
        params.update({"student.a": np.stack(final_a), "student.w": np.stack(final_w),
                       "member.n": np.array([n for n, _ in members]), "member.seed": np.array([s for _, s in members])})
        param_docs.update({"student.a": "(E, n_max) output weights at convergence, zero-padded beyond member.n",
                           "student.w": "(E, n_max, d) input weights at convergence, rows beyond member.n are padding",
                           "member.n": "(E,) student width", "member.seed": "(E,) seed index within the width"})
    return StudyResult(summary=summary, params=params, param_docs=param_docs, metrics=metrics, sections=sections,
                       deviations=deviations)


STUDY = Study(name="copy-average", description="Teacher-student copy/average: closed-form Gaussian losses, "
              "gradient flow to convergence", config_class=CopyAverageConfig, run=run,
              paper="teacher-student-copy-average.txt")
