"""Headline quantities: what a study measures against its paper, declared once, judged by a rule
fixed before any run.

A study lists its headlines on its :class:`~toyscope.studies.Study` registration
(``Study(..., headlines=HEADLINES)``). Each :class:`Headline` names a value of ``summary.json``, the
paper's value (and spread, where the paper gives one) and a rule; :func:`evaluate_headlines`
reads a finished run's summary and gives one :class:`HeadlineRow` per headline that applies to the
run's config: the measured value with its interval, and the verdict ``"reproduced"``,
``"differs"`` or ``"not comparable"`` beside the rule that decided it. The report's first table
is these rows; a change in what counts as reproducing the paper is an edit of the declaration
only.

Rules: :class:`PaperInInterval` (the paper's value inside our 95% interval),
:class:`Within` (absolute or relative tolerance), :class:`AtLeast` / :class:`AtMost` (a bound the
paper's claim implies), :class:`InRange` (a range the paper gives), :class:`IntervalAbove` (an
effect whose interval must clear a bound), :class:`Equals` (a discrete outcome) and :class:`NotComparable` (the
paper gives no number to compare with; the measurement is still shown).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Union


# toyscope.analysis (scipy.stats, JAX) is imported on first use: the CLI validates configs and
# refuses bad input without it
def format_number(*args, **kwargs):
    from ..analysis import format_number as impl

    return impl(*args, **kwargs)


def format_interval(*args, **kwargs):
    from ..analysis import format_interval as impl

    return impl(*args, **kwargs)


def seed_interval(*args, **kwargs):
    from ..analysis import seed_interval as impl

    return impl(*args, **kwargs)


REPRODUCED, DIFFERS, NOT_COMPARABLE = "reproduced", "differs", "not comparable"


@dataclasses.dataclass(frozen=True)
class Measured:
    """A summary value: ``value`` (a number, or a bool/string for a discrete outcome) and its 95%
    interval ``low``/``high`` (``None`` when the run has none), and ``n`` values behind it if known."""

    value: Any
    low: float | None = None
    high: float | None = None
    n: int | None = None

    @property
    def has_interval(self) -> bool:
        return (self.low is not None and self.high is not None
                and math.isfinite(self.low) and math.isfinite(self.high))

    def text(self) -> str:
        """``"0.862 [0.839, 0.882]"``, ``"0.197 (2 seeds: spread cannot be estimated)"`` or ``"0.862"``."""
        shown = format_number(self.value)
        if self.has_interval and isinstance(self.value, (int, float)) and not isinstance(self.value, bool):
            return format_interval(self.value, self.low, self.high)
        if self.n is not None and self.n < 3:
            return f"{shown} ({self.n} seed{'s' if self.n != 1 else ''}: spread cannot be estimated)"
        return shown


@dataclasses.dataclass(frozen=True)
class PaperInInterval:
    """Reproduced when the paper's value lies inside our 95% interval; not comparable without one."""

    def describe(self, headline: "Headline") -> str:
        return "reproduced if the paper's value lies inside our 95% interval"

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        if not measured.has_interval:
            return NOT_COMPARABLE, "no interval (spread cannot be estimated)"
        inside = measured.low <= headline.paper <= measured.high
        return (REPRODUCED, "") if inside else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class Within:
    """Reproduced when ``|ours - paper| <= tolerance`` (``relative``: ``<= tolerance * |paper|``)."""

    tolerance: float
    relative: bool = False
    basis: str = ""  # where the tolerance comes from ("two of the paper's seed stds")

    def describe(self, headline: "Headline") -> str:
        basis = f" ({self.basis})" if self.basis else ""
        if self.relative:
            return f"reproduced if within {format_number(100 * self.tolerance)}% of the paper's value{basis}"
        return f"reproduced if within ±{format_number(self.tolerance)} of the paper's value{basis}"

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        bound = self.tolerance * abs(headline.paper) if self.relative else self.tolerance
        return (REPRODUCED, "") if abs(float(measured.value) - headline.paper) <= bound else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class AtLeast:
    """Reproduced when ours is at least ``threshold`` (a bound the paper's claim implies)."""

    threshold: float
    claim: str = ""

    def describe(self, headline: "Headline") -> str:
        return f"reproduced if ours ≥ {format_number(self.threshold)}" + (f" ({self.claim})" if self.claim else "")

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        return (REPRODUCED, "") if float(measured.value) >= self.threshold else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class AtMost:
    """Reproduced when ours is at most ``threshold``."""

    threshold: float
    claim: str = ""

    def describe(self, headline: "Headline") -> str:
        return f"reproduced if ours ≤ {format_number(self.threshold)}" + (f" ({self.claim})" if self.claim else "")

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        return (REPRODUCED, "") if float(measured.value) <= self.threshold else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class InRange:
    """Reproduced when ours lies in the paper's range ``[low, high]`` (a paper that gives a range)."""

    low: float
    high: float

    def describe(self, headline: "Headline") -> str:
        return f"reproduced if ours lies in the paper's range [{format_number(self.low)}, {format_number(self.high)}]"

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        return (REPRODUCED, "") if self.low <= float(measured.value) <= self.high else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class IntervalAbove:
    """Reproduced when our whole 95% interval lies above ``threshold`` (a claimed effect, e.g. a
    positive correlation); not comparable without an interval."""

    threshold: float = 0.0
    claim: str = ""

    def describe(self, headline: "Headline") -> str:
        return (f"reproduced if our 95% interval lies above {format_number(self.threshold)}"
                + (f" ({self.claim})" if self.claim else ""))

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        if not measured.has_interval:
            return NOT_COMPARABLE, "no interval (spread cannot be estimated)"
        return (REPRODUCED, "") if measured.low > self.threshold else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class Equals:
    """Reproduced when ours equals the paper's value (a discrete outcome: a count, a yes/no)."""

    def describe(self, headline: "Headline") -> str:
        return "reproduced if ours equals the paper's"

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        return (REPRODUCED, "") if measured.value == headline.paper else (DIFFERS, "")


