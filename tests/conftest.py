"""Shared fixtures: quiet progress bars, the demo study registered for CLI tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import toyscope

TESTS = Path(__file__).parent
os.environ.setdefault("TOYSCOPE_QUIET", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# A test compiles many small programs that each run briefly, so XLA's compile time dominates: at
# backend optimisation level 0 the tests take about a quarter less CPU (tests/analysis + tests/viz:
# 81 -> 61 s). Subprocesses inherit it. The product keeps XLA's default; TOYSCOPE_TEST_XLA_OPT=default
# keeps the default in the tests too.
if os.environ.get("TOYSCOPE_TEST_XLA_OPT", "0") != "default" and "xla_backend_optimization_level" not in os.environ.get(
        "XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()
toyscope.configure_host_devices()  # as the CLI does, before any test starts JAX

# A command line that runs the CLI with the demo study registered (for subprocess tests), on the
# same toyscope as this process (a relative PYTHONPATH would not hold in a test's own cwd).
DEMO_CLI = [
    sys.executable, "-c",
    "import sys; sys.path[:0] = [%r, %r]; from toyscope.studies import _registry; "
    "_registry.STUDIES['demo'] = ('demo_study', 'demo'); from toyscope.cli import main; sys.argv[0] = 'toyscope'; main()"
    % (str(Path(toyscope.__file__).resolve().parents[1]), str(TESTS)),
]


@pytest.fixture
def demo_registered(monkeypatch):
    """Register the demo study in this process."""
    from toyscope.studies import _registry

    monkeypatch.syspath_prepend(str(TESTS))
    monkeypatch.setitem(_registry.STUDIES, "demo", ("demo_study", "demo"))
    return "demo"
