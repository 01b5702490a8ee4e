"""The runs index: ``DIR/index.html`` listing every run and sweep folder of ``DIR``, and each
sweep's page ``SWEEP/sweep.html`` plotting its headline numbers against its grid keys.

The index lists one row per folder of ``DIR``: study, preset, date, status (finished; unfinished
with the command that resumes it; running, while another process holds its lock; or corrupt /
older format / not a run folder, with the reason), duration and headline numbers. A folder that
cannot be read is listed with the reason, never an exception. The page filters by study, sorts by
any column and shows two selected runs side by side (config diff, headline numbers, figures).

``runs.execute`` rewrites the index of the folder a run finishes in, and ``runs.run_sweep`` that of
the folder holding the sweep (a cell of a sweep, or of a study's sub-sweep, leaves it to the
enclosing sweep). Writers take an exclusive lock on the folder ``DIR`` around reading the folders
and replacing the page (temporary file + ``os.replace``), so runs finishing at once neither corrupt
the page nor drop each other's rows.

Headline numbers are the study's declared headline rows (``report.json``'s ``"headline"``:
``[{"name", "ours"|"value", "verdict"?, ...}]``) when the run has them, else the first few
numeric entries of ``summary.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._files import PARTIAL, RunFolderError, atomic_write_bytes, read_config, to_jsonable
from ._interactive import ASSETS, FIGURE_CSS, PAGE_JS, PLOTLY_JS, write_shared_assets
from ._lock import lock_holder
from ._page_js import INDEX_JS, TABLE_JS

INDEX_FILE = "index.html"
SWEEP_FILE = "sweep.json"  # written when a sweep starts: study, base values, grid, seeds
SWEEP_CSV = "sweep.csv"  # written when it ends
SWEEP_PAGE = "sweep.html"
_HEADLINE_SCALARS = 4  # summary entries shown when a run declares no headline
_NESTING = 3  # a cell sits at most this deep under the sweep or run that lists it


@dataclasses.dataclass
class IndexEntry:
    """One row of the index: a run folder, a sweep folder or a folder that is neither."""

    name: str
    kind: str  # "run", "sweep" or "other"
    status: str  # finished / unfinished / running / corrupt / older format / not a run folder
    study: str = ""
    preset: str = ""
    date: str = ""
    duration_s: float | None = None
    reason: str = ""  # why a folder is not a whole run, or the command that resumes it
    headline: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    figures: list[str] = dataclasses.field(default_factory=list)
    page: str = ""  # the folder's page, relative to the folder (report.html, sweep.html)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{path.name} is missing") from None
    except (OSError, ValueError) as err:
        raise RunFolderError(f"{path.name} is not valid JSON ({type(err).__name__})") from None


def _declared_headlines(study_name: str, summary: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The study's declared headlines measured on this run (``toyscope.studies.evaluate_headlines``
    over ``Study.headlines``), or ``None`` when the study declares none or this toyscope has no
    headline declarations."""
    from .. import studies

    evaluate, measure = getattr(studies, "evaluate_headlines", None), getattr(studies, "measured_value", None)
    if evaluate is None or not study_name:
        return None
    try:
        declared = {h.name: h for h in (getattr(studies.get_study(study_name), "headlines", ()) or ())}
        if not declared:
            return None
        rows = []
        for row in evaluate(tuple(declared.values()), summary, config):
            value = None
            with contextlib.suppress(Exception):  # a number for the sweep pages' plots, where there is one
                found = measure(summary, declared[row.name].key, declared[row.name].interval_key).value
                value = found if isinstance(found, (int, float)) and not isinstance(found, bool) else None
            rows.append({"name": row.name, "value": value,
                         "text": f"{row.measured} ({row.verdict})" if row.verdict else str(row.measured)})
        return rows
    except Exception:  # noqa: BLE001 - an index row falls back to summary numbers, it never fails
        return None


