"""Measure the interactive pages (issue 15's targets), in headless Debian Chromium via Playwright.

    python tools/measure_pages.py report RUN_DIR [--repeat 5]
        time from navigation to an interactive report (``<html data-ts-ready="1">``: the first
        screen's plots drawn, hover and click live) and to every plot drawn; target < 2 s for the
        default xor-basins run (1,000 networks). Beside it the floor: a page loading only the same
        plotly.min.js (on a loaded machine most of the time is plotly.js itself). Also the run
        folder's size (target < 10 MB).
    python tools/measure_pages.py index RUN_DIR [--folders 200]
        build ``index.html`` of a folder holding ``--folders`` copies of RUN_DIR (each with its
        own config value so the copies differ); target < 5 s.

Each prints one JSON line. No browser is downloaded: Chromium must be at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _chromium_cpu_s() -> float:
    """CPU seconds (user + system) used so far by every process below this one (Playwright's driver
    and Chromium's processes): on a busy machine, a measure of the work that wall time is not."""
    try:
        import psutil
    except ImportError:  # optional: then no CPU figure
        return float("nan")
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def measure_report(run_dir: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    ready, all_drawn, errors, floor, in_page, cpu = [], [], [], [], [], []
    # the floor, in the same browser: a page that only loads the same plotly.min.js
    scripts = re.findall(r'<script src="([^"]*plotly\.min\.js)"', (run_dir / "report.html").read_text())
    blank = run_dir / ".measure-floor.html"
    blank.write_text(f'<!DOCTYPE html><html><body><script src="{scripts[0]}"></script>'
                     '<script>document.documentElement.dataset.tsReady="1"</script></body></html>' if scripts else
                     '<!DOCTYPE html><html><body><script>document.documentElement.dataset.tsReady="1"</script></body></html>')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        for _ in range(repeat):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(blank.resolve().as_uri(), wait_until="commit")
            page.wait_for_selector("html[data-ts-ready='1']", state="attached", timeout=60000)
            floor.append(time.perf_counter() - start)
            page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            cpu_start = _chromium_cpu_s()
            start = time.perf_counter()
            page.goto((run_dir / "report.html").resolve().as_uri(), wait_until="commit")
            page.wait_for_selector("html[data-ts-ready='1']", state="attached", timeout=60000)
            ready.append(time.perf_counter() - start)
            in_page.append(int(page.evaluate("() => document.documentElement.dataset.tsReadyMs || -1")) / 1000)
            cpu.append(_chromium_cpu_s() - cpu_start)
            page.wait_for_selector("html[data-ts-all-drawn='1']", state="attached", timeout=120000)
            all_drawn.append(time.perf_counter() - start)
            page.close()
        browser.close()
    blank.unlink()
    return {"measure": "report_interactive_s", "run": str(run_dir), "median_ready_s": round(statistics.median(ready), 3),
            "median_ready_in_page_s": round(statistics.median(in_page), 3),
            "median_chromium_cpu_to_ready_s": round(statistics.median(cpu), 3),
            "median_plotly_only_page_s": round(statistics.median(floor), 3),
            "load_average": os.getloadavg()[0],
            "ready_s": [round(t, 3) for t in ready], "median_all_plots_drawn_s": round(statistics.median(all_drawn), 3),
            "folder_mb": round(folder_size(run_dir) / 1e6, 2), "console_errors": errors, "target_s": 2.0}


def measure_index(run_dir: Path, n_folders: int) -> dict:
    from toyscope.runs import write_index

    root = Path(tempfile.mkdtemp(prefix="toyscope-index-"))
    try:
        for i in range(n_folders):
            target = root / f"{run_dir.name}-{i:03d}"
            shutil.copytree(run_dir, target, ignore=shutil.ignore_patterns("assets", "*.svg", "params.safetensors"))
            config = (target / "config.toml").read_text()
            (target / "config.toml").write_text(config.replace("seed = 0", f"seed = {i}"))
        start = time.perf_counter()
        page = write_index(root)
        elapsed = time.perf_counter() - start
        return {"measure": "index_build_s", "folders": n_folders, "seconds": round(elapsed, 3),
                "page_kb": round(page.stat().st_size / 1e3, 1), "target_s": 5.0}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["report", "index"])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--folders", type=int, default=200)
    args = parser.parse_args()
    if not (args.run_dir / "report.html").is_file():
        sys.exit(f"error: {args.run_dir} is not a finished run folder (no report.html)")
    result = measure_report(args.run_dir, args.repeat) if args.what == "report" else measure_index(args.run_dir, args.folders)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
