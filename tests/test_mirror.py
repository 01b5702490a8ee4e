"""Tests mirror the code: every module ``src/toyscope/<pkg>/_<name>.py`` with behaviour has
``tests/<pkg>/test_<name>.py`` (top-level modules: ``tests/test_<name>.py``)."""

from __future__ import annotations

from pathlib import Path

import toyscope

SOURCE = Path(toyscope.__file__).parent
TESTS = Path(__file__).parent

# modules without behaviour of their own, relative to src/toyscope
EXEMPT = {
    "_types.py",  # jaxtyping aliases only
    "_version.py",  # the version string, a constant
}


def _expected_test(module: Path, source: Path, tests: Path) -> Path:
    relative = module.relative_to(source)
    return tests / relative.parent / f"test_{module.stem[1:]}.py"


def missing_tests(source: Path, tests: Path, exempt: set[str]) -> list[str]:
    """The private modules under ``source`` (not ``__init__``/``__main__``, not ``exempt``) without their test file."""
    missing = []
    for module in sorted(source.rglob("_*.py")):
        relative = module.relative_to(source).as_posix()
        if module.name.startswith("__") or relative in exempt:
            continue
        if not _expected_test(module, source, tests).is_file():
            missing.append(f"{relative} (expected {_expected_test(module, source, tests).relative_to(tests.parent)})")
    return missing


def test_every_module_with_behaviour_has_its_test_file():
    missing = missing_tests(SOURCE, TESTS, EXEMPT)
    assert not missing, "modules without a test file:\n" + "\n".join(missing)


def test_every_exemption_names_an_existing_module():
    stale = sorted(name for name in EXEMPT if not (SOURCE / name).is_file())
    assert not stale, f"exempted modules that no longer exist: {stale}"


def test_the_check_catches_a_module_that_loses_its_test_file(tmp_path):
    """On a fake tree: the module without a test is reported, the tested, exempt and dunder ones are not."""
    source, tests = tmp_path / "src" / "toyscope", tmp_path / "tests"
    for path in ("__init__.py", "_host.py", "_types.py", "pkg/__init__.py", "pkg/__main__.py", "pkg/_tested.py",
                 "pkg/_untested.py", "pkg/public.py", "pkg/sub/_deep.py"):
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text("")
    for path in ("test_host.py", "pkg/test_tested.py", "pkg/test_deep.py", "test_untested.py"):  # wrong folders for two
        (tests / path).parent.mkdir(parents=True, exist_ok=True)
        (tests / path).write_text("")
    assert missing_tests(source, tests, {"_types.py"}) == [
        "pkg/_untested.py (expected tests/pkg/test_untested.py)", "pkg/sub/_deep.py (expected tests/pkg/sub/test_deep.py)"]
    (tests / "pkg" / "test_untested.py").write_text("")
    (tests / "pkg" / "sub").mkdir()
    (tests / "pkg" / "sub" / "test_deep.py").write_text("")
    assert missing_tests(source, tests, {"_types.py"}) == []
    assert missing_tests(source, tests, set()) == ["_types.py (expected tests/test_types.py)"]
    (tests / "test_host.py").unlink()  # a module loses its test file
    assert missing_tests(source, tests, {"_types.py"}) == ["_host.py (expected tests/test_host.py)"]
