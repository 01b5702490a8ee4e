"""``toyscope analyze`` from the command line, in a subprocess, on tiny model files: the methods are
listed, a run folder is written, and what has no meaning exits 2 with one line and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess

import jax
import numpy as np
import pytest
from conftest import DEMO_CLI

from toyscope import nets


def _cli(*args, cwd):
    return subprocess.run([*DEMO_CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "MPLBACKEND": "Agg"})


def test_help_lists_every_method(tmp_path):
    from toyscope.studies import ANALYSES

    result = _cli("analyze", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for method in ANALYSES:
        assert f"  {method} " in result.stdout, method


def test_gates_on_a_pytorch_named_safetensors_writes_a_run_folder(tmp_path):
    from safetensors.numpy import save_file

    # an nn.Sequential(Linear(2, 2), Sigmoid(), Linear(2, 1)) state dict: NAND and NOR, then A AND NOT B
    save_file({"0.weight": np.array([[-10, -10], [-10, -10]], np.float32), "0.bias": np.array([15, 5], np.float32),
               "2.weight": np.array([[10, -10]], np.float32), "2.bias": np.array([-5], np.float32)},
              str(tmp_path / "xor.safetensors"))
    result = _cli("analyze", "gates", "xor.safetensors", "--arch", "2-2-1", "--activation", "sigmoid",
                  "--out", "g", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "g" / "summary.json").read_text())
    assert summary["signature_counts"] == {"NAND,NOR -> A_NIMPLY_B|XOR": 1}
    assert (tmp_path / "g" / "report.html").is_file() and (tmp_path / "g" / "config.toml").is_file()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    for name, widths in (("wide", [17, 2, 1]), ("big", [2, 45, 45, 1])):
        spec = nets.mlp(widths, "sigmoid")
        nets.save(root / f"{name}.safetensors", spec, nets.init(spec, key=jax.random.key(0)))
    return root


@pytest.mark.parametrize("args, message", [
    (["gates", "{m}/wide.safetensors"], "gates needs at most 16 inputs (2**16 truth-table rows), the model has 17"),
    (["hessian", "{m}/big.safetensors", "--task", "xor", "--set", "method=dense"],
     "a dense Hessian is limited to 2000 parameters, the model has 2251"),
    (["ablate", "{m}/big.safetensors"], "at most 12 hidden units in all, the model has 90"),
])
def test_what_has_no_meaning_exits_2_with_one_line_and_writes_nothing(tmp_path, models, args, message):
    result = _cli("analyze", *[a.format(m=models) for a in args], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []
