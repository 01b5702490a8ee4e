"""Executors: results in order, and process-pool workers start JAX with one device per core."""

from __future__ import annotations

import os

import pytest

from toyscope.runs import ProcessExecutor, SerialExecutor


def _square(x):
    return x * x


def _worker_devices(_):
    import jax

    return os.environ.get("XLA_FLAGS", ""), jax.device_count()


def test_results_come_back_in_order():
    items = [3, 1, 4, 1, 5, 9, 2, 6]
    assert list(SerialExecutor().map(_square, items)) == [x * x for x in items]
    assert list(ProcessExecutor(2).map(_square, items)) == [x * x for x in items]


def test_process_workers_configure_host_devices(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)  # the workers inherit no flag from this process
    monkeypatch.delenv("TOYSCOPE_HOST_DEVICES", raising=False)
    expected = min(os.cpu_count() or 1, 8)
    [(flags, count)] = list(ProcessExecutor(1).map(_worker_devices, [0]))
    assert count == expected
    assert (f"--xla_force_host_platform_device_count={expected}" in flags) == (expected > 1)


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        ProcessExecutor(0)
