r"""Interactive (plotly) versions of the report's figures: pure functions from arrays to a
``plotly.graph_objects.Figure``, which a study attaches to its static figure
(``studies.Figure(..., interactive=...)``) and the report draws offline beside the PNG/SVG.

Every figure here is data only (no JavaScript): hover text is built here, and the per-member
pictures of an ensemble scatter (a member's decision boundary, or its weight matrices) are drawn
in the page from the member's weights, which :func:`mlp_member_view` puts into the figure's
``layout.meta["toyscope_members"]`` (a few numbers per member, not an image each). Points of a
member scatter carry their member id as the first entry of ``customdata``.

Arrays are stored as float32 (plotly encodes numpy arrays as base64 typed arrays), so a figure of
1,000 points costs tens of kilobytes. Traces are SVG (``Scatter``, never WebGL, which a headless or
GPU-less browser may lack), so big series are thinned: long curves to ``max_points``, big scatters
to a seeded subsample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ._connectivity import NEGATIVE, POSITIVE, plane_positions

#: qualitative colours for labelled points (matplotlib's tab10)
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
MEMBER_VIEW_KEY = "toyscope_members"


def _go():
    import plotly.graph_objects as go  # imported on use: plotly costs ~0.5 s to import

    return go


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def _layout(fig, *, title: str | None, height: int = 420, **axes) -> None:
    fig.update_layout(title=title, height=height, margin=dict(l=50, r=20, t=50 if title else 20, b=45),
                      template="plotly_white", hovermode="closest", legend=dict(itemsizing="constant"), **axes)


def _label_order(labels: np.ndarray, order: Sequence | None) -> list:
    present = list(dict.fromkeys(labels.tolist()))
    if order is None:
        return sorted(present, key=str)
    return [v for v in order if v in present] + [v for v in present if v not in order]


def member_scatter_figure(panels: Sequence, members, hover: Mapping[str, Sequence], *,
                          member_view: dict | None = None, ncols: int = 2, title: str | None = None):
    """Scatters of one ensemble in several 2-D embeddings (t-SNE, PCA, ...), one panel each.

    Args:
        panels: :class:`toyscope.viz.ScatterPanel` ``(points (n, 2), labels (n,), title, order, names)``;
            every panel shows the same ``n`` members in the same order.
        members: ``(n,)`` member ids (shown on hover, and the key of ``member_view``).
        hover: column name -> ``(n,)`` values shown on hover (e.g. accuracy, circuit signature).
        member_view: what a click on a point draws (:func:`mlp_member_view`), or ``None``.
        ncols: panels per row.

    Returns:
        a plotly ``Figure``: one trace per (panel, label), points' ``customdata`` =
        ``[member id, *hover values]``; clicking shows the member when ``member_view`` is given.

    Example:
        >>> from toyscope import viz
        >>> panel = viz.ScatterPanel(np.zeros((3, 2)), np.array(["a", "b", "a"]), "demo")
        >>> fig = viz.member_scatter_figure([panel], [7, 8, 9], {"accuracy": ["1", "0.75", "1"]})
        >>> [t.name for t in fig.data], fig.data[0].customdata[:, 0].tolist()
        (['a', 'b'], ['7', '9'])
    """
    from plotly.subplots import make_subplots

    go = _go()
    members = np.asarray(members)
    n = len(members)
    for panel in panels:
        if np.shape(panel.points) != (n, 2) or len(panel.labels) != n:
            raise ValueError(f"every panel needs points (n, 2) and labels (n,) for the n = {n} members, got "
                             f"{np.shape(panel.points)} and {len(panel.labels)} labels in {panel.title!r}")
    for name, values in hover.items():
        if len(values) != n:
            raise ValueError(f"hover column {name!r} has {len(values)} values for {n} members")
    nrows = int(np.ceil(len(panels) / ncols))
    fig = make_subplots(rows=nrows, cols=min(ncols, len(panels)), subplot_titles=[p.title for p in panels],
                        horizontal_spacing=0.04, vertical_spacing=0.08)
    columns = list(hover)
    custom = np.array([[str(m) for m in members]] + [[_text(v) for v in hover[c]] for c in columns], dtype=object).T
    template = "member %{customdata[0]}" + "".join(f"<br>{c}: %{{customdata[{i + 1}]}}" for i, c in enumerate(columns))
    shown_in_legend: dict[str, str] = {}
    for index, panel in enumerate(panels):
        labels = np.asarray(panel.labels)
        names = panel.names or {}
        for j, label in enumerate(_label_order(labels, panel.order)):
            keep = labels == label
            name = str(names.get(label, label))
            group = f"{index > 0 and panel.names is not None}:{name}"  # one legend entry per kind of label
            first = group not in shown_in_legend
            shown_in_legend.setdefault(group, name)
            fig.add_trace(go.Scatter(
                x=_f32(np.asarray(panel.points)[keep, 0]), y=_f32(np.asarray(panel.points)[keep, 1]), mode="markers",
                name=name, legendgroup=group, showlegend=first, customdata=custom[keep],
                marker=dict(size=5, opacity=0.75, color=COLOURS[j % len(COLOURS)]),
                hovertemplate=template + f"<extra>{name}</extra>"), row=index // ncols + 1, col=index % ncols + 1)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    _layout(fig, title=title, height=360 * nrows)
    if member_view is not None:
        fig.update_layout(meta={MEMBER_VIEW_KEY: member_view}, clickmode="event")
    return fig


def mlp_member_view(spec, params, members, x=None, y=None, *, limits=(0.0, 1.0), digits: int = 5) -> dict:
    """What the page needs to draw one MLP member when its point is clicked: its weights.

    The page computes the member's output on a grid of ``limits``^2 in JavaScript (layer
    ``h = act(h W + b)``, the same maths as :func:`toyscope.nets.apply`) and draws its decision
    boundary (2 inputs, 1 logit output: ``sigmoid(logit)`` with the 0.5 contour) with the points
    ``x``, ``y``; any other shape is drawn as its weight matrices.

    Args:
        spec: a :class:`toyscope.nets.MLP`; params: the ensemble (leading axis E on every leaf).
        members: ``(n,)`` indices into the ensemble of the members to include.
        x, y: ``(N, 2)`` points and ``(N,)`` / ``(N, 1)`` labels drawn on the picture, optional.
        digits: significant digits kept of each weight.

    Returns:
        a JSON-able dict ``{"kind": "mlp", "activations", "widths", "limits", "members": {id: [[W, b], ...]},
        "points", "labels"}`` (``W`` nested lists ``(d_in, d_out)``).

    Example:
        >>> import jax
        >>> from toyscope import nets, viz
        >>> spec = nets.mlp([2, 2, 1], "sigmoid")
        >>> params = nets.init(spec, key=jax.random.key(0), n_networks=3)
        >>> view = viz.mlp_member_view(spec, params, [2])
        >>> list(view["members"]), len(view["members"]["2"]), view["activations"]
        (['2'], 2, ['sigmoid', 'linear'])
    """
    members = [int(m) for m in np.asarray(members).reshape(-1)]
    layers = []
    for layer, has_bias in zip(params, spec.biases):
        weight = np.asarray(layer["weight"], np.float64)
        bias = np.asarray(layer["bias"], np.float64) if has_bias else np.zeros(weight.shape[:1] + weight.shape[2:])
        layers.append((weight, bias))
    size = layers[0][0].shape[0]
    if any(m < 0 or m >= size for m in members):
        raise ValueError(f"members must index the ensemble of {size} networks, got {min(members)}..{max(members)}")

    def rounded(array):
        return [float(f"{v:.{digits}g}") for v in array.reshape(-1)]

    view = {"kind": "mlp", "activations": list(spec.activations), "widths": list(spec.widths), "limits": list(limits),
            "members": {str(m): [[rounded(w[m]), rounded(b[m])] for w, b in layers] for m in members}}
    if x is not None:
        view["points"] = np.asarray(x, np.float64).round(6).tolist()
        view["labels"] = np.asarray(y, np.float64).reshape(-1).round(6).tolist() if y is not None else None
    return view


class Curve(NamedTuple):
    """One series of :func:`curves_figure`: ``x``, ``y`` ``(T,)``, optionally a band ``(low, high)``.

    Curves sharing a ``group`` toggle together with one legend entry; ``dash`` is a plotly dash
    name (``"dash"``, ``"dot"``) or ``None`` for solid; ``colour`` any CSS colour or ``None``.
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    group: str | None = None
    dash: str | None = None
    colour: str | None = None
    band: tuple[np.ndarray, np.ndarray] | None = None


