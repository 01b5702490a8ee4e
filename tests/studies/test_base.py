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


# --------------------------------------------------------------------------------------------
# Every float finite; every resolved config round-trips through config.toml


def _study_configs():
    from toyscope.studies import STUDIES, get_study

    return [get_study(name).config_class for name in STUDIES]


def _holds_float(annotation) -> bool:
    import typing

    return annotation is float or any(_holds_float(a) for a in typing.get_args(annotation))


def _float_fields(config_class):
    return [name for name, field in config_class.model_fields.items() if _holds_float(field.annotation)]


def _with_inf(value, annotation: str):
    """``value`` with its first float replaced by inf (or an inf of the field's shape when it holds none)."""
    if isinstance(value, float):
        return float("inf"), True
    if isinstance(value, list):
        for i, item in enumerate(value):
            new, done = _with_inf(item, annotation)
            if done:
                return [*value[:i], new, *value[i + 1:]], True
    if isinstance(value, dict):
        for key, item in value.items():
            new, done = _with_inf(item, annotation)
            if done:
                return {**value, key: new}, True
    return None, False


@pytest.mark.parametrize("config_class", _study_configs(), ids=lambda c: c.__name__)
def test_every_float_field_of_every_study_must_be_finite(config_class):
    fields = _float_fields(config_class)
    for preset in ("default", "smoke"):
        config = config_class.resolve({"preset": preset})
        for name in fields:
            annotation = str(config_class.model_fields[name].annotation)
            value, done = _with_inf(getattr(config, name), annotation)
            if not done:  # None or an empty list: an inf of the field's own shape
                value = [float("inf")] if annotation.startswith(("list", "typing.List")) else float("inf")
            for bad in (value, _replace_inf(value, float("nan"))):
                with pytest.raises(ConfigError) as info:
                    config_class.resolve({"preset": preset, name: bad})
                message = str(info.value)
                assert f"invalid value for '{name}" in message and "finite values are required" in message, message
                assert "\n" not in message and len(message) < 200


def _replace_inf(value, new):
    if isinstance(value, list):
        return [_replace_inf(v, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_inf(v, new) for k, v in value.items()}
    return new if value == float("inf") else value


def _edited(config_class, preset: str) -> dict:
    """Edits that a round trip could lose: awkward floats everywhere, and None where the preset
    (or default) says otherwise."""
    config = config_class.resolve({"preset": preset})
    edits = {}
    for name in _float_fields(config_class):
        value = getattr(config, name)
        if isinstance(value, float):
            edits[name] = value * (0.1 + 0.2) / 3 if value else 1e-300
        elif isinstance(value, list) and value and all(isinstance(v, float) for v in value):
            edits[name] = sorted(v + 1 / 3 for v in value) if name != "w_range" else [v / 3 for v in value]
    for name, field in config_class.model_fields.items():
        if "None" in str(field.annotation) and getattr(config, name) is not None:
            edits[name] = None
    return edits


@pytest.mark.parametrize("config_class", _study_configs(), ids=lambda c: c.__name__)
def test_every_resolved_config_round_trips_through_config_toml(tmp_path, config_class):
    from toyscope.runs import read_config
    from toyscope.runs._files import write_config

    configs = [config_class.resolve({"preset": p}) for p in ("default", "smoke")]
    configs += [config_class.resolve({"preset": "smoke", "seed": 7})]
    for preset in ("default", "smoke"):
        edits = _edited(config_class, preset)
        try:
            configs.append(config_class.resolve({"preset": preset, **edits}))
        except ConfigError:  # edits that break a cross-field rule: apply them one at a time
            for name, value in edits.items():
                try:
                    configs.append(config_class.resolve({"preset": preset, name: value}))
                except ConfigError:
                    pass
    for i, config in enumerate(configs):
        path = tmp_path / f"{i}.toml"
        write_config(path, "study", config.model_dump(mode="json"))
        _, values = read_config(path)
        back = config_class.from_saved(values)
        assert back == config and back.model_dump() == config.model_dump(), (config, back)
        for name in config_class.model_fields:  # floats bit for bit, None kept as None
            assert repr(getattr(back, name)) == repr(getattr(config, name)), name


def test_a_saved_config_missing_a_value_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match="no value saved for 'rate'"):
        _Config.from_saved({"preset": "default", "seed": 0, "dtype": "float32", "width": 4})
    assert _Config.from_saved(_Config.resolve({"preset": "wide"}).model_dump()) == _Config.resolve({"preset": "wide"})


def test_a_cross_field_error_shows_no_input_and_long_inputs_are_shortened():
    from pydantic import model_validator

    class Checked(_Config):
        @model_validator(mode="after")
        def _rate_below_width(self):
            if self.rate > self.width:
                raise ValueError(f"rate must be at most width ({self.width})")
            return self

    with pytest.raises(ConfigError) as info:
        Checked.resolve({"rate": 9.0})
    assert str(info.value) == "invalid config: rate must be at most width (4)"
    with pytest.raises(ConfigError) as info:
        _Config.resolve({"width": "x" * 500})
    assert len(str(info.value)) < 160 and "..." in str(info.value)
