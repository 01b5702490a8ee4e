"""Studies: one module per paper, each a config and a ``run`` that composes library functions."""

from ._base import (
    ConfigError,
    Deviation,
    Figure,
    RunContext,
    Section,
    Study,
    StudyConfig,
    StudyResult,
    Table,
)
from ._context import NullContext
from ._registry import ANALYSES, STUDIES, get_study, study_names

__all__ = [
    "ANALYSES", "STUDIES", "ConfigError", "Deviation", "Figure", "NullContext", "RunContext", "Section", "Study",
    "StudyConfig", "StudyResult", "Table", "get_study", "study_names",
]
