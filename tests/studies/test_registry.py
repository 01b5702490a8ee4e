"""The study registry: every listed study loads, unknown or missing ones fail in one line."""

from __future__ import annotations

import pytest

from toyscope.studies import STUDIES, ConfigError, Study, StudyConfig, get_study, study_names


def test_every_listed_study_loads_with_a_smoke_preset():
    assert study_names() == list(STUDIES)
    for name in study_names():
        study = get_study(name)
        assert isinstance(study, Study) and study.name == name
        assert issubclass(study.config_class, StudyConfig) and "smoke" in study.config_class.PRESETS
        study.config_class.resolve({"preset": "smoke"})  # every smoke preset is a valid config


def test_unknown_and_missing_studies(monkeypatch):
    with pytest.raises(ConfigError, match="unknown study 'nope'; valid: xor-basins, "):
        get_study("nope")
    from toyscope.studies import _registry

    monkeypatch.setitem(_registry.STUDIES, "ghost", ("toyscope.studies.no_such_module", "a ghost"))
    with pytest.raises(ConfigError, match="study 'ghost' is listed but its module toyscope.studies.no_such_module"):
        get_study("ghost")