def headline_numbers(folder: Path, summary: dict[str, Any] | None = None, *, config: dict[str, Any] | None = None,
                     study: str = "", limit: int = _HEADLINE_SCALARS) -> list[dict[str, Any]]:
    """A run's headline numbers as ``[{"name", "value", "text"}]``: the study's declared headlines
    measured on it (text: measured value and verdict) when the study declares them, else rows of
    ``report.json``'s ``"headline"`` when present, else the first ``limit`` numeric (non-bool)
    top-level entries of ``summary`` (read from ``summary.json`` when not given) that are not
    settings repeated from ``config``. Never raises: unreadable files give ``[]``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> headline_numbers(folder, {"loss": 0.12345, "ok": True, "runs": [1, 2], "n": 3})
        [{'name': 'loss', 'value': 0.12345, 'text': '0.123'}, {'name': 'n', 'value': 3, 'text': '3'}]
    """
    folder = Path(folder)
    if summary is None:
        with contextlib.suppress(RunFolderError):
            summary = _read_json(folder / "summary.json")
    if isinstance(summary, dict) and study:
        declared = _declared_headlines(study, summary, config or {})
        if declared:
            return declared
    try:
        report = _read_json(folder / "report.json") if (folder / "report.json").is_file() else {}
    except RunFolderError:
        report = {}
    declared = report.get("headline") if isinstance(report, dict) else None
    if isinstance(declared, list) and declared:
        rows = []
        for row in declared:
            if not isinstance(row, dict) or "name" not in row:
                continue
            value = next((row[k] for k in ("ours", "value", "measured") if k in row), None)
            text = row.get("text") or _fmt(value)
            if row.get("verdict"):
                text = f"{text} ({row['verdict']})"
            rows.append({"name": str(row["name"]), "value": value if isinstance(value, (int, float)) else None,
                         "text": text})
        if rows:
            return rows
    if not isinstance(summary, dict):
        return []
    settings = config or {}
    scalars = [(k, v) for k, v in summary.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
               and not (k in settings and settings[k] == v)]
    return [{"name": k, "value": v, "text": _fmt(v)} for k, v in scalars[:limit]]


def _date(folder: Path, meta: dict[str, Any]) -> str:
    if isinstance(meta.get("started"), str):
        return meta["started"].replace("T", " ")
    try:
        return dt.datetime.fromtimestamp((folder / "config.toml").stat().st_mtime).isoformat(sep=" ", timespec="seconds")
    except OSError:
        return ""


def _holds_pickles(folder: Path) -> bool:
    return any(folder.glob("*.pkl")) or any(folder.glob("cache/*.pkl")) or any(folder.glob("checkpoints/*.pkl"))


def _run_entry(folder: Path) -> IndexEntry:
    name = folder.name
    if _holds_pickles(folder):
        entry = IndexEntry(name, "run", "older format", reason="holds pickled files (an earlier toyscope): rerun it")
        with contextlib.suppress(RunFolderError):  # config.toml is plain TOML, safe to read
            entry.study, entry.config = read_config(folder / "config.toml")
            entry.preset = str(entry.config.get("preset", ""))
        return entry
    try:
        study, config = read_config(folder / "config.toml")
    except RunFolderError as err:
        return IndexEntry(name, "run", "corrupt", reason=str(err).replace(str(folder) + "/", ""))
    entry = IndexEntry(name, "run", "finished", study=study, preset=str(config.get("preset", "")), config=config)
    if name.endswith(PARTIAL):
        holder = lock_holder(folder)
        entry.status = "running" if holder is not None else "unfinished"
        entry.reason = (f"being written by {holder}" if holder is not None
                        else f"resume: toyscope run --resume {folder}")
        entry.date = _date(folder, {})
        return entry
    try:
        meta = _read_json(folder / "meta.json")
        summary = _read_json(folder / "summary.json")
        if not isinstance(summary, dict) or not isinstance(meta, dict):
            raise RunFolderError("summary.json or meta.json is not a JSON object")
    except RunFolderError as err:
        entry.status, entry.reason, entry.date = "corrupt", str(err), _date(folder, {})
        return entry
    entry.date = _date(folder, meta)
    wall = meta.get("wall_time_s")
    entry.duration_s = float(wall) if isinstance(wall, (int, float)) else None
    if meta.get("resumed"):
        entry.reason = f"resumed ({len(meta.get('segments', []))} segments)"
    entry.headline = headline_numbers(folder, summary, config=config, study=study)
    entry.figures = sorted(p.stem for p in (folder / "figures").glob("*.png"))
    entry.page = "report.html" if (folder / "report.html").is_file() else ""
    return entry


