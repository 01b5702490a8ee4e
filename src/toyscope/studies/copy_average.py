"""Study ``copy-average``: teacher-student distillation with exact population losses.

Paper: ``../shared/papers/teacher-student-copy-average.txt`` (Şimşek et al., NeurIPS 2023,
"Should under-parameterized student networks copy or average teacher weights?", blog version).
An erf (or ReLU) student of width n fits an orthonormal teacher of width k under Gaussian
inputs. The loss is computed in closed form (no data), every student is driven to a true
minimum (gradient flow, damped or trust-region Newton to max-abs gradient 1e-10, smallest Hessian
eigenvalue, saddle escapes), each neuron is classified as copy / average, and each network as
C-A optimal / copy-average / P-n-C / other.

``run`` follows the paper: (1) train every student to a minimum and classify its neurons
(Fig. 1: alignments and magnitudes); (2) losses at convergence against n with the change points
gamma1, gamma2, gamma3 (Fig. 2); (3, ours) how the classes move with the tolerances; (4, erf) the
constructed copy-average configurations are critical points and L(l) is concave (Results).
Classification is ``theory.classify_students``, the gammas ``analysis.phase_diagram_gammas``, the
checks ``theory.copy_average_critical_points``, the figures ``viz.neuron_alignment_figure`` and
``viz.convergence_losses_figure``.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator

from .. import analysis, theory, train, viz
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table
from ._headlines import AtMost, Equals, Headline, Within
from ._memory import MemoryEstimate

PAPER_GAMMAS = {"gamma1": 0.46, "gamma2": 0.6, "gamma3": 0.75}


class CopyAverageConfig(StudyConfig):
    """Teacher width ``k``, input dimension ``d`` (default k + 1), student widths ``n_values``
    (default 1..k), ``n_seeds`` initialisations per width (vmapped), the activation, and the
    convergence and classification tolerances (fixed before any sweep).

    ``widths_per_cell``: run the widths in groups of this many, each group a resumable
    ``copy-average`` run folder of the sweep runner (under ``cells_dir``, default ``cells/`` in the
    run folder; every group is padded to its own widest student and compiled once), and combine
    their rows into one phase diagram. Seeds are then drawn per group.

    ``width_grid``: with ``n_values`` unset, the widths n = round(i k / width_grid), i = 1..width_grid
    (resolution 1/width_grid in n/k) instead of every width 1..k. ``k_values``: run the config at
    each teacher width as a cell of the sweep runner and report the gammas against k (the paper's
    open question); each cell is a full ``copy-average`` run folder.

    Expected wall times (2 shared cores; measured where said, else extrapolated from the
    per-student times measured at k = 20 and k = 100 with the RKC2 first flow, see
    docs/results/copy-average.md): ``default`` (k = 20, 10 seeds, 200 students) measured 6 min 48 s
    on one core (385 s CPU), about 4-5 min on two; ``seeds3`` (k = 20, 3 seeds) measured 83 s;
    ``relu`` (k = 20, 10 seeds) measured 5 min on one core (22 min with the earlier Tsit5 first
    flow); ``k50`` (10 seeds x 20 widths) measured 35 min on one core (2,028 s CPU); ``k100`` (10
    seeds x 20 widths) about 3 h with ``--executor process --workers 2`` (3 seeds: 6,067 s of cell
    time, 20-500 s per student, 67 min wall), twice that in one process; ``k200`` (10 seeds x 20 widths, 470-3,400 s per student measured at 3 widths with the
    Tsit5 first flow) 1-3 days; ``gamma-vs-k`` all four: the sum."""

    # one-line descriptions of the keys (``toyscope config copy-average``)
    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "continuation_solver": "ODE solver that continues a flow stopped off a minimum (past a saddle) before Newton "
                               "(rkc: stabilised explicit, for stiff flows)",
        "continuation_rtol": "relative tolerance of that continued flow",
        "continuation_atol": "absolute tolerance of that continued flow",
        "continuation_max_steps": "solver steps per continuation stage",
        "continuation_stages": "continuation stages at most (each runs until the gradient falls tenfold)",
        "width_grid": "with n_values unset: widths n = round(i k / width_grid), i = 1..width_grid (1..k)",
        "k_values": "teacher widths to run as one sweep cell each, for gamma against k (none: k only)",
        "dtype": "float64 only (gradient norms of 1e-10 are below float32 resolution)",
        "k": "teacher width: orthonormal teacher neurons (>= 1)",
        "d": "input dimension (none: k + 1; >= k)",
        "n_values": "student widths n (none: 1..k; each <= k unless allow_wider_students)",
        "n_seeds": "initialisations per width, vmapped (>= 1)",
        "activation": "activation of teacher and students",
        "allow_wider_students": "allow student widths n > k",
        "flow_solver": "ODE solver of the gradient-flow stage (rkc: stabilised explicit RKC2, one student at a time; "
                       "the diffrax ones batch all students in one program)",
        "flow_gtol": "gradient-flow stage stops at this max-abs gradient (> 0)",
        "flow_max_steps": "most solver steps of the gradient-flow stage",
        "flow_rtol": "relative tolerance of the flow solver",
        "flow_atol": "absolute tolerance of the flow solver",
        "gtol": "convergence: max-abs gradient after Newton refinement (> 0)",
        "eig_tol": "a Hessian eigenvalue below -eig_tol is a saddle (escaped)",
        "max_escapes": "most saddle escapes per student",
        "escape_step": "step along the negative-curvature direction of a saddle escape (> 0)",
        "dense_limit": "largest parameter count with a dense Hessian (else iterative eigensolver)",
        "exact_tol": "neuron class tolerance for exact copies/averages, 1 - cosine (> 0)",
        "approx_tol": "neuron class tolerance for approximate copies/averages, 1 - cosine (> 0)",
        "widths_per_cell": "run the widths in groups of this many, each a resumable cell (none: all at once; >= 1)",
        "cells_dir": "folder of those cells (none: cells/ in the run folder)",
    }

    dtype: Literal["float32", "float64"] = "float64"
    k: int = 20
    d: int | None = None
    n_values: list[int] | None = None
    n_seeds: int = 10
    activation: Literal["erf", "relu"] = "erf"
    allow_wider_students: bool = False
    flow_solver: Literal["rkc", "tsit5", "dopri5", "dopri8", "bosh3", "kvaerno3", "kvaerno5"] = "rkc"
    flow_gtol: float = 1e-4
    flow_max_steps: int = 20_000
    flow_rtol: float = 1e-7
    flow_atol: float = 1e-9
    gtol: float = 1e-10
    eig_tol: float = 1e-8
    max_escapes: int = 5
    escape_step: float = 1e-3
    continuation_solver: Literal["rkc", "tsit5", "dopri5", "dopri8", "bosh3", "kvaerno3", "kvaerno5"] = "rkc"
    continuation_rtol: float = 1e-10
    continuation_atol: float = 1e-12
    continuation_max_steps: int = 20_000
    continuation_stages: int = 12
    dense_limit: int = 2000
    exact_tol: float = 1e-5  # = theory._classify.DEFAULT_EXACT_TOL
    approx_tol: float = 0.1
    widths_per_cell: int | None = None
    cells_dir: str | None = None
    width_grid: int | None = None
    k_values: list[int] | None = None

    def peak_memory(self) -> MemoryEstimate:
        """Estimated peak memory: ``n_seeds`` float64 students per width of n (d + 1) parameters,
        about 20 copies each (the gradient-flow solver's stages and saved states), and their dense
        Hessians (P^2 float64, three copies for the eigen-solve) up to ``dense_limit``."""
        d, widths = self.input_dim, self.widths
        n_params = [n * (d + 1) for n in widths]
        return MemoryEstimate({
            "students": 8 * 20 * self.n_seeds * sum(n_params),
            "Hessians": 3 * 8 * self.n_seeds * min(max(n_params), self.dense_limit) ** 2,
        })

    PRESETS = {
        "default": {},
        "smoke": {"k": 5, "n_values": [2, 4], "n_seeds": 1, "flow_max_steps": 2000},
        "seeds3": {"n_seeds": 3},
        "relu": {"activation": "relu", "n_seeds": 10},
        "k50": {"k": 50, "width_grid": 20, "n_seeds": 10, "widths_per_cell": 4},
        "k100": {"k": 100, "width_grid": 20, "n_seeds": 10, "widths_per_cell": 2},
        "k200": {"k": 200, "width_grid": 20, "n_seeds": 10, "widths_per_cell": 1},
        "gamma-vs-k": {"k_values": [20, 50, 100, 200], "width_grid": 20, "n_seeds": 10, "widths_per_cell": 2},
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
        if self.width_grid is not None and not 1 <= self.width_grid <= self.k:
            raise ValueError(f"width_grid must lie in 1..k = {self.k}, got {self.width_grid}")
        if self.k_values is not None and (not self.k_values or min(self.k_values) < 1
                                          or len(set(self.k_values)) != len(self.k_values)):
            raise ValueError(f"k_values must be distinct teacher widths >= 1, got {self.k_values}")
        if self.k_values is not None and self.n_values is not None:
            raise ValueError("k_values sweeps the teacher width: give width_grid, not n_values")
        if self.widths_per_cell is not None and self.widths_per_cell < 1:
            raise ValueError(f"widths_per_cell must be >= 1, got {self.widths_per_cell}")
        for name in ("flow_gtol", "gtol", "escape_step", "exact_tol", "approx_tol", "continuation_rtol",
                     "continuation_atol", "continuation_max_steps"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        return self

    @property
    def input_dim(self) -> int:
        return self.d if self.d is not None else self.k + 1

    @property
    def widths(self) -> list[int]:
        if self.n_values is not None:
            return sorted(set(self.n_values))
        if self.width_grid is not None:
            return sorted({max(1, round(i * self.k / self.width_grid)) for i in range(1, self.width_grid + 1)})
        return list(range(1, self.k + 1))

    def converge_options(self) -> "ConvergeOptions":
        """The options of :func:`toyscope.train.converge` this config fixes."""
        return ConvergeOptions(
            train.GradientFlow(solver=self.flow_solver, gtol=self.flow_gtol, max_steps=self.flow_max_steps,
                               rtol=self.flow_rtol, atol=self.flow_atol),
            train.NewtonRefinement(gtol=self.gtol, dense_limit=self.dense_limit),
            train.SaddleEscape(eig_tol=self.eig_tol, max_escapes=self.max_escapes, step=self.escape_step),
            train.FlowContinuation(solver=self.continuation_solver, rtol=self.continuation_rtol,
                                   atol=self.continuation_atol, max_steps=self.continuation_max_steps,
                                   max_stages=self.continuation_stages))


class ConvergeOptions(NamedTuple):
    """How :func:`toyscope.train.converge` drives the students: flow, refinement, saddle escapes,
    and the continuation of a flow that stopped near a saddle (Newton takes over only in a minimum's basin)."""

    flow: train.GradientFlow
    refinement: train.NewtonRefinement
    saddles: train.SaddleEscape
    continuation: train.FlowContinuation


class _Students(NamedTuple):
    """The converged students of one run folder: ``members`` ``(n, seed)``, padded ``a`` ``(E, n_max)``
    and ``w`` ``(E, n_max, d)``, their classes and convergence records."""

    members: list[tuple[int, int]]
    a: np.ndarray
    w: np.ndarray
    classes: list[theory.StudentClass]
    records: list[train.ConvergeRecord]


def run(config: CopyAverageConfig, ctx) -> StudyResult:
    # float64 throughout (gradients of 1e-10), switched on for this run only
    with jax.enable_x64(True):
        return _run(config, ctx)


def _run(config: CopyAverageConfig, ctx) -> StudyResult:
    if config.k_values is not None:
        return _run_k_sweep(config, ctx)
    k, d, activation, widths = config.k, config.input_dim, config.activation, config.widths
    tolerances = {"exact_tol": config.exact_tol, "approx_tol": config.approx_tol}
    teacher = theory.orthonormal_teacher(k, d, dtype=jnp.float64)
    objective = _objective(teacher, activation, max(widths))

    # ReLU: the critical points continuing the C-A optimal configurations (n = 1..k), which is not critical
    relu_points = ([theory.symmetric_copy_average_point(n, teacher, "relu") for n in range(1, k + 1)]
                   if activation == "relu" and k <= RELU_THEORY_MAX_K else None)

    # Train every student to a true minimum and classify it (Fig. 1); with cells, one run folder per width group
    started = time.perf_counter()
    if config.widths_per_cell is not None and len(widths) > config.widths_per_cell:
        rows, sensitivity, n_cells = _rows_from_cells(
            ctx, config.model_dump(exclude={"preset", "n_values", "widths_per_cell", "cells_dir"}), widths,
            widths_per_cell=config.widths_per_cell, cells_dir=config.cells_dir)
        students = None
    else:
        students = _converge_students(ctx, teacher, objective, widths=widths, n_seeds=config.n_seeds, seed=config.seed,
                                      activation=activation, converge=config.converge_options(), **tolerances)
        _check_divergence(divergence_rule(k, max(widths)), students.members, students.records)
        rows = [_student_row(n, s, record, student, k=k, activation=activation)
                for (n, s), record, student in zip(students.members, students.records, students.classes)]
        if relu_points is not None:  # ReLU: the loss of the critical point continuing the C-A optimal one
            for row in rows:
                if row["n"] <= k:
                    row["ca_optimal_loss"] = relu_points[row["n"] - 1].loss
        sensitivity = theory.tolerance_sensitivity(students.a, students.w, [n for n, _ in students.members], teacher.w,
                                                   activation=activation, **tolerances)
        n_cells = None
    converge_s = time.perf_counter() - started

    # Losses at convergence against n and the change points gamma1..3 (Fig. 2). erf: the C-A
    # optimal loss L(k-n+1); ReLU (not critical there): the symmetric critical point reached from it (drawn only)
    if activation == "erf":
        ca_optimal_losses = theory.one_neuron_losses(k)[::-1]  # L(k-n+1), n = 1..k
    else:
        ca_optimal_losses = None if relu_points is None else np.array([point.loss for point in relu_points])
    # gamma3 crosses a linear P-n-C fit with the C-A line: ReLU P-n-C losses are not linear in n
    # and its C-A line is strongly convex, so the crossing says nothing there (docs/results/copy-average.md)
    gamma3_line = ca_optimal_losses if activation == "erf" else None
    gammas = analysis.phase_diagram_gammas(
        [r["n"] for r in rows], [r["class"] for r in rows], [r["loss"] for r in rows], k,
        ca_classes=("C-A optimal",) if activation == "erf" else ("C-A optimal", "perturbed C-A"),
        ca_optimal_losses=gamma3_line)
    intervals = analysis.phase_diagram_gamma_intervals(
        [r["n"] for r in rows], [r["class"] for r in rows], [r["loss"] for r in rows], k,
        ca_classes=("C-A optimal",) if activation == "erf" else ("C-A optimal", "perturbed C-A"),
        ca_optimal_losses=gamma3_line, seed=config.seed)
    n_converged = sum(r["converged"] for r in rows)
    sections = [
        _neurons_section(rows, students, teacher, k=k, d=d, activation=activation, widths=widths,
                         n_seeds=config.n_seeds, **tolerances),
        _losses_section(rows, students, gammas, intervals, k=k, widths=widths, n_converged=n_converged, gtol=config.gtol,
                        eig_tol=config.eig_tol, ca_optimal_losses=ca_optimal_losses, activation=activation),
        _sensitivity_section(sensitivity, **tolerances),
    ]
    summary = {
        "k": k, "d": d, "activation": activation, "gamma1": gammas.gamma1, "gamma2": gammas.gamma2,
        "gamma3": gammas.gamma3, "paper_gamma1": PAPER_GAMMAS["gamma1"], "paper_gamma2": PAPER_GAMMAS["gamma2"],
        "paper_gamma3": PAPER_GAMMAS["gamma3"], "pnc_loss_fit": gammas.pnc_fit,
        "gamma_intervals": {name: interval._asdict() for name, interval in intervals.items()},
        "gamma_interval_definition": "central 95% of the gammas over 1000 bootstrap resamples of the seeds within "
                                     "each width (observed: share of resamples where the gamma exists)",
        "n_students": len(rows), "n_converged": n_converged,
        "converged_interval": list(analysis.proportion_interval(n_converged, len(rows))),
        "max_grad": max(r["grad_max"] for r in rows), "converge_s": round(converge_s, 2),
        "negative_eigenvalue_handoffs": sum(r["negative_handoffs"] for r in rows),
        "continued_flows": sum(r["flow_stages"] > 0 for r in rows),
        "class_counts": {c: sum(r["class"] == c for r in rows) for c in theory.NETWORK_CLASSES},
        "runs": rows, "tolerance_sensitivity": sensitivity, "n_cells": n_cells,
    }

    # Copy-average configurations are critical points; the one-neuron loss L(l) is concave (erf theory)
    if activation == "erf":
        checks = theory.copy_average_critical_points(objective, teacher, widths, n_max=max(widths), seed=config.seed,
                                                     dense_limit=config.dense_limit)
        concavity = theory.discrete_concavity(theory.one_neuron_losses(k))
        summary.update({"ca_configurations_max_grad": max(c.grad_max for c in checks) if checks else None,
                        "one_neuron_loss_concave": concavity.concave,
                        "one_neuron_loss_max_second_difference": concavity.max_second_difference})
        sections.append(_critical_points_section(checks, concavity, k=k))
    else:  # the same claims for ReLU, which its closed forms answer differently (theory._relu_copy_average)
        checks = theory.copy_average_critical_points(objective, teacher, widths, n_max=max(widths), seed=config.seed,
                                                     activation="relu")
        concavity = theory.discrete_concavity(theory.one_neuron_losses(k, "relu"))
        best = {n: theory.best_copy_average_partition(k, n, "relu") for n in widths
                if n <= k and k <= RELU_THEORY_MAX_K}
        inner = [c.grad_max for c in checks if 2 <= c.n <= k - 1]
        summary.update({
            "ca_configurations_max_grad": max(c.grad_max for c in checks) if checks else None,
            "ca_configurations_min_grad_inner": min(inner) if inner else None,
            "one_neuron_loss_concave": concavity.concave,
            "one_neuron_loss_max_second_difference": concavity.max_second_difference,
            "one_neuron_loss_min_second_difference": (float(np.min(theory.second_differences(
                theory.one_neuron_losses(k, "relu")))) if k >= 3 else None),
            "ca_optimal_is_best_partition": ({str(n): list(parts) == [k - n + 1, *[1] * (n - 1)]
                                              for n, (parts, _) in best.items()} if best else None),
        })
        if relu_points is not None:
            summary["relu_symmetric_ca_points"] = [
                {"n": point.n, "loss": point.loss, "start_loss": point.start_loss, "grad_max": point.grad_max,
                 "min_eigenvalue": None if np.isnan(point.min_eigenvalue) else point.min_eigenvalue,
                 "class": theory.classify_student(point.student.a, point.student.w, teacher.w, activation="relu",
                                                  **tolerances).network}
                for point in relu_points]
        sections.append(_relu_critical_points_section(checks, concavity, best, relu_points, k=k,
                                                      eig_tol=config.eig_tol))

    return StudyResult(summary=summary, sections=sections, metrics=_metrics(rows), **_params(teacher, students),
                       deviations=_deviations(config.converge_options(), k=k, n_seeds=config.n_seeds,
                                              activation=activation))


def _run_k_sweep(config: CopyAverageConfig, ctx) -> StudyResult:
    """The config at every teacher width of ``k_values`` (one sweep cell each): gammas against k."""
    base = config.model_dump(exclude={"preset", "k_values", "cells_dir"})
    cells = ctx.sweep("copy-average", base, {"k": config.k_values}, config.cells_dir)
    by_k, triples = {}, {name: [] for name in PAPER_GAMMAS}
    for values, summary in cells:
        if summary.get("diverged"):
            raise train.TrainingDiverged(summary["divergence"])
        by_k[str(values["k"])] = {key: summary[key] for key in (
            "gamma1", "gamma2", "gamma3", "gamma_intervals", "n_students", "n_converged",
            "negative_eigenvalue_handoffs", "class_counts", "converge_s")}
        for name in PAPER_GAMMAS:
            interval = summary["gamma_intervals"][name]
            triples[name].append((summary[name], interval["low"], interval["high"]))
    ks = [values["k"] for values, _ in cells]
    rows = [[k, *[f"{by_k[str(k)][name]} {_interval_text(analysis.GammaInterval(**by_k[str(k)]['gamma_intervals'][name]))}"
                  for name in PAPER_GAMMAS], by_k[str(k)]["n_students"]] for k in ks]
    figure = Figure("gammas_against_k", viz.gamma_against_k_figure(ks, triples, PAPER_GAMMAS),
                    "gamma1, gamma2, gamma3 against the teacher width k (bars: bootstrap 95% intervals over seeds; "
                    "dotted: the paper's readings at k <= 100).")
    section = Section("Change points against the teacher width",
                      f"{config.n_seeds} seeds per width, widths on a grid of {config.width_grid or 'every'} per k; "
                      "each k is a copy-average run folder under cells/ with its own phase diagram.", [figure],
                      [Table("gammas_by_k", ["k", "gamma1 [95%]", "gamma2 [95%]", "gamma3 [95%]", "students"], rows)])
    summary = {"k_values": ks, "activation": config.activation, "n_seeds": config.n_seeds, "by_k": by_k,
               "paper_gammas": PAPER_GAMMAS}
    return StudyResult(summary=summary, sections=[section], metrics={}, params={}, param_docs={},
                       deviations=_deviations(config.converge_options(), k=max(ks), n_seeds=config.n_seeds))


#: A student whose weights exceed this has diverged (the converged configurations have
#: |a|, |w| of order 1 to k: copies, averages and their perturbations of unit teacher vectors).
DIVERGED_WEIGHT = 1e4
#: stated share of diverged students the study tolerates: none (every student is a row of the
#: phase diagram and its class counts; the flow has no learning rate, so a blow-up is a solver failure)
DIVERGED_SHARE = 0.0


def divergence_rule(k: int, n_max: int) -> train.DivergenceRule:
    """The study's rule on the population (data) loss and the weights of its students.

    The loss is the exact population MSE; gradient flow never raises it, so a converged student
    stays below its Glorot initial loss, which is at most about the teacher's and the student's
    squared outputs, O((k + n)^2) for both activations: ten times that is a blow-up.
    """
    return train.DivergenceRule(max_loss=10.0 * (k + n_max) ** 2, max_abs_weight=DIVERGED_WEIGHT,
                                max_diverged_share=DIVERGED_SHARE,
                                advice="try another --set flow_solver=... or a tighter --set flow_rtol=...")


def _check_divergence(rule: train.DivergenceRule, members, records) -> None:
    """Raise ``TrainingDiverged`` (the stated share is 0) if a student broke ``rule``."""
    for (n, seed), record in zip(members, records):
        weight = float(np.max(np.abs(record.x)))
        # finite blow-ups only: a non-finite flow is reported as not converged, with its note
        if record.loss > rule.max_loss or weight > rule.max_abs_weight:
            what = (f"loss {record.loss:.3g} > {rule.max_loss:g}" if record.loss > rule.max_loss
                    else f"max |weight| {weight:.3g} > {rule.max_abs_weight:g}")
            raise train.TrainingDiverged(f"training diverged: {what} at convergence of the width-{n} student "
                                         f"(seed {seed}); {rule.advice}")


def _objective(teacher, activation: str, n_max: int) -> train.FlatObjective:
    """The compiled closed-form loss of one student padded to ``n_max`` neurons (mask as argument)."""
    d, dtype = teacher.w.shape[1], teacher.w.dtype
    return train.FlatObjective(_student_loss(teacher, activation),
                               theory.TwoLayerStudent(jnp.zeros(n_max, dtype), jnp.zeros((n_max, d), dtype)))


def _student_loss(teacher, activation: str):
    """``loss(student, mask)``: the closed-form population loss against ``teacher``."""

    def loss(student, member_mask):
        return theory.population_loss(student, teacher, activation, member_mask)

    return loss


def _converge_students(ctx, teacher, objective, *, widths, n_seeds: int, seed: int, activation: str,
                       converge: ConvergeOptions,
                       exact_tol: float, approx_tol: float) -> _Students:
    """Glorot students for every (n, seed), zero-padded to the widest n and compiled once, driven to a
    minimum (:func:`toyscope.train.converge` with the ``converge`` options) and classified."""
    members = [(n, s) for n in widths for s in range(n_seeds)]
    dtype = teacher.w.dtype
    params, mask = theory.glorot_normal_students([n for n, _ in members], teacher.w.shape[1],
                                                 key=jax.random.key(seed), dtype=dtype)
    free = theory.TwoLayerStudent(mask, jnp.broadcast_to(mask[:, :, None], params.w.shape))
    records = ctx.cached("converge", lambda: train.converge(
        _student_loss(teacher, activation), params, mask.astype(dtype), free=free, flow=converge.flow,
        refinement=converge.refinement, saddles=converge.saddles, continuation=converge.continuation,
        objective=objective, progress="copy-average: refine"))
    final = [objective.unravel(jnp.asarray(record.x)) for record in records]
    a, w = np.stack([np.asarray(s.a) for s in final]), np.stack([np.asarray(s.w) for s in final])
    classes = theory.classify_students(a, w, [n for n, _ in members], teacher.w, activation=activation,
                                       exact_tol=exact_tol, approx_tol=approx_tol)
    return _Students(members, a, w, classes, records)


def _student_row(n: int, seed: int, record, student: theory.StudentClass, *, k: int, activation: str) -> dict:
    """One student's line of ``summary["runs"]``."""
    ca_loss = theory.optimal_copy_average_loss(n, k) if (activation == "erf" and n <= k) else None
    return {"n": n, "seed": seed, "loss": record.loss, "ca_optimal_loss": ca_loss, "grad_max": record.grad_max,
            "min_eigenvalue": record.min_eigenvalue, "converged": record.converged,
            "saddle_escapes": record.saddle_escapes, "class": student.network,
            "neuron_classes": theory.class_counts(student.neurons), "flow_steps": record.flow_steps,
            "flow_grad_max": record.flow_grad_max, "newton_iterations": record.newton_iterations,
            "flow_stages": record.flow_stages, "handoff_eigenvalue": record.handoff_eigenvalue,
            "negative_handoffs": record.negative_handoffs,
            "flow_s": record.flow_s, "refine_s": record.refine_s, "eigen_s": record.eigen_s, "note": record.note}


def _rows_from_cells(ctx, base_values: dict, widths: list[int], *, widths_per_cell: int, cells_dir: str | None):
    """Run the widths in groups of ``widths_per_cell`` through the sweep runner: their rows (by n,
    then seed), summed tolerance sensitivity and the number of groups.

    The widest group is handed out first: wider students cost more (at k = 100 the n = 85-100 cell
    took 2,414 s against 508-1,603 s for the others), and a pool of workers that starts with the
    dearest cells ends sooner. A cell's draws depend only on its own widths, so the order changes
    no result."""
    groups = [widths[i:i + widths_per_cell] for i in range(0, len(widths), widths_per_cell)]
    cells = ctx.sweep("copy-average", base_values, {"n_values": groups[::-1]}, cells_dir)
    for _, summary in cells:  # the stated share of diverged students is 0: a diverged group fails the run
        if summary.get("diverged"):
            raise train.TrainingDiverged(summary["divergence"])
    rows = sorted((row for _, summary in cells for row in summary["runs"]), key=lambda row: (row["n"], row["seed"]))
    sensitivity = theory.merge_tolerance_sensitivity([summary["tolerance_sensitivity"] for _, summary in cells])
    return rows, sensitivity, len(groups)


def _figure1_examples(rows: list[dict], k: int) -> list[tuple[int, str]]:
    """Per class shown in Fig. 1, the student whose width is nearest 0.4 k (the paper's Fig. 1 has
    n = 4, k = 8), among 1 < n < k: ``(row index, class)``."""
    examples = []
    for wanted in ("C-A optimal", "perturbed C-A", "P-n-C"):
        candidates = [i for i, row in enumerate(rows) if row["class"] == wanted and 1 < row["n"] < k]
        if candidates:
            examples.append((min(candidates, key=lambda i: abs(rows[i]["n"] - 0.4 * k)), wanted))
    return examples


def _neurons_section(rows, students: _Students | None, teacher, *, k: int, d: int, activation: str, widths,
                     n_seeds: int, exact_tol: float, approx_tol: float) -> Section:
    figures = []
    for index, wanted in _figure1_examples(rows, k) if students is not None else ():
        n = rows[index]["n"]
        figures.append(Figure(
            f"neurons_{wanted.replace(' ', '_').replace('-', '')}_n{n}",
            viz.neuron_alignment_figure(students.a[index][:n], students.w[index][:n], np.asarray(teacher.w),
                                        students.classes[index].neurons,
                                        f"{wanted}: n = {n}, k = {k}, seed {rows[index]['seed']}"),
            f"Fig. 1 analogue ({wanted}, n = {n}, k = {k}): left, alignments w_i.v_j/|w_i| of each student neuron "
            "with all teacher vectors (erf neurons sign-flipped to a_i > 0); right, magnitudes |w_i| and |a_i|."))
    return Section(
        "Neurons (Fig. 1)",
        f"Teacher: k = {k} orthonormal vectors in d = {d} dimensions, output weights 1, activation {activation}. "
        f"Students: Glorot-normal, n in {widths}, {n_seeds} seed(s) each. Loss L = E[(f - f*)^2] in closed "
        f"form (no factor 1/2). Neuron classes use exact_tol = {exact_tol:g} and approx_tol = {approx_tol:g} "
        "(1 - cosine), fixed before the runs.",
        figures)


def _losses_section(rows, students: _Students | None, gammas: analysis.PhaseDiagramGammas,
                    intervals: dict[str, analysis.GammaInterval], *, k: int, widths,
                    n_converged: int, gtol: float, eig_tol: float, ca_optimal_losses, activation: str = "erf") -> Section:
    member_table = Table("members", ["n", "seed", "loss", "C-A optimal loss", "grad max-abs", "min Hessian eig",
                                     "escapes", "class", "exact copy", "exact avg", "approx copy", "approx avg", "other",
                                     "flow steps", "flow grad", "flow stages", "hand-off eig", "flow s", "refine s",
                                     "eig s", "note"],
                         [[r["n"], r["seed"], r["loss"], r["ca_optimal_loss"], r["grad_max"], r["min_eigenvalue"],
                           r["saddle_escapes"], r["class"], *r["neuron_classes"].values(), r["flow_steps"],
                           r["flow_grad_max"], r.get("flow_stages"), r.get("handoff_eigenvalue"),
                           round(r["flow_s"], 2), round(r["refine_s"], 2), round(r["eigen_s"], 2),
                           r["note"]] for r in rows],
                         "Every student at convergence (grad = max-abs gradient; eig = smallest Hessian eigenvalue; "
                         "flow stages: continuation stages after the first flow; hand-off eig: smallest eigenvalue "
                         "where Newton took over).")
    measured = {"gamma1": gammas.gamma1, "gamma2": gammas.gamma2, "gamma3": gammas.gamma3}
    resolution = 1 / k if len(widths) < 2 else min(np.diff(widths)) / k
    gamma_table = Table("gammas", ["quantity", "paper", "measured", "bootstrap 95% interval", "observed in resamples",
                                   "grid resolution"],
                        [[name, PAPER_GAMMAS[name], value, _interval_text(intervals[name]), intervals[name].observed,
                          resolution] for name, value in measured.items()],
                        "gamma1: largest n/k up to which every seed (at every smaller n) is C-A optimal; gamma2: "
                        "smallest n/k from which every seed up to n = k - 1 is P-n-C; gamma3: where the linear fit of "
                        "P-n-C losses crosses below the C-A optimal loss L(k-n+1). None: not observed. Interval: "
                        "central 95% of each gamma over 1000 bootstrap resamples of the seeds within each width, "
                        "among the resamples where it is observed (a set of grid values, not a continuous error "
                        "bar; an outcome no seed showed cannot move it).")
    shown = ("C-A optimal", "P-n-C")
    per_width = Table("classes_per_n", ["n", "n/k", *shown, "other classes", "mean loss"],
                      [[g.n, g.n / k, *(analysis.format_fraction(g.counts[c], g.n_students) for c in shown),
                        ", ".join(sorted(c for c, count in g.counts.items() if count and c not in shown)), g.mean_loss]
                       for g in analysis.classes_by_width([r["n"] for r in rows], [r["class"] for r in rows],
                                                          [r["loss"] for r in rows], theory.NETWORK_CLASSES)],
                      "Fraction of seeds per width in each class, with Wilson 95% intervals.")
    figures = [Figure("losses", viz.convergence_losses_figure(
        [r["n"] for r in rows], [r["loss"] for r in rows], [r["class"] for r in rows], k, measured, gammas.pnc_fit,
        ca_optimal_losses), _losses_caption(gammas, measured, has_ca_line=ca_optimal_losses is not None,
                                            relu=activation == "relu"),
        interactive=viz.phase_diagram_figure(
            [r["n"] for r in rows], k, [r["loss"] for r in rows], [r["class"] for r in rows],
            [r["grad_max"] for r in rows], colours=viz.NETWORK_CLASS_COLOURS,
            reference=None if ca_optimal_losses is None else (np.arange(1, k + 1), ca_optimal_losses),
            title=f"loss at convergence against n / k (k = {k}); hover a student"))]
    if students is not None:
        figures.append(Figure("flow_curves", viz.flow_curves_figure(
            [r.curve_times for r in students.records], [r.curve_losses for r in students.records],
            [r["class"] for r in rows]), "Loss during the gradient-flow stage, every student, coloured by its final "
            "network class (legend).",
            interactive=viz.curves_figure(
                [viz.Curve(f"n = {r['n']}, seed {r['seed']}", record.curve_times, record.curve_losses, group=r["class"],
                           colour=viz.NETWORK_CLASS_COLOURS.get(r["class"]))
                 for r, record in zip(rows, students.records)],
                xlabel="gradient-flow time t", ylabel="loss", log_x=True, log_y=True,
                title="gradient-flow stage (legend: final class; click to toggle)")))
    paper = ", ".join(f"{PAPER_GAMMAS[name]:g}" for name in measured)
    return Section(
        "Losses at convergence (Fig. 2)",
        f"{analysis.format_fraction(n_converged, len(rows))} students reached max-abs gradient < {gtol:g} with "
        f"smallest Hessian eigenvalue >= -{eig_tol:g} (converged to a minimum). Newton took over only where the "
        f"Hessian was positive definite to {eig_tol:g}, except in {sum(r.get('negative_handoffs', 0) for r in rows)} "
        f"hand-off(s) made at a negative smallest eigenvalue (budget spent); "
        f"{sum(r.get('flow_stages', 0) > 0 for r in rows)} flow(s) were continued past a saddle or their step cap. "
        + ", ".join(f"{name} = {value}" for name, value in measured.items())
        + f" (paper: about {paper}).",
        figures, [gamma_table, per_width, member_table])


def _losses_caption(gammas: analysis.PhaseDiagramGammas, measured: dict, *, has_ca_line: bool,
                    relu: bool = False) -> str:
    """The caption of the Fig. 2 analogue, naming only what the figure draws."""
    parts = ["Fig. 2 analogue: loss at convergence against student width n, coloured by network class"]
    if has_ca_line:
        parts.append("solid line the loss of the critical point continuing the C-A optimal configuration "
                     "(theory.symmetric_copy_average_point; the C-A optimal configuration is not critical for ReLU)"
                     if relu else "solid line the C-A optimal loss L(k-n+1)")
    if gammas.pnc_fit is not None:
        parts.append("dashed the linear fit of P-n-C losses")
    drawn = [name for name, value in measured.items() if value is not None]
    if drawn:
        parts.append(f"vertical lines at gamma*k for {', '.join(drawn)}")
    missing = ([] if gammas.pnc_fit is not None else ["no P-n-C fit (too few P-n-C widths)"]) + [
        f"{name} not observed" for name, value in measured.items() if value is None]
    return "; ".join(parts) + "." + (f" Not drawn: {', '.join(missing)}." if missing else "")


def _interval_text(interval: analysis.GammaInterval) -> str:
    return "not observed" if interval.low is None else f"[{interval.low:.3g}, {interval.high:.3g}]"


def _sensitivity_section(sensitivity: dict, *, exact_tol: float, approx_tol: float) -> Section:
    return Section(
        "Classification sensitivity",
        "Class counts over all students with each tolerance multiplied and divided by 10.",
        tables=[Table("tolerance_sensitivity", ["variant", "exact_tol", "approx_tol", *theory.NEURON_CLASSES,
                                                *[f"net: {c}" for c in theory.NETWORK_CLASSES]],
                      [[variant, *theory.scaled_tolerances(exact_tol, approx_tol, variant),
                        *sensitivity[variant].values()] for variant in theory.TOLERANCE_VARIANTS])])


def _critical_points_section(checks: list[theory.CriticalPointCheck], concavity: theory.Concavity, *,
                             k: int) -> Section:
    largest = max(c.grad_max for c in checks) if checks else None
    return Section(
        "Copy-average configurations are critical points; L(ℓ) is concave",
        f"Constructed copy-average configurations (the C-A optimal partition and one random partition per n): "
        f"largest max-abs gradient {largest:.2e}. The one-neuron loss L(ℓ), ℓ = 1..{k}, has largest second "
        f"difference {concavity.max_second_difference} (discretely concave: {concavity.concave}). The optimal "
        f"one-neuron fits match r* = 1/sqrt(2ℓ-1), a* = ℓ to {theory.one_neuron_fit_error(k):.1e} (largest deviation "
        f"of r*, relative of a*, over ℓ = 1..{k}).",
        [Figure("one_neuron_loss", viz.one_neuron_loss_figure(theory.one_neuron_losses(k)),
                "L(ℓ) and its second differences (<= 0: concave).")],
        [Table("critical_points", ["n", "partition kind", "partition", "loss", "sum L(l_i)", "grad max-abs",
                                   "min Hessian eig (C-A optimal)"], [list(c) for c in checks])])


#: largest teacher width for which a ReLU run searches every partition for the best copy-average one and
#: computes the symmetric critical point of every width 1..k (20 of them take about a minute)
RELU_THEORY_MAX_K = 40


def _relu_critical_points_section(checks: list[theory.CriticalPointCheck], concavity: theory.Concavity,
                                  best: dict, points, *, k: int, eig_tol: float) -> Section:
    inner = [c for c in checks if 2 <= c.n <= k - 1]
    fits = [theory.relu_one_neuron_fit(l) for l in range(1, k + 1)]
    lowest = min(inner, key=lambda c: c.grad_max) if inner else None
    ca_best = [n for n, (parts, _) in best.items() if list(parts) == [k - n + 1, *[1] * (n - 1)]]
    text = (
        "The paper's optimal-average-neuron claims are proved for erf; here they are checked for ReLU with its "
        "closed forms (theory.relu_one_neuron_fit). One neuron fitting ℓ teachers: the optimum direction is the mean "
        "teacher direction (as for erf), but only the product a|w| = ℓ h(1/√ℓ)/π is determined (positive "
        f"homogeneity), from {fits[1].scale:.4f} at ℓ = 2 to {fits[-1].scale:.4f} at ℓ = {k}; the paper's a ≥ ℓ, "
        "|w| ≤ 1/√ℓ hold exactly for the minimisers with |w| ≤ 1/√ℓ (shown: that representative). "
        f"Copy-average configurations built from these fits: largest max-abs gradient {max(c.grad_max for c in checks):.3g}"
        + (f"; the smallest over 2 ≤ n ≤ k-1 is {lowest.grad_max:.3g} (n = {lowest.n}, {lowest.partition}): "
           "**not critical points** for ReLU (the residual means of the buckets couple them)" if lowest else "")
        + f". L(ℓ), ℓ = 1..{k}: concave {concavity.concave}, second differences "
        + (f"{float(np.min(theory.second_differences([f.loss for f in fits]))):.3g} to "
           f"{concavity.max_second_difference:.3g} (**convex**)" if k >= 3 else "none")
        + (f". Best constructed partition per width (exhaustive): the C-A optimal one only at n = "
           f"{', '.join(map(str, ca_best)) or 'none'}; elsewhere balanced parts" if best else ""))
    if points:
        saddles = [p.n for p in points if p.min_eigenvalue < -eig_tol]
        text += (
            ". The critical point that continues the C-A optimal configuration (theory.symmetric_copy_average_point: "
            "the loss minimised over the configurations with the C-A optimal one's symmetry, n-1 equal perturbed "
            f"copies and one perturbed average) has max-abs gradient <= {max(p.grad_max for p in points):.1e}; it is "
            "the C-A line of the Fig. 2 analogue (not used for gamma3), and a saddle (smallest Hessian eigenvalue < "
            f"-{eig_tol:g}) at n = {', '.join(map(str, saddles)) or 'none'}")
    return Section(
        "ReLU: copy-average configurations and the optimal average neuron",
        text,
        [Figure("one_neuron_loss", viz.one_neuron_loss_figure([f.loss for f in fits]),
                "ReLU L(ℓ) and its second differences (> 0: convex, where erf's are <= 0).")],
        [Table("relu_one_neuron_fits", ["ℓ", "a|w|", "a at |w| = 1/√ℓ", "L(ℓ)", "residual mean μ(ℓ)"],
               [[f.l, f.scale, f.a, f.loss, f.residual_mean] for f in fits]),
         Table("critical_points", ["n", "partition kind", "partition", "loss", "partition loss", "grad max-abs",
                                   "min Hessian eig"], [list(c) for c in checks],
               "ReLU copy-average configurations (partition loss: sum of L(ℓ_i) plus the residual means' cross "
               "terms; no Hessian: a copy sits where the arc-cosine kernel has no second derivative)."),
         *([Table("best_partitions", ["n", "best partition", "its loss", "C-A optimal loss L(k-n+1)"],
                  [[n, "+".join(map(str, parts)), loss, theory.optimal_copy_average_loss(n, k, "relu")]
                   for n, (parts, loss) in best.items()])] if best else []),
         *([Table("symmetric_ca_points", ["n", "loss", "C-A optimal configuration's loss", "grad max-abs",
                                          "min Hessian eig", "p", "q", "s", "t", "m", "a_c", "a_n"],
                  [[p.n, p.loss, p.start_loss, p.grad_max, p.min_eigenvalue, *p.theta] for p in points],
                  "Critical points continuing the C-A optimal configuration: copy i has w = p v_i + q (sum of the "
                  "other copied v_j) + s u_S, output a_c; the average has w = t (sum of the copied v_j) + m u_S, "
                  "output a_n (u_S: the mean direction of the averaged teachers). NaN eigenvalue: exact copies, "
                  "where the dense Hessian of the kernel is not formed.")] if points else [])])


def _metrics(rows: list[dict]) -> dict[str, np.ndarray]:
    return {"n": np.array([r["n"] for r in rows]), "seed": np.array([r["seed"] for r in rows]),
            "loss": np.array([r["loss"] for r in rows]), "grad_max": np.array([r["grad_max"] for r in rows]),
            "min_eigenvalue": np.array([np.nan if r["min_eigenvalue"] is None else r["min_eigenvalue"] for r in rows]),
            "saddle_escapes": np.array([r["saddle_escapes"] for r in rows])}


def _params(teacher, students: _Students | None) -> dict:
    """``params`` and ``param_docs`` of the run folder (with cells, each cell's folder holds its students)."""
    params = {"teacher.w": np.asarray(teacher.w)}
    docs = {"teacher.w": "(k, d) orthonormal teacher vectors (output weights 1)"}
    if students is not None:
        params.update({"student.a": students.a, "student.w": students.w,
                       "member.n": np.array([n for n, _ in students.members]),
                       "member.seed": np.array([s for _, s in students.members])})
        docs.update({"student.a": "(E, n_max) output weights at convergence, zero-padded beyond member.n",
                     "student.w": "(E, n_max, d) input weights at convergence, rows beyond member.n are padding",
                     "member.n": "(E,) student width", "member.seed": "(E,) seed index within the width"})
    return {"params": params, "param_docs": docs}


def _deviations(converge: ConvergeOptions, *, k: int, n_seeds: int, activation: str = "erf") -> list[Deviation]:
    """``converge``: the :func:`toyscope.train.converge` options the run used."""
    relu = [Deviation("gamma3 (ReLU)", "~0.75, P-n-C below C-A optimal", "not computed",
                      "the C-A optimal configuration is not critical for ReLU; its continuation "
                      "(theory.symmetric_copy_average_point) is drawn, but ReLU P-n-C losses are not linear in n, "
                      "so the fitted crossing means nothing; compare the per-width losses instead")]
    return relu * (activation == "relu") + [
        Deviation("optimiser", "gradient flow with MLPGradientFlow.jl (Julia, adaptive ODE + Newton)",
                  f"{train.SOLVERS[converge.flow.solver]} flow until max-abs grad < {converge.flow.gtol:g} or "
                  f"{converge.flow.max_steps} steps"
                  f"{' (or the gradients of that many Tsit5 steps), each student alone' if converge.flow.solver == 'rkc' else ''}; where the Hessian there is not positive definite, the flow "
                  f"continues ({train.SOLVERS[converge.continuation.solver]}, rtol {converge.continuation.rtol:g}, stages to a tenth "
                  f"of the gradient, up to {converge.continuation.max_stages}) until it stops in a minimum's basin; "
                  f"only then damped Newton (exact Hessian) with a scipy trust region as fallback, to "
                  f"{converge.refinement.gtol:g}",
                  "the flow is stiff near the end; Newton finishes it, but only where the flow's class is settled "
                  "(a hand-off near a saddle would let Newton pick the basin)"),
        Deviation("data", "finite samples / exact Gaussian integrals", "exact closed-form population loss",
                  "the arcsine kernel makes sampling unnecessary"),
        Deviation("loss normalisation", "E[(f - f*)^2]/2 in some texts", "E[(f - f*)^2] (no 1/2)",
                  "fixed before the runs; halves nothing but the loss scale"),
        Deviation("seeds and widths", "many seeds, k up to 100", f"k = {k}, {n_seeds} seed(s) per n",
                  "2-core budget (10 seeds per width and k = 50..200 are presets with expected times); the "
                  "gammas are grid values with bootstrap intervals over the seeds"),
        Deviation("gamma definitions", "read off Fig. 2 by eye", "rules in the gammas table, on the measured classes",
                  "the blog gives no operational definition"),
    ]


_LOSSES = "Losses at convergence (Fig. 2)"
_CRITICAL = "Copy-average configurations are critical points; L(ℓ) is concave"
# the blog's phase boundaries are read off its Fig. 2 (k = 100): within one grid step of 1/k = 0.05 at k = 20
HEADLINES = (
    *(Headline(name, name, value, paper_text=f"~{value:g}", rule=Within(0.05, basis="one grid step 1/k at k = 20"),
               section=_LOSSES) for name, value in PAPER_GAMMAS.items()),
    Headline("copy-average configurations are critical (max-abs gradient)", "ca_configurations_max_grad",
             paper_text="proved (erf)", rule=AtMost(1e-8, "zero up to float64 round-off"), section=_CRITICAL),
    Headline("one-neuron loss L(ℓ) discretely concave", "one_neuron_loss_concave", True, paper_text="proved (erf)",
             rule=Equals(), section=_CRITICAL),
)


STUDY = Study(name="copy-average", description="Teacher-student copy/average: closed-form Gaussian losses, "
              "gradient flow to convergence", config_class=CopyAverageConfig, run=run,
              paper="teacher-student-copy-average.txt", headlines=HEADLINES)
