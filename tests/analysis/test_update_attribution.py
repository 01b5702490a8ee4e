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


def _two_layer(rng, lead, d_in=5, h=3, d_out=2):
    """Random positive two-layer leaves with leading axes ``lead`` (zeros sprinkled in)."""
    def leaf(*shape):
        x = rng.random(lead + shape)
        x[rng.random(x.shape) < 0.05] = 0.0
        return x
    return [{"weight": leaf(d_in, h), "bias": leaf(h)}, {"weight": leaf(h, d_out), "bias": leaf(d_out)}]


def test_hidden_unit_blocks_put_each_units_weights_in_one_column():
    rng = np.random.default_rng(4)
    first, second = rng.random((5, 3)), rng.random((3, 2))
    blocks = analysis.hidden_unit_blocks(first, second)
    assert blocks.shape == (7, 3)
    for j in range(3):
        assert blocks[:, j].tolist() == [*first[:, j], *second[j]]
    with pytest.raises(ValueError, match="need first"):
        analysis.hidden_unit_blocks(first, second.T)


def test_member_attribution_equals_a_plain_numpy_recomputation():
    rng = np.random.default_rng(5)
    tallies, forks = _two_layer(rng, (3, 2)), _two_layer(rng, (4, 3))
    e = 1
    got = analysis.member_attribution(tallies, forks, e)
    for kind in ("weight", "bias"):
        rs, qs = [], []
        for t, f in zip(tallies, forks):
            a, b = t[kind][e, 0].ravel(), t[kind][e, 1].ravel()
            c = np.abs(f[kind][0, e] - f[kind][1, e]).ravel()
            d = np.abs(f[kind][2, e] - f[kind][3, e]).ravel()
            rs += [a[i] / (a[i] + b[i]) if a[i] + b[i] > 0 else np.nan for i in range(a.size)]
            qs += [c[i] / (c[i] + d[i]) if c[i] + d[i] > 0 else np.nan for i in range(c.size)]
        rs, qs = np.array(rs), np.array(qs)
        keep = np.isfinite(rs) & np.isfinite(qs)
        fit = getattr(got, kind)
        assert fit.n == keep.sum() and fit.n_excluded == (~keep).sum()
        np.testing.assert_allclose(fit.r2, np.corrcoef(rs[keep], qs[keep])[0, 1] ** 2, rtol=1e-10)
    np.testing.assert_array_equal(got.r_bias, got.bias_blocks[0][0])
    assert got.bias_blocks[0].shape == (1, 5) and got.weight_blocks[0].shape == (7, 3)
    # column j of the weight blocks is hidden unit j: its 5 incoming and 2 outgoing weights
    r0 = analysis.relative_updating(tallies[0]["weight"][e, 0], tallies[0]["weight"][e, 1])
    r1 = analysis.relative_updating(tallies[1]["weight"][e, 0], tallies[1]["weight"][e, 1])
    np.testing.assert_array_equal(got.weight_blocks[0][:, 2], [*r0[:, 2], *r1[2]])
    # pixel correlation: over the weights leaving input i
    q0 = analysis.relative_difference(*(forks[0]["weight"][k, e] for k in range(4)))
    for i in range(5):
        keep = np.isfinite(r0[i]) & np.isfinite(q0[i])
        expected = np.corrcoef(r0[i, keep], q0[i, keep])[0, 1] if keep.sum() >= 3 else np.nan
        np.testing.assert_allclose(got.pixel_correlation[i], expected, rtol=1e-10)


def test_r2_against_snapshots_is_member_attribution_at_each_nonzero_step():
    rng = np.random.default_rng(6)
    tallies = _two_layer(rng, (2, 2))
    snaps = [_two_layer(rng, (4, 2)) for _ in range(3)]
    stacked = [{kind: np.stack([s[l][kind] for s in snaps]) for kind in ("weight", "bias")} for l in range(2)]
    out = analysis.r2_against_snapshots(tallies, np.array([0, 4, 8]), stacked, 2)
    assert out["steps"] == [4, 8]
    for i, s in enumerate(snaps[1:]):
        for e in range(2):
            m = analysis.member_attribution(tallies, s, e)
            assert out["weights"][i][e] == m.weight.r2 and out["biases"][i][e] == m.bias.r2


def test_mean_correlation_map_is_nan_aware_and_all_nan_when_nothing_is_defined():
    c = np.array([[0.2, np.nan, 0.5, np.nan], [0.4, 0.1, np.nan, np.nan]])
    got = analysis.mean_correlation_map(c, (2, 2))
    np.testing.assert_allclose(got[0], [0.3, 0.1])
    assert got[1, 0] == 0.5 and np.isnan(got[1, 1])
    assert np.isnan(analysis.mean_correlation_map(np.full((2, 4), np.nan), (2, 2))).all()


def test_correlation_map_summary_counts_nan_pixels_as_not_positive():
    m = np.array([[0.4, -0.2, np.nan], [0.1, np.nan, -0.5]])
    got = analysis.correlation_map_summary(m)
    assert got["mean_over_pixels"] == pytest.approx((0.4 - 0.2 + 0.1 - 0.5) / 4)
    assert got["fraction_positive"] == pytest.approx(2 / 6)
    empty = analysis.correlation_map_summary(np.full((2, 2), np.nan))
    assert np.isnan(empty["mean_over_pixels"]) and empty["fraction_positive"] == 0.0
