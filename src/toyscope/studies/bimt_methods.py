r"""BIMT Figure 2 and Figure A1: five training methods on one regression task, side by side.

Liu, Gan & Tegmark, "Seeing is believing: brain-inspired modular training for mechanistic
interpretability", Entropy 26 (2024) 41 (``../shared/papers/bimt-modular-training.txt``):

* **Figure 2**: the connectivity graphs of a two-hidden-layer MLP fitted to
  :math:`(y_1, y_2) = (x_1x_4 + x_2x_3,\ x_1x_4 - x_2x_3)` (the task is named in Appendix A) by
  (a) vanilla training, (b) L1, (c) L1 + local, (d) L1 + swap and (e) BIMT; the caption's claims:
  "BIMT finds the simplest circuit (e) which clearly contains two parallel modules, with a
  moderate sacrifice in test loss compared to vanilla (a), but with lower loss than for mere L1
  regularization (b)";
* **Figure A1** (Appendix A): each trained network pruned by magnitude (weights and biases),
  test loss against the number of unpruned parameters :math:`N_u`; "BIMT and L1 + Local achieve
  the best pruning results, even better than L1".

The task is a ``formula`` task of the ``bimt`` study (``toyscope.tasks.formula_task``, inputs
:math:`U[-1, 1]`); each method is trained by :func:`toyscope.studies.bimt.train_mlp_task`, the
``bimt`` study's own training, under the paper's Section 3.1 settings. Measured per seed with
criteria fixed before any run (:data:`CRITERIA`): the parallel modules
(:func:`toyscope.analysis.parallel_modules`), the paired test-loss order, and the parameters each
method needs for a test loss at most :math:`\ell^*` (:func:`toyscope.analysis.pruned_losses`,
:func:`toyscope.analysis.parameters_needed`).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np
from pydantic import field_validator, model_validator

from .. import analysis, bimt, nets, tasks, viz
from ._base import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table
from ._bimt_in_context import member, slot_names
from ._headlines import AtLeast, AtMost, Equals, Headline
from ._memory import MemoryEstimate
from .bimt import METHODS, BimtConfig, train_mlp_task

#: the task of Figure 2 and Appendix A (the minus sign of y2 is lost in the text's extraction)
FIGURE2_FORMULA = bimt.FIGURE2_FORMULA
_NOTEBOOK = bimt.NOTEBOOK_SETUPS["symbolic-a"]
#: settings=notebook: the symbolic notebook's values that a formula task can take (cell 4: AdamW lr 2e-3 with
#: weight decay 0, weight_factor 1, top_k 5; cell 2: the authors' swap loop and score); its bias penalty from
#: step 15k only is not offered
NOTEBOOK_VALUES = {"learning_rate": _NOTEBOOK.learning_rate, "extent": _NOTEBOOK.extent, "top_k": _NOTEBOOK.top_k,
                   "swap_loop": _NOTEBOOK.swap_loop, "swap_score": _NOTEBOOK.swap_score}
#: Figure 2's panel letter and name of each method
PANELS = {"vanilla": "(a) vanilla", "l1": "(b) L1", "l1-local": "(c) L1 + local", "l1-swap": "(d) L1 + swap",
          "bimt": "(e) BIMT"}
#: the criteria, fixed before the first run (the report and docs/results/bimt.md quote them)
CRITERIA = {
    "parallel modules": (
        "Figure 2e holds in a seed when analysis.parallel_modules of its final network (active weights "
        "|w| >= module_threshold x max|w|, output layer removed) finds exactly the expected modules: as many as "
        "expected_modules, each with exactly one expected input set (default {x1, x4} and {x2, x3})"),
    "loss order": (
        "per seed (same initialisation and data for every method): BIMT's test loss below L1's, and "
        "vanilla's below BIMT's; the BIMT/L1 ratio's geometric mean over seeds with a Student-t 95% interval "
        "on the log scale"),
    "pruning": (
        "per seed and method the fewest parameters n* (weights and biases kept by magnitude) with test loss "
        "<= loss_target; a seed that never reaches it counts as all parameters + 1. Figure A1 holds when the "
        "two methods with the smallest geometric mean of n* over seeds are BIMT and L1 + local"),
}


class BimtMethodsConfig(StudyConfig):
    """The five methods of Figure 2 on one formula task, ``n_seeds`` seeds each."""

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "formula": "the regression task, a bimt formula (default: Figure 2's, from Appendix A)",
        "settings": "Section 3.1's settings, or those of the authors' symbolic notebook (lr, A, k, swap loop and score)",
        "methods": "training methods, each one bimt training (Figure 2's panels a-e)",
        "n_seeds": "initialisation seeds per method (one data draw, shared)",
        "n_steps": "training steps per method (none: the paper's 20,000 of Section 3.1)",
        "hidden_widths": "hidden layer widths (the paper: two hidden layers, widths not stated)",
        "n_train": "training examples, inputs ~ U[-1, 1]",
        "n_test": "test examples",
        "module_threshold": "relative weight threshold of the parallel-module check (x max|w|)",
        "expected_modules": "the input sets of the parallel modules Figure 2e shows",
        "loss_target": "Figure A1: test loss a pruned network must reach (fewest parameters that do)",
        "budgets": "Figure A1 table: test loss after keeping this many parameters",
    }

    formula: str = FIGURE2_FORMULA
    settings: Literal["paper", "notebook"] = "paper"
    methods: list[str] = list(METHODS)
    n_seeds: int = 5
    n_steps: int | None = None
    hidden_widths: list[int] = [20, 20]
    n_train: int = 100
    n_test: int = 100
    module_threshold: float = analysis.MODULE_THRESHOLD
    expected_modules: list[list[str]] = [["x1", "x4"], ["x2", "x3"]]
    loss_target: float = 0.01
    budgets: list[int] = [10, 20, 30, 50, 100]

    # default: Figure 2 and Figure A1 at the paper's size (5 methods x 5 seeds x 20,000 steps; 2.5 min here)
    PRESETS = {"default": {}, "smoke": {"n_steps": 1000, "n_seeds": 2}}

    @field_validator("methods")
    @classmethod
    def _methods(cls, value):
        bad = [m for m in value if m not in METHODS]
        if bad or not value or len(set(value)) != len(value):
            raise ValueError(f"methods must be distinct names from {', '.join(METHODS)}, got {value}")
        return value

    @model_validator(mode="after")
    def _check(self):
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds must be >= 1, got {self.n_seeds}")
        if not 0 < self.module_threshold <= 1:
            raise ValueError(f"module_threshold must be in (0, 1], got {self.module_threshold}")
        if self.loss_target <= 0:
            raise ValueError(f"loss_target must be > 0, got {self.loss_target}")
        self.cell_config(self.methods[0])  # the formula, widths and sizes, checked as bimt checks them
        formula = tasks.parse_formula(self.formula)
        names = set(formula.inputs)
        unknown = sorted({name for group in self.expected_modules for name in group} - names)
        if unknown or any(not group for group in self.expected_modules):
            raise ValueError(f"expected_modules must be non-empty lists of the formula's inputs "
                             f"({', '.join(sorted(names))}), got {self.expected_modules}")
        widths = [formula.n_inputs, *self.hidden_widths, len(formula.outputs)]
        n_params = sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
        if any(not 0 < b <= n_params for b in self.budgets):
            raise ValueError(f"budgets must lie in [1, {n_params}] (the network's parameters), got {self.budgets}")
        return self

    def cell_config(self, method: str) -> BimtConfig:
        """The ``bimt`` config that trains ``method`` on this study's task."""
        values = {"task": "formula", "formula": self.formula, "method": method, "n_seeds": self.n_seeds,
                  "hidden_widths": self.hidden_widths, "n_train": self.n_train, "n_test": self.n_test,
                  "seed": self.seed, "dtype": self.dtype}
        if self.n_steps is not None:
            values["n_steps"] = self.n_steps
        if self.settings == "notebook":  # symbolic_formulas_3.1.ipynb cells 2 and 4 (bimt.NOTEBOOK_SETUPS)
            values.update(NOTEBOOK_VALUES)
        return BimtConfig(**values)

    def peak_memory(self) -> MemoryEstimate:
        """One method trains at a time: a ``bimt`` cell's estimate (:meth:`BimtConfig.peak_memory`)."""
        return self.cell_config(self.methods[0]).peak_memory()