@dataclasses.dataclass(frozen=True)
class NotComparable:
    """Always not comparable, for the ``reason`` given (e.g. the paper reports no number)."""

    reason: str

    def describe(self, headline: "Headline") -> str:
        return self.reason

    def decide(self, measured: Measured, headline: "Headline") -> tuple[str, str]:
        return NOT_COMPARABLE, ""


Rule = Union[PaperInInterval, Within, AtLeast, AtMost, InRange, IntervalAbove, Equals, NotComparable]


@dataclasses.dataclass(frozen=True)
class Headline:
    """One headline quantity of a study.

    Attributes:
        name: what it is, in words (``"2-2-1 nets at 100% accuracy"``).
        key: where ``summary.json`` holds it: a key, or a tuple of nested keys
            (``("accuracy_fractions", "1.0")``). The value may be a number, a bool or string, a
            ``{"mean", "ci95"}`` / ``{"mean", "low", "high"}`` / ``{"fraction", "ci95"}`` dict
            (``"centre"`` is used when present) or a ``[value, low, high]`` list.
        paper: the paper's value (a number, or a bool/string for :class:`Equals`); ``None`` if the
            paper gives none.
        paper_spread: the paper's spread as it states it (``"±0.05 over 5 seeds"``), shown beside
            its value; ``""`` if none.
        rule: the rule deciding the verdict (fixed before any run).
        section: the title of the report section that measures it (the table links to it).
        interval_key: where the interval is when it is not with the value (a ``[low, high]``).
        when: config values the headline applies to (``{"experiment": "routing"}``); others skip it.
        paper_text: how the paper's value is written when not a plain number (``"only rarely"``).
        paper_key: where the summary holds the paper's value when it depends on the config (the
            theory's ``sqrt(M)`` for the run's ``M``); it replaces ``paper``.
        values_key: where the summary holds the per-seed values of the quantity: then the shown
            value and interval are :func:`toyscope.analysis.seed_interval` of them for ``support``
            (no interval below three seeds).
        support: the quantity's range for ``values_key`` (``"real"``, ``"positive"``, ``"fraction"``,
            ``"correlation"``).
        optional: leave the row out when the run did not measure it (a study whose config picks
            which quantities exist, e.g. the tasks of a table), instead of "not measured".

    Example:
        >>> h = Headline("accuracy", "acc", 0.9, rule=Within(0.05), section="Training")
        >>> [(r.measured, r.verdict) for r in evaluate_headlines([h], {"acc": 0.93}, {})]
        [('0.93', 'reproduced')]
    """

    name: str
    key: str | tuple[str, ...]
    paper: Any = None
    paper_spread: str = ""
    rule: Rule = dataclasses.field(default_factory=PaperInInterval)
    section: str = ""
    interval_key: str | tuple[str, ...] | None = None
    when: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    paper_text: str = ""
    paper_key: str | tuple[str, ...] | None = None
    values_key: str | tuple[str, ...] | None = None
    support: str = "real"
    optional: bool = False

    def applies_to(self, config: Mapping[str, Any]) -> bool:
        return all(config.get(k) == v for k, v in self.when.items())


