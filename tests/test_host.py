"""``toyscope.configure_host_devices``: what it writes to ``XLA_FLAGS`` and what JAX then sees."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import toyscope

FLAG = "--xla_force_host_platform_device_count"


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    monkeypatch.delenv("TOYSCOPE_HOST_DEVICES", raising=False)
    return monkeypatch


def test_default_is_one_device_per_core_at_most_eight(clean_env):
    expected = min(os.cpu_count() or 1, 8)
    assert toyscope.configure_host_devices() == expected
    assert (f"{FLAG}={expected}" in os.environ.get("XLA_FLAGS", "")) == (expected > 1)


def test_explicit_count_and_other_flags_kept(clean_env):
    clean_env.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    assert toyscope.configure_host_devices(3) == 3
    assert os.environ["XLA_FLAGS"] == f"--xla_cpu_enable_fast_math=false {FLAG}=3"


def test_a_users_flag_wins_and_opt_out(clean_env):
    clean_env.setenv("XLA_FLAGS", f"{FLAG}=5")
    assert toyscope.configure_host_devices(3) == 5
    assert os.environ["XLA_FLAGS"] == f"{FLAG}=5"
    clean_env.delenv("XLA_FLAGS")
    clean_env.setenv("TOYSCOPE_HOST_DEVICES", "1")
    assert toyscope.configure_host_devices() == 1
    assert "XLA_FLAGS" not in os.environ


def test_bad_count_is_a_value_error(clean_env):
    with pytest.raises(ValueError, match="n_devices must be >= 1, got 0"):
        toyscope.configure_host_devices(0)


def test_jax_sees_the_devices_only_when_called_before_it_starts():
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "TOYSCOPE_HOST_DEVICES")}
    before = "import toyscope; toyscope.configure_host_devices(3); import jax; print(jax.device_count())"
    after = "import jax; jax.devices(); import toyscope; toyscope.configure_host_devices(3); print(jax.device_count())"
    plain = "import toyscope, jax; print(jax.device_count())"
    counts = [subprocess.run([sys.executable, "-c", c], capture_output=True, text=True, env=env, check=True).stdout.strip()
              for c in (before, after, plain)]
    assert counts == ["3", "1", "1"]
