"""The package's layering, read from the source with ``ast`` (imports inside functions count too).

* Imports point down: nets, tasks -> train -> analysis, theory -> bimt -> viz -> studies -> runs
  -> cli, with ``bench`` beside ``studies`` (the library only). The shared internals ``_compile_cache``, ``_host``,
  ``_progress``, ``_types``, ``_version`` sit below everything.
* No import cycle between modules (a module never imports its own package's ``__init__``).
* No private name (``_x``) of one module is imported or used by another module.
* Importing toyscope changes no global state (environment, JAX's x64 mode).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import toyscope

SOURCE = Path(toyscope.__file__).parent
BASE = {"_compile_cache", "_host", "_progress", "_types", "_version"}
LIBRARY = {"nets", "tasks", "train", "analysis", "theory", "bimt", "viz"}
# package -> the packages it may import (besides BASE)
ALLOWED = {
    "nets": set(),
    "tasks": set(),
    "train": {"nets", "tasks"},
    "analysis": {"nets", "tasks", "train"},
    "theory": {"nets", "tasks", "train"},
    "bimt": {"nets", "tasks", "train", "analysis", "theory"},
    "viz": {"nets", "tasks", "train", "analysis", "theory", "bimt"},
    "studies": LIBRARY,
    "bench": LIBRARY,
    "runs": LIBRARY | {"studies"},
    "cli": LIBRARY | {"studies", "runs", "bench"},
    "": {"runs"},  # the package root: only lazily, inside toyscope.load_run
}
# Deprecated aliases that forward to a name's new home for one release (delete them with the alias)
DEPRECATED_FORWARDS = {
    ("toyscope.tasks._xor_paths", "toyscope.nets"),  # tasks.xor_path_net -> nets.xor_path_net
    ("toyscope.analysis._bimt_deprecated", "toyscope.bimt"),  # analysis.<BIMT name> -> bimt.<name>
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(module: str) -> bool:
    return (SOURCE.parent / module.replace(".", "/") / "__init__.py").exists()


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in SOURCE.rglob("*.py")}


def _imports(module: str, path: Path):
    """Yield ``(line, target module, imported names)`` for every toyscope import in the file."""
    package = module if _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("toyscope"):
                continue
            names = [alias.name for alias in node.names]
            submodules = [n for n in names if f"{target}.{n}" in _modules()]
            for name in submodules:
                yield node.lineno, f"{target}.{name}", []
            rest = [n for n in names if n not in submodules]
            if rest or not submodules:
                yield node.lineno, target, rest
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("toyscope"):
                    yield node.lineno, alias.name, []


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_imports_point_down():
    wrong = []
    for module, path in _modules().items():
        here = _package_of(module)
        if here in BASE:
            allowed = set()
        else:
            allowed = ALLOWED.get(here)
            assert allowed is not None, f"{module}: package {here!r} is not in the layering table"
        for line, target, _ in _imports(module, path):
            there = _package_of(target)
            if there in (here, *BASE) and not (here == "" and there == ""):
                continue
            if there not in allowed and (module, f"toyscope.{there}") not in DEPRECATED_FORWARDS:
                wrong.append(f"{path.relative_to(SOURCE)}:{line} imports {target} ({here or 'root'} -> {there or 'root'})")
    assert not wrong, "imports pointing up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycles():
    graph = {m: set() for m in _modules()}
    for module, path in _modules().items():
        for _, target, _ in _imports(module, path):
            while target not in graph and "." in target:
                target = target.rpartition(".")[0]
            if target in graph and target != module:
                graph[module].add(target)
    # a package's __init__ imports its submodules; a submodule importing the package closes a loop
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_private_names_across_modules():
    wrong = []
    modules = _modules()
    for module, path in modules.items():
        for line, target, names in _imports(module, path):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and target != module:
                    wrong.append(f"{path.relative_to(SOURCE)}:{line} imports {target}.{name}")
        # attribute access on an imported toyscope module: `analysis._helper(...)`
        aliases = {}
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                wrong.append(f"{path.relative_to(SOURCE)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not wrong, "private names used outside their module:\n" + "\n".join(wrong)


def test_the_checks_catch_violations(tmp_path, monkeypatch):
    """The three checks fail on a tree that breaks each rule (so they can fail at all)."""
    fake = tmp_path / "toyscope"
    for package in ("nets", "viz"):
        (fake / package).mkdir(parents=True)
        (fake / package / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "nets" / "_up.py").write_text("from ..viz import _secret\n")  # up, and a private name
    (fake / "viz" / "_a.py").write_text("from . import _b\n")
    (fake / "viz" / "_b.py").write_text("from ._a import thing\n")  # a cycle
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", fake)
    for check in (test_imports_point_down, test_no_import_cycles, test_no_private_names_across_modules):
        with pytest.raises(AssertionError):
            check()


def test_import_changes_no_global_state():
    # third-party imports first (scikit-learn sets KMP_DUPLICATE_LIB_OK, JAX two TF_* variables)
    code = ("import os, json, jax, numpy, scipy, sklearn, matplotlib, networkx, optax, diffrax; "
            "x64 = jax.config.jax_enable_x64; after_jax = dict(os.environ); import toyscope, toyscope.nets, toyscope.train, toyscope.analysis, "
            "toyscope.theory, toyscope.viz, toyscope.studies, toyscope.runs, toyscope.cli, toyscope.bench; "
            "print(json.dumps([dict(os.environ) == after_jax, jax.config.jax_enable_x64 == x64]))")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[true, true]", out.stderr
