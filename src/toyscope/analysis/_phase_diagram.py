r"""The width phase diagram of teacher-student copy/average: where the network classes change.

From converged students (width :math:`n`, network class, loss) for a teacher of width
:math:`k`, with :math:`W` the measured widths below :math:`k`:

* :math:`\gamma_1 = n^\dagger/k` with :math:`n^\dagger` the largest width in :math:`W` such that at
  every measured width up to and including it, every seed is in the C-A classes (``ca_classes``);
* :math:`\gamma_2 = n_\dagger/k` with :math:`n_\dagger` the smallest width in :math:`W` such that at
  every measured width from it up to :math:`k-1`, every seed is P-n-C;
* :math:`\gamma_3`: with the least-squares line :math:`L \approx \alpha n + \beta` through the P-n-C
  losses (at least two distinct widths) and the C-A optimal loss :math:`L_{CA}(n) = L(k-n+1)`
  interpolated linearly on :math:`20k + 1` evenly spaced widths from 1 to :math:`k`, the first grid
  width where :math:`\alpha n + \beta < L_{CA}(n)`, divided by :math:`k`.

``None`` where not observed. Paper: ``teacher-student-copy-average.txt`` (Fig. 2, which reads
:math:`\gamma_1 \approx 0.46`, :math:`\gamma_2 \approx 0.6`, :math:`\gamma_3 \approx 0.75` off the plot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class PhaseDiagramGammas(NamedTuple):
    """:math:`\\gamma_1, \\gamma_2, \\gamma_3` (``None`` where not observed) and the P-n-C loss
    fit ``(slope, intercept)`` (``None`` with fewer than two P-n-C widths)."""

    gamma1: float | None
    gamma2: float | None
    gamma3: float | None
    pnc_fit: tuple[float, float] | None


def phase_diagram_gammas(widths: Sequence[int], classes: Sequence[str], losses: Sequence[float], k: int, *,
                         ca_classes: Sequence[str] = ("C-A optimal",),
                         ca_optimal_losses=None) -> PhaseDiagramGammas:
    r"""The change points :math:`\gamma_1, \gamma_2, \gamma_3` of the phase diagram (module docstring).

    Args:
        widths, classes, losses: ``(E,)`` width, network class and loss of each converged student.
        k: teacher width.
        ca_classes: classes counted as C-A optimal for :math:`\gamma_1` (ReLU students add
            ``"perturbed C-A"``).
        ca_optimal_losses: ``(k,)`` C-A optimal loss :math:`L(k-n+1)` at :math:`n = 1..k`; ``None``
            (e.g. ReLU, which has no closed form) leaves :math:`\gamma_3` unset.

    Returns:
        :class:`PhaseDiagramGammas`.

    Raises:
        ValueError: ``widths``, ``classes`` and ``losses`` differ in length, or ``ca_optimal_losses`` is not ``(k,)``.

    Example:
        >>> g = phase_diagram_gammas([1, 2, 3, 4], ["C-A optimal", "C-A optimal", "P-n-C", "P-n-C"],
        ...                          [0.5, 0.4, 0.3, 0.2], 5)
        >>> g.gamma1, g.gamma2, g.gamma3
        (0.4, 0.6, None)
    """
    widths, classes, losses = [int(n) for n in widths], list(classes), list(losses)
    if not len(widths) == len(classes) == len(losses):
        raise ValueError(f"widths, classes and losses must have equal lengths, got {len(widths)}, {len(classes)}, "
                         f"{len(losses)}")
    if ca_optimal_losses is not None and np.shape(ca_optimal_losses) != (k,):
        raise ValueError(f"ca_optimal_losses must have shape ({k},), got {np.shape(ca_optimal_losses)}")
    measured = sorted(set(widths))
    by_n = {n: [c for m, c in zip(widths, classes) if m == n] for n in measured}
    below_k = [n for n in measured if n < k]
    gamma1 = None
    for n in below_k:
        if all(c in ca_classes for c in by_n[n]):
            gamma1 = n / k
        else:
            break
    gamma2 = None
    for n in reversed(below_k):
        if all(c == "P-n-C" for c in by_n[n]):
            gamma2 = n / k
        else:
            break
    pnc = [(n, loss) for n, c, loss in zip(widths, classes, losses) if c == "P-n-C"]
    gamma3, fit = None, None
    if len({n for n, _ in pnc}) >= 2:
        slope, intercept = np.polyfit([n for n, _ in pnc], [loss for _, loss in pnc], 1)
        fit = (float(slope), float(intercept))
        if ca_optimal_losses is not None:
            grid = np.linspace(1, k, 20 * k + 1)
            ca = np.interp(grid, np.arange(1, k + 1), np.asarray(ca_optimal_losses))
            below = np.flatnonzero(slope * grid + intercept < ca)
            gamma3 = float(grid[below[0]] / k) if below.size else None
    return PhaseDiagramGammas(gamma1, gamma2, gamma3, fit)


class GammaInterval(NamedTuple):
    """A bootstrap interval of one change point: ``low``, ``high`` (``None`` if never observed)
    and ``observed``, the share of resamples in which it was observed at all."""

    low: float | None
    high: float | None
    observed: float


def phase_diagram_gamma_intervals(widths: Sequence[int], classes: Sequence[str], losses: Sequence[float], k: int, *,
                                  ca_classes: Sequence[str] = ("C-A optimal",), ca_optimal_losses=None,
                                  n_resamples: int = 1000, confidence: float = 0.95,
                                  seed: int = 0) -> dict[str, GammaInterval]:
    r"""Bootstrap intervals of :math:`\gamma_1, \gamma_2, \gamma_3` (:func:`phase_diagram_gammas`).

    Each resample draws, at every measured width independently, as many students as were
    measured there, with replacement (the seeds of one width are exchangeable; the widths are the
    design), and recomputes the three gammas; the interval is the central ``confidence`` range
    of the resampled values where they are observed. The gammas are grid values (resolution
    :math:`\Delta n / k`), so the interval is a set of grid values: it says how far the
    boundary moves when other seeds had been drawn, not a continuous error bar. A width where
    every seed agrees never moves in a resample; with S seeds, an outcome of probability p at a
    width is missed by all of them with probability :math:`(1-p)^S`, which no bootstrap can see.

    Args:
        widths, classes, losses, k, ca_classes, ca_optimal_losses: as :func:`phase_diagram_gammas`.
        n_resamples: bootstrap resamples; confidence: central share; seed: numpy seed.

    Returns:
        ``{"gamma1": GammaInterval, "gamma2": ..., "gamma3": ...}``.

    Raises:
        ValueError: as :func:`phase_diagram_gammas`, or ``n_resamples < 1`` or ``confidence`` not in (0, 1).

    Example:
        >>> intervals = phase_diagram_gamma_intervals([1, 1, 2, 2], ["C-A optimal"] * 3 + ["P-n-C"], [0.5] * 4, 4)
        >>> intervals["gamma1"].low, intervals["gamma1"].high   # width 2 is all-C-A in 1/4 of resamples
        (0.25, 0.5)
    """
    if n_resamples < 1 or not 0 < confidence < 1:
        raise ValueError(f"need n_resamples >= 1 and 0 < confidence < 1, got {n_resamples}, {confidence}")
    widths, classes, losses = np.asarray([int(n) for n in widths]), list(classes), np.asarray(losses, float)
    phase_diagram_gammas(widths, classes, losses, k, ca_classes=ca_classes, ca_optimal_losses=ca_optimal_losses)
    groups = [np.flatnonzero(widths == n) for n in sorted(set(widths.tolist()))]
    rng = np.random.default_rng(seed)
    samples = {"gamma1": [], "gamma2": [], "gamma3": []}
    for _ in range(n_resamples):
        pick = np.concatenate([rng.choice(group, size=group.size, replace=True) for group in groups])
        gammas = phase_diagram_gammas(widths[pick], [classes[i] for i in pick], losses[pick], k,
                                      ca_classes=ca_classes, ca_optimal_losses=ca_optimal_losses)
        for name in samples:
            samples[name].append(getattr(gammas, name))
    tail = 100 * (1 - confidence) / 2
    out = {}
    for name, values in samples.items():
        seen = np.array([v for v in values if v is not None], float)
        if seen.size:
            low, high = np.percentile(seen, [tail, 100 - tail], method="inverted_cdf")
            out[name] = GammaInterval(float(low), float(high), seen.size / n_resamples)
        else:
            out[name] = GammaInterval(None, None, 0.0)
    return out


class WidthClasses(NamedTuple):
    """The students of one width: how many, how many in each class, their mean loss."""

    n: int
    n_students: int
    counts: dict[str, int]
    mean_loss: float


def classes_by_width(widths: Sequence[int], classes: Sequence[str], losses: Sequence[float],
                     class_names: Sequence[str]) -> list[WidthClasses]:
    """Per measured width (ascending): number of students, count per class, mean loss.

    Args:
        widths, classes, losses: ``(E,)`` as :func:`phase_diagram_gammas`.
        class_names: classes to count (``counts`` has exactly these keys, in this order).

    Returns:
        one :class:`WidthClasses` per distinct width.

    Example:
        >>> rows = classes_by_width([2, 1, 2], ["P-n-C", "C-A optimal", "other"], [0.1, 0.3, 0.2], ["P-n-C", "other"])
        >>> [(r.n, r.n_students, r.counts["P-n-C"], round(r.mean_loss, 3)) for r in rows]
        [(1, 1, 0, 0.3), (2, 2, 1, 0.15)]
    """
    out = []
    for n in sorted(set(int(m) for m in widths)):
        group = [(c, loss) for m, c, loss in zip(widths, classes, losses) if m == n]
        out.append(WidthClasses(n, len(group), {name: sum(c == name for c, _ in group) for name in class_names},
                                float(np.mean([loss for _, loss in group]))))
    return out
