"""The list of studies. Modules are imported only when a study is used, so ``toyscope list``
stays fast. To add a study: write ``studies/<module>.py`` with ``STUDY = Study(...)`` and add a
line here."""

from __future__ import annotations

import importlib

from ._base import ConfigError, Study

# name -> (module, one-line description)
STUDIES: dict[str, tuple[str, str]] = {
    "xor-basins": ("toyscope.studies.xor_basins",
                   "Loss basins, logic gates and minimal circuits of small sigmoid XOR networks"),
    "xor-regimes": ("toyscope.studies.xor_regimes",
                    "Where the xor-basins findings hold: accuracy classes over training budget, optimiser and init scale"),
    "update-attribution": ("toyscope.studies.update_attribution",
                           "Per-sample SGD on MNIST with per-parameter update tallies by class group"),
    "neural-race": ("toyscope.studies.neural_race",
                    "Gated deep linear networks: exact reduced dynamics against simulation"),
    "copy-average": ("toyscope.studies.copy_average",
                     "Teacher-student copy/average: closed-form Gaussian losses, gradient flow to convergence"),
    "bimt": ("toyscope.studies.bimt", "Brain-inspired modular training: connection cost, swaps, modularity"),
    "bimt-table": ("toyscope.studies.bimt_table", "BIMT Tables 1 and 2: vanilla, L1 and BIMT over seeds on every task"),
    "bimt-methods": ("toyscope.studies.bimt_methods",
                     "BIMT Figure 2 and Figure A1: five methods on one task, graphs, modules and pruning"),
}


#: ``toyscope analyze`` methods: method -> one-line description; each is the study
#: ``analyze-<method>`` of ``toyscope.studies.analyze`` (so run folders of analyses load like any run)
ANALYSES: dict[str, str] = {
    "gates": "logic-gate labels and circuit signatures of every unit on binary inputs (n <= 16)",
    "ablate": "unit removal, minimal sub-networks and the split-computation merge (any depth)",
    "connectivity": "connectivity graph, modularity and the module report (inputs -> neurons -> outputs, leak)",
    "hessian": "Hessian spectrum at the model with a stationarity check (dense or Lanczos)",
    "connect": "permutation alignment of two models (A B), then the loss barrier along the line",
}
ANALYSIS_MODULE = "toyscope.studies.analyze"


def study_names() -> list[str]:
    return list(STUDIES)


def get_study(name: str) -> Study:
    """The :class:`Study` called ``name`` (a study, or ``analyze-<method>`` for an analysis).

    Raises:
        ConfigError: unknown name (one line, listing the valid ones).
    """
    method = name.removeprefix("analyze-")
    if name.startswith("analyze-") and method in ANALYSES:
        return importlib.import_module(ANALYSIS_MODULE).STUDIES[method]
    if name not in STUDIES:
        raise ConfigError(f"unknown study {name!r}; valid: {', '.join(STUDIES)}")
    module = STUDIES[name][0]
    try:
        return importlib.import_module(module).STUDY
    except ModuleNotFoundError as err:
        if err.name != module:
            raise
        raise ConfigError(f"study {name!r} is listed but its module {module} is not installed") from None