def curves_figure(curves: Sequence[Curve], *, xlabel: str, ylabel: str, log_x: bool = False, log_y: bool = False,
                  max_points: int = 2000, title: str | None = None):
    """Lines (losses over training, theory against simulation): zoom, hover and a legend that
    toggles each series (or group) on click. Non-finite points are dropped, and non-positive ones
    on a log axis; a curve longer than ``max_points`` is thinned to every k-th point (and its last).

    Example:
        >>> from toyscope import viz
        >>> fig = viz.curves_figure([viz.Curve("sim", np.arange(3.0), np.array([1.0, np.nan, 0.5]))],
        ...                         xlabel="t", ylabel="loss")
        >>> fig.data[0].x.tolist()
        [0.0, 2.0]
    """
    go = _go()
    fig = go.Figure()
    groups: dict[str, str] = {}
    for index, curve in enumerate(curves):
        x, y = np.asarray(curve.x, np.float64).reshape(-1), np.asarray(curve.y, np.float64).reshape(-1)
        if x.shape != y.shape:
            raise ValueError(f"curve {curve.name!r}: x has {x.size} values and y {y.size}")
        keep = np.isfinite(x) & np.isfinite(y) & ((x > 0) | (not log_x)) & ((y > 0) | (not log_y))
        group = curve.group or curve.name
        colour = curve.colour or groups.get(group) or COLOURS[len(groups) % len(COLOURS)]
        first = group not in groups
        groups.setdefault(group, colour)
        shown = np.nonzero(keep)[0]
        if len(shown) > max_points:  # every stride-th point, and the last
            shown = np.unique(np.append(shown[::int(np.ceil(len(shown) / max_points))], shown[-1]))
        if curve.band is not None:
            low, high = (np.asarray(b, np.float64).reshape(-1)[shown] for b in curve.band)
            fig.add_trace(go.Scatter(x=_f32(np.concatenate([x[shown], x[shown][::-1]])),
                                     y=_f32(np.concatenate([high, low[::-1]])), fill="toself", mode="lines",
                                     line=dict(width=0), fillcolor=colour, opacity=0.2, hoverinfo="skip",
                                     legendgroup=group, showlegend=False, name=f"{curve.name} band"))
        x, y = x[shown], y[shown]
        fig.add_trace(go.Scatter(x=_f32(x), y=_f32(y), mode="lines", name=group if curve.group else curve.name,
                            legendgroup=group, showlegend=first,
                            line=dict(color=colour, dash=curve.dash, width=1.5),
                            hovertemplate=f"{curve.name}<br>{xlabel} %{{x:.4g}}<br>{ylabel} %{{y:.4g}}<extra></extra>"))
    _layout(fig, title=title, xaxis=dict(title=xlabel, type="log" if log_x else "linear"),
            yaxis=dict(title=ylabel, type="log" if log_y else "linear"))
    return fig