@dataclasses.dataclass(frozen=True)
class HeadlineRow:
    """One row of the report's "measured vs paper" table (every field is display text)."""

    name: str
    paper: str
    measured: str
    verdict: str
    rule: str
    section: str
    note: str = ""


def _path(key: str | tuple[str, ...]) -> tuple[str, ...]:
    return (key,) if isinstance(key, str) else tuple(key)


def _lookup(summary: Mapping[str, Any], key) -> Any:
    value: Any = summary
    for part in _path(key):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(part)
        value = value[part]
    return value


def measured_value(summary: Mapping[str, Any], key, interval_key=None) -> Measured:
    """The :class:`Measured` value at ``key`` of ``summary`` (see :class:`Headline` for the layouts).

    Raises:
        KeyError: the summary has no such key (the run did not measure it).

    Example:
        >>> measured_value({"e": {"mean": 2.0, "ci95": [1.0, 3.0], "n": 5}}, ("e",)).text()
        '2.00 [1.00, 3.00]'
    """
    value = _lookup(summary, key)
    low = high = n = None
    if isinstance(value, Mapping):
        n = value.get("n")
        if "ci95" in value:
            low, high = value["ci95"] if value["ci95"] is not None else (None, None)
        elif "low" in value and "high" in value:
            low, high = value["low"], value["high"]
        for name in ("centre", "mean", "fraction", "value"):
            if name in value:
                value = value[name]
                break
        else:
            raise KeyError(f"{_path(key)[-1]} holds no value")
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 3:
        value, low, high = value
    if interval_key is not None:
        low, high = _lookup(summary, interval_key)
    return Measured(value, low, high, n)


def _measure(summary: Mapping[str, Any], headline: Headline) -> Measured:
    try:
        values = None if headline.values_key is None else _lookup(summary, headline.values_key)
    except KeyError:
        values = None
    if values is None:
        return measured_value(summary, headline.key, headline.interval_key)
    interval = seed_interval([v for v in values if v is not None], headline.support)
    return Measured(interval.estimate, interval.low, interval.high, interval.n)


def _paper_text(headline: Headline) -> str:
    text = headline.paper_text or ("-" if headline.paper is None else format_number(headline.paper))
    return f"{text} ({headline.paper_spread})" if headline.paper_spread else text


def evaluate_headlines(headlines: Sequence[Headline], summary: Mapping[str, Any],
                       config: Mapping[str, Any]) -> list[HeadlineRow]:
    """The rows of the "measured vs paper" table for a run's ``summary`` and ``config``: the
    headlines that apply to the config, each measured and judged by its rule (a value the run did
    not measure, or a non-finite one, is "not comparable").

    Example:
        >>> rows = evaluate_headlines([Headline("r", "r", 0.5, section="S")],
        ...                           {"r": {"mean": 0.4, "ci95": [0.3, 0.6]}}, {})
        >>> rows[0].verdict, rows[0].rule
        ('reproduced', "reproduced if the paper's value lies inside our 95% interval")
    """
    rows = []
    for headline in headlines:
        if not headline.applies_to(config):
            continue
        if headline.paper_key is not None:
            try:
                headline = dataclasses.replace(headline, paper=_lookup(summary, headline.paper_key))
            except KeyError:
                headline = dataclasses.replace(headline, paper=None)
        rule = headline.rule.describe(headline)
        try:
            measured = _measure(summary, headline)
        except KeyError:
            if headline.optional:
                continue
            rows.append(HeadlineRow(headline.name, _paper_text(headline), "not measured in this run",
                                    NOT_COMPARABLE, rule, headline.section))
            continue
        number = isinstance(measured.value, (int, float)) and not isinstance(measured.value, bool)
        if number and not math.isfinite(measured.value) or measured.value is None:
            verdict, note = NOT_COMPARABLE, "no finite value"
        elif headline.paper is None and isinstance(headline.rule, (PaperInInterval, Within, Equals)):
            verdict, note = NOT_COMPARABLE, "the paper gives no value"
        else:
            verdict, note = headline.rule.decide(measured, headline)
        rows.append(HeadlineRow(headline.name, _paper_text(headline), measured.text(), verdict, rule,
                                headline.section, note))
    return rows
