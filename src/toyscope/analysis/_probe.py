"""A linear probe: how well a linear read-out of some features predicts a scalar target, and how
strongly each feature alone correlates with it."""

from __future__ import annotations

import numpy as np


def linear_probe(train_features, train_target, test_features, test_target) -> tuple[np.ndarray, float]:
    r"""Least-squares linear probe (with intercept) fitted on train, scored on test.

    :math:`R^2 = 1 - \operatorname{var}(t - \hat t) / \operatorname{var}(t)` on the test set,
    with :math:`\hat t = [F, 1]\,\beta` and :math:`\beta` the least-squares fit on train.

    Args:
        train_features, test_features: ``(n, d)``; train_target, test_target: ``(n,)``.

    Returns:
        ``(correlations, r2)``: ``(d,)`` Pearson correlation of each test feature with the test
        target (0 for a feature with std below 1e-8), and the probe's test :math:`R^2`.

    Example:
        >>> import numpy as np
        >>> f = np.arange(10.0)[:, None]
        >>> corr, r2 = linear_probe(f, 2 * f[:, 0] + 1, f, 2 * f[:, 0] + 1)
        >>> round(float(corr[0]), 6), round(r2, 6)
        (1.0, 1.0)
    """
    train_f, test_f = np.asarray(train_features), np.asarray(test_features)
    train_t, test_t = np.asarray(train_target), np.asarray(test_target)
    design = lambda f: np.concatenate([f, np.ones((len(f), 1))], axis=1)  # noqa: E731
    coef, *_ = np.linalg.lstsq(design(train_f), train_t, rcond=None)
    residual = test_t - design(test_f) @ coef
    r2 = 1 - residual.var() / test_t.var()
    std = test_f.std(axis=0)
    corr = np.array([np.corrcoef(test_f[:, j], test_t)[0, 1] if std[j] > 1e-8 else 0.0 for j in range(test_f.shape[1])])
    return corr, float(r2)
