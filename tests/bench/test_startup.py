"""The ``smoke-startup`` benchmark's records: warm first-step time against the no-cache run, cold
beside it, from three launches per study (scripted here: each real launch is a smoke run)."""

from __future__ import annotations

import pytest

from toyscope.bench import _startup


def test_records_from_three_launches(monkeypatch):
    launches = []
    times = iter([{"first_step_s": 9.0, "total_s": 20.0}, {"first_step_s": 1.0, "total_s": 8.0},
                  {"first_step_s": 6.0, "total_s": 15.0}])

    def fake(study, values, cache):
        launches.append((study, cache == "0"))
        return next(times)

    monkeypatch.setattr(_startup, "_launch", fake)
    [record] = _startup.bench_smoke_startup(("bimt",))
    assert launches == [("bimt", False), ("bimt", False), ("bimt", True)]
    assert (record["value"], record["baseline"], record["cold_first_step_s"]) == (1.0, 6.0, 9.0)
    assert record["ratio"] == pytest.approx(6.0) and record["name"] == "smoke-startup-bimt"


def test_the_driver_names_the_training_programs():
    assert all(name in _startup._DRIVER for name in _startup.TRAINING_PROGRAMS)


def test_a_failed_smoke_run_is_one_line_with_its_own_reason(tmp_path):
    # a real launch of the driver: the child's last line (here an unknown study) becomes the error
    with pytest.raises(RuntimeError, match=r"the no-such-study smoke run of smoke-startup failed: .*unknown study"):
        _startup._launch("no-such-study", {}, str(tmp_path))
