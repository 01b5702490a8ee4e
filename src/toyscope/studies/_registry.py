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
}


def study_names() -> list[str]:
    return list(STUDIES)


def get_study(name: str) -> Study:
    """The :class:`Study` called ``name``.

    Raises:
        ConfigError: unknown name (one line, listing the valid ones).
    """
    if name not in STUDIES:
        raise ConfigError(f"unknown study {name!r}; valid: {', '.join(STUDIES)}")
    return importlib.import_module(STUDIES[name][0]).STUDY
