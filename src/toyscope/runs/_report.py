"""The self-contained ``report.html``: figures embedded, config, summary and deviations tables.

The report is rendered from files in the run folder (``report.json``, ``figures/*.png``,
``config.toml``, ``summary.json``, ``meta.json``), so ``toyscope report RUN`` can re-render it.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from ._files import atomic_write_text, read_config, read_json
from ._interactive import FIGURE_CSS, interactive_figure_html, page_scripts

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{margin-bottom:.1em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#666;font-size:.9em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}
figure{margin:1.2em 0;text-align:center}
figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;text-align:left;margin-top:.4em}
details{margin:1em 0} summary{cursor:pointer;font-weight:600}
.caption{font-size:.9em;color:#444}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_esc(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _table(columns: list[str], rows: list[list[Any]], caption: str = "") -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_esc(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows)
    cap = f'<div class="caption">{_esc(caption)}</div>' if caption else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{cap}"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        text = json.dumps(value)
        return text if len(text) < 300 else text[:297] + "..."
    return "" if value is None else str(value)


def _figure(run_dir: Path, name: str, caption: str) -> str:
    png = run_dir / "figures" / f"{name}.png"
    if not png.exists():
        return f"<p><em>figure {_esc(name)} is missing</em></p>"
    body = interactive_figure_html(run_dir, name)  # plotly, with figures/<name>.png until drawn
    if body is None:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        body = f'<img alt="{_esc(name)}" src="data:image/png;base64,{data}">'
    return f"<figure>{body}<figcaption><b>{_esc(name)}.</b> {_esc(caption)}</figcaption></figure>"


def _flatten(prefix: str, value: Any, out: list[list[Any]], max_items: int = 10) -> None:
    """Rows ``[dotted key, value]``; long dicts show their first ``max_items`` entries and a count."""
    if isinstance(value, dict) and value and len(json.dumps(value)) > 120:
        items = list(value.items())
        for key, item in items[:max_items]:
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
        if len(items) > max_items:
            out.append([f"{prefix}.…", f"{len(items) - max_items} more entries in summary.json"])
    else:
        out.append([prefix, value])


def render_report(run_dir: Path) -> Path:
    """Render ``run_dir/report.html`` from the folder's files; returns its path."""
    run_dir = Path(run_dir)
    study, config = read_config(run_dir / "config.toml")
    summary = read_json(run_dir / "summary.json")
    meta = read_json(run_dir / "meta.json") if (run_dir / "meta.json").exists() else {}
    body = read_json(run_dir / "report.json") if (run_dir / "report.json").exists() else {"sections": [], "deviations": []}

    parts = [f"<h1>{_esc(study)}</h1>"]
    stamp = ", ".join(f"{k} {meta[k]}" for k in ("finished", "wall_time_s", "toyscope", "git_commit") if k in meta)
    parts.append(f'<div class="meta">{_esc(run_dir.name)} &middot; {_esc(stamp)}</div>')
    if body.get("description"):
        parts.append(_paragraphs(body["description"]))

    rows: list[list[Any]] = []
    _flatten("", summary, rows)
    parts.append("<h2>Summary</h2>" + _table(["quantity", "value"], rows))

    for section in body.get("sections", []):
        parts.append(f"<h2>{_esc(section['title'])}</h2>")
        parts.append(_paragraphs(section.get("text", "")))
        for fig in section.get("figures", []):
            parts.append(_figure(run_dir, fig["name"], fig.get("caption", "")))
        for table in section.get("tables", []):
            parts.append(_table(table["columns"], table["rows"], table.get("caption", "")))

    config_rows = [[k, v] for k, v in config.items()]
    meta_rows = [[k, v] for k, v in meta.items()]
    parts.append("<details><summary>Configuration</summary>" + _table(["key", "value"], config_rows) + "</details>")
    parts.append("<details><summary>Environment</summary>" + _table(["key", "value"], meta_rows) + "</details>")

    deviations = body.get("deviations", [])
    parts.append("<h2>Deviations from the paper</h2>")
    if deviations:
        parts.append(_table(["what", "paper", "this run", "why"],
                            [[d["what"], d["paper"], d["ours"], d["why"]] for d in deviations]))
    else:
        parts.append("<p>None recorded.</p>")

    body_html = "".join(parts)
    scripts = page_scripts(run_dir, plotly='class="ts-plot"' in body_html)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>toyscope: {_esc(study)}</title>"
            f"<style>{_CSS}{FIGURE_CSS}</style></head><body>{body_html}{scripts}</body></html>")
    path = run_dir / "report.html"
    atomic_write_text(path, page)
    return path
