r"""BIMT Tables 1 and 2: vanilla, L1 and BIMT over seeds on every task, beside the paper.

Runs the ``bimt`` study on a grid ``task x method`` through the core's sweep runner (one run
folder per cell, resumable cell by cell; the seeds of a cell are trained at once), then writes
Table 1 (test loss or accuracy, mean ± std over seeds) and Table 2 (Newman modularity) with the
paper's values cell by cell, and whether BIMT has the highest modularity on each task.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Tables 1 and 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import field_validator

from .. import bimt
from .. import tasks as task_data
from ._base import Deviation, Section, Study, StudyConfig, StudyResult, Table
from ._headlines import Equals, Headline
from ._memory import BASELINE_BYTES, MemoryEstimate
from .bimt import METHODS, TASK_NAMES, TASK_SETUPS, BimtConfig, paper_headlines

PAPER_TABLE1, PAPER_TABLE2 = bimt.PAPER_TABLE1, bimt.PAPER_TABLE2
CLASSIFICATION = {task for task in TASK_NAMES if TASK_SETUPS[task].accuracy}
# the order cells are run in: slowest first, so that parallel workers finish at about the same time
RUN_ORDER = ("mnist", "in-context", "mod-add", "permutation-s4", "two-moons", "symbolic-c", "symbolic-b", "symbolic-a")


def _known_names(value: list[str], valid, what: str) -> list[str]:
    """``value`` if it is a non-empty list of names from ``valid``; else a one-line error."""
    bad = [v for v in value if v not in valid]
    if bad or not value:
        raise ValueError(f"unknown {what} {bad[0] if bad else None!r}; valid: {', '.join(valid)}")
    return value


class BimtTableConfig(StudyConfig):
    """The grid of the tables. ``cells_dir`` (default: ``cells/`` inside the run folder) lets
    several table runs share finished cells."""

    # one-line descriptions of the keys (``toyscope config bimt-table``)
    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "tasks": "tasks of the tables (bimt's task names)",
        "methods": "methods compared on every task",
        "n_seeds": "seeds of every cell",
        "seeds_by_task": "seeds for some tasks instead (task -> seeds)",
        "n_steps": "training steps of every cell (none: each task's paper value)",
        "cells_dir": "folder of the cells, shared between table runs (none: cells/ in the run folder)",
        "workers": "cells run at once, each in its own process",
        "settings": "every cell under the paper's settings or those of the authors' notebooks (bimt's settings)",
    }

    tasks: list[str] = list(TASK_NAMES)
    methods: list[str] = ["vanilla", "l1", "bimt"]
    n_seeds: int = 5
    seeds_by_task: dict[str, int] = {}
    n_steps: int | None = None
    cells_dir: str | None = None
    workers: int = 2
    settings: Literal["paper", "notebook"] = "paper"

    def peak_memory(self) -> MemoryEstimate:
        """Estimated peak memory: ``workers`` cell processes at once, each a ``bimt`` run of the
        largest task (:meth:`BimtConfig.peak_memory`, plus its own interpreter and JAX)."""
        cell = max(BimtConfig(task=task, n_seeds=self.seeds_by_task.get(task, self.n_seeds)).peak_memory().total
                   for task in self.tasks)
        return MemoryEstimate({"cell processes": min(self.workers, len(self.tasks) * len(self.methods))
                               * cell - BASELINE_BYTES})

    PRESETS = {"default": {}, "smoke": {"tasks": ["symbolic-a"], "methods": ["vanilla", "bimt"], "n_seeds": 2,
                                        "n_steps": 1000, "workers": 1},
               # Tables 1-2 under the authors' notebook settings (toyscope.bimt.NOTEBOOK_SETUPS), as their own run
               "notebook": {"settings": "notebook"}}

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, value):
        return _known_names(value, TASK_NAMES, "task")

    @field_validator("methods")
    @classmethod
    def _methods(cls, value):
        return _known_names(value, METHODS, "method")

    @field_validator("seeds_by_task")
    @classmethod
    def _seeds_by_task(cls, value):
        for task, seeds in value.items():
            if task not in TASK_NAMES or seeds < 1:
                raise ValueError(f"seeds_by_task needs known tasks and seeds >= 1, got {task!r}: {seeds}")
        return value

    @field_validator("n_seeds", "workers")
    @classmethod
    def _positive(cls, value):
        if value < 1:
            raise ValueError(f"must be >= 1, got {value}")
        return value


def table_grid(config: BimtTableConfig) -> dict[str, list[str]]:
    """The sweep grid: ``task`` x ``method``, tasks outer in :data:`RUN_ORDER` (slowest first)."""
    return {"task": sorted(config.tasks, key=RUN_ORDER.index), "method": list(config.methods)}


def _format(task: str, mean: float, std: float) -> str:
    if task in CLASSIFICATION:
        return f"({100 * mean:.1f} ± {100 * std:.1f})%"
    exponent = int(np.floor(np.log10(abs(mean)))) if mean > 0 else 0
    return f"({mean / 10**exponent:.1f} ± {std / 10**exponent:.1f})e{exponent}"


def _paper(task: str, table: dict, method: str) -> str:
    if method not in table.get(task, {}):
        return "-"
    mean, std = table[task][method]
    if table is PAPER_TABLE1 and task in CLASSIFICATION:
        return f"({mean:.1f} ± {std:.1f})%"
    if table is PAPER_TABLE1:
        return _format(task, mean, std)
    return f"{mean:.3f} ± {std:.3f}"


def run(config: BimtTableConfig, ctx) -> StudyResult:
    cells_dir = Path(config.cells_dir) if config.cells_dir else Path(ctx.out_dir) / "cells"
    cells_shown = config.cells_dir or "cells/ in this run folder"  # not the unfinished folder's name
    if "mnist" in config.tasks:
        task_data.load_dataset("mnist", "test")  # missing data fails here, before any cell runs
        if config.settings == "notebook":  # the notebook's MNIST trains on the 60k split
            task_data.load_dataset("mnist", "train")
    base = {"n_seeds": config.n_seeds, "seed": config.seed}
    if config.settings != "paper":  # the paper-settings cells keep their config (and cache) unchanged
        base["settings"] = config.settings
    if config.n_steps is not None:
        base["n_steps"] = config.n_steps
    # one sweep for the tasks at n_seeds; tasks with their own seed count as their own sweeps
    sweeps = [(base, [t for t in table_grid(config)["task"] if t not in config.seeds_by_task], cells_dir)]
    sweeps += [({**base, "n_seeds": seeds}, [task], cells_dir / f"{task}-seeds{seeds}")
               for task, seeds in config.seeds_by_task.items() if task in config.tasks]
    results: dict[tuple[str, str], dict] = {}
    for values, tasks, out in sweeps:
        if tasks:
            grid = {**table_grid(config), "task": tasks}
            for cell, summary in ctx.sweep("bimt", values, grid, out, workers=config.workers):
                results[(cell["task"], cell["method"])] = summary

    rows1, rows2, summary_out, verdicts = [], [], {}, []
    for task in config.tasks:
        metric = "test_accuracy" if task in CLASSIFICATION else "test_loss"
        q = {}
        for method in config.methods:
            s = results[(task, method)]
            if s.get("diverged"):  # a cell whose training diverged: recorded, not analysed
                rows1.append([task, method, metric, "diverged", _paper(task, PAPER_TABLE1, method), "-", "-"])
                rows2.append([task, method, "diverged", _paper(task, PAPER_TABLE2, method), "-"])
                summary_out[f"{task}/{method}/diverged"] = True
                continue
            values = np.array(s["per_seed"][metric])
            mods = np.array(s["per_seed"]["modularity"])
            q[method] = mods.mean()
            comparison = bimt.paper_comparison(task, method, values)
            rows1.append([task, method, metric, _format(task, values.mean(), values.std()), _paper(task, PAPER_TABLE1, method),
                          comparison[0] if comparison else "-", ("yes" if comparison[1] else "no") if comparison else "-"])
            if comparison:
                summary_out[f"{task}/{method}/within_paper_spread"] = comparison[1]
            rows2.append([task, method, f"{mods.mean():.3f} ± {mods.std():.3f}", _paper(task, PAPER_TABLE2, method),
                          f"{np.mean(s['per_seed']['n_active_weights']):.1f}"])
            summary_out[f"{task}/{method}/{metric}"] = float(values.mean())
            summary_out[f"{task}/{method}/modularity"] = float(mods.mean())
        if "bimt" in q:
            highest = all(q["bimt"] >= v for m, v in q.items() if m != "bimt")
            verdicts.append([task, "yes" if highest else "no", ", ".join(f"{m} {v:.3f}" for m, v in q.items())])
            summary_out[f"{task}/bimt_most_modular"] = bool(highest)
    n_yes = sum(v[1] == "yes" for v in verdicts)
    summary_out["bimt_most_modular_tasks"] = n_yes
    summary_out["n_tasks"] = len(verdicts)
    compared = [row for row in rows1 if row[-1] != "-"]
    outside = [f"{row[0]} {row[1]} ({row[-2]})" for row in compared if row[-1] == "no"]
    summary_out["cells_within_paper_spread"] = len(compared) - len(outside)
    summary_out["n_cells_compared"] = len(compared)

    sections = [
        Section("Table 1: performance", (
            f"Test loss (regression) or test accuracy (classification), mean ± std over {config.n_seeds} seeds "
            f"(per-task seed counts: {config.seeds_by_task or 'none'}) "
            "(population std, as the paper's ± is presumably), each cell a `bimt` run folder under "
            f"{cells_shown}. Within the paper's spread: |ours - paper| <= 2 sqrt(std_paper² + std² / seeds) plus "
            f"half the paper's last printed digit; {len(compared) - len(outside)} of {len(compared)} cells are. "
            f"Outside: {', '.join(outside) or 'none'} (the reasons are in docs/results/bimt.md)."),
            tables=[Table("table1", ["task", "method", "metric", "ours", "paper", "ours vs paper", "within paper's spread?"],
                          rows1)]),
        Section("Table 2: modularity", (
            "Newman modularity Q of the |w|-weighted neuron graph (networkx greedy_modularity_communities, "
            f"weight='weight', resolution=1). BIMT has the highest mean Q on {n_yes} of {len(verdicts)} tasks."),
            tables=[Table("table2", ["task", "method", "ours", "paper", "active weights"], rows2),
                    Table("bimt_most_modular", ["task", "BIMT highest?", "mean Q by method"], verdicts)]),
    ]
    deviations = [
        Deviation("seeds", "five random seeds", f"{config.n_seeds} initialisation seeds per cell, one data draw",
                  "the seeds of a cell train at once (vmapped) on shared data"),
        Deviation("MNIST data", "60,000 training images", "8,000 images of the 10,000-image test split, tested on "
                  "the other 2,000", "the default keeps the recorded numbers (settings=notebook: the 60k split)")
        if config.settings == "paper" else
        Deviation("MNIST data", "60,000 training images", "the 60,000 training images, tested on the 10,000 test images",
                  "as the paper and the authors' notebook"),
        Deviation("cost normalisation (mod-add, S4)", "sum", "per-layer mean (authors' code)", "see the bimt study's deviations"),
    ]
    if config.settings == "notebook":
        deviations.append(Deviation("settings", "the paper's (Sections 3.1-3.5)", "the authors' notebooks in every cell "
                                    "(toyscope.bimt.NOTEBOOK_SETUPS, cited per value)", "settings=notebook"))
    if config.seeds_by_task:
        deviations.append(Deviation("seeds per task", "five", f"{config.seeds_by_task} (others {config.n_seeds})",
                                    "compute budget on a shared machine"))
    if config.n_steps is not None:
        deviations.append(Deviation("training length", "20,000 steps", f"{config.n_steps:,} steps", "shorter run"))
    return StudyResult(summary=summary_out, sections=sections, deviations=deviations)


HEADLINES = paper_headlines("{task}/{method}/{metric}", "Table 1: performance", "Table 2: modularity", optional=True) + tuple(
    Headline(f"{task}: BIMT the most modular", f"{task}/bimt_most_modular", True, paper_text="yes",
             rule=Equals(), section="Table 2: modularity", optional=True) for task in TASK_NAMES)

STUDY = Study(name="bimt-table", description="BIMT Tables 1 and 2: vanilla, L1 and BIMT over seeds on every task",
              config_class=BimtTableConfig, run=run, paper="bimt-modular-training.txt", headlines=HEADLINES)