def _measure(trained, config: BimtMethodsConfig) -> dict:
    """Per seed of one trained method: test loss, Q, parallel modules and the pruned losses."""
    n_seeds = config.n_seeds - trained.n_diverged
    members = [member(trained.result.params, e) for e in range(n_seeds)]
    data, layout = trained.data, trained.layout
    expected = sorted(sorted(group) for group in config.expected_modules)
    out = {"test_loss": [], "modularity": [], "modules": [], "holds": [], "pruned": []}
    for params in members:
        as_jax = jax.tree_util.tree_map(jnp.asarray, params)
        weights = bimt.network_weights(layout, params)
        out["test_loss"].append(float(trained.metrics["test_loss"](as_jax)))
        out["modularity"].append(float(analysis.modularity(weights)))
        modules = analysis.parallel_modules(weights, threshold=config.module_threshold,
                                            input_names=slot_names(data["input_names"], params["input_order"]),
                                            output_names=slot_names(data["output_names"], params["output_order"]))
        out["modules"].append(modules)
        out["holds"].append(sorted(sorted(m.inputs) for m in modules) == expected)
        n_params = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(params["layers"]))
        budgets = np.arange(1, n_params + 1)
        out["pruned"].append(analysis.pruned_losses(as_jax, lambda p: trained.loss_fn(p, trained.test), budgets))
    out["members"] = members
    out["params"] = jax.device_get(trained.result.params)
    out["n_parameters"] = n_params
    return out


