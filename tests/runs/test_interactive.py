"""Interactive figures in run folders: the assets written once and shared by a sweep's cells, the
figure JSON inlined safely, atomic replacement under concurrent writers."""

from __future__ import annotations

import json
import re
import threading

import pytest

from toyscope.runs._files import atomic_write_bytes
from toyscope.runs._interactive import (
    figure_json,
    interactive_figure_html,
    page_scripts,
    write_interactive_figure,
    write_shared_assets,
)


def test_assets_are_plotly_and_written_once(tmp_path):
    from plotly.offline import get_plotlyjs

    assets = write_shared_assets(tmp_path)
    stamp = (assets / "plotly.min.js").stat().st_mtime_ns
    assert (assets / "plotly.min.js").read_text() == get_plotlyjs()
    write_shared_assets(tmp_path)
    assert (assets / "plotly.min.js").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("depth", [1, 3])
def test_a_cell_links_the_nearest_plotly_copy_and_writes_none_of_its_own(tmp_path, depth):
    write_shared_assets(tmp_path / "sweep")
    cell = tmp_path / "sweep" / "/".join(["sub"] * (depth - 1)) / "cell" if depth > 1 else tmp_path / "sweep" / "cell"
    cell.mkdir(parents=True)
    tags = page_scripts(cell, plotly=True)
    assert f'src="{"../" * depth}assets/plotly.min.js"' in tags and 'src="assets/toyscope.js"' in tags
    assert not (cell / "assets" / "plotly.min.js").exists() and (cell / "assets" / "toyscope.js").is_file()
    alone = tmp_path / "alone"
    alone.mkdir()
    assert 'src="assets/plotly.min.js"' in page_scripts(alone, plotly=True)
    assert (alone / "assets" / "plotly.min.js").is_file()


def test_figure_json_is_inlined_so_that_no_text_closes_the_script(tmp_path):
    figure = {"data": [{"x": [1], "y": [2], "name": "</script><b>x</b>"}], "layout": {"title": {"text": "a </ b"}}}
    (tmp_path / "figures").mkdir()
    write_interactive_figure(tmp_path / "figures" / "f.plotly.json", figure)
    (tmp_path / "figures" / "f.png").write_bytes(b"png")
    page = interactive_figure_html(tmp_path, "f")
    inlined = re.search(r'<script type="application/json" id="ts-fig-f-json">(.*?)</script>', page, re.S).group(1)
    assert "</" not in inlined and json.loads(inlined) == figure  # "<\/" is a JSON escape of "</"
    assert 'href="figures/f.png"' in page and interactive_figure_html(tmp_path, "missing") is None
    with pytest.raises(ValueError, match="must be a plotly Figure or a"):
        figure_json([1, 2])


def test_concurrent_replacements_leave_one_whole_version(tmp_path):
    path = tmp_path / "page.html"
    versions = [bytes([65 + i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=atomic_write_bytes, args=(path, v)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert path.read_bytes() in versions and [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_a_run_folder_with_interactive_figures_stays_small(scatter_run):
    html = (scatter_run / "report.html").read_text()
    assert html.count('class="ts-plot"') == 2 and (scatter_run / "figures" / "members.plotly.json").is_file()
    assert sum(p.stat().st_size for p in scatter_run.rglob("*") if p.is_file()) < 10e6
