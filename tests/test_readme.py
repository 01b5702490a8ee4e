"""The README's Python example runs as written, without deprecation warnings, and does what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_readme_python_example_runs_as_written():
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    check = ("\nassert result.path == 'small_ensemble', result.path"
             "\nassert accuracy.shape == (1000,) and set(np.unique(accuracy)) <= {0.25, 0.5, 0.75, 1.0}"
             "\nassert (accuracy == 1.0).mean() > 0.5"
             "\nassert len(pre) == len(post) == 2 and post[0].shape == (1000, 4, 2)")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:__main__", "-c", code + check],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("small_ensemble (array([")
