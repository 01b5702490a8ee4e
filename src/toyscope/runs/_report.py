"""The self-contained ``report.html``: the answer first, then the sections, then the details.

The page, top to bottom: the study, paper, preset, date and duration of the run; a banner when the
run is smaller than the paper's (a smoke run's numbers are not results); the "measured vs paper"
table of the study's declared headlines (:class:`toyscope.studies.Headline`), each with its
verdict and the rule that decided it, linking to its section; a table of contents; the study's
sections (text, figures with links to their PNG and SVG files, tables); the deviations from the
paper; and, folded, the full summary, the configuration (beside its defaults) and the environment.

The report is rendered from files in the run folder (``report.json``, ``figures/*.png``,
``config.toml``, ``summary.json``, ``meta.json``), so ``toyscope report RUN`` can re-render it. It
is rendered inside ``<name>.partial/`` before the rename, so it names the run by its final name.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

from ..analysis import format_number
from ..studies import ConfigError, HeadlineRow, Study, evaluate_headlines, get_study, measured_value
from ._files import PARTIAL, atomic_write_text, read_config, read_json
from ._interactive import FIGURE_CSS, interactive_figure_html, page_scripts

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{margin-bottom:.1em} h1 .run{font-size:.55em;color:#666;font-weight:400;margin-left:.6em}
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.description{font-size:1.05em;color:#333;margin:.2em 0 .6em}
.facts{display:flex;flex-wrap:wrap;gap:.3em 1.6em;margin:.6em 0 1em;padding:0;font-size:.92em;color:#444}
.facts div{display:flex;gap:.4em} .facts dt{color:#777} .facts dd{margin:0;font-weight:500}
.banner{background:#fff4d6;border:1px solid #e7c65b;border-left:6px solid #d9a400;padding:.6em 1em;margin:1em 0;border-radius:4px}
.banner b{color:#7a5a00}
.wrap{overflow-x:auto;max-width:100%}
.scroll{max-height:40em;overflow:auto;border:1px solid #eee}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.headlines td{vertical-align:middle} table.headlines .rule{color:#555;font-size:.92em}
.verdict{display:inline-block;padding:.05em .55em;border-radius:1em;font-size:.85em;font-weight:600;white-space:nowrap}
.verdict.reproduced{background:#dff3e2;color:#1d6b2f} .verdict.differs{background:#fbe0de;color:#9b1c1c}
.verdict.not-comparable{background:#eceff3;color:#4a5563}
nav.toc{background:#fafafa;border:1px solid #eee;padding:.4em 1.2em;margin:1.5em 0;font-size:.93em}
nav.toc ol{margin:.3em 0;padding-left:1.4em;columns:2}
figure{margin:1.2em 0;text-align:center}
figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;text-align:left;margin-top:.4em}
.files{font-size:.82em;color:#777;text-align:right;margin-top:-.8em} .files a{color:#557}
details{margin:1em 0} summary{cursor:pointer;font-weight:600}
.caption{font-size:.9em;color:#444}
.changed td:nth-child(2){font-weight:600}
.muted{color:#888}
"""

_VERDICT_CLASS = {"reproduced": "reproduced", "differs": "differs", "not comparable": "not-comparable"}


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_esc(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _slug(title: str, taken: set[str]) -> str:
    """An HTML id for a section title, unique among ``taken`` (which it joins)."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}-{i}", i + 1
    taken.add(slug)
    return slug


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    """A table cell: numbers to 3 significant figures, lists and dicts shortened."""
    if isinstance(value, (list, dict)):
        text = json.dumps(value)
        return text if len(text) < 300 else text[:297] + "..."
    return "" if value is None else format_number(value)


def _table(columns: list[str], rows: list[list[Any]], caption: str = "") -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if _is_number(v) else ""}>{_esc(_fmt(v))}</td>' for v in row)
                   + "</tr>" for row in rows)
    cap = f'<div class="caption">{_esc(caption)}</div>' if caption else ""
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{cap}'


def _figure(run_dir: Path, name: str, caption: str) -> str:
    png = run_dir / "figures" / f"{name}.png"
    if not png.exists():
        return f"<p><em>figure {_esc(name)} is missing</em></p>"
    body = interactive_figure_html(run_dir, name)  # plotly, with figures/<name>.png until drawn
    if body is None:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        body = f'<img alt="{_esc(name)}" src="data:image/png;base64,{data}">'
    return f"<figure>{body}<figcaption><b>{_esc(name)}.</b> {_esc(caption)}</figcaption></figure>"


def _figure_files(run_dir: Path, name: str) -> str:
    """Links to the figure's files in the run folder (the SVG is what a paper needs)."""
    links = [f'<a href="figures/{_esc(name)}.{ext}">{ext.upper()}</a>'
             for ext in ("png", "svg", "pdf") if (run_dir / "figures" / f"{name}.{ext}").exists()]
    return f'<div class="files">{" · ".join(links)}</div>' if links else ""


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(round(seconds % 60))} s"
    return f"{int(seconds // 3600)} h {int(round(seconds % 3600 / 60))} min"


