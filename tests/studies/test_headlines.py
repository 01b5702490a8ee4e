"""Headline declarations and their verdicts, against hand-worked cases."""

from __future__ import annotations

import math

import pytest

from toyscope import analysis
from toyscope.studies import (
    STUDIES,
    AtLeast,
    AtMost,
    Equals,
    Headline,
    InRange,
    IntervalAbove,
    NotComparable,
    PaperInInterval,
    Within,
    evaluate_headlines,
    get_study,
    measured_value,
)


def _verdict(headline, summary, config=None):
    rows = evaluate_headlines([headline], summary, config or {})
    return rows[0].verdict if rows else None


@pytest.mark.parametrize("value, expected", [
    ({"mean": 0.3, "ci95": [0.2, 0.4]}, (0.3, 0.2, 0.4)),
    ({"mean": 0.3, "centre": 0.28, "ci95": [0.2, 0.4], "n": 5}, (0.28, 0.2, 0.4)),
    ({"mean": 0.3, "low": 0.1, "high": 0.5, "n": 4}, (0.3, 0.1, 0.5)),
    ({"fraction": 0.9, "ci95": [0.8, 0.95]}, (0.9, 0.8, 0.95)),
    ([0.22, 0.16, 0.28], (0.22, 0.16, 0.28)),
    (0.5, (0.5, None, None)),
])
def test_measured_value_reads_every_summary_layout(value, expected):
    got = measured_value({"outer": {"q": value}}, ("outer", "q"))
    assert (got.value, got.low, got.high) == expected


def test_rules_decide_as_stated():
    inside = {"q": {"mean": 0.3, "ci95": [0.2, 0.4], "n": 5}}
    assert _verdict(Headline("q", "q", 0.35, rule=PaperInInterval()), inside) == "reproduced"
    assert _verdict(Headline("q", "q", 0.45, rule=PaperInInterval()), inside) == "differs"
    two_seeds = {"q": {"mean": 0.3, "ci95": None, "n": 2}}
    row = evaluate_headlines([Headline("q", "q", 0.3)], two_seeds, {})[0]
    assert row.verdict == "not comparable" and "spread cannot be estimated" in row.measured
    assert _verdict(Headline("q", "q", 1.0, rule=Within(0.05)), {"q": 1.04}) == "reproduced"
    assert _verdict(Headline("q", "q", 1.0, rule=Within(0.05)), {"q": 1.06}) == "differs"
    assert _verdict(Headline("q", "q", 2.0, rule=Within(0.05, relative=True)), {"q": 2.09}) == "reproduced"
    assert _verdict(Headline("q", "q", rule=AtMost(0.25)), {"q": 0.25}) == "reproduced"
    assert _verdict(Headline("q", "q", rule=AtLeast(0.5)), {"q": 0.49}) == "differs"
    assert _verdict(Headline("q", "q", rule=InRange(0.3, 0.6)), {"q": 0.03}) == "differs"
    assert _verdict(Headline("q", "q", rule=IntervalAbove(0.0)), {"q": [0.2, 0.01, 0.4]}) == "reproduced"
    assert _verdict(Headline("q", "q", rule=IntervalAbove(0.0)), {"q": [0.2, -0.01, 0.4]}) == "differs"
    assert _verdict(Headline("q", "q", True, rule=Equals()), {"q": True}) == "reproduced"
    assert _verdict(Headline("q", "q", 5, rule=Equals()), {"q": 6}) == "differs"
    assert _verdict(Headline("q", "q", rule=NotComparable("no number")), {"q": 1.0}) == "not comparable"
    # no paper value for a rule that needs one; a non-finite measurement; a missing key
    assert _verdict(Headline("q", "q", None, rule=Within(0.1)), {"q": 1.0}) == "not comparable"
    assert _verdict(Headline("q", "q", 1.0, rule=Within(0.1)), {"q": math.nan}) == "not comparable"
    row = evaluate_headlines([Headline("q", "absent", 1.0)], {"q": 1.0}, {})[0]
    assert (row.verdict, row.measured) == ("not comparable", "not measured in this run")


def test_when_optional_paper_key_and_per_seed_values():
    routing = Headline("r", "r", 1.0, rule=Within(0.1), when={"experiment": "routing"})
    assert evaluate_headlines([routing], {"r": 1.0}, {"experiment": "xor"}) == []
    assert _verdict(routing, {"r": 1.0}, {"experiment": "routing"}) == "reproduced"
    assert evaluate_headlines([Headline("o", "absent", 1.0, optional=True)], {}, {}) == []
    theory = Headline("ratio", "ratio", paper_key="sqrt_M", rule=Within(0.05, relative=True))
    row = evaluate_headlines([theory], {"ratio": 2.6, "sqrt_M": math.sqrt(7)}, {})[0]
    assert row.verdict == "reproduced" and row.paper == "2.65"
    # per-seed values: the shown interval is seed_interval's for the support
    values = [1e-3, 2e-3, 4e-3]
    per_seed = Headline("loss", "loss", 2e-3, values_key=("per_seed", "loss"), support="positive")
    row = evaluate_headlines([per_seed], {"loss": 2.33e-3, "per_seed": {"loss": values}}, {})[0]
    expected = analysis.seed_interval(values, "positive")
    assert row.measured == analysis.format_interval(expected.estimate, expected.low, expected.high)
    assert row.verdict == "reproduced"


@pytest.mark.parametrize("name", list(STUDIES))
def test_every_study_declares_headlines_with_rules_and_sections(name):
    study = get_study(name)
    assert study.headlines, f"{name} declares no headlines"
    for headline in study.headlines:
        assert headline.name and headline.section, headline
        assert headline.support in analysis.SUPPORTS
        assert headline.rule.describe(headline)
        assert set(headline.when) <= set(study.config_class.model_fields), headline.when


def test_docstring_examples_run():
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("toyscope.studies._headlines"))
    assert result.attempted > 0 and result.failed == 0
