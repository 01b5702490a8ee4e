"""Shared fixtures: quiet progress bars, the demo study registered for CLI tests."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import toyscope

TESTS = Path(__file__).parent
os.environ.setdefault("TOYSCOPE_QUIET", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# A test compiles many small programs that each run briefly, so XLA's compile time dominates. At
# backend optimisation level 1 the tests take about 14% less CPU than at XLA's default
# (tests/analysis + tests/viz: 71.6 -> 61.9 s) and the long training runs are no slower (the demo's
# 20,000 steps: 9.3 -> 6.4 s); level 0 compiles faster still but runs them 5x slower. Under
# pytest-xdist each worker keeps XLA to one thread (the workers share the cores). Subprocesses
# inherit the flags. The product keeps XLA's defaults; TOYSCOPE_TEST_XLA_OPT=default keeps them here too.
if os.environ.get("TOYSCOPE_TEST_XLA_OPT") != "default":
    _flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in _flags:
        _flags += " --xla_backend_optimization_level=1"
    if os.environ.get("PYTEST_XDIST_WORKER") and "xla_cpu_multi_thread_eigen" not in _flags:
        _flags += " --xla_cpu_multi_thread_eigen=false"
    os.environ["XLA_FLAGS"] = _flags.strip()
toyscope.configure_host_devices()  # as the CLI does, before any test starts JAX
# One persistent compilation cache for the whole session, in a temporary folder (never the user's
# cache): the tests, their pytest-xdist workers and the CLI subprocesses they start (which inherit
# the variable) load a program another test already compiled. It starts empty, as on CI, and still
# saves about 15% (tests/studies/test_copy_average.py, tests/runs/test_run.py, tests/cli/test_app.py:
# 196 -> 166 s of CPU): many tests build the same programs again (a killed run and its resume, a
# study run in-process and from the CLI). The first process to start (the controller) owns the folder.
# No size limit on that throwaway cache: no process prunes it at exit.
os.environ.setdefault("TOYSCOPE_COMPILE_CACHE_MAX_BYTES", "-1")
if "TOYSCOPE_TEST_COMPILE_CACHE" not in os.environ:
    _cache_root = tempfile.mkdtemp(prefix="toyscope-test-compile-cache-")
    os.environ["TOYSCOPE_TEST_COMPILE_CACHE"] = os.environ["TOYSCOPE_COMPILE_CACHE"] = _cache_root
    atexit.register(shutil.rmtree, _cache_root, ignore_errors=True)
toyscope.configure_compile_cache()

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
