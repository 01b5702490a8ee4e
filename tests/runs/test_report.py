"""The HTML report: built from the folder's files, escaped, figures embedded, deviations last."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

from toyscope.runs import render_report
from toyscope.runs._files import write_config, write_json


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h2, self.images, self.cells, self._in = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self._in = tag
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        if self._in == "h2":
            self.h2.append(data)
        elif self._in == "td":
            self.cells.append(data)

    def handle_endtag(self, tag):
        self._in = None


def test_report_reads_the_folder(tmp_path):
    write_config(tmp_path / "config.toml", "demo", {"n_steps": 7})
    write_json(tmp_path / "summary.json", {"loss": 0.123456789, "label": "<b>x</b>", "note": "n" * 120})
    write_json(tmp_path / "meta.json", {"wall_time_s": 1.5})
    (tmp_path / "figures").mkdir()
    png = b"\x89PNG\r\n\x1a\nfake"
    (tmp_path / "figures" / "curve.png").write_bytes(png)
    write_json(tmp_path / "report.json", {
        "description": "A demo.",
        "sections": [{"title": "Training", "text": "one\n\ntwo", "figures": [{"name": "curve", "caption": "c"},
                                                                         {"name": "absent", "caption": ""}],
                      "tables": [{"name": "t", "columns": ["a"], "rows": [[1.0]], "caption": ""}]}],
        "deviations": [{"what": "w", "paper": "p", "ours": "o", "why": "y"}]})
    html = render_report(tmp_path).read_text()
    parsed = _Collect()
    parsed.feed(html)
    assert parsed.h2 == ["Summary", "Training", "Deviations from the paper"]
    assert parsed.images == ["data:image/png;base64," + base64.b64encode(png).decode()]
    assert "figure absent is missing" in html
    assert "0.1235" in parsed.cells and "<b>x</b>" in parsed.cells  # 4 significant digits; text escaped
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html.replace("<b>curve.</b>", "")
    assert parsed.cells[-4:] == ["w", "p", "o", "y"]  # the report ends with the deviations
    assert "n_steps" in parsed.cells and "7" in parsed.cells


def test_report_without_body_says_no_deviations(tmp_path):
    write_config(tmp_path / "config.toml", "demo", {})
    write_json(tmp_path / "summary.json", {"big": {f"k{i}": i for i in range(40)}})
    html = render_report(tmp_path).read_text()
    assert "None recorded." in html and "30 more entries in summary.json" in html
    assert json.loads((tmp_path / "summary.json").read_text())["big"]["k39"] == 39
