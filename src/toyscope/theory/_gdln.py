r"""Exact reduced dynamics of gated deep linear networks (the neural race reduction).

Gradient flow :math:`\tau \dot W_e = -\partial L/\partial W_e` on a GDLN
(:mod:`toyscope.nets._gated_linear`; column convention :math:`W_e` maps ``s(e)`` to ``t(e)``) is

.. math:: \tau \dot W_e = \sum_{p \ni e} W_{\bar t(p,e)}^\top\, \mathcal E(p)\, W_{\bar s(p,e)}^\top,\qquad
          \mathcal E(p) = \Sigma^{yx}(p) - \sum_{j \to t(p)} W_j \Sigma^x(j, p),

with the pathway correlations :math:`\Sigma^{yx}(p) = \langle g_p\, y_{t(p)} x_{s(p)}^\top\rangle`
and :math:`\Sigma^x(j,p) = \langle g_j g_p\, x_{s(j)} x_{s(p)}^\top\rangle` (averages with the example
weights :math:`w_n`). When every :math:`\Sigma^{yx}(p) = U_{t(p)} S(p) V_{s(p)}^\top` and
:math:`\Sigma^x(j,p) = V_{s(j)} D(j,p) V_{s(p)}^\top` share node bases, and the weights start
decoupled, :math:`W_e = R_{t(e)} B_e R_{s(e)}^\top` with diagonal :math:`B_e` for all time, and per
mode :math:`\alpha` (writing :math:`b_p = \prod_{e\in p} b_e`)

.. math:: \tau \dot b_e = \sum_{p \ni e} b_{p\setminus e}\Big[s_p - \sum_j d_{jp}\, b_j\Big]
          = -\partial \mathcal L / \partial b_e,\qquad
          \mathcal L = \sum_\alpha \Big[-\sum_p s_p b_p + \tfrac12\sum_{j,p} d_{jp} b_j b_p\Big],

and the network loss is :math:`L = \tfrac12\langle \sum_t g_t\lVert y_t\rVert^2\rangle + \mathcal L`.
:func:`pathway_modes` finds the bases and the numbers :math:`s, d`; :func:`reduced_dynamics`
integrates the ODE (diffrax); :func:`two_layer_path_strength` is the closed form for one
two-layer path.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Eqs. for the
gradient flow and its reduction (poster "Gradient Flow Reduction"), Fig. 4e-f.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..nets import GatedLinearNet, path_gates


@dataclasses.dataclass
class PathwayModes:
    """The reduced description of a GDLN on a data set (see the module docstring).

    Attributes:
        paths: P paths, each a tuple of edge names.
        edges: the E edge names (order of ``spec.edges``).
        incidence: ``(P, E)`` bool, edge e lies on path p.
        singular_values: ``(P, K)`` :math:`s_{p\\alpha}`.
        input_overlaps: ``(P, P, K)`` :math:`d_{jp\\alpha}` (zero unless j, p share an output).
        bases: node -> ``(d_v, d_v)`` orthonormal columns; modes are the first K columns
            (:math:`V` for input nodes, :math:`U` for output nodes; hidden nodes are free).
        target_energy: :math:`\\tfrac12\\langle\\sum_t g_t\\lVert y_t\\rVert^2\\rangle`.
        off_diagonal: largest off-diagonal entry of :math:`U^\\top\\Sigma^{yx}V` and
            :math:`V^\\top\\Sigma^x V` relative to the largest singular value; ~0 iff the reduction is exact.
    """

    paths: tuple
    edges: tuple
    incidence: np.ndarray
    singular_values: np.ndarray
    input_overlaps: np.ndarray
    bases: dict
    target_energy: float
    off_diagonal: float

    @property
    def n_modes(self) -> int:
        return self.singular_values.shape[1]


def pathway_correlations(spec: GatedLinearNet, data: dict) -> tuple[list[np.ndarray], dict]:
    """:math:`\\Sigma^{yx}(p)` and :math:`\\Sigma^x(j,p)` of a data set (column convention).

    Args:
        spec: the network.
        data: a batch as for :func:`toyscope.nets.gated_linear_loss` (gates 0/1).

    Returns:
        ``(sigma_yx, sigma_x)``: a list of P arrays ``(d_t(p), d_s(p))`` and a dict
        ``(j, p) -> (d_s(j), d_s(p))`` for every pair of paths into the same output node.
    """
    paths = spec.paths()
    x = {k: np.asarray(v, np.float64) for k, v in data["x"].items()}
    y = {k: np.asarray(v, np.float64) for k, v in data["y"].items()}
    n = next(iter(x.values())).shape[0]
    weight = np.asarray(data["weight"], np.float64) if "weight" in data else np.full(n, 1.0 / n)
    gates = {k: np.asarray(v) for k, v in data.get("gates", {}).items()}
    g = np.asarray(path_gates(spec, gates, n), np.float64)
    ends = [spec.path_nodes(p) for p in paths]
    sigma_yx = [(y[e[-1]] * (weight * g[:, p])[:, None]).T @ x[e[0]] for p, e in enumerate(ends)]
    sigma_x = {}
    for j, ej in enumerate(ends):
        for p, ep in enumerate(ends):
            if ej[-1] == ep[-1]:
                sigma_x[(j, p)] = (x[ej[0]] * (weight * g[:, j] * g[:, p])[:, None]).T @ x[ep[0]]
    return sigma_yx, sigma_x


def _complete_basis(columns: np.ndarray, dim: int) -> np.ndarray:
    """An orthonormal ``(dim, dim)`` basis whose first columns are ``columns`` (orthonormalised)."""
    seed = np.concatenate([columns, np.eye(dim)], axis=1) if columns.size else np.eye(dim)
    q, r = np.linalg.qr(seed)
    k = columns.shape[1]
    q[:, :k] *= np.sign(np.where(np.diag(r)[:k] == 0, 1, np.diag(r)[:k]))
    return q[:, :dim]


def _unit_columns(a: np.ndarray) -> np.ndarray:
    """The leading non-zero columns of ``a``, normalised."""
    norms = np.linalg.norm(a, axis=0)
    nonzero = norms > 1e-9 * max(norms.max(), 1e-300)
    n_keep = a.shape[1] if nonzero.all() else int(np.argmin(nonzero))
    return a[:, :n_keep] / norms[:n_keep]


def _shared_bases(ends, sigma_yx, widths, k) -> dict:
    r"""Node bases paired along paths: breadth first over the input-output graph, starting at an
    output node's eigenvectors, then :math:`V_s \propto \Sigma^{yx\top} U_t` and
    :math:`U_t \propto \Sigma^{yx} V_s`, so rotations inside degenerate subspaces propagate."""
    bases: dict = {}
    scale = max(np.abs(m).max() for m in sigma_yx)
    carries = [np.abs(m).max() > 1e-12 * max(scale, 1e-300) for m in sigma_yx]  # paths with data
    pending_outputs = [e[-1] for e, c in zip(ends, carries) if c] + [e[-1] for e in ends]
    while pending_outputs:
        root = pending_outputs.pop(0)
        if root in bases:
            continue
        gram = sum(sigma_yx[p] @ sigma_yx[p].T for p, e in enumerate(ends) if e[-1] == root)
        values, vectors = np.linalg.eigh(gram)
        bases[root] = vectors[:, np.argsort(values)[::-1]]
        queue = [root]
        while queue:
            node = queue.pop(0)
            for p, e in enumerate(ends):
                s, t = e[0], e[-1]
                if not carries[p]:
                    continue
                if t == node and s not in bases:
                    a = sum(sigma_yx[q].T @ bases[t][:, :k] for q, f in enumerate(ends) if f[0] == s and f[-1] == t)
                    bases[s] = _complete_basis(_unit_columns(a), widths[s])
                    queue.append(s)
                elif s == node and t not in bases:
                    a = sum(sigma_yx[q] @ bases[s][:, :k] for q, f in enumerate(ends) if f[0] == s and f[-1] == t)
                    bases[t] = _complete_basis(_unit_columns(a), widths[t])
                    queue.append(t)
    for e in ends:
        for node in (e[0], e[-1]):
            bases.setdefault(node, np.eye(widths[node]))
    return bases


def pathway_modes(spec: GatedLinearNet, data: dict, n_modes: int | None = None) -> PathwayModes:
    """Shared node bases and per-mode strengths :math:`s_{p\\alpha}, d_{jp\\alpha}` of a data set.

    Bases are paired along the paths that carry data, breadth first from an output node: its
    :math:`U_t` are the eigenvectors of :math:`\\sum_{p\\to t}\\Sigma^{yx}(p)\\Sigma^{yx}(p)^\\top`
    (descending), then a neighbouring input gets :math:`V_s \\propto \\Sigma^{yx\\top} U_t` column by
    column, its other outputs :math:`U_{t'} \\propto \\Sigma^{yx} V_s`, and so on, so that singular
    vectors stay paired inside degenerate subspaces (the routing targets have 3, 3). Nodes without
    data get identity bases. ``off_diagonal`` measures how exact the reduction is (~0: exact).

    Args:
        spec: the network.
        data: a batch (see :func:`pathway_correlations`).
        n_modes: K (default: the smallest input or output width on any path).

    Returns:
        A :class:`PathwayModes`.

    Raises:
        ValueError: ``n_modes`` larger than a node width on some path, or < 1.
    """
    paths = spec.paths()
    widths = spec.widths
    ends = [spec.path_nodes(p) for p in paths]
    k_max = min(min(widths[v] for v in e) for e in ends)
    k = k_max if n_modes is None else int(n_modes)
    if not 1 <= k <= k_max:
        raise ValueError(f"n_modes must lie in 1..{k_max} (the narrowest node on a path), got {n_modes}")
    sigma_yx, sigma_x = pathway_correlations(spec, data)
    bases = _shared_bases(ends, sigma_yx, widths, k)
    n_paths = len(paths)
    s_values = np.zeros((n_paths, k))
    overlaps = np.zeros((n_paths, n_paths, k))
    scale, off = 0.0, 0.0
    for p, e in enumerate(ends):
        m = bases[e[-1]].T @ sigma_yx[p] @ bases[e[0]]
        s_values[p] = np.diag(m)[:k]
        scale = max(scale, np.abs(s_values[p]).max())
        off = max(off, _offdiag(m).max())
    for (j, p), sx in sigma_x.items():
        m = bases[ends[j][0]].T @ sx @ bases[ends[p][0]]
        overlaps[j, p] = np.diag(m)[:k]
        off = max(off, _offdiag(m).max())
    edges = spec.edge_names
    incidence = np.array([[name in path for name in edges] for path in paths], bool)
    n = next(iter(data["x"].values())).shape[0]
    weight = np.asarray(data["weight"], np.float64) if "weight" in data else np.full(n, 1.0 / n)
    gates = data.get("gates", {})
    energy = 0.0
    for node in spec.output_nodes:
        sq = np.sum(np.asarray(data["y"][node], np.float64) ** 2, axis=-1)
        if node in gates:
            sq = sq * np.asarray(gates[node])
        energy += 0.5 * float(np.sum(weight * sq))
    return PathwayModes(paths, edges, incidence, s_values, overlaps, bases, energy, off / max(scale, 1e-300))


def _offdiag(m: np.ndarray) -> np.ndarray:
    out = np.abs(m).copy()
    idx = np.arange(min(m.shape))
    out[idx, idx] = 0
    return out


def _path_products(incidence, b):
    """:math:`b_p = \\prod_{e\\in p} b_e`: ``(P, K)`` from ``b`` ``(E, K)``."""
    return jnp.prod(jnp.where(incidence[:, :, None], b[None], 1.0), axis=1)


def reduced_objective(modes: PathwayModes, b) -> jax.Array:
    """The network loss of decoupled weights with mode strengths ``b`` ``(E, K)``:
    :math:`\\tfrac12\\langle\\sum_t g_t\\lVert y_t\\rVert^2\\rangle - \\sum_{p\\alpha} s b_p + \\tfrac12\\sum d\\, b_j b_p`."""
    s = jnp.asarray(modes.singular_values, b.dtype)
    d = jnp.asarray(modes.input_overlaps, b.dtype)
    return modes.target_energy + _mode_objective(b, jnp.asarray(modes.incidence), s, d)


def _mode_objective(b, incidence, s, d):
    bp = _path_products(incidence, b)
    return -jnp.sum(s * bp) + 0.5 * jnp.einsum("jpk,jk,pk->", d, bp, bp)


def _mode_field(t, b, args):
    """The reduced vector field (module level, so diffrax reuses its compilation across calls)."""
    incidence, s, d, tau = args
    return -jax.grad(_mode_objective)(b, incidence, s, d) / tau


def reduced_dynamics(modes: PathwayModes, initial_strengths, times, *, tau: float = 1.0, rtol: float = 1e-7,
                     atol: float = 1e-9, max_steps: int = 200_000) -> np.ndarray:
    """Integrate :math:`\\tau\\dot b = -\\partial\\mathcal L/\\partial b` (Tsit5, adaptive steps).

    Args:
        modes: from :func:`pathway_modes`.
        initial_strengths: ``(E, K)`` :math:`b_e(0)` (or a scalar for all).
        times: ``(T,)`` increasing save times, starting at 0 or later.
        tau: the time constant :math:`\\tau`.

    Returns:
        ``(T, E, K)`` mode strengths at ``times``.

    Raises:
        ValueError: bad shapes, tau <= 0, or times not increasing.
    """
    import diffrax  # imported on first use (about 1 s)

    n_edges, k = len(modes.edges), modes.n_modes
    b0 = np.broadcast_to(np.asarray(initial_strengths, np.float64), (n_edges, k))
    times = np.asarray(times, np.float64)
    if not tau > 0:
        raise ValueError(f"tau must be > 0, got {tau}")
    if times.ndim != 1 or times.size < 1 or np.any(np.diff(times) < 0) or times[0] < 0:
        raise ValueError("times must be a non-empty increasing 1-D array of values >= 0")
    dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32

    if times[-1] == 0:
        return np.broadcast_to(b0, (len(times), n_edges, k)).copy()
    args = (jnp.asarray(modes.incidence), jnp.asarray(modes.singular_values, dtype),
            jnp.asarray(modes.input_overlaps, dtype), jnp.asarray(tau, dtype))
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(_mode_field), diffrax.Tsit5(), t0=0.0, t1=float(times[-1]), dt0=None,
        y0=jnp.asarray(b0, dtype), args=args, saveat=diffrax.SaveAt(ts=jnp.asarray(times, dtype)),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol), max_steps=max_steps)
    return np.asarray(sol.ys)


def reduced_loss(modes: PathwayModes, strengths) -> np.ndarray:
    """The network loss along a trajectory ``(T, E, K)`` of mode strengths: ``(T,)``."""
    b = np.asarray(strengths, np.float64)
    bp = np.prod(np.where(modes.incidence[None, :, :, None], b[:, None], 1.0), axis=2)  # (T, P, K)
    return (modes.target_energy - np.einsum("pk,tpk->t", modes.singular_values, bp)
            + 0.5 * np.einsum("jpk,tjk,tpk->t", modes.input_overlaps, bp, bp))


def node_imbalance(spec: GatedLinearNet, modes: PathwayModes, strengths) -> dict[str, np.ndarray]:
    """Conserved quantities of the flow: for each hidden node v and mode,
    :math:`\\sum_{e\\to v} b_e^2 - \\sum_{e: v\\to} b_e^2` (constant in time).

    Args:
        strengths: ``(..., E, K)``.

    Returns:
        hidden node -> ``(..., K)``.
    """
    b = np.asarray(strengths)
    index = {name: i for i, name in enumerate(modes.edges)}
    ends = set(spec.input_nodes) | set(spec.output_nodes)
    out = {}
    for node, _ in spec.nodes:
        if node in ends:
            continue
        total = 0.0
        for s, t in spec.edges:
            sign = 1.0 if t == node else (-1.0 if s == node else 0.0)
            if sign:
                total = total + sign * b[..., index[f"{s}->{t}"], :] ** 2
        out[node] = total
    return out


def decoupled_params(spec: GatedLinearNet, modes: PathwayModes, initial_strengths, *, key=None) -> dict:
    """Weights :math:`W_e = R_{t(e)} B_e R_{s(e)}^\\top` for which the reduction is exact, in
    toyscope's row layout ``(d_s, d_t)``.

    Input/output nodes use ``modes.bases``; hidden nodes a random orthogonal basis from ``key``
    (identity if ``key`` is None). Returns params and stores hidden bases in ``modes.bases``.

    Raises:
        ValueError: a hidden node narrower than K.
    """
    n_edges, k = len(modes.edges), modes.n_modes
    b0 = np.broadcast_to(np.asarray(initial_strengths, np.float64), (n_edges, k))
    rng = None if key is None else np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel())
    for node, width in spec.nodes:
        if node in modes.bases:
            continue
        if width < k:
            raise ValueError(f"hidden node {node!r} has width {width} < n_modes={k}")
        if rng is None:
            modes.bases[node] = np.eye(width)
        else:
            q, r = np.linalg.qr(rng.standard_normal((width, width)))
            modes.bases[node] = q * np.sign(np.diag(r))
    params = {}
    for i, (s, t) in enumerate(spec.edges):
        w_col = modes.bases[t][:, :k] @ np.diag(b0[i]) @ modes.bases[s][:, :k].T
        params[f"{s}->{t}"] = jnp.asarray(w_col.T, jnp.float32)
    return params


def edge_mode_strengths(modes: PathwayModes, params) -> np.ndarray:
    """Project weights onto the mode bases: :math:`b_{e\\alpha} = R_t[:,\\alpha]^\\top W_e R_s[:,\\alpha]`.

    Args:
        params: row-layout weights ``(..., d_s, d_t)`` (any leading axes), bases for every node
            (call :func:`decoupled_params` first for hidden ones).

    Returns:
        ``(..., E, K)``.
    """
    k = modes.n_modes
    out = []
    for name in modes.edges:
        s, t = name.split("->")
        w = np.asarray(params[name])
        out.append(np.einsum("...st,sk,tk->...k", w, modes.bases[s][:, :k], modes.bases[t][:, :k]))
    return np.stack(out, axis=-2)


def two_layer_path_strength(t, singular_value: float, overlap: float, initial: float, tau: float = 1.0):
    r"""Closed form for one two-layer path from balanced init, :math:`\tau\dot u = 2u(s - d u)`:

    .. math:: u(t) = \frac{(s/d)\, e^{2st/\tau}}{e^{2st/\tau} - 1 + (s/d)/u_0}.

    Args:
        t: times (array). singular_value: s. overlap: d > 0. initial: :math:`u_0 > 0`.

    Raises:
        ValueError: d <= 0 or u0 <= 0.
    """
    if not overlap > 0 or not initial > 0:
        raise ValueError(f"overlap and initial must be > 0, got {overlap} and {initial}")
    growth = np.exp(2 * singular_value * np.asarray(t, np.float64) / tau)
    target = singular_value / overlap
    return target * growth / (growth - 1 + target / initial)


def routing_fixed_point(target: float, n_domains: int, initial: float | None = None) -> tuple[float, float, float]:
    r"""Balanced fixed point of the routing network (two hidden layers shared by M domains).

    The reduced dynamics of one mode (:math:`b_{in}, b_h, b_{out}`, every domain's input and
    output edges alike) conserve :math:`b_h^2 - M b_{in}^2 = b_h^2 - M b_{out}^2` (the hidden edge
    carries M times the gradient of an input edge). From a common start :math:`b_0` (decoupled
    init) that constant is :math:`-c_0`, :math:`c_0 = (M - 1) b_0^2`, and the fixed point
    :math:`b_{out} b_h b_{in} = s` becomes :math:`b_h (b_h^2 + c_0) = M s` (one positive root),
    :math:`b_{in} = b_{out} = \sqrt{(b_h^2 + c_0)/M}`. ``initial=None`` is the small-init limit
    :math:`c_0 = 0`: :math:`b_h = (M s)^{1/3}`, :math:`b_{in} = (s/\sqrt M)^{1/3}`. The exact form
    is the authors' (facebookresearch/gated-dln, notebooks/Gated_DLN_solution_verification_figure.ipynb,
    theory cell: ``c0 = M*b0**2 - b0**2`` and the fixed point of ``s - 1/M*b2s*(b2s**2+c0)``).

    Args:
        target: the path's target strength :math:`s = s_p/d_{pp}`; n_domains: M.
        initial: :math:`b_0`, or ``None`` for the small-init limit.

    Returns:
        ``(b_in, b_h, b_out)``.

    Example:
        >>> from toyscope import theory
        >>> [round(b, 2) for b in theory.routing_fixed_point(13.6, 7, initial=0.2)[:2]]
        [1.73, 4.55]
    """
    if not n_domains >= 1:
        raise ValueError(f"n_domains must be >= 1, got {n_domains}")
    if initial is None:
        b_in = (target / np.sqrt(n_domains)) ** (1 / 3)
        return b_in, (n_domains * target) ** (1 / 3), b_in
    if not initial >= 0:
        raise ValueError(f"initial must be >= 0, got {initial}")
    c0 = (n_domains - 1) * initial ** 2
    roots = np.roots([1.0, 0.0, c0, -n_domains * target])
    b_h = float(max(r.real for r in roots if abs(r.imag) < 1e-9 * max(1.0, abs(r))))
    b_in = float(np.sqrt((b_h ** 2 + c0) / n_domains))
    return b_in, b_h, b_in


def path_mode_projections(modes: PathwayModes, params) -> np.ndarray:
    r"""Each path's end-to-end map projected on its data modes: :math:`V_{s(p)}[:,\alpha]^\top
    W_{e_1} \cdots W_{e_L} U_{t(p)}[:,\alpha]` (row layout, edges in path order).

    For decoupled init it is the product of the edge mode strengths (:math:`b_0^L` for equal
    ones); for a random init it is the effective start of the reduced dynamics on that mode.

    Args:
        modes: from :func:`pathway_modes`; params: row-layout weights ``(E?, d_s, d_t)`` per edge
            (an optional leading ensemble axis).

    Returns:
        ``(..., P, K)``.
    """
    k = modes.n_modes
    out = []
    for path in modes.paths:
        source, target = path[0].split("->")[0], path[-1].split("->")[1]
        product = np.asarray(params[path[0]], np.float64)
        for name in path[1:]:
            product = product @ np.asarray(params[name], np.float64)
        out.append(np.einsum("...st,sk,tk->...k", product, modes.bases[source][:, :k], modes.bases[target][:, :k]))
    return np.stack(out, axis=-2)