def _is_run(folder: Path) -> bool:
    return (folder / "config.toml").is_file()


def _is_sweep(folder: Path) -> bool:
    if (folder / SWEEP_FILE).is_file() or (folder / SWEEP_CSV).is_file():
        return True
    return not _is_run(folder) and any(_is_run(child) for child in _subfolders(folder))


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != ASSETS)
    except OSError:
        return []


def sweep_command(spec: dict[str, Any], folder: Path) -> str:
    """The ``toyscope sweep`` command that continues the sweep described by ``sweep.json``."""
    def value(v):
        return v if isinstance(v, str) else ",".join(map(value, v)) if isinstance(v, list) else json.dumps(v)

    parts = ["toyscope", "sweep", str(spec.get("study", "STUDY"))]
    parts += [f"--grid {k}={','.join(map(str, v))}" for k, v in (spec.get("grid") or {}).items()]
    if spec.get("seeds"):
        parts.append(f"--seeds {spec['seeds']}")
    parts += [f"--set {k}={value(v)}" for k, v in (spec.get("base") or {}).items()]
    parts.append(f"--out {folder}")
    return " ".join(parts)


def _expected_cells(spec: dict[str, Any]) -> int | None:
    grid = spec.get("grid")
    if not isinstance(grid, dict):
        return None
    total = math.prod(len(v) for v in grid.values() if isinstance(v, list))
    return total * int(spec["seeds"]) if spec.get("seeds") else total


def sweep_cells_found(folder: Path) -> list[tuple[Path, IndexEntry]]:
    """The cell folders of a sweep folder and their entries (runs, finished or not)."""
    return [(cell, _run_entry(cell)) for cell in _subfolders(folder) if _is_run(cell)]


def _sweep_entry(folder: Path) -> IndexEntry:
    entry = IndexEntry(folder.name, "sweep", "finished")
    spec: dict[str, Any] = {}
    if (folder / SWEEP_FILE).is_file():
        try:
            spec = _read_json(folder / SWEEP_FILE)
            if not isinstance(spec, dict):
                raise RunFolderError(f"{SWEEP_FILE} is not a JSON object")
        except RunFolderError as err:
            entry.status, entry.reason = "corrupt", str(err)
            spec = {}
    cells = sweep_cells_found(folder)
    finished = [e for _, e in cells if e.status == "finished"]
    entry.study = str(spec.get("study") or next((e.study for _, e in cells if e.study), ""))
    entry.preset = str((spec.get("base") or {}).get("preset", "")) or next((e.preset for e in finished), "")
    entry.config = {"grid": spec.get("grid"), "seeds": spec.get("seeds"), "base": spec.get("base")} if spec else {}
    entry.date = str(spec.get("started", "")).replace("T", " ") or min((e.date for _, e in cells if e.date), default="")
    durations = [e.duration_s for e in finished if e.duration_s is not None]
    entry.duration_s = round(sum(durations), 2) if durations else None
    expected = _expected_cells(spec)
    entry.headline = [{"name": "cells finished", "value": len(finished),
                       "text": f"{len(finished)} of {expected if expected is not None else len(cells)}"}]
    if entry.status != "corrupt":
        whole = (folder / SWEEP_CSV).is_file() and len(finished) == len(cells) and (expected in (None, len(finished)))
        if not whole:
            running = [e for _, e in cells if e.status == "running"]
            entry.status = "running" if running else "unfinished"
            entry.reason = (f"{len(running)} cells being written" if running else
                            "resume: " + (sweep_command(spec, folder) if spec else "run the same toyscope sweep command again"))
    entry.page = SWEEP_PAGE if (folder / SWEEP_PAGE).is_file() else ""
    return entry


