r"""Figures of teacher-student copy/average: student neurons against the teacher (Fig. 1), losses
at convergence against width with the phase-diagram change points (Fig. 2), gradient-flow loss
curves, and the one-neuron loss :math:`L(\ell)` with its second differences.

Paper: ``teacher-student-copy-average.txt``. The quantities come from :mod:`toyscope.theory`
(classes, closed-form losses) and :mod:`toyscope.analysis` (the gammas).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import theory
from ._plots import PALETTE, new_figure

#: colour of each network class (``theory.NETWORK_CLASSES``)
NETWORK_CLASS_COLOURS = {"C-A optimal": PALETTE[1], "copy-average": PALETTE[2], "perturbed C-A": PALETTE[5],
                         "P-n-C": PALETTE[0], "other": PALETTE[8]}
_NEURON_ORDER = {"exact-copy": 0, "approx-copy": 1, "exact-average": 2, "approx-average": 3}


def neuron_alignment_figure(a, w, teacher_w, labels: Sequence[theory.NeuronLabel], title: str = ""):
    r"""Fig. 1: per student neuron, its alignments with all teacher vectors and its magnitudes.

    Neurons are ordered copies first, then averages, then the rest (stable within a class).
    Left: box plot over :math:`j` of :math:`s_i\, w_i^\top v_j / \|w_i\|` per neuron, with
    :math:`s_i = \operatorname{sign}(a_i)` (an erf neuron with :math:`a_i < 0` is the sign-flipped
    copy). Right: bars of :math:`r_i = \|w_i\|` and :math:`|a_i|`, log scale.

    Args:
        a: ``(n,)`` output weights; w: ``(n, d)`` input weights; teacher_w: ``(k, d)``.
        labels: ``n`` neuron labels (:func:`toyscope.theory.classify_neurons`).
        title: of the left panel.

    Returns:
        a matplotlib ``Figure`` with two axes.

    Example:
        >>> from toyscope import theory, viz
        >>> teacher = theory.orthonormal_teacher(3, 4)
        >>> s = theory.copy_average_configuration([1, 2], teacher)
        >>> labels = theory.classify_neurons(s.a, s.w, teacher.w)
        >>> len(viz.neuron_alignment_figure(s.a, s.w, teacher.w, labels).axes)
        2
    """
    a, w, teacher_w = np.asarray(a), np.asarray(w), np.asarray(teacher_w)
    order = np.argsort([_NEURON_ORDER.get(label.label, 4) for label in labels], kind="stable")
    signs = np.where(a < 0, -1.0, 1.0)
    fig, (left, right) = new_figure(9, 3.4, ncols=2)
    alignments = [(signs[i] * teacher_w @ w[i]) / np.linalg.norm(w[i]) for i in order]
    left.boxplot(alignments)
    left.set_xticks(range(1, len(order) + 1), [labels[i].label.replace("-", "\n") for i in order], fontsize=7)
    left.set_ylabel(r"$w_i^\top v_j / \|w_i\|$")
    left.set_title(title, fontsize=9)
    positions = np.arange(1, len(order) + 1)
    right.bar(positions - 0.2, np.linalg.norm(w[order], axis=1), 0.4, label=r"$r_i = \|w_i\|$", color=PALETTE[1])
    right.bar(positions + 0.2, np.abs(a[order]), 0.4, label=r"$|a_i|$", color=PALETTE[0])
    right.set_yscale("log")
    right.set_xticks(positions)
    right.set_xlabel("student neuron (ordered)")
    right.legend(fontsize=8)
    return fig


def convergence_losses_figure(widths, losses, classes: Sequence[str], k: int, gammas: Mapping[str, float | None],
                              pnc_fit: tuple[float, float] | None = None, ca_optimal_losses=None):
    r"""Fig. 2: loss at convergence against student width, coloured by network class.

    Draws the C-A optimal loss :math:`L(k-n+1)` as a solid line (when given), every student as
    a point, the P-n-C fit :math:`\alpha n + \beta` dashed, and a vertical line at
    :math:`\gamma k` for each given gamma.

    Args:
        widths, losses: ``(E,)``; classes: ``E`` network classes.
        k: teacher width.
        gammas: name (``"gamma1"``, ``"gamma2"``, ``"gamma3"``) -> value or ``None`` (not drawn).
        pnc_fit: ``(slope, intercept)`` or ``None``.
        ca_optimal_losses: ``(k,)`` :math:`L(k-n+1)` at :math:`n = 1..k`, or ``None``.

    Returns:
        a matplotlib ``Figure``.

    Example:
        >>> from toyscope import viz
        >>> fig = viz.convergence_losses_figure([1, 2], [0.3, 0.1], ["C-A optimal", "P-n-C"], 3, {"gamma1": 1 / 3})
        >>> [line.get_xdata()[0] for line in fig.axes[0].lines][-1]
        1.0
    """
    fig, ax = new_figure(6, 4)
    n_line = np.arange(1, k + 1)
    if ca_optimal_losses is not None:
        ax.plot(n_line, ca_optimal_losses, "-", color=PALETTE[1], label="C-A optimal  L(k-n+1)")
    for name, colour in NETWORK_CLASS_COLOURS.items():
        points = [(n, loss) for n, loss, c in zip(widths, losses, classes) if c == name]
        if points:
            ax.plot(*zip(*points), "o", ms=4, color=colour, alpha=0.8, label=f"converged: {name}")
    if pnc_fit is not None:
        ax.plot(n_line, pnc_fit[0] * n_line + pnc_fit[1], "--", color=PALETTE[0], lw=1, label="P-n-C linear fit")
    for name, style in (("gamma1", ":"), ("gamma2", "-."), ("gamma3", "--")):
        value = gammas.get(name)
        if value is not None:
            ax.axvline(value * k, ls=style, color="grey", lw=0.8)
            ax.text(value * k, ax.get_ylim()[1] * 0.95, name.replace("gamma", "γ"), fontsize=8)
    ax.set_xlabel("student width n")
    ax.set_ylabel("population loss at convergence")
    ax.set_title(f"k = {k}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def flow_curves_figure(times: Sequence[np.ndarray], losses: Sequence[np.ndarray], classes: Sequence[str]):
    """Loss against gradient-flow time, one log-log curve per student coloured by its final class,
    with a legend naming each class drawn.

    Args:
        times, losses: per student, ``(T_e,)`` arrays (non-finite entries are dropped).
        classes: per student, its network class.

    Returns:
        a matplotlib ``Figure``.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> fig = viz.flow_curves_figure([np.array([1.0, 10.0, np.nan])], [np.array([1.0, 0.1, np.nan])], ["other"])
        >>> fig.axes[0].lines[0].get_xdata().tolist()
        [1.0, 10.0]
    """
    fig, ax = new_figure(6, 3.6)
    labelled = set()
    for t, loss, name in zip(times, losses, classes):
        t, loss = np.asarray(t), np.asarray(loss)
        keep = np.isfinite(t) & np.isfinite(loss)
        ax.loglog(t[keep], loss[keep], lw=0.8, color=NETWORK_CLASS_COLOURS.get(name, PALETTE[8]), alpha=0.7,
                  label=None if name in labelled else name)
        labelled.add(name)
    if labelled:
        ax.legend(fontsize=8, title="final class", title_fontsize=8)
    ax.set_xlabel("gradient-flow time t")
    ax.set_ylabel("loss")
    ax.set_title("gradient-flow stage (colour = final class)", fontsize=9)
    return fig


def one_neuron_loss_figure(losses):
    r""":math:`L(\ell)` for :math:`\ell = 1..k` (left) and its second differences (right, symlog;
    all :math:`\le 0` means discretely concave).

    Args:
        losses: ``(k,)`` one-neuron losses (:func:`toyscope.theory.one_neuron_losses`).

    Returns:
        a matplotlib ``Figure`` with two axes.

    Example:
        >>> from toyscope import theory, viz
        >>> len(viz.one_neuron_loss_figure(theory.one_neuron_losses(4)).axes[1].lines)
        2
    """
    losses = np.asarray(losses)
    fig, (left, right) = new_figure(8, 3, ncols=2)
    ells = np.arange(1, losses.size + 1)
    left.plot(ells, losses, "o-", ms=3, color=PALETTE[1])
    left.set_xlabel("ℓ (teacher neurons fitted by one neuron)")
    left.set_ylabel("L(ℓ)")
    if losses.size >= 3:
        right.plot(ells[1:-1], theory.second_differences(losses), "o", ms=3, color=PALETTE[0])
        right.axhline(0, color="grey", lw=0.8)
        right.set_yscale("symlog", linthresh=1e-8)
    right.set_xlabel("ℓ")
    right.set_ylabel("L(ℓ+1) - 2L(ℓ) + L(ℓ-1)")
    return fig


def gamma_against_k_figure(ks, gammas: Mapping[str, Sequence[tuple[float | None, float | None, float | None]]],
                           paper: Mapping[str, float] | None = None):
    r"""The change points :math:`\gamma_1, \gamma_2, \gamma_3` against the teacher width k, with intervals.

    Args:
        ks: ``(K,)`` teacher widths (log x axis).
        gammas: per name, ``K`` triples ``(value, low, high)`` (``None`` where not observed; the
            interval is drawn as an error bar around the value).
        paper: per name a horizontal reference line (the paper's reading at k <= 100).

    Returns:
        a matplotlib ``Figure`` with one axis: one errorbar series per gamma, in ``gammas`` order.

    Example:
        >>> fig = viz.gamma_against_k_figure([20, 50], {"gamma1": [(0.5, 0.45, 0.5), (None, None, None)]})
        >>> len(fig.axes[0].containers)
        1
    """
    ks = np.asarray(ks, float)
    fig, ax = new_figure(5, 3.5)
    for i, (name, triples) in enumerate(gammas.items()):
        colour = PALETTE[i % len(PALETTE)]
        seen = [(k, v, lo, hi) for k, (v, lo, hi) in zip(ks, triples) if v is not None]
        if seen:
            x, v, lo, hi = (np.array(c, float) for c in zip(*seen))
            lo, hi = np.where(np.isnan(lo), v, lo), np.where(np.isnan(hi), v, hi)
            ax.errorbar(x, v, yerr=[v - np.minimum(lo, v), np.maximum(hi, v) - v], fmt="o-", ms=4, capsize=3,
                        color=colour, label=name)
        if paper and name in paper:
            ax.axhline(paper[name], color=colour, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xticks(ks, [f"{k:g}" for k in ks])
    ax.set_xlabel("teacher width k")
    ax.set_ylabel("n / k")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    return fig
