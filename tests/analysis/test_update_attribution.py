"""Update-attribution analyses against numpy/scipy and plain loops."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from toyscope import analysis


def test_relative_updating_and_difference_match_formulas_and_mark_undefined():
    a = np.array([[1.0, 0.0], [2.0, 0.0]])
    b = np.array([[3.0, 0.0], [0.0, 5.0]])
    r = analysis.relative_updating(a, b)
    np.testing.assert_allclose(r[0, 0], 0.25)
    np.testing.assert_allclose(r[1], [1.0, 0.0])
    assert np.isnan(r[0, 1])  # never updated -> excluded
    f = [np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 1.0]), np.array([1.0, 2.0, 0.0]), np.array([1.0, 2.0, 1.0])]
    q = analysis.relative_difference(*f)
    np.testing.assert_allclose(q[[0, 2]], [1.0, 2.0 / 3.0])
    assert np.isnan(q[1])  # all forks agree
    with pytest.raises(ValueError, match="non-negative"):
        analysis.relative_share(np.array([-1.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="equal shapes"):
        analysis.relative_share(np.ones(2), np.ones(3))


def test_fit_relative_equals_scipy_on_the_defined_pairs():
    rng = np.random.default_rng(0)
    r = rng.random(500)
    q = 0.3 * r + 0.2 * rng.random(500)
    r[:7] = np.nan
    q[10:13] = np.nan
    fit = analysis.fit_relative(r, q)
    keep = np.isfinite(r) & np.isfinite(q)
    ref = stats.linregress(r[keep], q[keep])
    slope, intercept = np.polyfit(r[keep], q[keep], 1)
    assert fit.n == 490 and fit.n_excluded == 10
    np.testing.assert_allclose([fit.slope, fit.intercept], [slope, intercept], rtol=1e-10)
    np.testing.assert_allclose(fit.r2, np.corrcoef(r[keep], q[keep])[0, 1] ** 2, rtol=1e-10)
    np.testing.assert_allclose(fit.p_ols, ref.pvalue, rtol=1e-6)
    assert fit.correlation_low < fit.correlation < fit.correlation_high
    assert np.isnan(analysis.fit_relative(np.ones(10), np.arange(10.0)).r2)


def _loop_block_p(r, q, n_permutations, seed):
    """The same permutations as the vectorised code, one np.corrcoef each."""
    rng = np.random.default_rng(seed)
    perms = np.argsort(rng.random((n_permutations, r.shape[1])), axis=1)

    def rho(rr):
        keep = np.isfinite(rr) & np.isfinite(q)
        return np.corrcoef(rr[keep], q[keep])[0, 1]

    observed = rho(r)
    null = np.array([rho(r[:, p]) for p in perms])
    return (1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + n_permutations)


def test_block_permutation_p_equals_plain_loop_with_missing_values():
    rng = np.random.default_rng(1)
    r = rng.random((30, 12))
    q = 0.2 * r + rng.random((30, 12))
    r[rng.random(r.shape) < 0.1] = np.nan
    q[rng.random(q.shape) < 0.1] = np.nan
    got = analysis.block_permutation_test(r, q, n_permutations=300, seed=5)
    np.testing.assert_allclose(got, _loop_block_p(r, q, 300, 5), rtol=1e-12)


def test_block_permutation_is_not_fooled_by_block_offsets_that_fool_ols():
    """r and q share nothing but a per-block offset in each: OLS over all points is 'significant',
    while shuffling whole blocks is not; a real within-block link is detected by both."""
    rng = np.random.default_rng(2)
    offsets_r, offsets_q = rng.normal(size=8), rng.normal(size=8)
    r = offsets_r + 0.1 * rng.normal(size=(200, 8))
    q = offsets_q + 0.1 * rng.normal(size=(200, 8))
    ols = analysis.fit_relative(r, q).p_ols
    block = analysis.block_permutation_test(r, q, n_permutations=2000, seed=0)
    assert ols < 1e-6 and block > 0.05
    linked = r + 0.05 * rng.normal(size=r.shape)
    assert analysis.block_permutation_test(r, linked, n_permutations=999, seed=0) == pytest.approx(1 / 1000)


def test_row_correlations_equal_corrcoef_per_row():
    rng = np.random.default_rng(3)
    r, q = rng.random((6, 40)), rng.random((6, 40))
    r[0, :5] = np.nan
    q[1, 3] = np.nan
    r[2] = 0.5  # constant row -> undefined
    r[3, 2:] = np.nan  # only two pairs -> undefined
    got = analysis.row_correlations(r, q)
    for i in (0, 1, 4, 5):
        keep = np.isfinite(r[i]) & np.isfinite(q[i])
        np.testing.assert_allclose(got[i], np.corrcoef(r[i, keep], q[i, keep])[0, 1], rtol=1e-10)
    assert np.isnan(got[2]) and np.isnan(got[3])