def read_entry(folder: Path) -> IndexEntry:
    """The index row of one folder; never raises (an unreadable folder is listed with the reason)."""
    folder = Path(folder)
    try:
        if _is_run(folder) or folder.name.endswith(PARTIAL):
            return _run_entry(folder)
        if _is_sweep(folder):
            return _sweep_entry(folder)
        if any(folder.glob("*.pkl")) or (folder / "report.html").is_file():
            return IndexEntry(folder.name, "other", "older format", reason="no config.toml (an earlier toyscope)")
        return IndexEntry(folder.name, "other", "not a run folder", reason="no config.toml")
    except Exception as err:  # noqa: BLE001 - the index lists a folder it cannot read, it never fails
        return IndexEntry(folder.name, "other", "corrupt", reason=f"unreadable ({type(err).__name__}: {err})")


def index_entries(root: Path) -> list[IndexEntry]:
    """Every folder of ``root`` (hidden ones and ``assets`` excepted) as an index row, newest first."""
    entries = [read_entry(folder) for folder in _subfolders(Path(root))]
    return sorted(entries, key=lambda e: (e.date, e.name), reverse=True)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f5f5f5} tr.ts-differs td{background:#fff3cd}
.ts-status-finished{color:#176b2c} .ts-status-unfinished,.ts-status-running{color:#8a5a00}
.ts-status-corrupt,.ts-status-older-format,.ts-status-not-a-run-folder{color:#a61b1b}
.ts-reason{font-size:.85em;color:#666;font-family:ui-monospace,monospace}
.ts-controls{margin:.5em 0} .ts-controls>*{margin-right:.8em}
.ts-pair{display:flex;gap:2em} .ts-figures img{max-width:480px}
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _script_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), separators=(",", ":")).replace("</", "<\\/")


def render_index(root: Path, entries: list[IndexEntry]) -> str:
    """The index page of ``root`` for ``entries`` (HTML text)."""
    rows = []
    for i, e in enumerate(entries):
        href = f"{e.name}/{e.page}" if e.page else f"{e.name}/"
        headline = "; ".join(f"{h['name']}: {h['text']}" for h in e.headline)
        pick = f'<input type="checkbox" class="ts-pick" value="{i}" aria-label="select {_esc(e.name)}">' if e.kind == "run" else ""
        rows.append(
            f'<tr data-id="{i}"><td>{pick}</td><td><a href="{_esc(href)}">{_esc(e.name)}</a></td><td>{_esc(e.kind)}</td>'
            f"<td>{_esc(e.study)}</td><td>{_esc(e.preset)}</td><td>{_esc(e.date)}</td>"
            f'<td class="ts-status-{_esc(e.status.replace(" ", "-"))}">{_esc(e.status)}'
            f'{"<div class=ts-reason>" + _esc(e.reason) + "</div>" if e.reason else ""}</td>'
            f'<td data-sort="{"" if e.duration_s is None else e.duration_s}">{_esc(_duration(e.duration_s))}</td>'
            f"<td>{_esc(headline)}</td></tr>")
    studies = sorted({e.study for e in entries if e.study})
    options = "".join(f'<option value="{_esc(s)}">{_esc(s)}</option>' for s in studies)
    data = {"entries": [{"id": str(i), "name": e.name, "study": e.study, "preset": e.preset, "date": e.date,
                         "status": e.status, "config": e.config, "figures": e.figures,
                         "headline": [{"name": h["name"], "text": h["text"]} for h in e.headline],
                         "href": f"{e.name}/"} for i, e in enumerate(entries)]}
    counts = {s: sum(e.status == s for e in entries) for s in dict.fromkeys(e.status for e in entries)}
    stamp = dt.datetime.now().isoformat(sep=" ", timespec="seconds")
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>toyscope runs: {_esc(Path(root).resolve().name)}</title><style>{_CSS}{FIGURE_CSS}</style></head><body>"
        f"<h1>Runs in {_esc(Path(root).resolve().name)}/</h1>"
        f"<p>{len(entries)} folders ({_esc(', '.join(f'{n} {s}' for s, n in counts.items()))}); written {stamp} "
        "by <code>toyscope index</code>. Click a column header to sort; tick two runs and press Compare.</p>"
        '<div class="ts-controls"><label>study <select id="ts-filter-study"><option value="">all</option>'
        f'{options}</select></label><label>filter <input id="ts-filter-text" type="search"></label>'
        '<button id="ts-compare-button" type="button">Compare selected</button></div>'
        '<table id="ts-runs"><thead><tr><th data-sortable="no"></th><th>folder</th><th>kind</th><th>study</th>'
        "<th>preset</th><th>date</th><th>status</th><th>duration</th><th>headline numbers</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<section id="ts-compare" hidden></section>'
        f'<script type="application/json" id="ts-index-data">{_script_json(data)}</script>'
        f"<script>{TABLE_JS}</script><script>{INDEX_JS}</script></body></html>")


@contextlib.contextmanager
def _index_lock(root: Path) -> Iterator[None]:
    """An exclusive advisory lock (``flock``) on the folder ``root`` itself, so no lock file is left
    behind; without ``fcntl`` (not POSIX) no lock, and atomic replacement still keeps the page whole."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    descriptor = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def write_index(root: Path | str = "runs", *, sweep_pages: bool = True) -> Path:
    """Write ``root/index.html`` (and, with ``sweep_pages``, each sweep's ``sweep.html``) atomically,
    under the index lock; returns the page's path.

    Raises:
        RunFolderError: ``root`` is not a folder.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / "junk").mkdir()
        >>> page = write_index(root)
        >>> "not a run folder" in page.read_text()
        True
    """
    root = Path(root)
    if not root.is_dir():
        raise RunFolderError(f"no folder at {root} to index")
    with _index_lock(root):
        entries = index_entries(root)
        if sweep_pages:
            for entry in entries:
                if entry.kind == "sweep":
                    with contextlib.suppress(Exception):  # a sweep page that cannot be written is not the index's failure
                        write_sweep_page(root / entry.name)
                        entry.page = SWEEP_PAGE
        path = root / INDEX_FILE
        atomic_write_bytes(path, render_index(root, entries).encode("utf-8"))
    return path


def index_root(folder: Path) -> Path | None:
    """The folder whose index lists a finished ``folder``: its parent when that is a runs folder
    (named ``runs``, holding an ``index.html`` already, or holding only run and sweep folders), else
    ``None``: a cell of a sweep or of a study's sub-sweep (within three levels of a sweep or run
    folder) is listed by its sweep's page, and a run written into some other folder (``--out
    /tmp/x``) does not index that folder's unrelated contents (``toyscope index`` still can)."""
    for ancestor in list(Path(folder).resolve().parents)[:_NESTING]:
        if _is_run(ancestor) or (ancestor / SWEEP_FILE).is_file() or (ancestor / SWEEP_CSV).is_file():
            return None
    parent = Path(folder).parent
    if parent.name == "runs" or (parent / INDEX_FILE).is_file():
        return parent
    runs_only = all(_is_run(c) or c.name.endswith(PARTIAL) or (c / SWEEP_FILE).is_file() or (c / SWEEP_CSV).is_file()
                    for c in _subfolders(parent))
    return parent if runs_only else None


