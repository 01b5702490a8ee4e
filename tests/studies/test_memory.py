"""The size guard: configs too large for the machine are refused in one line before anything is
allocated; the smoke presets fit; an estimate is within an order of magnitude of the real peak."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from toyscope.studies import STUDIES, ConfigError, get_study
from toyscope.studies._memory import MEMORY_LIMIT_ENV, available_memory, memory_limit


@pytest.mark.parametrize("n_networks", [10**8, 10**12])
def test_the_cli_refuses_a_config_too_large_for_the_machine_at_once(tmp_path, monkeypatch, n_networks):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    out = tmp_path / "never"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "toyscope.cli", "run", "xor-basins", "--set", f"n_networks={n_networks}",
                           "--out", str(out)], check=False, capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the child (imports included): wall time depends on the other jobs of the machine
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "needs about" in line and MEMORY_LIMIT_ENV in line
    assert cpu < 5
    assert not out.exists() and not out.with_name("never.partial").exists()


def test_every_smoke_preset_fits_and_the_override_works(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    limit, _ = memory_limit()
    for name in STUDIES:
        config = get_study(name).config_class.resolve({"preset": "smoke"})
        assert config.peak_memory() is None or config.peak_memory().total < limit, name
    xor = get_study("xor-basins").config_class
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "off")
    assert xor.resolve({"n_networks": 10**12}).n_networks == 10**12
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1M")
    with pytest.raises(ConfigError, match=f"is allowed by {MEMORY_LIMIT_ENV}=1M"):
        xor.resolve({"preset": "smoke"})
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match="not a size"):
        memory_limit()
    assert available_memory() > 0


MEASURE = """
import json, resource, sys
from toyscope.runs import execute
from toyscope.studies import get_study
study = get_study("bimt")
config = study.config_class.resolve({"preset": "smoke", "n_steps": 100, "n_snapshots": 1})
execute(study, config, out=sys.argv[1])
print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, config.peak_memory().total]))
"""


def test_an_estimate_is_within_an_order_of_magnitude_of_the_real_peak(tmp_path):
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "run")], check=False, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    peak, estimate = json.loads(proc.stdout.strip().splitlines()[-1])
    assert peak / 10 < estimate < peak * 10
