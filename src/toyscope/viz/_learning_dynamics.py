"""Figures of learning dynamics against theory: loss curves of simulations beside the reduced
ODE or a closed form, singular values against mode strengths, the pathway race (neural race
Figs. 3c, 4e-f, 5b; quantities from :mod:`toyscope.theory` and :mod:`toyscope.analysis`)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._plots import new_figure

_MODE_COLORS = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]


def loss_against_theory_figure(times, random_loss, decoupled_loss, theory_loss, *, title: str):
    """Loss of each random-init member (thin red), of the decoupled-init run (green) and of the
    theory (blue dashed) against time (Fig. 4e).

    Args:
        times: ``(T,)``. random_loss: ``(T, E)``. decoupled_loss, theory_loss: ``(T,)``.
        title: the axes title.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> t = np.linspace(0, 1, 5)
        >>> fig = viz.loss_against_theory_figure(t, np.ones((5, 2)), np.ones(5), np.ones(5), title="loss")
        >>> len(fig.axes)
        1
    """
    fig, ax = new_figure(5.0, 3.6)
    random_loss = np.asarray(random_loss)
    ax.plot(times, random_loss, color="tab:red", lw=0.6, alpha=0.6)
    ax.plot([], [], color="tab:red", label=f"random init ({random_loss.shape[1]} reps)")
    ax.plot(times, decoupled_loss, color="tab:green", lw=2.5, label="decoupled init")
    ax.plot(times, theory_loss, "--", color="tab:blue", lw=1.5, label="theory (reduced ODE)")
    ax.set(xlabel="t", ylabel="training loss", title=title)
    ax.legend()
    return fig


def routing_spectra_figure(snapshot_times, spectra, times, theory_hidden, theory_input, fixed_points, *,
                           n_domains: int):
    r"""Left: top singular values of the hidden (solid) and input (dotted) weights over training,
    ensemble means, with the theory's mode strengths (dashed hidden, dash-dot input). Right: final
    input, hidden and output singular values against the balanced fixed point (Fig. 4f).

    Args:
        snapshot_times: ``(S,)``. spectra: :class:`toyscope.analysis.RoutingSpectra` of the
            snapshots, arrays ``(S, E, n)``.
        times: ``(T,)``. theory_hidden, theory_input: ``(T, n)`` mode strengths of the hidden and an input edge.
        fixed_points: ``n`` tuples ``(b_in, b_h, b_out)`` (:func:`toyscope.theory.routing_fixed_point`).
        n_domains: M (the :math:`\sqrt M` in the title).

    Example:
        >>> import numpy as np
        >>> from toyscope import analysis, viz
        >>> sv = analysis.RoutingSpectra(np.ones((3, 2, 2)), np.ones((3, 2, 2)), np.ones((3, 2, 2)))
        >>> fig = viz.routing_spectra_figure(np.arange(3), sv, np.arange(4), np.ones((4, 2)), np.ones((4, 2)),
        ...                                  [(1, 2, 1), (1, 2, 1)], n_domains=4)
        >>> len(fig.axes)
        2
    """
    fig, axes = new_figure(10.0, 3.6, ncols=2)
    hidden, inputs, outputs = (np.asarray(a) for a in spectra)
    for a in range(min(4, hidden.shape[-1])):
        axes[0].plot(snapshot_times, hidden[:, :, a].mean(1), color=_MODE_COLORS[a], lw=2)
        axes[0].plot(snapshot_times, inputs[:, :, a].mean(1), color=_MODE_COLORS[a], lw=1, ls=":")
        axes[0].plot(times, np.asarray(theory_hidden)[:, a], color=_MODE_COLORS[a], lw=0.8, ls="--")
        axes[0].plot(times, np.asarray(theory_input)[:, a], color=_MODE_COLORS[a], lw=0.8, ls="-.")
    axes[0].set(xlabel="t", ylabel="singular value", title="hidden (solid) vs input (dotted) weights;\ntheory dashed")
    b_in_all = [f[0] for f in fixed_points]
    b_h_all = [f[1] for f in fixed_points]
    axes[1].scatter(b_in_all, inputs[-1].mean(0), label="input, sim", marker="o")
    axes[1].scatter(b_h_all, hidden[-1].mean(0), label="hidden, sim", marker="s")
    axes[1].scatter(b_in_all, outputs[-1].mean(0), label="output, sim", marker="^")
    lim = max(b_h_all) * 1.1
    axes[1].plot([0, lim], [0, lim], "k:", lw=0.8)
    ratio = np.mean(spectra.hidden_to_input_ratio()[-1])
    axes[1].set(xlabel="fixed point (b_in=(s/sqrt M)^(1/3), b_h=(Ms)^(1/3))", ylabel="final singular value",
                title=f"ratio hidden/input {ratio:.2f} vs sqrt(M)={math.sqrt(n_domains):.2f}")
    axes[1].legend(fontsize=7)
    return fig


def pathway_race_figure(times, curves: Mapping[str, Mapping[str, np.ndarray]]):
    r"""The pathway race (Fig. 5b): per sharing level P, the theory's top hidden mode strength
    (solid) beside the simulation's top hidden singular value (dotted, member mean), and the
    loss relative to its start (theory solid, simulation dotted).

    Args:
        times: ``(T,)``.
        curves: label (e.g. ``"P = 4"``) -> ``{"theory_strength": (T,), "sim_strength": (T, E),
            "theory_loss": (T,), "sim_loss": (T, E)}``.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> one = {"theory_strength": np.ones(3), "sim_strength": np.ones((3, 2)), "theory_loss": np.ones(3),
        ...        "sim_loss": np.ones((3, 2))}
        >>> len(viz.pathway_race_figure(np.arange(3), {"P = 1": one}).axes)
        2
    """
    fig, axes = new_figure(10.0, 3.6, ncols=2)
    for i, (label, c) in enumerate(curves.items()):
        color = f"C{i}"
        theory_loss, sim_loss = np.asarray(c["theory_loss"]), np.asarray(c["sim_loss"])
        axes[0].plot(times, c["theory_strength"], color=color, lw=1.5, label=f"{label}: theory")
        axes[0].plot(times, np.asarray(c["sim_strength"]).mean(1), ":", color=color, lw=2, label=f"{label}: sim (top SV)")
        axes[1].plot(times, theory_loss / theory_loss[0], color=color, lw=1.5, label=f"{label}: theory")
        axes[1].plot(times, sim_loss.mean(1) / sim_loss[0].mean(), ":", color=color, lw=1.5,
                     label=f"{label}: sim (mean of {sim_loss.shape[1]})")
    axes[0].set(xlabel="t", ylabel="top hidden mode strength / singular value", title="Fig. 5b: pathway race")
    axes[1].set(xlabel="t", ylabel="loss / initial loss", title="loss (theory solid, sim dotted)")
    axes[0].legend(fontsize=7)
    axes[1].legend(fontsize=7)
    return fig


def pathway_shares_figure(times, theory_shares: Mapping[str, np.ndarray], sim_shares: Mapping[str, np.ndarray], *,
                          title: str):
    r"""The race inside one network (Fig. 5b): per group of parallel pathways, the share of the
    trained routes' targets it carries (:func:`toyscope.theory.pathway_shares`), theory solid,
    simulation dotted (member mean, thin lines each member).

    Args:
        times: ``(T,)``. theory_shares: label -> ``(T,)``. sim_shares: label -> ``(T, E)``.
        title: the axes title.

    Example:
        >>> import numpy as np
        >>> from toyscope import viz
        >>> fig = viz.pathway_shares_figure(np.arange(3), {"P = 1": np.zeros(3)}, {"P = 1": np.zeros((3, 2))},
        ...                                 title="race")
        >>> len(fig.axes[0].lines)  # theory, 2 members, their mean, the line at 1
        5
    """
    fig, ax = new_figure(5.5, 3.8)
    for i, (label, theory_curve) in enumerate(theory_shares.items()):
        color = f"C{i}"
        ax.plot(times, theory_curve, color=color, lw=1.8, label=f"{label}: theory")
        if label in sim_shares:
            sim = np.asarray(sim_shares[label])
            ax.plot(times, sim, color=color, lw=0.5, alpha=0.35)
            ax.plot(times, sim.mean(1), ":", color=color, lw=2.2, label=f"{label}: sim (mean of {sim.shape[1]})")
    ax.axhline(1.0, color="k", lw=0.6, ls="--")
    ax.set(xlabel="t", ylabel="share of the target carried", title=title)
    ax.legend(fontsize=7)
    return fig


def xor_learning_figure(times, relu_loss, gdln_loss, theory_loss, first_weights, active, inputs, targets):
    """Left: loss of each ReLU member (thin red), the GDLN mean (green) and the GDLN closed form
    (blue dashed) (Fig. 3c). Right: final input weights of the active ReLU units with the four
    inputs (crosses; red = positive target) (Fig. 3a).

    Args:
        times: ``(T,)``. relu_loss, gdln_loss: ``(T, E)``. theory_loss: ``(T,)``.
        first_weights: ``(E, 2, N_h)`` ReLU input weights. active: ``(E, N_h)`` bool units to draw.
        inputs: ``(4, 2)``. targets: ``(4, 1)``.

    Example:
        >>> import numpy as np
        >>> from toyscope import tasks, viz
        >>> xor = tasks.xor_path_task()
        >>> fig = viz.xor_learning_figure(np.arange(3), np.ones((3, 2)), np.ones((3, 2)), np.ones(3),
        ...                               np.ones((2, 2, 5)), np.ones((2, 5), bool), xor["inputs"], xor["targets"])
        >>> len(fig.axes)
        2
    """
    fig, axes = new_figure(10.0, 3.6, ncols=2)
    relu_loss, first_weights, inputs = np.asarray(relu_loss), np.asarray(first_weights), np.asarray(inputs)
    axes[0].plot(times, relu_loss, color="tab:red", lw=0.6, alpha=0.6)
    axes[0].plot([], [], color="tab:red", label=f"ReLU, {relu_loss.shape[1]} reps")
    axes[0].plot(times, np.asarray(gdln_loss).mean(1), color="tab:green", lw=2, label="GDLN sim (mean)")
    axes[0].plot(times, theory_loss, "--", color="tab:blue", label="GDLN closed form")
    axes[0].set(xlabel="t", ylabel="loss", title="Fig. 3c: XOR loss")
    axes[0].legend(fontsize=8)
    for e in range(first_weights.shape[0]):
        keep = active[e]
        axes[1].scatter(first_weights[e, 0, keep], first_weights[e, 1, keep], s=6, color="m", alpha=0.5)
    reach = np.abs(first_weights).max()
    axes[1].scatter(inputs[:, 0] * reach, inputs[:, 1] * reach,
                    c=["tab:blue" if t < 0 else "tab:red" for t in np.asarray(targets)[:, 0]], s=60, marker="x")
    axes[1].set(xlabel="w_1", ylabel="w_2", title="Fig. 3a: ReLU input weights (active units)", aspect="equal")
    return fig

