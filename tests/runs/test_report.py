"""The HTML report: built from the folder's files, escaped, figures embedded; the answer first
(headline table, banner), then contents, sections, deviations and the folded details."""

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
    assert parsed.h2 == ["Measured vs paper", "Training", "Deviations from the paper"]
    assert parsed.images == ["data:image/png;base64," + base64.b64encode(png).decode()]
    assert "figure absent is missing" in html
    assert "0.123" in parsed.cells and "<b>x</b>" in parsed.cells  # 3 significant figures; text escaped
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html.replace("<b>curve.</b>", "")
    deviations = html.index('id="deviations"')
    assert html.index(">w<", deviations) < html.index(">y<", deviations) < html.index('<details id="full-summary">')
    assert "n_steps" in parsed.cells and "7" in parsed.cells


def test_report_without_body_says_no_deviations(tmp_path):
    write_config(tmp_path / "config.toml", "demo", {})
    write_json(tmp_path / "summary.json", {"big": {f"k{i}": i for i in range(40)}})
    html = render_report(tmp_path).read_text()
    assert "None recorded." in html and "0 more entries in summary.json" not in html
    assert json.loads((tmp_path / "summary.json").read_text())["big"]["k39"] == 39


def _xor_folder(folder, preset="smoke", **overrides):
    """A run folder of the real xor-basins study, with a summary written by hand (no training)."""
    from toyscope.studies import get_study

    config = get_study("xor-basins").config_class.resolve({"preset": preset, **overrides}).model_dump(mode="json")
    write_config(folder / "config.toml", "xor-basins", {k: v for k, v in config.items() if v is not None})
    write_json(folder / "summary.json", {
        "accuracy_fractions": {"1.0": 0.862, "0.75": 0.009}, "accuracy_fraction_intervals": {"1.0": [0.839, 0.882],
                                                                                            "0.75": [0.005, 0.017]},
        "minimal_subnetwork_fraction": 0.803, "minimal_subnetwork_interval": [0.777, 0.826],
        "init_final_distance_spearman": [0.22, 0.16, 0.28], "covariance_effective_rank": 5,
        "signature_counts": {f"S{i}": i for i in range(60)},
        "slope": {"mean": 0.3, "std": 0.1, "low": 0.2, "high": 0.4, "n": 3, "method": "Student t",
                  "per_seed": [0.2, 0.3, 0.4]}})
    write_json(folder / "meta.json", {"finished": "2026-12-01T11:00:00", "wall_time_s": 125.0,
                                      "segments": [{"wall_time_s": 100.0}, {"wall_time_s": 25.0}]})
    (folder / "figures").mkdir()
    (folder / "figures" / "curve.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (folder / "figures" / "curve.svg").write_text("<svg/>")
    write_json(folder / "report.json", {"description": "XOR nets.", "sections": [
        {"title": "Training and accuracy", "text": "t", "figures": [{"name": "curve", "caption": "c"}],
         "tables": [{"name": "wide", "columns": [f"c{i}" for i in range(30)], "rows": [list(range(30))]}]},
        {"title": "Minimal circuits in width-3 nets", "text": "m"}], "deviations": []})


def test_report_opens_on_the_answer_named_by_its_final_name(tmp_path):
    folder = tmp_path / "xor-run.partial"  # rendered before the rename
    folder.mkdir()
    _xor_folder(folder)
    page = render_report(folder).read_text()
    assert "<title>xor-basins: xor-run (toyscope)</title>" in page and ".partial" not in page
    # first screen: facts, banner, then the headline table, before any section
    first_section = page.index('<section id="training-and-accuracy">')
    for text in ("xor-basins.txt", "smoke", "2026-12-01 11:00:00", "2 min 5 s over 2 sessions (resumed)",
                 "Smoke run.", "its numbers are not results", "n_networks = 128 (default 1,000)", "Measured vs paper"):
        assert -1 < page.index(text) < first_section, text
    # verdicts follow the declared rules, each with its rule beside it
    table = page[page.index('<table class="headlines">'):page.index("</table>", page.index('class="headlines"'))]
    rows = table.split("<tr>")[2:]
    minimal = next(r for r in rows if "minimal 2-unit XOR net" in r)
    assert "0.803 [0.777, 0.826]" in minimal and 'class="verdict differs"' in minimal  # 0.7 not inside
    assert "reproduced if the paper&#x27;s value lies inside our 95% interval" in minimal
    assert 'href="#minimal-circuits-in-width-3-nets"' in minimal
    assert 'class="verdict reproduced"' in next(r for r in rows if "Spearman" in r)  # interval above 0
    assert 'class="verdict reproduced"' in next(r for r in rows if "singular values" in r)  # 5 == 5
    assert "not measured in this run" in next(r for r in rows if "final BCE" in r)
    assert len(rows) == 8
    # contents link to every section; SVGs are linked; wide tables scroll; the summary is folded
    for anchor in ("measured-vs-paper", "training-and-accuracy", "minimal-circuits-in-width-3-nets", "deviations"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert '<a href="figures/curve.svg">SVG</a>' in page
    assert '<div class="wrap"><table><thead><tr><th>c0</th>' in page and ".wrap{overflow-x:auto" in page
    summary = page[page.index('<details id="full-summary">'):]
    assert "20 more entries in summary.json" in summary  # 60 signatures, 40 shown
    # an interval summary reads as one line, at one precision
    assert "0.300 [0.200, 0.400] (std 0.1; 3 values, Student t; per seed 0.2, 0.3, 0.4)" in summary


def test_default_run_has_no_banner_and_changed_settings_do(tmp_path):
    (tmp_path / "a").mkdir()
    _xor_folder(tmp_path / "a", preset="default")
    page = render_report(tmp_path / "a").read_text()
    assert 'class="banner"' not in page and "Smoke run" not in page
    (tmp_path / "b").mkdir()
    _xor_folder(tmp_path / "b", preset="default", n_steps=300)
    page = render_report(tmp_path / "b").read_text()
    assert "Changed settings." in page and "n_steps = 300 (default 5,000)" in page
