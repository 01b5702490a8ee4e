"""Studies: one module per paper, each a config and a ``run`` that composes library functions."""

from ._base import ConfigError, Deviation, Figure, RunContext, Section, Study, StudyConfig, StudyResult, Table
from ._context import NullContext
from ._headlines import (
    AtLeast,
    AtMost,
    Equals,
    evaluate_headlines,
    Headline,
    HeadlineRow,
    InRange,
    IntervalAbove,
    measured_value,
    NotComparable,
    PaperInInterval,
    Within,
)
from ._options import config_options, ConfigOption, preset_changes
from ._registry import ANALYSES, get_study, STUDIES, study_names

__all__ = [
    "ANALYSES", "AtLeast", "AtMost", "config_options", "ConfigError", "ConfigOption", "Deviation", "Equals",
    "evaluate_headlines", "Figure", "get_study", "Headline", "HeadlineRow", "InRange", "IntervalAbove",
    "measured_value", "NotComparable", "NullContext", "PaperInInterval", "preset_changes", "RunContext", "Section",
    "STUDIES", "Study", "study_names", "StudyConfig", "StudyResult", "Table", "Within"
]