def update_index(folder: Path) -> Path | None:
    """After ``folder`` finished: rewrite the index that lists it (:func:`index_root`); an error
    is reported on stderr, never raised (the run itself is whole). Returns the page or ``None``."""
    root = index_root(folder)
    if root is None:
        return None
    try:
        return write_index(root, sweep_pages=False)
    except Exception as err:  # noqa: BLE001 - a finished run must not fail on its index
        print(f"toyscope: could not update {root / INDEX_FILE}: {err}", file=sys.stderr)
        return None


def write_sweep_marker(folder: Path, study: str, base: dict[str, Any], grid: dict[str, list[Any]],
                       seeds: int | None) -> None:
    """``folder/sweep.json`` (what the sweep runs, for the index and its resume command) and the
    shared assets its cells' reports link."""
    folder = Path(folder)
    spec = {"study": study, "base": base, "grid": grid, "seeds": seeds,
            "started": dt.datetime.now().isoformat(timespec="seconds")}
    previous = folder / SWEEP_FILE
    if previous.is_file():  # keep the first start of a continued sweep
        with contextlib.suppress(RunFolderError, AttributeError):
            spec["started"] = _read_json(previous).get("started", spec["started"])
    atomic_write_bytes(previous, (json.dumps(to_jsonable(spec), indent=2) + "\n").encode("utf-8"))
    write_shared_assets(folder)


