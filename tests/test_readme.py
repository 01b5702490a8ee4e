"""The README's Python example runs as written, without deprecation warnings, and does what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"
OWN_MODEL = "## Your own model"  # the heading of the bring-your-own-network example


def test_readme_python_example_runs_as_written():
    code = re.findall(r"```python\n(.*?)```", README.read_text().split(OWN_MODEL)[0], flags=re.S)[0]
    check = ("\nassert result.path == 'small_ensemble', result.path"
             "\nassert accuracy.shape == (1000,) and set(np.unique(accuracy)) <= {0.25, 0.5, 0.75, 1.0}"
             "\nassert (accuracy == 1.0).mean() > 0.5"
             "\nassert len(pre) == len(post) == 2 and post[0].shape == (1000, 4, 2)")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:__main__", "-c", code + check],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("small_ensemble (array([")


def test_readme_your_own_model_example_round_trips_through_pytorch(tmp_path):
    """The "your own model" example: trained in PyTorch, labelled, drawn, saved, sent back unchanged."""
    import pytest

    text = README.read_text()
    if OWN_MODEL not in text:
        pytest.skip("the README has no 'Your own model' section yet")
    pytest.importorskip("torch", reason="the example trains in PyTorch (pip install toyscope[torch])")
    code = re.findall(r"```python\n(.*?)```", text.split(OWN_MODEL)[1], flags=re.S)[0]
    check = ("\nassert torch.allclose(back(x), model(x), atol=1e-6)"
             "\nimport os; assert os.path.isfile('graph.png') and os.path.isfile('xor.safetensors')")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    import toyscope

    # the toyscope under test, also from the temporary working directory (a relative PYTHONPATH would not hold)
    env.update(MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join([str(Path(toyscope.__file__).resolve().parents[1]),
                                                             env.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:__main__", "-c", code + check],
                         capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert " -> " in out.stdout and "module(s) at threshold" in out.stdout
