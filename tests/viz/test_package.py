"""``toyscope.viz`` imports its submodules lazily: importing it does not import matplotlib, and
every exported name resolves to the object its submodule defines."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from toyscope import viz


def test_importing_viz_imports_no_figure_code_until_a_name_is_used():
    code = ("import sys, toyscope.viz as v; before = 'matplotlib' in sys.modules; v.heatmap; "
            "print(before, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_every_exported_name_is_its_submodules_object():
    assert sorted(viz.__all__, key=str.lower) == viz.__all__ and set(viz.__all__) <= set(dir(viz))
    for name in viz.__all__:
        module = importlib.import_module(f"toyscope.viz.{viz._EXPORTS[name]}")
        assert getattr(viz, name) is getattr(module, name), name
    with pytest.raises(AttributeError, match="module 'toyscope.viz' has no attribute 'no_such_figure'"):
        viz.no_such_figure  # noqa: B018