def _cell_values(cell: Path, entry: IndexEntry, grid_keys: list[str]) -> dict[str, Any]:
    if grid_keys:
        return {k: entry.config.get(k) for k in grid_keys}
    return {"cell": cell.name}


def _varying_keys(configs: list[dict[str, Any]]) -> list[str]:
    keys = sorted({k for c in configs for k in c})
    return [k for k in keys if len({json.dumps(c.get(k), sort_keys=True) for c in configs}) > 1]


def write_sweep_page(folder: Path, *, max_quantities: int = 8) -> Path:
    """``folder/sweep.html``: the sweep's cells as a sortable table and each headline number of its
    finished cells against each grid key (interactive). Grid keys come from ``sweep.json``, else
    from the config keys that vary between cells. Returns the page's path."""
    from .. import viz

    folder = Path(folder)
    spec: Any = {}
    with contextlib.suppress(RunFolderError):
        spec = _read_json(folder / SWEEP_FILE) if (folder / SWEEP_FILE).is_file() else {}
    spec = spec if isinstance(spec, dict) else {}
    cells = sweep_cells_found(folder)
    grid_keys = list(spec.get("grid") or {}) + (["seed"] if spec.get("seeds") else [])
    if not grid_keys:
        grid_keys = _varying_keys([e.config for _, e in cells if e.config])
    finished = [(c, e) for c, e in cells if e.status == "finished"]
    values = [_cell_values(c, e, grid_keys) for c, e in finished]
    quantities = list(dict.fromkeys(h["name"] for _, e in finished for h in e.headline
                                    if isinstance(h.get("value"), (int, float))))[:max_quantities]
    numbers = {q: [next((h["value"] for h in e.headline if h["name"] == q), None) for _, e in finished] for q in quantities}
    plots = []
    for q in quantities:
        for key in grid_keys:
            text = viz.grid_scatter_figure(values, key, q, numbers[q]).to_json(validate=False).replace("</", "<\\/")
            ident = f"ts-fig-{len(plots)}"
            plots.append(f'<div class="ts-plot" id="{ident}" data-spec="{ident}-json"></div>'
                         f'<script type="application/json" id="{ident}-json">{text}</script>')
    head = "".join(f"<th>{_esc(k)}</th>" for k in ["cell", "status", *grid_keys, *quantities])
    body = []
    for cell, entry in cells:
        link = f'<a href="{_esc(cell.name)}/report.html">{_esc(cell.name)}</a>' if entry.page else _esc(cell.name)
        heads = {h["name"]: h["text"] for h in entry.headline}
        body.append(f"<tr><td>{link}</td><td>{_esc(entry.status)}</td>"
                    + "".join(f"<td>{_esc(_fmt(entry.config.get(k)))}</td>" for k in grid_keys)
                    + "".join(f"<td>{_esc(heads.get(q, ''))}</td>" for q in quantities) + "</tr>")
    entry = _sweep_entry(folder)
    write_shared_assets(folder)
    scripts = f'<script src="{ASSETS}/{PLOTLY_JS}"></script><script src="{ASSETS}/{PAGE_JS}"></script>'
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>toyscope sweep: {_esc(folder.name)}</title><style>{_CSS}{FIGURE_CSS}</style></head><body>"
            f"<h1>Sweep {_esc(folder.name)}</h1><p>study {_esc(entry.study)}; {_esc(entry.status)}"
            f"{'; ' + _esc(entry.reason) if entry.reason else ''}; grid keys: {_esc(', '.join(grid_keys) or 'none')}; "
            f"{len(finished)} of {len(cells)} cells finished. <a href='../{INDEX_FILE}'>all runs</a></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<h2>Headline numbers against the grid</h2>{''.join(plots) or '<p>No finished cell has numbers.</p>'}"
            f"{scripts}</body></html>")
    path = folder / SWEEP_PAGE
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
