r"""Closed-form learning curve of the four-path XOR gated deep linear network (Fig. 3).

The XOR GDLN (:func:`toyscope.nets.xor_path_net`) has one two-layer path per example p,
``x -> h{p} -> y``, gated on for example p alone. Its loss splits into four independent
one-example problems,

.. math:: L = \sum_p \Big[\tfrac12 w_p\lVert y_p\rVert^2 - s_p u_p + \tfrac12 d_p u_p^2\Big],\qquad
          u_p = a_p^\top b_p,\quad a_{pj} = u_p^{out}\,(W_2)_{j},\quad b_{pj} = v_p^\top (W_1)_{:,j},

with :math:`s_p` the singular value of :math:`\Sigma^{yx}(p) = w_p y_p x_p^\top` along
:math:`(u^{out}_p, v_p)` and :math:`d_p = w_p\lVert x_p\rVert^2` its input overlap (``w_p`` the
example weight). From balanced small weights the path strength follows
:math:`\tau\dot u = 2u(s - d u)` (:func:`toyscope.theory.two_layer_path_strength`). A random small
init is not balanced: linearised, :math:`\tau\dot a = s\,b,\ \tau\dot b = s\,a`, so :math:`a + b`
grows as :math:`e^{st/\tau}` and :math:`a - b` decays, and the effective initial strength is the
growing mode's :math:`u_0 = \lVert a + b\rVert^2/4`.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 3b-c.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..nets import GatedLinearNet
from ._gdln import pathway_modes, two_layer_path_strength

N_PATHS = 4


@dataclasses.dataclass(frozen=True)
class XorPathModes:
    r"""The four one-example problems of the XOR GDLN.

    Attributes:
        singular_values: ``(4,)`` :math:`s_p`.
        overlaps: ``(4,)`` :math:`d_p`.
        input_directions: ``(4, 2)`` :math:`v_p` (unit input singular vectors).
        output_directions: ``(4, 1)`` :math:`u^{out}_p` (+-1: the output is one-dimensional).
        target_energies: ``(4,)`` :math:`\tfrac12 w_p\lVert y_p\rVert^2` (the loss at :math:`u = 0`).
    """

    singular_values: np.ndarray
    overlaps: np.ndarray
    input_directions: np.ndarray
    output_directions: np.ndarray
    target_energies: np.ndarray


def xor_path_modes(spec: GatedLinearNet, task: dict) -> XorPathModes:
    r"""Split the XOR GDLN into its four one-example problems and read off :math:`s_p, d_p`.

    Each problem keeps example p's weight :math:`w_p` and zeroes the others; its single mode comes
    from :func:`toyscope.theory.pathway_modes`.

    Args:
        spec: the four-path net of :func:`toyscope.nets.xor_path_net` (paths ``x -> h{p} -> y``).
        task: :func:`toyscope.tasks.xor_path_task` (``"x"``, ``"y"``, ``"gates"``, ``"weight"`` (4,),
            ``"targets"`` (4, 1)).

    Returns:
        A :class:`XorPathModes`.

    Raises:
        ValueError: the task does not have four examples.

    Example:
        >>> from toyscope import nets, tasks, theory
        >>> modes = theory.xor_path_modes(nets.xor_path_net(2), tasks.xor_path_task())
        >>> [round(float(v), 4) for v in (modes.singular_values[0], modes.overlaps[0])]
        [0.3536, 0.5]
    """
    weight = np.asarray(task["weight"])
    if weight.shape != (N_PATHS,):
        raise ValueError(f"task must have {N_PATHS} examples (one per path), got weight shape {weight.shape}")
    s_values, overlaps, v_in, u_out, energies = [], [], [], [], []
    for p in range(N_PATHS):
        one = {**task, "weight": np.where(np.arange(N_PATHS) == p, weight, 0.0).astype(weight.dtype)}
        modes = pathway_modes(spec, one, n_modes=1)
        s_values.append(float(modes.singular_values[p, 0]))
        overlaps.append(float(modes.input_overlaps[p, p, 0]))
        v_in.append(modes.bases["x"][:, 0])
        u_out.append(modes.bases["y"][:, 0])
        energies.append(0.5 * float(weight[p]) * float(np.sum(task["targets"][p] ** 2)))
    return XorPathModes(np.array(s_values), np.array(overlaps), np.stack(v_in), np.stack(u_out), np.array(energies))


def xor_path_initial_strengths(modes: XorPathModes, params: dict) -> np.ndarray:
    r"""Effective initial strength of each path, the growing mode of the linearised flow:
    :math:`u_{0,p} = \tfrac14\sum_j (a_{pj} + b_{pj})^2` with :math:`a_{pj} = u^{out}_p (W_2^{(p)})_{j}`
    and :math:`b_{pj} = v_p^\top (W_1^{(p)})_{:,j}`.

    Args:
        modes: :func:`xor_path_modes`.
        params: GDLN weights, row layout, with a leading ensemble axis E:
            ``"x->h{p}"`` ``(E, 2, n)`` and ``"h{p}->y"`` ``(E, n, 1)``.

    Returns:
        ``(4, E)`` :math:`u_{0,p}` per path and member.

    Example:
        >>> import numpy as np
        >>> from toyscope import nets, tasks, theory
        >>> modes = theory.xor_path_modes(nets.xor_path_net(1), tasks.xor_path_task())
        >>> v, u = modes.input_directions, modes.output_directions
        >>> params = {**{f"x->h{p}": 0.1 * v[p][None, :, None] for p in range(4)},
        ...           **{f"h{p}->y": 0.1 * u[p][None, None, :] for p in range(4)}}
        >>> np.round(theory.xor_path_initial_strengths(modes, params)[:, 0], 6).tolist()
        [0.01, 0.01, 0.01, 0.01]
    """
    strengths = []
    for p in range(N_PATHS):
        w1 = np.asarray(params[f"x->h{p}"])  # (E, 2, n)
        w2 = np.asarray(params[f"h{p}->y"])  # (E, n, 1)
        a = w2[..., 0] * modes.output_directions[p][0]
        b = np.einsum("ein,i->en", w1, modes.input_directions[p])
        strengths.append(np.sum((a + b) ** 2, -1) / 4)
    return np.stack(strengths)


def xor_path_loss(times, modes: XorPathModes, initial_strengths, *, tau: float = 1.0) -> np.ndarray:
    r"""Closed-form loss of the XOR GDLN from balanced paths of initial strengths :math:`u_{0,p}`:

    .. math:: L(t) = \sum_p \Big[\tfrac12 w_p\lVert y_p\rVert^2 - s_p u_p(t) + \tfrac12 d_p u_p(t)^2\Big],\qquad
              u_p(t) = \frac{(s_p/d_p)\, e^{2s_pt/\tau}}{e^{2s_pt/\tau} - 1 + (s_p/d_p)/u_{0,p}}.

    Args:
        times: ``(T,)`` gradient-flow times t of :math:`\tau\dot W = -\partial L/\partial W`.
        modes: :func:`xor_path_modes`.
        initial_strengths: ``(4,)`` :math:`u_{0,p} > 0` (e.g. the geometric mean over an ensemble of
            :func:`xor_path_initial_strengths`).
        tau: the time constant.

    Returns:
        ``(T,)`` float64 loss.

    Raises:
        ValueError: an initial strength <= 0 (from :func:`toyscope.theory.two_layer_path_strength`).

    Example:
        >>> import numpy as np
        >>> from toyscope import nets, tasks, theory
        >>> modes = theory.xor_path_modes(nets.xor_path_net(1), tasks.xor_path_task())
        >>> loss = theory.xor_path_loss(np.array([0.0, 100.0]), modes, [1e-6] * 4)
        >>> [round(float(v), 4) for v in loss]  # 1/2 mean_p y_p^2 = 0.5 at the start, 0 at the end
        [0.5, 0.0]
    """
    times = np.asarray(times)
    loss = np.zeros(times.shape)
    for p in range(N_PATHS):
        s, d = float(modes.singular_values[p]), float(modes.overlaps[p])
        u = two_layer_path_strength(times, s, d, float(initial_strengths[p]), tau=tau)
        loss += float(modes.target_energies[p]) - s * u + 0.5 * d * u ** 2
    return loss