def phase_diagram_figure(widths, k: int, losses, classes: Sequence[str], gradient_norms, *,
                         reference=None, colours: Mapping[str, str] | None = None, log_y: bool = True,
                         title: str | None = None):
    """Copy-average phase diagram: loss at convergence against ``n / k``, one point per student
    coloured by its network class; hover shows n, n/k, class, loss and gradient norm.

    Args:
        widths, losses, gradient_norms: ``(E,)``; classes: ``E`` class names; k: teacher width.
        reference: ``(n (m,), loss (m,))`` drawn as a line (the C-A optimal loss), or ``None``.
        colours: class -> colour.

    Example:
        >>> from toyscope import viz
        >>> fig = viz.phase_diagram_figure([1, 2], 4, [0.3, 0.1], ["C-A optimal", "P-n-C"], [1e-9, 2e-9])
        >>> fig.data[0].customdata[0].tolist()
        ['1', '0.25', 'C-A optimal', '0.3', '1e-09']
    """
    go = _go()
    widths, losses, grads = (np.asarray(v, np.float64).reshape(-1) for v in (widths, losses, gradient_norms))
    classes = np.asarray(list(classes), dtype=object)
    if not len(widths) == len(losses) == len(grads) == len(classes):
        raise ValueError(f"widths, losses, classes and gradient_norms need one value per student, got "
                         f"{len(widths)}, {len(losses)}, {len(classes)}, {len(grads)}")
    fig = go.Figure()
    if reference is not None:
        n_ref, loss_ref = (np.asarray(v, np.float64) for v in reference)
        fig.add_trace(go.Scatter(x=_f32(n_ref / k), y=_f32(loss_ref), mode="lines", name="C-A optimal L(k-n+1)",
                                 line=dict(color="#444"), hovertemplate="n/k %{x:.3g}<br>L %{y:.4g}<extra></extra>"))
    for j, name in enumerate(_label_order(classes, list((colours or {}).keys()))):
        keep = classes == name
        custom = np.array([[str(int(n)) for n in widths[keep]], [_text(n / k) for n in widths[keep]],
                           [str(name)] * int(keep.sum()), [_text(v) for v in losses[keep]],
                           [_text(v) for v in grads[keep]]], dtype=object).T
        fig.add_trace(go.Scatter(x=_f32(widths[keep] / k), y=_f32(losses[keep]), mode="markers", name=str(name),
                                 customdata=custom, marker=dict(size=7, opacity=0.8,
                                                                color=(colours or {}).get(name, COLOURS[j % 10])),
                                 hovertemplate="n = %{customdata[0]}, n/k = %{customdata[1]}<br>class %{customdata[2]}"
                                               "<br>loss %{customdata[3]}<br>|grad| %{customdata[4]}<extra></extra>"))
    _layout(fig, title=title, xaxis=dict(title="n / k"),
            yaxis=dict(title="loss at convergence", type="log" if log_y else "linear"))
    return fig


