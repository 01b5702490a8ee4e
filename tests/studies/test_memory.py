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
import json, os, resource, sys
import jax, jax.numpy as jnp
from toyscope.runs import execute
from toyscope.studies import get_study, _memory


def peak():
    # this process's own high-water mark: getrusage's ru_maxrss is no use in a child, as Linux starts it
    # at the parent's resident size when it forked (the pytest process, several GB late in the suite)
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


jax.jit(lambda x: x * 2)(jnp.ones(3)).block_until_ready()
before = peak()  # Python, JAX, XLA and toyscope imported and started: this machine's baseline
study = get_study("bimt")
config = study.config_class.resolve({"preset": "smoke", "n_steps": 100, "n_snapshots": 1})
execute(study, config, out=sys.argv[1])
print(json.dumps({"peak": peak(), "baseline": before, "estimate": config.peak_memory().total,
                  "assumed_baseline": _memory.BASELINE_BYTES}))
"""


def test_an_estimate_is_within_an_order_of_magnitude_of_the_real_peak(tmp_path):
    """The estimate is within 10x of the run's measured peak, and so is its study part on top of the
    baseline measured in this process (Python, JAX and toyscope started) instead of the assumed one."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / "run")], check=False, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["peak"] / 10 < found["estimate"] < found["peak"] * 10, found
    on_measured_baseline = found["estimate"] - found["assumed_baseline"] + found["baseline"]
    assert found["peak"] / 10 < on_measured_baseline < found["peak"] * 10, found
