"""The transformer connectivity drawing: one line per visible weight of each linear layer, between the
neurons it joins (x = A (i + 1/2) / n on each line, queries and keys just below the values), width
2 |w| / max |w| of its layer, colour by sign; one dot row per neuron line; the labels given."""

from __future__ import annotations

import jax
import matplotlib.figure
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba

from toyscope import nets, viz
from toyscope.viz._connectivity import NEGATIVE, POSITIVE

EXTENT = 2.0
# lines bottom to top: input 2, res0 4, attn1 4, res1 4, mlp1 6, res2 4, output 2
WIDTHS = [2, 4, 4, 4, 6, 4, 2]
# (matrix path, line it leaves from, y offset of its end) in drawing order
MATRICES = [(("embed",), 0, 0.0), (("blocks", 0, "query"), 1, -0.36), (("blocks", 0, "key"), 1, -0.18),
            (("blocks", 0, "value"), 1, 0.0), (("blocks", 0, "attn_out"), 2, 0.0), (("blocks", 0, "mlp_in"), 3, 0.0),
            (("blocks", 0, "mlp_out"), 4, 0.0), (("unembed",), 5, 0.0)]


def _params():
    spec = nets.tiny_transformer(2, 2, d_model=4, n_layers=1, d_mlp=6)
    params = jax.tree_util.tree_map(np.array, nets.init(spec, key=jax.random.key(0)))
    params["blocks"][0]["query"]["weight"][1, 2] = 0.0  # not drawn
    params["blocks"][0]["query"]["weight"][0, 0] = 5.0  # the largest of q, k, v: sets their common scale
    params["embed"]["weight"][0, 1] = 1e-9  # below 1e-3 of its layer's largest: not drawn
    return spec, params


def _weight(params, path):
    node = params
    for key in path:
        node = node[key]
    return np.asarray(node["weight"], float)


def _x(n):
    return EXTENT * (np.arange(n) + 0.5) / n


def _draw(spec, params, **kwargs):
    ax = matplotlib.figure.Figure().add_subplot()
    viz.draw_transformer_connectivity(ax, spec, params, extent=EXTENT, **kwargs)
    return ax


def test_lines_join_the_neurons_of_each_weight_with_width_and_colour_of_the_weight():
    spec, params = _params()
    ax = _draw(spec, params)
    collections = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(collections) == len(MATRICES)
    qkv_scale = max(np.abs(_weight(params, ("blocks", 0, n))).max() for n in ("query", "key", "value"))
    assert qkv_scale == 5.0
    for lines, (path, line, offset) in zip(collections, MATRICES):
        weight = _weight(params, path)
        scale = qkv_scale if path[-1] in ("query", "key", "value") else np.abs(weight).max()
        expected_segments, widths, colours = [], [], []
        for r in range(weight.shape[0]):  # plain loop over the matrix
            for c in range(weight.shape[1]):
                if abs(weight[r, c]) / scale > 1e-3:
                    expected_segments.append([[_x(WIDTHS[line])[r], line], [_x(WIDTHS[line + 1])[c], line + 1 + offset]])
                    widths.append(2.0 * abs(weight[r, c]) / scale)
                    colours.append(to_rgba(POSITIVE if weight[r, c] > 0 else NEGATIVE))
        np.testing.assert_allclose(np.array(lines.get_segments()), np.array(expected_segments), atol=1e-12)
        np.testing.assert_allclose(lines.get_linewidths(), widths, rtol=1e-12)
        np.testing.assert_allclose(lines.get_colors(), colours)
    assert len(collections[1].get_segments()) == 15  # the zeroed query weight is gone
    assert len(collections[0].get_segments()) == 7  # and the 1e-9 embedding weight


def test_dots_labels_and_hiding_queries_and_keys():
    spec, params = _params()
    ax = _draw(spec, params, input_names=["w", "x"], output_names=["a", "b"], title="final")
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    rows = [(0, 0.0), (1, 0.0), (2, -0.36), (2, -0.18), (2, 0.0), (3, 0.0), (4, 0.0), (5, 0.0), (6, 0.0)]
    assert len(dots) == len(rows)
    for dot, (line, offset) in zip(dots, rows):
        np.testing.assert_allclose(dot.get_offsets(), np.c_[_x(WIDTHS[line]), np.full(WIDTHS[line], line + offset)])
    texts = [t.get_text() for t in ax.texts]
    assert texts[:7] == ["input", "embed (res0)", "attn1", "q, k below", "res1", "mlp1 hidden", "res2"]
    assert {"output", "w", "x", "a", "b"} <= set(texts) and ax.get_title() == "final"
    named = {t.get_text(): t.get_position() for t in ax.texts if t.get_text() in "wxab"}
    assert named["x"] == pytest.approx((_x(2)[1], -0.15)) and named["b"] == pytest.approx((_x(2)[1], 6.15))
    hidden = _draw(spec, params, show_qk=False)
    lines = [c for c in hidden.collections if isinstance(c, LineCollection)]
    assert len(lines) == len(MATRICES) - 2  # no query or key lines
    assert len([c for c in hidden.collections if isinstance(c, PathCollection)]) == 7
    assert "q, k below" not in [t.get_text() for t in hidden.texts]
    # the values keep the scale shared with the (hidden) queries: 2 |v| / 5, not 2 |v| / max |v|
    value = _weight(params, ("blocks", 0, "value"))
    np.testing.assert_allclose(np.max(lines[1].get_linewidths()), 2.0 * np.abs(value).max() / 5.0)
    assert np.abs(value).max() < 2.5


def test_figures_hold_one_panel_per_network():
    spec, params = _params()
    fig = viz.transformer_connectivity_figure(spec, params, title="one")
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "one"
    fig = viz.transformer_evolution_figure(spec, [("start", params, {}), ("end", params, {"show_qk": False})])
    assert [ax.get_title() for ax in fig.axes] == ["start", "end"]
    assert [sum(isinstance(c, LineCollection) for c in ax.collections) for ax in fig.axes] == [8, 6]
