"""Interactive (plotly) builders, each checked against a plain loop over its input."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import nets, viz


def _members(fig):
    """(trace, point) -> member id, from customdata."""
    return [[int(row[0]) for row in trace.customdata] for trace in fig.data]


def test_member_scatter_puts_each_member_at_its_own_point_with_its_hover_values():
    rng = np.random.default_rng(0)
    n = 30
    points = rng.normal(size=(n, 2))
    labels = rng.choice(["a", "b", "c"], n)
    members = rng.permutation(100)[:n]
    accuracy = rng.choice(["0.5", "1"], n)
    panels = [viz.ScatterPanel(points, labels, "one"), viz.ScatterPanel(points[::-1].copy(), labels[::-1], "two")]
    fig = viz.member_scatter_figure(panels, members, {"accuracy": accuracy})
    where = {m: i for i, m in enumerate(members)}
    seen = 0
    for trace in fig.data:
        panel = panels[0] if trace.xaxis == "x" else panels[1]
        for x, y, row in zip(trace.x, trace.y, trace.customdata):
            i = where[int(row[0])]
            assert (x, y) == pytest.approx(tuple(np.float32(panel.points[i])))
            assert row[1] == accuracy[i] and trace.name == panel.labels[i]
            seen += 1
    assert seen == 2 * n
    assert "member %{customdata[0]}" in fig.data[0].hovertemplate
    with pytest.raises(ValueError, match="hover column 'accuracy' has 3 values for 30 members"):
        viz.member_scatter_figure(panels, members, {"accuracy": accuracy[:3]})


def test_mlp_member_view_holds_each_members_weights():
    spec = nets.mlp([2, 3, 1], "tanh")
    params = nets.init(spec, key=jax.random.key(1), n_networks=5)
    view = viz.mlp_member_view(spec, params, [4, 1], np.eye(2), [0, 1])
    assert list(view["members"]) == ["4", "1"] and view["activations"] == ["tanh", "linear"]
    x = np.random.default_rng(0).normal(size=(7, 2))
    outputs = np.asarray(nets.apply(spec, params, x.astype(np.float32)))  # (5, 7, 1), one compilation
    for m in (4, 1):
        h = x
        for (w, b), act in zip(view["members"][str(m)], view["activations"]):  # plain numpy forward pass
            h = h @ np.reshape(w, (h.shape[1], -1)) + np.asarray(b)
            h = np.tanh(h) if act == "tanh" else h
        np.testing.assert_allclose(h, outputs[m], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="ensemble of 5 networks"):
        viz.mlp_member_view(spec, params, [5])


def test_curves_drop_nonpositive_values_on_a_log_axis_and_thin_long_series():
    x = np.arange(10000.0)
    y = np.where(x % 7 == 0, -1.0, 1.0 / (x + 1))
    fig = viz.curves_figure([viz.Curve("a", x, y, group="g"), viz.Curve("b", x, y, group="g")], xlabel="t", ylabel="l",
                            log_y=True, max_points=500)
    kept = x[y > 0]
    assert fig.data[0].x[-1] == kept[-1] and len(fig.data[0].x) <= 501 and (np.asarray(fig.data[0].y) > 0).all()
    assert set(np.asarray(fig.data[0].x)) <= set(kept)
    assert [t.showlegend for t in fig.data] == [True, False] and fig.layout.yaxis.type == "log"


def test_connectivity_graph_hover_lists_the_largest_weights_and_the_slider_hides_small_ones():
    rng = np.random.default_rng(2)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    coords = [np.c_[np.arange(3.0), np.zeros(3)], np.c_[np.arange(4.0), np.zeros(4)], np.c_[np.arange(2.0), np.zeros(2)]]
    thresholds = (0.0, 0.2, 0.5, 0.9)
    fig = viz.connectivity_graph_figure(weights, coords, output_names=["y0", "y1"], thresholds=thresholds, top=2)
    hidden = fig.data[-2]
    for j, text in enumerate(hidden.hovertext):  # hidden neuron j: its two largest incoming weights, by a loop
        order = sorted(range(3), key=lambda i: -abs(weights[0][i, j]))[:2]
        assert text.split("<br>")[1] == "in: " + ", ".join(f"{weights[0][i, j]:+.3g} (L0:{i})" for i in order)
    assert fig.data[-1].hovertext[0].startswith("output y0")
    n_edge_traces = 2 * len(thresholds)
    for step, t in zip(fig.layout.sliders[0].steps, thresholds):
        visible = step.args[0]["visible"][:n_edge_traces]
        drawn = sum(sum(v is None for v in fig.data[k].x) for k in range(n_edge_traces) if visible[k])
        truth = sum(int((np.abs(w) / np.abs(w).max() >= t).sum()) for w in weights)
        assert drawn == truth


def test_phase_diagram_and_attribution_hover_values_match_their_points():
    fig = viz.phase_diagram_figure([2, 3, 4], 4, [0.3, 0.2, 0.1], ["P-n-C", "other", "P-n-C"], [1e-9, 2e-9, 3e-9],
                                   reference=([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1]))
    pnc = next(t for t in fig.data if t.name == "P-n-C")
    assert pnc.customdata.tolist() == [["2", "0.5", "P-n-C", "0.3", "1e-09"], ["4", "1", "P-n-C", "0.1", "3e-09"]]
    rng = np.random.default_rng(3)
    r, q = rng.uniform(size=(200, 5)), rng.uniform(size=(200, 5))
    fig = viz.attribution_scatter_figure(r, q, rng.uniform(size=5), rng.uniform(size=5), max_points=300, seed=1)
    weights = fig.data[0]
    assert len(weights.x) == 300 and "300 of 1000" in fig.layout.annotations[0].text
    for x, y, (unit, index) in zip(weights.x, weights.y, weights.customdata):
        assert (x, y) == pytest.approx((r[index, unit], q[index, unit]), rel=1e-6)


def test_grid_scatter_and_training_curves():
    cells = [{"lr": lr, "seed": s} for s in (0, 1) for lr in (1.0, 0.1)]
    fig = viz.grid_scatter_figure(cells, "lr", "loss", [4.0, 3.0, 2.0, 1.0])
    assert [(t.name, list(t.x), list(t.y)) for t in fig.data] == [("seed=0", ["0.1", "1.0"], [3.0, 4.0]),
                                                                 ("seed=1", ["0.1", "1.0"], [1.0, 2.0])]
    fig = viz.training_curves_figure(np.arange(4), np.ones((4, 3)), np.ones((4, 3)), [2])
    assert len(fig.data) == 6 and sum(t.showlegend for t in fig.data) == 2
