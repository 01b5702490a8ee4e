r"""In-context linear regression sequences (BIMT Section 3.4, after Akyürek et al. 2022).

Each sequence has its own weight :math:`w \in \mathbb{R}^d` and ``n + 1`` inputs
:math:`x_1..x_{n+1}` with :math:`y_i = w\cdot x_i`. Tokens are ``d + 1``-vectors: an x-token
is :math:`[0, x_i]` and a y-token :math:`[y_i, 0, \dots, 0]`; the sequence
:math:`[0, x_1], [y_1, 0], \dots, [0, x_n], [y_n, 0], [0, x_{n+1}]` (``2n + 1`` tokens) is the
input, and the target at every x-token is the next token's first component, :math:`y_i`
(the authors' ``incontext_3.4.ipynb``: its Figure 7 "takes in [0, x] to predict [y, 0]"). The
last target, :math:`y_{n+1}`, is the in-context prediction; the first, :math:`y_1`, cannot be
inferred (no example yet) and its best prediction is :math:`E[w]\,x_1`.

Ranges: the authors' code draws :math:`w \sim U[-1, 1]` and :math:`x \sim U[1, 3]`, which is
what Appendix F.2 says Section 3.4 did ("x_1 constrained to be positive and bounded away from
zero"); Section 3.4's text (as extracted) names the ranges the other way round, which is the
singular setting of Appendix F.2. Both are available through ``w_range`` and ``x_range``.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.4 and Appendix F.2; Akyürek et
al., arXiv:2211.15661.
"""

from __future__ import annotations

import numpy as np


def _check_range(name: str, value) -> tuple[float, float]:
    low, high = (float(v) for v in value)
    if not high > low:
        raise ValueError(f"{name} must be (low, high) with high > low, got {tuple(value)!r}")
    return low, high


def in_context_regression_task(n_sequences: int = 10_000, *, n_examples: int = 1, dim: int = 1,
                               w_range=(-1.0, 1.0), x_range=(1.0, 3.0), train_fraction: float = 0.8,
                               seed: int = 0) -> dict:
    r"""Sequences for in-context linear regression, split into train and test.

    Args:
        n_sequences: sequences in total (the authors' code: 10,000, split 80/20).
        n_examples: :math:`n`, in-context examples before the query.
        dim: :math:`d`, the input dimension.
        w_range, x_range: uniform ranges of every component of :math:`w` and of :math:`x`.
        train_fraction: share of sequences for training.
        seed: numpy seed.

    Returns:
        ``{"train": {"x", "y", "w"}, "test": {...}, "input_names", "output_names"}`` with
        ``x`` ``(N, 2n+1, d+1)`` float32 tokens, ``y`` ``(N, n+1)`` float32 targets at the
        x-tokens (positions ``0, 2, ..., 2n``) and ``w`` ``(N, d)``.

    Raises:
        ValueError: sizes < 1, ``n_examples`` < 0, a bad range or ``train_fraction``.
    """
    if n_sequences < 2 or n_examples < 0 or dim < 1:
        raise ValueError(f"need n_sequences >= 2, n_examples >= 0, dim >= 1; got {n_sequences}, {n_examples}, {dim}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    w_low, w_high = _check_range("w_range", w_range)
    x_low, x_high = _check_range("x_range", x_range)
    rng = np.random.default_rng(seed)
    w = rng.uniform(w_low, w_high, size=(n_sequences, dim))
    x = rng.uniform(x_low, x_high, size=(n_sequences, n_examples + 1, dim))
    y = np.einsum("nd,ntd->nt", w, x)
    tokens = np.zeros((n_sequences, 2 * n_examples + 1, dim + 1))
    tokens[:, 0::2, 1:] = x
    tokens[:, 1::2, 0] = y[:, :-1]
    order = rng.permutation(n_sequences)
    n_train = int(round(train_fraction * n_sequences))
    take = lambda idx: {"x": tokens[idx].astype(np.float32), "y": y[idx].astype(np.float32),  # noqa: E731
                        "w": w[idx].astype(np.float32)}
    return {"train": take(order[:n_train]), "test": take(order[n_train:]),
            "input_names": ["y-slot", *(["x"] if dim == 1 else [f"x{i + 1}" for i in range(dim)])],
            "output_names": ["y", *(["-"] * dim)]}
