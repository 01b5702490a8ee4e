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
from ._options import config_options, ConfigOption, preset_changes
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
from ._registry import STUDIES, get_study, study_names

__all__ = [
    "STUDIES", "AtLeast", "AtMost", "ConfigError", "ConfigOption", "Deviation", "Equals", "Figure", "Headline", "HeadlineRow",
    "InRange", "IntervalAbove", "NotComparable", "NullContext", "PaperInInterval", "RunContext", "Section",
    "Study", "StudyConfig", "StudyResult", "Table", "Within", "config_options", "evaluate_headlines", "get_study",
    "measured_value", "preset_changes", "study_names",
]
