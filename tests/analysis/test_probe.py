"""The linear probe against its definition: an exact linear target, a constant feature, and the
R^2 of a noisy target recomputed from the normal equations."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import analysis


def test_linear_probe_against_normal_equations():
    rng = np.random.default_rng(0)
    train_f, test_f = rng.normal(size=(50, 3)), rng.normal(size=(30, 3))
    test_f[:, 2] = 1.5  # a constant feature has no correlation
    exact = lambda f: 2 * f[:, 0] - f[:, 1] + 3  # noqa: E731
    corr, r2 = analysis.linear_probe(train_f, exact(train_f), test_f, exact(test_f))
    assert r2 == pytest.approx(1.0, abs=1e-9) and corr[2] == 0.0
    t = exact(test_f)
    by_hand = ((test_f[:, 0] - test_f[:, 0].mean()) * (t - t.mean())).sum() / np.sqrt(
        ((test_f[:, 0] - test_f[:, 0].mean()) ** 2).sum() * ((t - t.mean()) ** 2).sum())
    assert corr[0] == pytest.approx(by_hand, rel=1e-9)
    # a noisy target: beta from the normal equations (X^T X) beta = X^T t with an intercept column
    noisy_train = exact(train_f) + rng.normal(size=50)
    noisy_test = exact(test_f) + rng.normal(size=30)
    design = np.c_[train_f[:, :2], np.ones(50)]
    beta = np.linalg.solve(design.T @ design, design.T @ noisy_train)
    residual = noisy_test - np.c_[test_f[:, :2], np.ones(30)] @ beta
    _, r2 = analysis.linear_probe(train_f[:, :2], noisy_train, test_f[:, :2], noisy_test)
    assert r2 == pytest.approx(1 - residual.var() / noisy_test.var(), rel=1e-9)