def attribution_scatter_figure(r_blocks, q_blocks, r_biases, q_biases, fit_weights=None, fit_biases=None, *,
                               max_points: int = 5000, seed: int = 0, title: str | None = None):
    """Update attribution: relative fork difference ``q`` against the relative updating (tally)
    ``r``, weights ``(m, n_blocks)`` coloured by block (hidden unit) and biases ``(n,)``, each with
    its least-squares line (:class:`toyscope.analysis.LinearFit`, optional). Beyond ``max_points``
    weights a seeded subsample is drawn (the title says so); hover shows unit and index.

    Example:
        >>> from toyscope import viz
        >>> fig = viz.attribution_scatter_figure(np.full((4, 2), 0.5), np.full((4, 2), 0.4), [0.1], [0.2])
        >>> len(fig.data), fig.data[0].customdata.shape
        (2, (8, 2))
    """
    from plotly.subplots import make_subplots

    go = _go()
    r_blocks, q_blocks = np.asarray(r_blocks, np.float64), np.asarray(q_blocks, np.float64)
    if r_blocks.shape != q_blocks.shape or r_blocks.ndim != 2:
        raise ValueError(f"r_blocks and q_blocks need the same (m, n_blocks) shape, got {r_blocks.shape} and "
                         f"{q_blocks.shape}")
    index, unit = (a.ravel() for a in np.indices(r_blocks.shape))
    r, q = r_blocks.ravel(), q_blocks.ravel()
    shown = np.arange(r.size)
    if r.size > max_points:
        shown = np.sort(np.random.default_rng(seed).choice(r.size, max_points, replace=False))
    fig = make_subplots(rows=1, cols=2, subplot_titles=[
        f"weights ({len(shown)} of {r.size} shown)" if len(shown) < r.size else f"weights ({r.size})",
        f"biases ({len(np.ravel(r_biases))})"])
    fig.add_trace(go.Scatter(x=_f32(r[shown]), y=_f32(q[shown]), mode="markers", name="weights",
                               customdata=np.stack([unit[shown], index[shown]], axis=1),
                               marker=dict(size=3, opacity=0.5, color=unit[shown], colorscale="HSV"),
                               hovertemplate="unit %{customdata[0]}, weight %{customdata[1]}<br>r %{x:.3g}<br>"
                                             "q %{y:.3g}<extra></extra>"), row=1, col=1)
    r_b, q_b = np.asarray(r_biases, np.float64).ravel(), np.asarray(q_biases, np.float64).ravel()
    fig.add_trace(go.Scatter(x=_f32(r_b), y=_f32(q_b), mode="markers", name="biases", marker=dict(size=6),
                             customdata=np.arange(len(r_b))[:, None],
                             hovertemplate="unit %{customdata[0]}<br>r %{x:.3g}<br>q %{y:.3g}<extra></extra>"),
                  row=1, col=2)
    for col, fit in ((1, fit_weights), (2, fit_biases)):
        if fit is not None and np.isfinite(fit.slope):
            fig.add_trace(go.Scatter(x=[0.0, 1.0], y=[fit.intercept, fit.intercept + fit.slope], mode="lines",
                                     line=dict(color="black", width=1), name=f"fit R² = {fit.r2:.3f}",
                                     hoverinfo="name"), row=1, col=col)
    fig.update_xaxes(title="r = relative updating due to group A", range=[0, 1])
    fig.update_yaxes(title="q = relative fork difference", range=[0, 1])
    _layout(fig, title=title)
    return fig


