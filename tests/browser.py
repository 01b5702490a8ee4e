"""Opening toyscope pages in headless Chromium for the browser tests (not part of the package):
Debian's /usr/bin/chromium driven by Playwright, never a downloaded browser. The session's
browser is the ``browser`` fixture of tests/runs/conftest.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclasses.dataclass
class OpenedPage:
    """A page and what it did: console errors and uncaught exceptions, and every request made
    outside ``root`` (those are refused)."""

    page: object
    errors: list
    outside: list
    requests: list


def open_page(browser, path: Path, root: Path, *, wait_for: str = "html[data-ts-ready='1']") -> OpenedPage:
    """Open ``path`` (file://) in a new page that may load files under ``root`` only."""
    root = Path(root).resolve()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, outside, requests = [], [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def inside(url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            return True
        return parsed.scheme == "file" and Path(unquote(parsed.path)).resolve().is_relative_to(root)

    def record(request):
        requests.append(request.url)
        if not inside(request.url):
            outside.append(request.url)

    def refuse_outside(route):
        (route.continue_ if inside(route.request.url) else route.abort)()

    page.on("request", record)
    page.route("**/*", refuse_outside)
    page.goto(Path(path).resolve().as_uri())
    if wait_for:
        page.wait_for_selector(wait_for, state="attached", timeout=20000)
    return OpenedPage(page, errors, outside, requests)
