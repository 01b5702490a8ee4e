r"""Symbolic-regression tasks with modular structure (BIMT Section 3.1).

Inputs :math:`x_i \sim U[-1, 1]`; targets:

=========  ==========================================================  =================
name       targets                                                     property
=========  ==========================================================  =================
``a``      :math:`y_1 = x_2^2 + \sin(\pi x_4)`, :math:`y_2 = (x_1 + x_3)^3`  independence
``b``      :math:`(x_1^2,\; x_1^2 + x_2^2,\; x_1^2 + x_2^2 + x_3^2)`            feature sharing
``c``      :math:`\sqrt{(x_1 - x_2)^2 + (x_3 - x_4)^2}`                   compositionality
=========  ==========================================================  =================

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.1 and Figure 3.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._draws import check_draw


def _formula_a(x):
    return np.stack([x[:, 1] ** 2 + np.sin(np.pi * x[:, 3]), (x[:, 0] + x[:, 2]) ** 3], axis=1)


def _formula_b(x):
    squares = x**2
    return np.cumsum(squares, axis=1)


def _formula_c(x):
    return np.sqrt((x[:, 0] - x[:, 1]) ** 2 + (x[:, 2] - x[:, 3]) ** 2)[:, None]


# name -> (n_inputs, formula, output names)
SYMBOLIC_FORMULAS: dict[str, tuple[int, Callable[[np.ndarray], np.ndarray], tuple[str, ...]]] = {
    "a": (4, _formula_a, ("x2²+sin(πx4)", "(x1+x3)³")),
    "b": (3, _formula_b, ("x1²", "x1²+x2²", "x1²+x2²+x3²")),
    "c": (4, _formula_c, ("√((x1-x2)²+(x3-x4)²)",)),
}


def symbolic_task(name: str, n_train: int = 100, n_test: int = 100, *, seed: int, dtype=np.float32,
                  draw: str = "generator") -> dict:
    """Train and test sets of the symbolic formula ``name`` with inputs drawn from U[-1, 1].

    Args:
        name: ``"a"``, ``"b"`` or ``"c"`` (see the module docstring).
        n_train, n_test: examples in each split (the paper: 100 and 100).
        seed: numpy seed of the draw (keyword-only).
        draw: ``"generator"`` (``numpy.random.default_rng(seed).uniform``, both splits at once) or
            ``"legacy"``: ``np.random.seed(seed)`` then ``np.random.rand(n, d) * 2 - 1`` for the
            training inputs, then again for the test inputs, the points of scripts written against
            numpy's global state (the BIMT authors' ``symbolic_formulas_3.1.ipynb``).

    Returns:
        ``{"train": {"x": (n_train, d_in), "y": (n_train, d_out)}, "test": {...},
        "input_names": [...], "output_names": [...]}``.

    Raises:
        ValueError: unknown ``name`` or ``draw``, or a split size < 1.
    """
    if name not in SYMBOLIC_FORMULAS:
        raise ValueError(f"unknown symbolic formula {name!r}; valid: {', '.join(SYMBOLIC_FORMULAS)}")
    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train and n_test must be >= 1, got {n_train} and {n_test}")
    check_draw(draw)
    n_inputs, formula, output_names = SYMBOLIC_FORMULAS[name]
    if draw == "legacy":
        legacy = np.random.RandomState(seed)
        x = np.concatenate([legacy.rand(n_train, n_inputs) * 2 - 1, legacy.rand(n_test, n_inputs) * 2 - 1])
    else:
        x = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n_train + n_test, n_inputs))
    y = formula(x)
    split = lambda a, b: {"x": x[a:b].astype(dtype), "y": y[a:b].astype(dtype)}  # noqa: E731
    return {"train": split(0, n_train), "test": split(n_train, n_train + n_test),
            "input_names": [f"x{i + 1}" for i in range(n_inputs)], "output_names": list(output_names)}
