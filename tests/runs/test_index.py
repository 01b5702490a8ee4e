"""The runs index: every folder listed with its status (never a crash), written atomically by
concurrent writers, and in a real browser: sorting by a column reorders the rows, the study
filter hides the others, two selected runs are compared side by side; sweep pages plot their cells."""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest

from browser import open_page
from toyscope.runs import index_entries, write_index
from toyscope.runs._index import index_root, sweep_command, write_sweep_marker


def _variant(source, target, **changes):
    """A copy of a finished run folder whose config (and summary) say ``changes``."""
    shutil.copytree(source, target)
    text = (target / "config.toml").read_text()
    summary = json.loads((target / "summary.json").read_text())
    for key, value in changes.items():
        text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line for line in text.splitlines())
        summary[key] = value
    (target / "config.toml").write_text(text + "\n")
    (target / "summary.json").write_text(json.dumps(summary))
    return target


@pytest.fixture(scope="module")
def runs_root(scatter_run, tmp_path_factory):
    """A runs folder with two finished runs of different configs, an unfinished copy, a corrupt
    one, a pickled one, a stray folder and a sweep of two cells (copies of the session's run)."""
    root = tmp_path_factory.mktemp("index")
    shutil.copytree(scatter_run, root / "small")
    _variant(scatter_run, root / "large", n_networks=10, scale=2.0)
    shutil.copytree(scatter_run, root / "halfway.partial")
    shutil.copytree(scatter_run, root / "broken")
    (root / "broken" / "summary.json").write_text("{not json")
    shutil.copytree(scatter_run, root / "ancient")
    (root / "ancient" / "cache").mkdir()
    (root / "ancient" / "cache" / "stage.pkl").write_bytes(b"\x80")
    (root / "notes").mkdir()
    write_sweep_marker(root / "sweep", "scatter-demo", {"n_networks": 12}, {"scale": ["0.5", "1.5"]}, None)
    for scale in (0.5, 1.5):
        _variant(scatter_run, root / "sweep" / f"scale={scale}", scale=scale)
    (root / "sweep" / "sweep.csv").write_text("cell,scale\nscale=0.5,0.5\nscale=1.5,1.5\n")
    return root


def test_every_folder_is_listed_with_its_status_and_reason(runs_root):
    entries = {e.name: e for e in index_entries(runs_root)}
    assert set(entries) == {"small", "large", "halfway.partial", "broken", "ancient", "notes", "sweep"}
    assert entries["small"].status == "finished" and entries["small"].study == "scatter-demo"
    assert entries["halfway.partial"].status == "unfinished"
    assert entries["halfway.partial"].reason == f"resume: toyscope run --resume {runs_root / 'halfway.partial'}"
    assert entries["broken"].status == "corrupt" and "summary.json is not valid JSON" in entries["broken"].reason
    assert entries["ancient"].status == "older format" and "pickled" in entries["ancient"].reason
    assert entries["notes"].status == "not a run folder"
    sweep = entries["sweep"]
    assert sweep.kind == "sweep" and sweep.status == "finished" and sweep.headline[0]["text"] == "2 of 2"
    # headline numbers without a declaration: the summary's first numeric entries
    summary = json.loads((runs_root / "large" / "summary.json").read_text())
    config = entries["large"].config  # settings repeated in the summary are not headline numbers
    assert [(h["name"], h["value"]) for h in entries["large"].headline] == [
        (k, v) for k, v in summary.items() if isinstance(v, (int, float)) and config.get(k) != v][:4]
    assert [h["name"] for h in entries["large"].headline] == ["mean_accuracy"]
    assert entries["large"].duration_s == json.loads((runs_root / "large" / "meta.json").read_text())["wall_time_s"]


