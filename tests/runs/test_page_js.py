"""The pages' JavaScript in a real browser (headless Chromium, see conftest): a report opens from
file:// with no console error and no request outside its run folder, hovering a scatter point
shows that member's tooltip, clicking it draws the member from its weights (the page's forward
pass equals nets.apply), and tables sort by column."""

from __future__ import annotations

import json

import numpy as np
import pytest

from browser import open_page
from toyscope import nets
from toyscope.runs import load_run


@pytest.fixture(scope="module")
def report_folder(scatter_run):
    return scatter_run


def _point_centre(page, trace: int, index: int):
    box = page.locator("#ts-fig-members .scatterlayer .trace").nth(trace).locator(".points path").nth(index).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_report_opens_offline_and_a_hovered_point_names_its_member(browser, report_folder):
    import scatter_study

    opened = open_page(browser, report_folder / "report.html", report_folder)
    page = opened.page
    try:
        assert opened.errors == [] and opened.outside == []
        assert any(url.endswith("/assets/plotly.min.js") for url in opened.requests)
        spec = json.loads((report_folder / "figures" / "members.plotly.json").read_text())
        run = load_run(report_folder)
        weights = run.params["layer0.weight"]
        # the figure's member view holds the member's saved weights
        view = spec["layout"]["meta"]["toyscope_members"]
        trace = spec["data"][0]
        member = int(trace["customdata"][0][0])
        np.testing.assert_allclose(np.asarray(view["members"][str(member)][0][0]).reshape(2, 2), weights[member],
                                   rtol=1e-4)
        x, y = _point_centre(page, 0, 0)
        page.mouse.move(x, y)
        page.wait_for_selector("#ts-fig-members .hoverlayer .hovertext", timeout=5000)
        tooltip = page.locator("#ts-fig-members .hoverlayer").text_content()
        layers = [{"weight": np.asarray(w).reshape(-1, len(b)), "bias": np.asarray(b)}
                  for w, b in view["members"][str(member)]]
        spec_net = nets.mlp([2, 2, 1], "sigmoid")
        accuracy = scatter_study.member_accuracy([{k: v[None] for k, v in layer.items()} for layer in layers], spec_net)[0]
        assert f"member {member}" in tooltip and f"accuracy: {accuracy:.2f}" in tooltip
        assert f"circuit signature: sig{member % 3}" in tooltip
        page.mouse.click(x, y)
        page.wait_for_selector(".ts-member:not([hidden])", timeout=5000)
        assert page.locator(".ts-member").get_attribute("data-member") == str(member)
        inked = page.evaluate("""() => { const c = document.querySelector('.ts-member canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) n++; return n / (d.length / 4); }""")
        assert inked > 0.9  # the decision boundary fills the canvas
        # the page's forward pass (JavaScript) against nets.apply on the same rounded weights
        grid = np.random.default_rng(0).uniform(-1, 2, size=(20, 2))
        ours = page.evaluate("([v, id, xs]) => xs.map(x => window.toyscopeForward(v, id, x)[0])",
                             [view, member, grid.tolist()])
        truth = np.asarray(nets.apply(spec_net, [{k: v.astype(np.float32) for k, v in layer.items()} for layer in layers],
                                      grid.astype(np.float32)))[:, 0]
        np.testing.assert_allclose(ours, truth, rtol=1e-5, atol=1e-5)
        assert opened.errors == []
    finally:
        page.close()


def test_report_tables_sort_by_a_clicked_column(browser, report_folder):
    opened = open_page(browser, report_folder / "report.html", report_folder)
    page = opened.page
    try:
        table = page.locator("table", has=page.locator("th", has_text="accuracy")).first
        header = table.locator("th", has_text="accuracy")

        def column(j):
            return [float(t) for t in table.locator(f"tbody tr td:nth-child({j})").all_text_contents()]

        members_before = column(1)
        assert members_before == sorted(members_before)
        header.click()
        ascending = column(2)
        assert ascending == sorted(ascending)
        header.click()
        assert column(2) == sorted(ascending, reverse=True)
        pairs = dict(zip(column(1), column(2)))  # rows moved whole
        assert pairs == dict(zip(members_before, [pairs[m] for m in members_before]))
        assert opened.errors == []
    finally:
        page.close()
