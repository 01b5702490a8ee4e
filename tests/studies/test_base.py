"""The study contract: config resolution (presets, then values), one-line config errors."""

from __future__ import annotations

import pytest
from pydantic import Field

from toyscope.studies import ConfigError, StudyConfig


class _Config(StudyConfig):
    width: int = Field(4, ge=1)
    rate: float = 0.1
    PRESETS = {"default": {}, "smoke": {"width": 2}, "wide": {"width": 64, "rate": 0.5}}


def test_preset_first_then_values_over_it():
    assert _Config.resolve().model_dump() == {"preset": "default", "seed": 0, "dtype": "float32", "width": 4, "rate": 0.1}
    assert _Config.resolve({"preset": "wide"}).width == 64
    resolved = _Config.resolve({"preset": "wide", "rate": 0.2, "seed": 3})
    assert (resolved.width, resolved.rate, resolved.seed, resolved.preset) == (64, 0.2, 3, "wide")


@pytest.mark.parametrize("values, message", [
    ({"preset": "huge"}, "unknown preset 'huge'; valid: default, smoke, wide"),
    ({"widht": 3}, "unknown config key 'widht'; valid: dtype, preset, rate, seed, width"),
    ({"width": 0}, "invalid value for 'width' (0): Input should be greater than or equal to 1"),
    ({"dtype": "float16"}, "invalid value for 'dtype' ('float16')"),
])
def test_bad_values_give_one_line_naming_what_is_valid(values, message):
    with pytest.raises(ConfigError) as info:
        _Config.resolve(values)
    assert message in str(info.value) and "\n" not in str(info.value)