def _study(name: str) -> Study | None:
    try:
        return get_study(name)
    except ConfigError:
        return None


def _defaults(study: Study | None) -> dict[str, Any] | None:
    if study is None:
        return None
    try:
        return study.config_class().model_dump(mode="json")
    except Exception:  # noqa: BLE001 - a config without plain defaults: no comparison, no banner
        return None


def _differences(config: dict[str, Any], defaults: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """``(key, this run's value, the default)`` for every setting that is not the default run's
    (``preset`` and ``seed`` aside: they do not make a run smaller)."""
    if defaults is None:
        return []
    return [(key, config.get(key), default) for key, default in defaults.items()
            if key not in ("preset", "seed") and config.get(key) != default]


def _short(value: Any) -> str:
    """A config value in a sentence: numbers formatted, lists shortened."""
    if isinstance(value, list):
        items = ", ".join(_short(v) for v in value[:4])
        return f"[{items}{', ...' if len(value) > 4 else ''}]"
    return "none" if value is None else format_number(value)


def _header(study_name: str, run_name: str, description: str, study: Study | None, config: dict[str, Any],
            meta: dict[str, Any]) -> str:
    """The first lines: the study and run, what it is, and the facts of the run."""
    facts = []
    if study is not None and study.paper:
        facts.append(("paper", study.paper))
    facts.append(("preset", config.get("preset", "default")))
    facts.append(("seed", config.get("seed", "-")))
    if meta.get("finished"):
        facts.append(("finished", meta["finished"].replace("T", " ")))
    if "wall_time_s" in meta:
        segments = meta.get("segments") or []
        resumed = f" over {len(segments)} sessions (resumed)" if len(segments) > 1 else ""
        facts.append(("duration", _duration(float(meta["wall_time_s"])) + resumed))
    if meta.get("toyscope"):
        commit = meta.get("git_commit")
        facts.append(("toyscope", meta["toyscope"] + (f" ({commit[:10]}{'-dirty' if commit.endswith('-dirty') else ''})"
                                                      if commit else "")))
    items = "".join(f"<div><dt>{_esc(k)}</dt><dd>{_esc(v)}</dd></div>" for k, v in facts)
    text = f'<p class="description">{_esc(description)}</p>' if description else ""
    return (f'<header><h1>{_esc(study_name)}<span class="run">{_esc(run_name)}</span></h1>{text}'
            f'<dl class="facts">{items}</dl></header>')


def _banner(config: dict[str, Any], defaults: dict[str, Any] | None) -> str:
    """A warning when the run is not the study's default (paper-sized) run."""
    preset = config.get("preset", "default")
    changed = _differences(config, defaults)
    if preset == "default" and not changed:
        return ""
    shown = ", ".join(f"{k} = {_short(v)} (default {_short(d)})" for k, v, d in changed[:5])
    more = f" and {len(changed) - 5} more settings (see Configuration below)" if len(changed) > 5 else ""
    where = f" It differs from the default run in {shown}{more}." if changed else ""
    if preset == "smoke":
        lead = ("<b>Smoke run.</b> The smoke preset checks that the study runs end to end at toy sizes: "
                "its numbers are not results and say nothing about the paper.")
    elif preset != "default":
        lead = f"<b>Preset {_esc(preset)}.</b> This is not the study's default run; compare its numbers with care."
    else:
        lead = "<b>Changed settings.</b> This is not the study's default run; compare its numbers with care."
    return f'<div class="banner" role="note">{lead}{_esc(where)}</div>'


def _headline_table(rows: list[HeadlineRow], anchors: dict[str, str], declared: bool) -> str:
    """The "measured vs paper" table: quantity (linked to its section), paper, ours, verdict, rule."""
    if not rows:
        return ("<p class='muted'>No headline quantity of this study applies to this configuration.</p>" if declared
                else "<p class='muted'>This study declares no headline quantities.</p>")
    body = []
    for row in rows:
        anchor = anchors.get(row.section)
        name = f'<a href="#{anchor}">{_esc(row.name)}</a>' if anchor else _esc(row.name)
        verdict = (f'<span class="verdict {_VERDICT_CLASS.get(row.verdict, "not-comparable")}">{_esc(row.verdict)}'
                   "</span>")
        rule = _esc(row.rule) + (f"; {_esc(row.note)}" if row.note else "")
        body.append(f"<tr><td>{name}</td><td>{_esc(row.paper)}</td><td>{_esc(row.measured)}</td>"
                    f'<td>{verdict}</td><td class="rule">{rule}</td></tr>')
    head = "".join(f"<th>{c}</th>" for c in ("quantity", "paper", "this run (95% interval)", "verdict", "rule"))
    return f'<div class="wrap"><table class="headlines"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _contents(entries: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="#{anchor}">{_esc(title)}</a></li>' for title, anchor in entries)
    return f'<nav class="toc" aria-label="contents"><b>Contents</b><ol>{items}</ol></nav>'