def _module_text(modules, input_names, output_names) -> str:
    """``{x1, x4} -> y1, y2 (6 neurons); ...``, names in the task's order (not slot order)."""
    def names(found, order):
        return ", ".join(sorted(found, key=list(order).index))
    return "; ".join(f"{{{names(m.inputs, input_names)}}} -> {names(m.outputs, output_names) or '-'} "
                     f"({len(m.neurons)} neurons)" for m in modules) or "none"


def run(config: BimtMethodsConfig, ctx) -> StudyResult:
    measured, trained_any = {}, None
    for method in config.methods:
        trained = train_mlp_task(config.cell_config(method), ctx, stage=f"train-{method}")
        measured[method] = _measure(trained, config)
        trained_any = trained
    data, layout, settings = trained_any.data, trained_any.layout, trained_any.settings
    n_params = measured[config.methods[0]]["n_parameters"]
    budgets = np.arange(1, n_params + 1)

    # Figure 2: seed 0 of every method
    coords = bimt.network_coordinates(layout, extent=settings.extent, layer_gap=settings.layer_gap)
    panels = []
    for method in config.methods:
        first = measured[method]["members"][0]
        panels.append((f"{PANELS[method]}\ntest loss {measured[method]['test_loss'][0]:.2e}",
                       bimt.network_weights(layout, first),
                       {"input_names": slot_names(data["input_names"], first["input_order"]),
                        "output_names": slot_names(data["output_names"], first["output_order"])}))
    figure2 = viz.connectivity_evolution_figure(panels, coords)

    summary = {"formula": data["formula"], "methods": list(config.methods), "n_parameters": n_params,
               "n_steps": settings.n_steps, "loss_target": config.loss_target, "per_seed": {}}
    module_rows, loss_rows, pruning_rows = [], [], []
    needed: dict[str, list] = {}
    for method in config.methods:
        m = measured[method]
        n = len(m["holds"])
        holds = sum(m["holds"])
        fraction = analysis.fraction_interval(holds, n)
        summary[f"{method}/parallel_modules"] = {"fraction": fraction.estimate, "ci95": [fraction.low, fraction.high]}
        summary[f"{method}/test_loss"] = analysis.seed_interval(m["test_loss"], "positive").estimate
        summary[f"{method}/modularity"] = float(np.mean(m["modularity"]))
        needed[method] = [analysis.parameters_needed(budgets, losses, config.loss_target) for losses in m["pruned"]]
        reached = [v for v in needed[method] if v is not None]
        ranked = [n_params + 1 if v is None else v for v in needed[method]]
        summary[f"{method}/params_needed"] = analysis.seed_interval(ranked, "positive").estimate
        summary["per_seed"][method] = {"test_loss": m["test_loss"], "modularity": m["modularity"],
                                       "parallel_modules": [bool(h) for h in m["holds"]],
                                       "params_needed": needed[method]}
        for seed, (modules, ok) in enumerate(zip(m["modules"], m["holds"])):
            module_rows.append([method, seed, len(modules), _module_text(modules, data["input_names"], data["output_names"]),
                                "yes" if ok else "no"])
        loss_rows.append([PANELS[method], analysis.seed_interval(m["test_loss"], "positive").format(method=False),
                          ", ".join(f"{v:.2e}" for v in m["test_loss"]),
                          analysis.format_mean_interval(m["modularity"]), fraction.format("seeds")])
        at_budget = [analysis.seed_interval([losses[b - 1] for losses in m["pruned"]], "positive").format(method=False)
                     for b in config.budgets]
        pruning_rows.append([PANELS[method], analysis.seed_interval(ranked, "positive").format(method=False),
                             ", ".join("-" if v is None else str(v) for v in needed[method]),
                             f"{len(reached)} of {n}", *at_budget])

    comparisons = []
    diverged = {method: config.n_seeds - len(measured[method]["holds"]) for method in config.methods}
    if any(diverged.values()):  # seeds are paired across methods only when every seed of every method is kept
        summary["diverged_seeds"] = {method: n for method, n in diverged.items() if n}
    paired = not any(diverged.values())
    if paired and "bimt" in measured and "l1" in measured:
        ratio = np.array(measured["bimt"]["test_loss"]) / np.array(measured["l1"]["test_loss"])
        interval = analysis.seed_interval(ratio, "positive")
        below = int((ratio < 1).sum())
        summary["bimt_over_l1_test_loss"] = {"centre": interval.estimate, "low": interval.low, "high": interval.high}
        summary["bimt_below_l1_seeds"] = below
        comparisons.append(["BIMT test loss / L1 test loss", interval.format(),
                            f"{below} of {len(ratio)} seeds below 1", "below 1 (BIMT lower than L1)"])
    if paired and "bimt" in measured and "vanilla" in measured:
        ratio = np.array(measured["bimt"]["test_loss"]) / np.array(measured["vanilla"]["test_loss"])
        interval = analysis.seed_interval(ratio, "positive")
        above = int((ratio > 1).sum())
        summary["bimt_over_vanilla_test_loss"] = {"centre": interval.estimate, "low": interval.low,
                                                  "high": interval.high}
        comparisons.append(["BIMT test loss / vanilla test loss", interval.format(),
                            f"{above} of {len(ratio)} seeds above 1", "above 1 (a moderate sacrifice)"])
    order = sorted(config.methods, key=lambda method: summary[f"{method}/params_needed"])
    summary["pruning_order"] = order
    summary["pruning_best_two"] = ", ".join(sorted(order[:2]))
    for other in ("l1", "vanilla"):
        for method in ("bimt", "l1-local"):
            if paired and method in needed and other in needed:
                pairs = [(a if a is not None else n_params + 1, b if b is not None else n_params + 1)
                         for a, b in zip(needed[method], needed[other])]
                summary[f"{method}_fewer_than_{other}_seeds"] = sum(a < b for a, b in pairs)

    # Figure A1: geometric mean over seeds of the pruned loss at every budget, range over seeds shaded
    curves, bands = [], []
    for method in config.methods:
        stack = np.array(measured[method]["pruned"])  # (seeds, budgets); an MSE is > 0
        curves.append((budgets, analysis.geometric_mean(stack, axis=0)))
        bands.append((stack.min(0), stack.max(0)))
    figure_a1 = viz.pruning_frontier_figure(curves, labels=[PANELS[m] for m in config.methods], bands=bands,
                                            max_labels=len(curves), reference=config.loss_target)

    n_seeds = len(measured[config.methods[0]]["holds"])
    source = "the paper's Section 3.1" if config.settings == "paper" else "the authors' symbolic notebook"
    sections = [
        Section("Figure 2: five methods", (
            f"Task \"{data['formula']}\" (inputs x ~ U[-1, 1], {config.n_train} train / {config.n_test} test points, "
            f"one draw from seed {config.seed}), network {'-'.join(map(str, trained_any.spec.mlp.widths))} SiLU, "
            f"{n_seeds} initialisation seed(s) per method, {settings.n_steps:,} steps with "
            f"{source} "
            f"settings (Adam lr {settings.learning_rate}, λ {settings.lambdas} for {settings.lambda_steps} steps, "
            f"A = {settings.extent}, y* = {settings.layer_gap}, k = {settings.top_k}, S = {settings.swap_every}, "
            f"swap loop '{settings.swap_loop}'). "
            f"Seed 0 of each method is drawn. Criteria (fixed before the runs): {CRITERIA['parallel modules']}; "
            f"{CRITERIA['loss order']}."),
            [Figure("figure2", figure2, "Figure 2: final connectivity graph of seed 0 per method (blue positive, "
                                        "red negative, width ∝ |w|/max|w| per layer).")],
            [Table("methods", ["method", "test loss, geometric mean [95%]", "per seed", "Q, mean [95%]",
                               "two parallel modules (Wilson 95%)"], loss_rows),
             Table("loss_order", ["quantity", "geometric mean [95%]", "per seed", "the paper's claim"], comparisons),
             Table("parallel_modules", ["method", "seed", "modules", "inputs -> outputs (hidden neurons)",
                                        "Figure 2e?"], module_rows,
                   f"analysis.parallel_modules at {config.module_threshold:g} x max|w|; expected "
                   f"{' and '.join('{' + ', '.join(g) + '}' for g in config.expected_modules)}.")]),
        Section("Figure A1: pruning", (
            f"Every seed's final network with only its n largest-magnitude parameters kept (weights and biases, "
            f"{n_params} in all; analysis.pruned_losses), test loss against n. Criterion (fixed before the runs): "
            f"{CRITERIA['pruning']}; loss_target = {config.loss_target:g}. Smallest geometric mean of n* first: "
            f"{', '.join(order)}."),
            [Figure("figure_a1", figure_a1, "Figure A1: test loss after keeping the n largest parameters; lines the "
                                            "geometric mean over seeds, shaded the range over seeds; dotted the "
                                            "loss target.")],
            [Table("pruning", ["method", f"n* (loss <= {config.loss_target:g}), geometric mean [95%]", "n* per seed",
                               "seeds reaching it", *(f"loss at n = {b}" for b in config.budgets)], pruning_rows,
                   "Loss at n: geometric mean over seeds [Student-t 95% on the log scale].")]),
    ]
    deviations = [
        Deviation("settings of Figure 2 / A1", "not stated (the caption and Appendix A name the task only)",
                  "Section 3.1's (20,000 steps, Adam lr 1e-3, λ (1e-3, 1e-2, 1e-3), A = 2, y* = 0.1, k = 6, S = 200)",
                  "the authors' repository has no notebook for Figure 2 or A1; its symbolic notebook trains the "
                  "same five methods (train_type 1-5, symbolic_formulas_3.1.ipynb cell 4)"),
        Deviation("network and data", "a two-hidden-layer MLP; sample sizes not stated",
                  f"{'-'.join(map(str, trained_any.spec.mlp.widths))}, {config.n_train} / {config.n_test} points",
                  "Section 3.1's widths and sizes"),
        Deviation("seeds", "not stated for Figure 2 (one network per panel)",
                  f"{n_seeds} initialisation seeds per method, one data draw", "the claims are checked per seed"),
        Deviation("pruning", "sweep a magnitude threshold, plot (N_u, loss)",
                  "keep the n largest parameters for every n (the same points but for ties), averaged over seeds",
                  "curves of several seeds need a common axis"),
    ]
    if config.settings == "notebook":
        deviations.append(Deviation("settings", "Section 3.1's", "the authors' symbolic notebook: "
                                    + ", ".join(f"{k} = {v}" for k, v in NOTEBOOK_VALUES.items()),
                                    "settings=notebook (symbolic_formulas_3.1.ipynb cells 2 and 4; its late bias "
                                    "penalty is not offered)"))
    if config.n_steps is not None and config.n_steps != settings.setup.n_steps:
        deviations.append(Deviation("training length", f"{settings.setup.n_steps} steps", f"{settings.n_steps} steps",
                                    "shorter run (preset or --set n_steps)"))
    tensors, docs, networks = {}, {}, {}
    stored = nets.StoredNetwork(trained_any.spec, inputs=tuple(data["input_names"]), outputs=tuple(data["output_names"]))
    for method in config.methods:  # every method's final seeds, <method>.layer<i>.weight, ... (nets.load(prefix=method))
        for name, value in nets.named_tensors(trained_any.spec, measured[method]["params"], method).items():
            tensors[name] = np.asarray(value)
            docs[name] = f"{PANELS[method]}: {name.removeprefix(method + '.')} of every kept seed (member axis first)"
        networks[method] = stored
    return StudyResult(summary=summary, params=tensors, param_docs=docs, sections=sections, deviations=deviations,
                       networks=networks)


HEADLINES = (
    Headline("Figure 2e: BIMT seeds with the two parallel modules", "bimt/parallel_modules", 1.0,
             "one network shown", AtLeast(0.5, claim="a majority of seeds"), "Figure 2: five methods",
             optional=True),
    Headline("Figure 2: BIMT / L1 test loss (geometric mean over seeds)", "bimt_over_l1_test_loss", None,
             paper_text="below 1 (BIMT's loss lower than L1's)", rule=AtMost(1.0, claim="BIMT below L1"),
             section="Figure 2: five methods", optional=True),
    Headline("Figure A1: the two methods that prune best", "pruning_best_two", "bimt, l1-local",
             rule=Equals(), section="Figure A1: pruning", optional=True),
)

STUDY = Study(name="bimt-methods", description="BIMT Figure 2 and Figure A1: five methods on one task, graphs, "
                                               "modules and pruning",
              config_class=BimtMethodsConfig, run=run, paper="bimt-modular-training.txt", headlines=HEADLINES)
