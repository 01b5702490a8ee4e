"""Fixtures of the runs tests: one finished scatter-demo run folder, and one headless Chromium per
session (Debian's /usr/bin/chromium driven by Playwright; the browser tests skip, with the reason,
when either is missing: no browser is ever downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS

TESTS = Path(__file__).parents[1]


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium shared by the session's browser tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); browser tests need it")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium); browser tests need it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def scatter_run(tmp_path_factory):
    """One finished run folder of the scatter-demo study (12 networks), shared by the session."""
    from toyscope.runs import execute
    from toyscope.studies import _registry, get_study

    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(TESTS))
        patch.setitem(_registry.STUDIES, "scatter-demo", ("scatter_study", "scatter demo"))
        study = get_study("scatter-demo")
        yield execute(study, study.config_class.resolve({"n_networks": 12}), tmp_path_factory.mktemp("runs") / "r1")