def _top_weights(weight: np.ndarray, axis: int, names: Sequence[str], top: int) -> list[str]:
    """For each neuron on the other side of ``axis``, its ``top`` largest ``|w|`` as text lines."""
    magnitude = np.abs(weight)
    out = []
    for j in range(weight.shape[1 - axis]):
        column = weight[:, j] if axis == 0 else weight[j, :]
        order = np.argsort(-np.abs(column))[:top]
        out.append(", ".join(f"{column[i]:+.3g} ({names[i]})" for i in order if magnitude.max() > 0 and column[i] != 0))
    return out


def connectivity_graph_figure(weights: Sequence[np.ndarray], coordinates: Sequence[np.ndarray], *,
                              n_tokens: int = 0, input_names: Sequence[str] | None = None,
                              output_names: Sequence[str] | None = None,
                              thresholds: Sequence[float] = (0.0, 0.01, 0.03, 0.1, 0.3, 0.6),
                              max_edges: int = 6000, top: int = 3, title: str | None = None):
    r"""A BIMT connectivity graph (as :func:`toyscope.viz.connectivity_figure`): neurons at their
    positions, each weight a line, blue positive and red negative, width rising with
    :math:`|w| / \max|w|` of its layer. Hovering a neuron lists its ``top`` largest incoming and
    outgoing weights; a slider hides the weights below a threshold of :math:`|w| / \max|w|`.
    At most ``max_edges`` lines are drawn (the largest; the title says when some are left out).

    Args:
        weights: one ``(n_{i-1}, n_i)`` matrix per weight layer; coordinates: ``(n_i, D)`` per neuron
            layer (:func:`toyscope.bimt.neuron_coordinates`); the rest as ``connectivity_figure``.
        thresholds: the slider's steps (relative magnitudes, increasing, the first 0).

    Example:
        >>> from toyscope import viz
        >>> w = [np.array([[1.0, -0.02]]), np.array([[0.5], [0.2]])]
        >>> xy = [np.zeros((1, 2)), np.array([[0.0, 0], [1, 0]]), np.zeros((1, 2))]
        >>> fig = viz.connectivity_graph_figure(w, xy)
        >>> len(fig.layout.sliders[0].steps), fig.data[-1].hovertext[0]
        (6, 'output 0<br>in: +0.5 (L1:0), +0.2 (L1:1)')
    """
    go = _go()
    if len(coordinates) != len(weights) + 1:
        raise ValueError(f"need one coordinate array per neuron layer ({len(weights) + 1}), got {len(coordinates)}")
    positions = plane_positions(coordinates, n_tokens)
    names, named = [], []
    for layer, pos in enumerate(positions):
        given = input_names if layer == 0 else output_names if layer == len(positions) - 1 else None
        named.append(given is not None and len(given) == len(pos))
        names.append([str(given[i]) if named[-1] else f"L{layer}:{i}" for i in range(len(pos))])
    edges = []  # (relative magnitude, value, layer, row, col)
    for layer, weight in enumerate(weights):
        weight = np.asarray(weight, np.float64)
        if weight.shape != (len(positions[layer]), len(positions[layer + 1])):
            raise ValueError(f"weights[{layer}] has shape {weight.shape}, the coordinates give "
                             f"{(len(positions[layer]), len(positions[layer + 1]))}")
        scale = np.abs(weight).max() or 1.0
        rows, cols = np.nonzero(weight)
        for i, j in zip(rows, cols):
            edges.append((abs(weight[i, j]) / scale, weight[i, j], layer, i, j))
    edges.sort(key=lambda e: -e[0])
    dropped = max(0, len(edges) - max_edges)
    edges = edges[:max_edges]
    fig = go.Figure()
    bounds = list(thresholds) + [np.inf]
    for b in range(len(thresholds)):
        for sign, colour in ((1, POSITIVE), (-1, NEGATIVE)):
            xs: list = []
            ys: list = []
            for rel, value, layer, i, j in edges:
                if bounds[b] <= rel < bounds[b + 1] and np.sign(value) == sign:
                    (x0, y0), (x1, y1) = positions[layer][i], positions[layer + 1][j]
                    xs += [x0, x1, None]
                    ys += [y0, y1, None]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                     line=dict(color=colour, width=0.4 + 3.0 * min(1.0, bounds[b + 1] if b + 1 < len(thresholds) else 1.0)),
                                     opacity=0.35 + 0.6 * b / max(1, len(thresholds) - 1),
                                     name=f"|w|/max >= {thresholds[b]:g} ({'+' if sign > 0 else '-'})"))
    for layer, pos in enumerate(positions):
        incoming = _top_weights(np.asarray(weights[layer - 1]), 0, names[layer - 1], top) if layer > 0 else None
        outgoing = _top_weights(np.asarray(weights[layer]), 1, names[layer + 1], top) if layer < len(weights) else None
        label = "input" if layer == 0 else "output" if layer == len(positions) - 1 else f"layer {layer}"
        text = []
        for i in range(len(pos)):
            lines = [f"{label} {names[layer][i] if named[layer] else i}"]
            if incoming is not None:
                lines.append(f"in: {incoming[i] or 'none'}")
            if outgoing is not None:
                lines.append(f"out: {outgoing[i] or 'none'}")
            text.append("<br>".join(lines))
        fig.add_trace(go.Scatter(x=_f32(pos[:, 0]), y=_f32(pos[:, 1]), mode="markers", name=label, showlegend=False,
                                 hovertext=text, hoverinfo="text",
                                 marker=dict(size=7 if len(pos) < 200 else 3, color="black")))
    n_edge_traces = 2 * len(thresholds)
    steps = [dict(method="restyle", label=f"{t:g}",
                  args=[{"visible": [k // 2 >= b for k in range(n_edge_traces)] + [True] * len(positions)}])
             for b, t in enumerate(thresholds)]
    note = f" (the {len(edges)} largest weights; {dropped} smaller ones not drawn)" if dropped else ""
    _layout(fig, title=(title or "connectivity graph") + note, height=520,
            xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor=None))
    fig.update_layout(sliders=[dict(active=0, steps=steps, currentvalue=dict(prefix="hide |w|/max|w| below "),
                                    pad=dict(t=10))])
    return fig


def grid_scatter_figure(cells: Sequence[Mapping[str, Any]], key: str, quantity: str, values: Sequence[float | None], *,
                        max_series: int = 10, title: str | None = None):
    """A sweep's quantity against one of its grid keys: one point per cell (hover: every grid value
    of the cell), one line per combination of the other grid keys (up to ``max_series``; beyond,
    one series). Cells without a value (``None``, non-finite) are left out.

    Args:
        cells: per cell, its grid values (``{key: value, ...}``); values: per cell, the quantity.

    Example:
        >>> from toyscope import viz
        >>> cells = [{"lr": 0.1, "seed": 0}, {"lr": 1.0, "seed": 0}, {"lr": 0.1, "seed": 1}]
        >>> fig = viz.grid_scatter_figure(cells, "lr", "loss", [0.5, 0.2, None])
        >>> [t.name for t in fig.data], fig.data[0].x
        (['seed=0'], ('0.1', '1.0'))
    """
    go = _go()
    if len(cells) != len(values):
        raise ValueError(f"need one value per cell, got {len(values)} values for {len(cells)} cells")
    if any(key not in cell for cell in cells):
        raise ValueError(f"grid key {key!r} is missing from some cells")
    levels = list(dict.fromkeys(str(cell[key]) for cell in cells))
    try:
        levels.sort(key=float)
    except ValueError:
        pass
    others = sorted({k for cell in cells for k in cell if k != key})
    series: dict[str, list[int]] = {}
    for i, cell in enumerate(cells):
        label = ", ".join(f"{k}={cell.get(k)}" for k in others) or quantity
        series.setdefault(label, []).append(i)
    if len(series) > max_series:
        series = {quantity: list(range(len(cells)))}
    fig = go.Figure()
    for j, (label, members) in enumerate(series.items()):
        shown = [i for i in members if values[i] is not None and np.isfinite(float(values[i]))]
        if not shown:
            continue
        shown.sort(key=lambda i: levels.index(str(cells[i][key])))
        hover = ["<br>".join(f"{k} = {v}" for k, v in cells[i].items()) for i in shown]
        fig.add_trace(go.Scatter(x=[str(cells[i][key]) for i in shown], y=[float(values[i]) for i in shown],
                                 mode="lines+markers" if len(series) > 1 else "markers", name=label,
                                 hovertext=hover, hovertemplate=f"%{{hovertext}}<br>{quantity} %{{y:.4g}}<extra></extra>",
                                 marker=dict(size=8, color=COLOURS[j % len(COLOURS)])))
    _layout(fig, title=title or f"{quantity} against {key}", height=340,
            xaxis=dict(title=key, type="category", categoryorder="array", categoryarray=levels),
            yaxis=dict(title=quantity))
    return fig


def training_curves_figure(steps, train_loss, test_loss, schedule_boundaries: Sequence[int] = (), *,
                           ylabel: str = "loss (no penalty)", title: str | None = None):
    """Train and test loss of every seed on a log scale (as :func:`toyscope.viz.penalised_training_figure`),
    one legend entry each for train and test (click to toggle), dotted lines where the penalty
    schedule changes.

    Args:
        steps: ``(T,)``; train_loss, test_loss: ``(T,)`` or ``(T, E)``.

    Example:
        >>> from toyscope import viz
        >>> fig = viz.training_curves_figure(np.arange(3), np.ones((3, 2)), np.ones(3), [1])
        >>> [t.legendgroup for t in fig.data], len(fig.layout.shapes)
        (['train loss', 'train loss', 'test loss'], 1)
    """
    steps = np.asarray(steps, np.float64).reshape(-1)
    curves = []
    for group, loss, colour in (("train loss", train_loss, COLOURS[0]), ("test loss", test_loss, COLOURS[1])):
        loss = np.asarray(loss, np.float64).reshape(len(steps), -1)
        curves += [Curve(f"{group}, seed {i}", steps, loss[:, i], group=group, colour=colour) for i in range(loss.shape[1])]
    fig = curves_figure(curves, xlabel="step", ylabel=ylabel, log_y=True, title=title)
    for boundary in schedule_boundaries:
        fig.add_vline(x=float(boundary), line=dict(color="grey", dash="dot", width=1))
    return fig


def theory_and_simulation_figure(times, simulations: Mapping[str, Any], theories: Mapping[str, Any], *,
                                 xlabel: str = "t", ylabel: str = "training loss", log_y: bool = False,
                                 title: str | None = None):
    """Simulated curves (each ``(T,)`` or ``(T, E)``: one line per member, one legend entry per
    name) against closed-form curves (``(T,)``, dashed), zoomable, each series toggled from the legend.

    Example:
        >>> from toyscope import viz
        >>> fig = viz.theory_and_simulation_figure(np.arange(3.0), {"random init": np.ones((3, 2))},
        ...                                        {"theory": np.ones(3)})
        >>> [(t.legendgroup, t.line.dash) for t in fig.data]
        [('random init', None), ('random init', None), ('theory', 'dash')]
    """
    times = np.asarray(times, np.float64).reshape(-1)
    curves = []
    for name, values in simulations.items():
        values = np.asarray(values, np.float64).reshape(len(times), -1)
        suffix = values.shape[1] > 1
        curves += [Curve(f"{name}, member {i}" if suffix else name, times, values[:, i], group=name)
                   for i in range(values.shape[1])]
    curves += [Curve(name, times, values, group=name, dash="dash") for name, values in theories.items()]
    return curves_figure(curves, xlabel=xlabel, ylabel=ylabel, log_y=log_y, title=title)


def sharpness_scatter_figure(gradient_norm, top_eigenvalue, classes, hover: Mapping[str, Sequence] | None = None, *,
                             class_names: Sequence[str] | None = None, member_view: dict | None = None,
                             floor: float = 1e-12, title: str | None = None):
    r"""Per network, :math:`\log_{10}\|\nabla L\|` against :math:`\log_{10}|\lambda_{max}|` (values
    below ``floor`` drawn at ``log10(floor)``), coloured by class, as the right panel of
    :func:`toyscope.viz.barriers_and_sharpness_figure`; member ids are the indices ``0..E-1``
    (hover: id, class and ``hover``; click: ``member_view``).

    Example:
        >>> from toyscope import viz
        >>> fig = viz.sharpness_scatter_figure([1e-3, 0.0], [10.0, -1.0], ["1.0", "0.5"], class_names=["1.0", "0.5"])
        >>> fig.data[0].x.tolist(), fig.data[1].y.tolist()
        ([-3.0], [0.0])
    """
    from ._ensemble_figures import ScatterPanel

    classes = np.asarray(classes)
    points = np.stack([np.log10(np.maximum(np.asarray(gradient_norm, np.float64), floor)),
                       np.log10(np.maximum(np.abs(np.asarray(top_eigenvalue, np.float64)), floor))], axis=1)
    fig = member_scatter_figure([ScatterPanel(points, classes, "gradient norm against top Hessian eigenvalue",
                                              class_names)], np.arange(len(classes)),
                                {"accuracy": classes, **(hover or {})}, member_view=member_view, ncols=1, title=title)
    fig.update_xaxes(title="log10 gradient norm at the end", showticklabels=True)
    fig.update_yaxes(title="log10 top Hessian eigenvalue", showticklabels=True)
    return fig