def _section(run_dir: Path, section: dict[str, Any], anchor: str) -> str:
    parts = [f'<section id="{anchor}"><h2>{_esc(section["title"])}</h2>', _paragraphs(section.get("text", ""))]
    for fig in section.get("figures", []):
        parts.append(_figure(run_dir, fig["name"], fig.get("caption", "")))
        parts.append(_figure_files(run_dir, fig["name"]))
    for table in section.get("tables", []):
        parts.append(_table(table["columns"], table["rows"], table.get("caption", "")))
    parts.append("</section>")
    return "".join(parts)


def _deviations(deviations: list[dict[str, str]]) -> str:
    if not deviations:
        return "<p>None recorded.</p>"
    return _table(["what", "paper", "this run", "why"], [[d["what"], d["paper"], d["ours"], d["why"]] for d in deviations])


_MAX_ITEMS = 40  # entries of a list or dict shown in the full summary before "... more"


def _value_html(value: Any, depth: int = 0) -> str:
    """A summary value, formatted: nested dicts as nested tables, lists of numbers to 3
    significant figures, lists of records as tables; long ones cut with a count."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        interval = _interval_line(value)
        if interval is not None:
            return _esc(interval)
        items = list(value.items())
        rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_value_html(v, depth + 1)}</td></tr>" for k, v in items[:_MAX_ITEMS])
        more = (f"<tr><td colspan=2 class=muted>{len(items) - _MAX_ITEMS} more entries in summary.json</td></tr>"
                if len(items) > _MAX_ITEMS else "")
        return f"<table>{rows}{more}</table>"
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value) and depth < 3:
            columns = list(dict.fromkeys(k for v in value for k in v))
            rows = [[v.get(c) for c in columns] for v in value[:_MAX_ITEMS]]
            cells = "".join("<tr>" + "".join(f"<td>{_value_html(c, depth + 1)}</td>" for c in row) + "</tr>" for row in rows)
            head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
            more = f"<div class=muted>{len(value) - _MAX_ITEMS} more in summary.json</div>" if len(value) > _MAX_ITEMS else ""
            return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>{more}"
        shown = ", ".join(_value_html(v, depth + 1) for v in value[:_MAX_ITEMS])
        more = f", … ({len(value) - _MAX_ITEMS} more)" if len(value) > _MAX_ITEMS else ""
        return f"[{shown}{more}]"
    return _esc("null" if value is None else format_number(value))


def _interval_line(value: dict) -> str | None:
    """An interval summary (``{"mean", "ci95", "n", "method", ...}`` or ``{"mean", "low", "high", ...}``)
    as one line, ``"2.63 [2.62, 2.63] (mean 2.63; 10 values, Student t on log scale)"``; else ``None``."""
    if "mean" not in value or not ("ci95" in value or {"low", "high"} <= set(value)):
        return None
    simple = {"mean", "ci95", "low", "high", "n", "method", "centre", "std", "per_seed"}
    if set(value) - simple or not _is_number(value["mean"]):
        return None
    measured = measured_value({"v": value}, "v")
    details = [f"mean {format_number(value['mean'])}"] if "centre" in value else []
    if "std" in value and _is_number(value["std"]):
        details.append(f"std {format_number(value['std'])}")
    if value.get("n") is not None:
        details.append(f"{value['n']} values" + (f", {value['method']}" if value.get("method") else ""))
    if value.get("per_seed"):
        details.append("per seed " + ", ".join(format_number(v) for v in value["per_seed"][:12]))
    return measured.text() + (f" ({'; '.join(details)})" if details else "")


def _summary_details(summary: dict[str, Any]) -> str:
    return ('<details id="full-summary"><summary>Full summary (summary.json)</summary>'
            f'<div class="wrap scroll">{_value_html(summary)}</div></details>')


def _config_details(config: dict[str, Any], defaults: dict[str, Any] | None) -> str:
    keys = list(dict.fromkeys([*config, *(defaults or {})]))
    rows = []
    for key in keys:
        value = config.get(key)
        default = (defaults or {}).get(key, "")
        changed = defaults is not None and key not in ("preset", "seed") and value != default
        rows.append(f'<tr{" class=changed" if changed else ""}><td>{_esc(key)}</td><td>{_esc(_fmt(value))}</td>'
                    f"<td>{_esc(_fmt(default)) if defaults is not None else ''}</td></tr>")
    head = "<th>key</th><th>this run</th><th>default</th>"
    return ("<details><summary>Configuration</summary>"
            f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            "</details>")


def _environment_details(meta: dict[str, Any]) -> str:
    return "<details><summary>Environment</summary>" + _table(["key", "value"], [[k, v] for k, v in meta.items()]) + "</details>"


def render_report(run_dir: Path, name: str | None = None) -> Path:
    """Render ``run_dir/report.html`` from the folder's files; returns its path.

    Args:
        run_dir: a run folder (finished, or its ``.partial`` folder before the rename).
        name: the run's name in the page (default: the folder's name without ``.partial``).
    """
    run_dir = Path(run_dir)
    run_name = name or run_dir.name.removesuffix(PARTIAL)
    study_name, config = read_config(run_dir / "config.toml")
    summary = read_json(run_dir / "summary.json")
    meta = read_json(run_dir / "meta.json") if (run_dir / "meta.json").exists() else {}
    body = read_json(run_dir / "report.json") if (run_dir / "report.json").exists() else {"sections": [], "deviations": []}
    study = _study(study_name)
    defaults = _defaults(study)

    taken: set[str] = {"measured-vs-paper", "deviations", "full-summary"}
    sections = body.get("sections", [])
    section_anchors = [_slug(s["title"], taken) for s in sections]
    anchors: dict[str, str] = {}
    for section, anchor in zip(sections, section_anchors):
        anchors.setdefault(section["title"], anchor)
    rows = evaluate_headlines(study.headlines, summary, config) if study is not None else []

    parts = [_header(study_name, run_name, body.get("description", ""), study, config, meta),
             _banner(config, defaults),
             '<section id="measured-vs-paper"><h2>Measured vs paper</h2>', _headline_table(rows, anchors, bool(study and study.headlines)), "</section>",
             _contents([("Measured vs paper", "measured-vs-paper"),
                        *((s["title"], a) for s, a in zip(sections, section_anchors)),
                        ("Deviations from the paper", "deviations"), ("Full summary", "full-summary")])]
    parts += [_section(run_dir, section, anchor) for section, anchor in zip(sections, section_anchors)]
    parts.append('<section id="deviations"><h2>Deviations from the paper</h2>'
                 + _deviations(body.get("deviations", [])) + "</section>")
    parts += [_summary_details(summary), _config_details(config, defaults), _environment_details(meta)]

    body_html = "".join(parts)
    scripts = page_scripts(run_dir, plotly='class="ts-plot"' in body_html)
    page = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_esc(study_name)}: {_esc(run_name)} (toyscope)</title>"
            f"<style>{_CSS}{FIGURE_CSS}</style></head><body>{body_html}{scripts}</body></html>")
    path = run_dir / "report.html"
    atomic_write_text(path, page)
    return path
