r"""The paper's Tables 1 and 2 and how a measured cell compares with them.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Tables 1 and 2.
"""

from __future__ import annotations

import numpy as np

from ._tasks import PAPER_SETUPS

#: the regression task of Figure 2 and Figure A1 (Appendix A: "(y1, y2) = (x1x4 + x2x3, x1x4 - x2x3)
#: from (x1, x2, x3, x4) with a two-hidden-layer MLP"), in the grammar of ``toyscope.tasks.parse_formula``
FIGURE2_FORMULA = "y1 = x1*x4 + x2*x3; y2 = x1*x4 - x2*x3"

# Table 1 (loss, or accuracy in %) and Table 2 of the paper: task -> method -> (mean, std)
PAPER_TABLE1 = {
    "symbolic-a": {"vanilla": (5.2e-3, 1.0e-3), "l1": (7.9e-3, 0.8e-3), "bimt": (7.4e-3, 1.0e-3)},
    "symbolic-b": {"vanilla": (1.1e-5, 0.4e-5), "l1": (1.2e-5, 0.3e-5), "bimt": (8.0e-5, 1.5e-5)},
    "symbolic-c": {"vanilla": (1.2e-4, 0.5e-4), "l1": (1.8e-4, 0.4e-4), "bimt": (1.3e-3, 0.3e-3)},
    "two-moons": {m: (100.0, 0.0) for m in ("vanilla", "l1", "bimt")},
    "mod-add": {m: (100.0, 0.0) for m in ("vanilla", "l1", "bimt")},
    "permutation-s4": {m: (100.0, 0.0) for m in ("vanilla", "l1", "bimt")},
    "in-context": {"vanilla": (7.8e-5, 1.8e-5), "l1": (7.2e-5, 1.0e-5), "bimt": (1.8e-4, 0.4e-4)},
    "mnist": {"vanilla": (98.5, 0.2), "l1": (98.4, 0.3), "bimt": (98.2, 0.3)},
}
PAPER_TABLE2 = {
    "symbolic-a": {"vanilla": (0.207, 0.025), "l1": (0.512, 0.042), "bimt": (0.581, 0.042)},
    "symbolic-b": {"vanilla": (0.151, 0.015), "l1": (0.456, 0.035), "bimt": (0.543, 0.063)},
    "symbolic-c": {"vanilla": (0.145, 0.023), "l1": (0.328, 0.027), "bimt": (0.392, 0.021)},
    "two-moons": {"vanilla": (0.291, 0.032), "l1": (0.289, 0.016), "bimt": (0.338, 0.039)},
    "mod-add": {"vanilla": (0.194, 0.028), "l1": (0.435, 0.028), "bimt": (0.535, 0.027)},
    "permutation-s4": {"vanilla": (0.129, 0.012), "l1": (0.371, 0.031), "bimt": (0.634, 0.043)},
    "in-context": {"vanilla": (0.085, 0.014), "l1": (0.083, 0.010), "bimt": (0.161, 0.013)},
    "mnist": {"vanilla": (0.073, 0.005), "l1": (0.099, 0.008), "bimt": (0.238, 0.021)},
}
_CLASSIFICATION = {task for task, setup in PAPER_SETUPS.items() if setup.accuracy}


def paper_comparison(task: str, method: str, values) -> tuple[str, bool] | None:
    r"""How one cell's Table 1 values (per seed; accuracy as a fraction) compare with the paper's.

    Within the paper's spread means :math:`|m - m_p| \le 2 \sqrt{s_p^2 + s^2 / n} + u/2`: our mean
    :math:`m` over :math:`n` seeds (population std :math:`s`, so :math:`s / \sqrt{n}` is its own
    uncertainty) lies within two of the paper's seed stds :math:`s_p` of its mean :math:`m_p`, up
    to ``u``, the unit of the paper's last printed digit (0.1 points of accuracy; 0.1 of the loss's
    leading power of ten). Returns ``("-9.6 points" or "x 0.55", within)``, or ``None`` where the
    paper gives no value.
    """
    if method not in PAPER_TABLE1.get(task, {}):
        return None
    paper_mean, paper_std = PAPER_TABLE1[task][method]
    values = np.asarray(values, dtype=float) * (100.0 if task in _CLASSIFICATION else 1.0)
    mean, std = values.mean(), values.std()
    unit = 0.1 if task in _CLASSIFICATION else 0.1 * 10.0 ** np.floor(np.log10(paper_mean))
    within = bool(abs(mean - paper_mean) <= 2 * np.hypot(paper_std, std / np.sqrt(len(values))) + unit / 2)
    text = f"{mean - paper_mean:+.1f} points" if task in _CLASSIFICATION else f"x {mean / paper_mean:.2f}"
    return text, within
