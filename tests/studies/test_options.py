"""Config keys read from the model: types, defaults, bounds and choices, descriptions, presets."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest
from pydantic import Field

from toyscope.studies import STUDIES, StudyConfig, config_options, get_study, preset_changes


class _Demo(StudyConfig):
    FIELD_DOCS: ClassVar[dict[str, str]] = {"mode": "how it runs"}
    n: int = Field(3, ge=1, le=9, description="a count")
    rate: float | None = Field(None, gt=0, description="a rate")
    mode: Literal["a", "b"] = "a"
    values: list[float] = Field(default_factory=lambda: [1.0, 2.0], description="some values")
    PRESETS = {"default": {}, "smoke": {"n": 1, "mode": "b"}}


def test_options_of_a_hand_written_config():
    options = {o.name: o for o in config_options(_Demo)}
    assert list(options) == ["preset", "seed", "dtype", "n", "rate", "mode", "values"]
    assert (options["n"].type, options["n"].default, options["n"].allowed, options["n"].description) == (
        "int", 3, ">= 1, <= 9", "a count")
    assert (options["rate"].type, options["rate"].default, options["rate"].allowed) == ("float or none", None, "> 0")
    assert (options["mode"].type, options["mode"].allowed, options["mode"].description) == (
        "choice", "one of a, b", "how it runs")  # from FIELD_DOCS
    assert options["values"].type == "list of float" and options["values"].default == [1.0, 2.0]
    assert options["seed"].allowed == ">= 0" and options["dtype"].allowed == "one of float32, float64"
    assert preset_changes(_Demo) == {"default": {}, "smoke": {"n": 1, "mode": "b"}}


@pytest.mark.parametrize("name", list(STUDIES))
def test_every_key_of_every_study_is_described_and_defaults_validate(name):
    config_class = get_study(name).config_class
    options = config_options(config_class)
    assert [o.name for o in options] == list(config_class.model_fields)
    missing = [o.name for o in options if not o.description]
    assert not missing, f"{name}: keys without a description: {missing}"
    assert set(config_class.FIELD_DOCS) <= set(config_class.model_fields), "FIELD_DOCS names a key that does not exist"
    defaults = config_class().model_dump()
    assert {o.name: o.default for o in options} == defaults


def test_docstring_examples_run():
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("toyscope.studies._options"))
    assert result.attempted > 0 and result.failed == 0