def test_a_declared_headline_wins_and_a_cell_leaves_the_index_to_its_sweep(runs_root, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(runs_root / "small", folder)
    report = json.loads((folder / "report.json").read_text())
    report["headline"] = [{"name": "accuracy", "ours": 0.5, "verdict": "reproduced"}]
    (folder / "report.json").write_text(json.dumps(report))
    (entry,) = index_entries(tmp_path)
    assert entry.headline == [{"name": "accuracy", "value": 0.5, "text": "0.5 (reproduced)"}]
    assert index_root(runs_root / "sweep" / "scale=0.5") is None
    if not (runs_root / "index.html").exists():
        assert index_root(runs_root / "small") is None  # a stray folder in it, and no index yet
        write_index(runs_root)
    assert index_root(runs_root / "small") == runs_root  # it holds index.html
    (tmp_path / "elsewhere" / "unrelated").mkdir(parents=True)
    (tmp_path / "elsewhere" / "run").mkdir()
    assert index_root(tmp_path / "elsewhere" / "run") is None  # a folder of other things is not indexed
    assert sweep_command({"study": "s", "grid": {"k": ["1", "2"]}, "seeds": 2, "base": {"n": 3}}, "out") == \
        "toyscope sweep s --grid k=1,2 --seeds 2 --set n=3 --out out"


def _write(root):
    write_index(root, sweep_pages=False)


def test_concurrent_writers_leave_a_whole_index_listing_every_folder(runs_root, tmp_path):
    for i in range(12):
        shutil.copytree(runs_root / "small", tmp_path / f"run{i}")
    # writers at once (threads: the index lock is flock on separately opened descriptors of the
    # folder, which exclude each other within a process as across processes)
    failures = []

    def write():
        try:
            for _ in range(3):
                _write(tmp_path)
        except Exception as err:  # noqa: BLE001 - reported below
            failures.append(err)

    workers = [threading.Thread(target=write) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert failures == []
    page = (tmp_path / "index.html").read_text()
    assert page.endswith("</html>") and all(f">run{i}<" in page for i in range(12))
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_index_page_sorts_filters_and_compares_in_a_browser(browser, runs_root):
    path = write_index(runs_root)
    assert (runs_root / "sweep" / "sweep.html").is_file()
    opened = open_page(browser, path, runs_root)
    page = opened.page
    try:
        assert opened.errors == [] and opened.outside == []
        folders = lambda: page.locator("#ts-runs tbody tr:not([hidden]) td:nth-child(2)").all_text_contents()
        page.locator("#ts-runs th", has_text="folder").click()
        assert folders() == sorted(folders()) and len(folders()) == 7
        page.locator("#ts-runs th", has_text="folder").click()
        assert folders() == sorted(folders(), reverse=True)
        page.select_option("#ts-filter-study", "scatter-demo")
        assert set(folders()) == {"small", "large", "halfway.partial", "broken", "ancient", "sweep"}
        page.select_option("#ts-filter-study", "")
        for name in ("small", "large"):
            page.locator("#ts-runs tr", has=page.locator("a", has_text=name)).locator("input.ts-pick").first.check()
        page.click("#ts-compare-button")
        compare = page.locator("#ts-compare")
        text = compare.text_content()
        assert "small" in text and "large" in text and "mean_accuracy" in text
        differing = compare.locator("table.ts-config tr.ts-differs td:first-child").all_text_contents()
        assert sorted(differing) == ["n_networks", "scale"]
        assert compare.locator("img").count() == 4  # both runs' two figures
        assert opened.errors == []
    finally:
        page.close()


def test_sweep_page_plots_its_cells_in_a_browser(browser, runs_root):
    write_index(runs_root)
    opened = open_page(browser, runs_root / "sweep" / "sweep.html", runs_root / "sweep")
    page = opened.page
    try:
        assert opened.errors == [] and opened.outside == []
        page.evaluate("() => window.toyscopeRenderAll()")
        # a plot per headline number (mean_accuracy) against the grid key: one point per cell
        xs = page.evaluate("() => Array.from(document.querySelectorAll('.ts-plot.ts-drawn')).map(d => d.data[0].x)")
        assert xs == [["0.5", "1.5"]]
        cells = page.locator("table tbody tr td:first-child").all_text_contents()
        assert cells == ["scale=0.5", "scale=1.5"]
    finally:
        page.close()


def test_a_studys_declared_headlines_are_its_index_numbers(runs_root, monkeypatch):
    """With headline declarations (toyscope.studies.evaluate_headlines over Study.headlines), the
    index shows each measured value with its verdict, and the number behind it for sweep plots."""
    import dataclasses
    import types

    from toyscope import studies

    headline = types.SimpleNamespace(name="accuracy", key="mean_accuracy", interval_key=None)
    fake = types.SimpleNamespace(headlines=(headline,))
    monkeypatch.setattr(studies, "get_study", lambda name: fake, raising=True)

    @dataclasses.dataclass
    class Row:
        name: str
        measured: str
        verdict: str

    def evaluate(declared, summary, config):
        return [Row(h.name, f"{summary[h.key]:.2f}", "differs") for h in declared]

    monkeypatch.setattr(studies, "evaluate_headlines", evaluate, raising=False)
    monkeypatch.setattr(studies, "measured_value", lambda summary, key, interval: types.SimpleNamespace(value=summary[key]),
                        raising=False)
    entries = {e.name: e for e in index_entries(runs_root)}
    value = json.loads((runs_root / "small" / "summary.json").read_text())["mean_accuracy"]
    assert entries["small"].headline == [{"name": "accuracy", "value": value, "text": f"{value:.2f} (differs)"}]
