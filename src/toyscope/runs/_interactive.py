"""Interactive figures in a run folder: their files, the page assets and the report's HTML for them.

A study's figure may carry a plotly figure (``studies.Figure.interactive``); the run folder keeps
it as ``figures/<name>.plotly.json`` beside the PNG and SVG, and the report draws it offline from
``file://``: the JSON is inlined in ``report.html`` and plotly.js is loaded from a file of the run
folder, never from the network. The assets are::

    assets/plotly.min.js   plotly.js, once per run folder; the cells of a sweep use the sweep's copy
    assets/toyscope.js     sortable tables, plot drawing, per-member pictures (``_page_js``)

A report looks for ``assets/plotly.min.js`` in its own folder, then in its three nearest parents
(a sweep folder holding its cells, or a run whose ``cells/`` or ``cells/<group>/`` hold a
sub-sweep's cells) and links the first it finds by a relative path; it writes its own copy only when none is found. Files are
replaced atomically through a temporary file of a unique name, so processes finishing at once
never leave a half-written asset.
"""

from __future__ import annotations

import functools
import html
import json
import os
from pathlib import Path
from typing import Any

from ._files import atomic_write_bytes
from ._page_js import REPORT_JS, TABLE_JS

ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"
PAGE_JS = "toyscope.js"
INTERACTIVE_SUFFIX = ".plotly.json"
_SEARCHED_PARENTS = 3  # a sweep's cell, a study's sub-sweep cell (RUN/cells/CELL, RUN/cells/GROUP/CELL)

#: CSS for the interactive parts of a page
FIGURE_CSS = """
.ts-plot{width:100%;min-height:200px;text-align:center}
.ts-plot img{max-width:100%;max-height:100%}
.ts-member{display:inline-block;margin:.5em auto;text-align:center;border:1px solid #ddd;padding:.4em}
.ts-member canvas{display:block;margin:0 auto;border:1px solid #eee}
.ts-member-caption{font-size:.85em;color:#444}
.ts-static{font-size:.85em;color:#666}
th.ts-sortable{cursor:pointer;user-select:none} th.ts-sortable:hover{background:#e8e8e8}
th[data-order=asc]::after{content:" \\25B2";font-size:.7em} th[data-order=desc]::after{content:" \\25BC";font-size:.7em}
"""


@functools.lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def _page_js() -> bytes:
    return (TABLE_JS + REPORT_JS).encode("utf-8")


def _ensure(path: Path, content: bytes) -> None:
    """``path`` holds ``content`` (written only when missing or different)."""
    if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
        return
    atomic_write_bytes(path, content)


def write_shared_assets(folder: Path) -> Path:
    """Write ``folder/assets/plotly.min.js`` and ``toyscope.js`` (for a sweep folder: its cells'
    reports then link them instead of each writing a copy). Returns the assets folder.

    Example:
        >>> import tempfile
        >>> folder = write_shared_assets(Path(tempfile.mkdtemp()))
        >>> sorted(p.name for p in folder.iterdir())
        ['plotly.min.js', 'toyscope.js']
    """
    assets = Path(folder) / ASSETS
    _ensure(assets / PLOTLY_JS, _plotly_js())
    _ensure(assets / PAGE_JS, _page_js())
    return assets


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


def page_scripts(run_dir: Path, *, plotly: bool) -> str:
    """The ``<script>`` tags a report in ``run_dir`` ends with, after making sure their files
    exist: its own ``assets/toyscope.js`` and, when ``plotly``, the nearest ``assets/plotly.min.js``
    (own folder, then its three nearest parents; else written into ``run_dir/assets``)."""
    run_dir = Path(run_dir)
    _ensure(run_dir / ASSETS / PAGE_JS, _page_js())
    tags = []
    if plotly:
        found = next((folder / ASSETS / PLOTLY_JS for folder in [run_dir, *list(run_dir.parents)[:_SEARCHED_PARENTS]]
                      if (folder / ASSETS / PLOTLY_JS).is_file()
                      and (folder / ASSETS / PLOTLY_JS).stat().st_size == len(_plotly_js())), None)
        if found is None:
            found = run_dir / ASSETS / PLOTLY_JS
            _ensure(found, _plotly_js())
        tags.append(f'<script src="{html.escape(_relative(found, run_dir))}"></script>')
    tags.append(f'<script src="{ASSETS}/{PAGE_JS}"></script>')
    return "".join(tags)


def figure_json(figure: Any) -> str:
    """The JSON text of an interactive figure: a plotly ``Figure`` (its ``to_json()``) or a
    JSON-able ``{"data": [...], "layout": {...}}`` dict.

    Raises:
        ValueError: neither (naming the type received).
    """
    if hasattr(figure, "to_plotly_json") and hasattr(figure, "to_json"):
        return figure.to_json(validate=False, pretty=False)
    if isinstance(figure, dict) and "data" in figure:
        return json.dumps(figure, separators=(",", ":"))
    raise ValueError(f"an interactive figure must be a plotly Figure or a {{'data': ..., 'layout': ...}} dict, "
                     f"got {type(figure).__name__}")


def write_interactive_figure(path: Path, figure: Any) -> None:
    """Save an interactive figure (:func:`figure_json`) as ``path`` (``figures/<name>.plotly.json``)."""
    atomic_write_bytes(Path(path), figure_json(figure).encode("utf-8"))


def interactive_path(run_dir: Path, name: str) -> Path:
    """Where the interactive version of figure ``name`` lives in a run folder."""
    return Path(run_dir) / "figures" / f"{name}{INTERACTIVE_SUFFIX}"


def interactive_figure_html(run_dir: Path, name: str, fallback: str | None = None) -> str | None:
    """The report's HTML for figure ``name``'s interactive version, or ``None`` when it has none:
    a ``div.ts-plot`` holding ``fallback`` (default: the static ``figures/<name>.png``, loaded
    lazily, shown until plotly.js draws and for good without JavaScript), the figure's JSON
    inlined, and links to the PNG and SVG."""
    path = interactive_path(run_dir, name)
    if not path.is_file():
        return None
    if fallback is None:
        fallback = f'<img alt="{html.escape(name)}" loading="lazy" src="figures/{html.escape(name)}.png">'
    text = path.read_text(encoding="utf-8")
    try:  # the plot's height, reserved before it is drawn: only the plots on screen are drawn at once
        height = int(json.loads(text).get("layout", {}).get("height") or 450)
    except (ValueError, AttributeError, TypeError):
        height = 450
    text = text.replace("</", "<\\/")  # cannot close the script element
    ident = "ts-fig-" + "".join(c if c.isalnum() else "-" for c in name)
    links = " · ".join(f'<a href="figures/{html.escape(name)}.{ext}">{ext.upper()}</a>'
                       for ext in ("png", "svg") if (Path(run_dir) / "figures" / f"{name}.{ext}").is_file())
    return (f'<div class="ts-plot" id="{ident}" data-spec="{ident}-json" style="height:{height}px">{fallback}</div>'
            f'<script type="application/json" id="{ident}-json">{text}</script>'
            f'<div class="ts-static">interactive: hover, zoom, click the legend{"; static " + links if links else ""}</div>')
