"""Update-attribution baselines against independent truth: the linearised fork against a finite-
difference one-step fork and the O(eta^2) error of a longer one, the R^2 split against a plain-loop
decomposition, the [0, 1] interval against its formula, exact fork zeros in float32 training, and
the constant-input clusters on real forks."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from toyscope import analysis, nets, train


def _net(dtype=jnp.float64, d_in=5, hidden=4, seed=0):
    spec = nets.mlp([d_in, hidden, 2], "softplus", "softplus")
    params = nets.init(spec, key=jax.random.key(seed), n_networks=2, bias_scheme="same", dtype=dtype)
    return spec, params


def _data(n=12, d_in=5, seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d_in)).astype(dtype)
    y = np.eye(2, dtype=dtype)[rng.integers(0, 2, n)]
    return {"x": x, "y": y}


def test_linearised_one_sample_fork_is_a_finite_difference_sgd_step():
    with jax.enable_x64(True):
        spec, params = _net()
        data = _data()
        objective = train.mlp_objective(spec, "mse")
        loss = jax.jit(objective)
        eta, eps = 0.05, 1e-6
        lin = analysis.linearised_forks(objective, params, data, [np.array([3]), np.array([7])], learning_rate=eta)
        # independent truth: central finite differences of the one-sample loss, one coordinate at a time
        for k, sample in enumerate((3, 7)):
            batch = {"x": jnp.asarray(data["x"][sample:sample + 1]), "y": jnp.asarray(data["y"][sample:sample + 1])}
            for e in range(2):
                member = jax.tree_util.tree_map(lambda p, e=e: np.asarray(p[e]), params)
                for layer, kind, index in ((0, "weight", (2, 1)), (0, "bias", (3,)), (1, "weight", (1, 0)), (1, "bias", (1,))):
                    plus = jax.tree_util.tree_map(np.copy, member)
                    minus = jax.tree_util.tree_map(np.copy, member)
                    plus[layer][kind][index] += eps
                    minus[layer][kind][index] -= eps
                    fd = (float(loss(plus, batch)) - float(loss(minus, batch))) / (2 * eps)
                    expected = member[layer][kind][index] - eta * fd
                    assert lin[layer][kind][(k, e, *index)] == pytest.approx(expected, abs=1e-9)


def test_linearised_forks_match_real_forks_to_second_order_in_eta():
    with jax.enable_x64(True):
        spec, params = _net()
        data = _data()
        objective = train.mlp_objective(spec, "mse")
        subsets = [np.arange(12), np.arange(12)[::-1]]
        errors = []
        for eta in (2e-3, 1e-3):
            lin = analysis.linearised_forks(objective, params, data, subsets, learning_rate=eta, chunk=5)
            fork = train.fork(objective, params, data, subsets, optimizer=train.Optimizer("sgd", eta))
            errors.append(max(float(np.abs(a - np.asarray(b)).max()) for a, b in
                              zip(jax.tree_util.tree_leaves(lin), jax.tree_util.tree_leaves(fork.params), strict=True)))
        assert errors[0] > 0 and 3.6 < errors[0] / errors[1] < 4.4  # halving eta quarters the error


def test_r2_split_matches_a_plain_loop_decomposition():
    rng = np.random.default_rng(2)
    unit = rng.normal(size=7)
    r = unit[None] + 0.5 * rng.normal(size=(6, 7)) + rng.normal(size=(6, 1))
    q = 0.7 * unit[None] + rng.normal(size=(6, 7))
    out = analysis.r2_split(r, q)
    n_p, n_h = r.shape
    grand_r = sum(r[p, h] for p in range(n_p) for h in range(n_h)) / (n_p * n_h)
    grand_q = sum(q[p, h] for p in range(n_p) for h in range(n_h)) / (n_p * n_h)
    col = lambda x, h: sum(x[p, h] for p in range(n_p)) / n_p
    row = lambda x, p: sum(x[p, h] for h in range(n_h)) / n_h
    cov_unit = cov_pixel = cov_within = 0.0
    for p in range(n_p):
        for h in range(n_h):
            ur, uq = col(r, h) - grand_r, col(q, h) - grand_q
            vr, vq = row(r, p) - grand_r, row(q, p) - grand_q
            cov_unit += ur * uq
            cov_pixel += vr * vq
            cov_within += (r[p, h] - grand_r - ur - vr) * (q[p, h] - grand_q - uq - vq)
    scale = math.sqrt(sum((r[p, h] - grand_r) ** 2 for p in range(n_p) for h in range(n_h))
                      * sum((q[p, h] - grand_q) ** 2 for p in range(n_p) for h in range(n_h)))
    assert out["unit"] == pytest.approx(cov_unit / scale, abs=1e-12)
    assert out["pixel"] == pytest.approx(cov_pixel / scale, abs=1e-12)
    assert out["within"] == pytest.approx(cov_within / scale, abs=1e-12)
    rho = np.corrcoef(r.ravel(), q.ravel())[0, 1]
    assert out["correlation"] == pytest.approx(rho, abs=1e-12) and out["r2"] == pytest.approx(rho**2, abs=1e-12)
    assert out["unit_r2"] == pytest.approx(np.corrcoef(r.mean(0), q.mean(0))[0, 1] ** 2, abs=1e-12)
    r[0, 0] = np.nan
    assert math.isnan(analysis.r2_split(r, q)["unit"])


def test_block_permutation_leaves_the_pixel_part_unchanged():
    """What the block permutation test tests: shuffling r between whole hidden units keeps the pixel part."""
    rng = np.random.default_rng(3)
    r, q = rng.random((8, 5)), rng.random((8, 5))
    base = analysis.r2_split(r, q)
    shuffled = analysis.r2_split(r[:, rng.permutation(5)], q)
    assert shuffled["pixel"] == pytest.approx(base["pixel"], abs=1e-12)
    assert shuffled["unit"] != pytest.approx(base["unit"], abs=1e-6)


def test_r2_interval_is_the_squared_fisher_z_t_interval_and_stays_in_0_1():
    rho = np.array([0.3, 0.5, 0.4, 0.45])
    z = np.arctanh(rho)
    half = stats.t.ppf(0.975, 3) * z.std(ddof=1) / 2
    out = analysis.r2_interval(rho)
    assert out["low"] == pytest.approx(np.tanh(z.mean() - half) ** 2) and out["high"] == pytest.approx(np.tanh(z.mean() + half) ** 2)
    assert out["mean"] == pytest.approx(np.mean(rho**2)) and out["n"] == 4
    straddling = analysis.r2_interval([-0.2, 0.3, 0.05, np.nan])
    assert straddling["low"] == 0.0 and 0 < straddling["high"] <= 1 and straddling["n"] == 3
    assert math.isnan(analysis.r2_interval([0.4])["low"])


def test_phase1_plateau_recovers_a_known_slope():
    t = np.arange(200.0)
    noise = np.random.default_rng(4).normal(0, 1e-3, 200)
    out = analysis.phase1_plateau(np.stack([2.0 - 0.004 * t + noise, 1.0 + 0 * t], axis=1), tail=0.5)
    assert out["tail_steps"] == 100
    assert out["slope"][0] == pytest.approx(-0.004, rel=0.02) and out["slope"][1] == pytest.approx(0.0, abs=1e-12)
    tail_mean = np.mean(2.0 - 0.004 * t[100:])
    assert out["relative_change"][0] == pytest.approx(-0.004 * 100 / tail_mean, rel=0.02)
    with pytest.raises(ValueError, match="tail"):
        analysis.phase1_plateau(np.ones((5, 2)), tail=0)


def test_float32_forks_at_a_tiny_rate_leave_exact_zeros():
    """A constant input of 1/256 and rate 1e-6: float32 rounds the weight updates away (the float64
    rerun that removes them is tested with the study, tests/studies/test_update_attribution_map.py)."""
    data = _data(n=16, d_in=3, dtype=np.float32)
    data["x"][:, 0] = 1 / 256
    subsets = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 12), np.arange(12, 16)]
    spec, params32 = _net(jnp.float32, d_in=3)
    forks = train.fork(train.mlp_objective(spec), params32, data, subsets, optimizer=train.Optimizer("sgd", 1e-6))
    zeros = analysis.fork_zero_differences(forks.params)
    first = np.asarray(forks.params[0]["weight"])[:, :, 0]  # (4, E, h): weights of the constant input
    assert zeros["c_zero"] >= int((first[0] == first[1]).sum()) > 0 and zeros["n"] == 2 * (3 * 4 + 4 + 4 * 2 + 2)


def test_constant_input_weights_sit_at_their_units_bias_in_real_forks():
    with jax.enable_x64(True):
        data = _data(n=40, d_in=4)
        data["x"][:, 2] = 1 / 256  # a blank pixel
        data["group"] = np.arange(40) % 2
        spec, params = _net(d_in=4, hidden=3)
        objective = train.mlp_objective(spec)
        tallies = jax.tree_util.tree_map(lambda p: jnp.zeros((p.shape[0], 2, *p.shape[1:]), p.dtype), params)
        phase1 = train.train(objective, params, data, optimizer=train.Optimizer("sgd", 0.1), n_steps=20,
                             batching=train.Online(np.arange(20)), observer=train.group_tally_observer(0), aux=tallies)
        subsets = [np.arange(20, 30), np.arange(25, 35), np.arange(30, 40), np.arange(20, 40, 2)]
        forks = train.fork(objective, phase1.params, data, subsets, optimizer=train.Optimizer("sgd", 0.1))
        aux, fork_params = jax.device_get(phase1.aux), jax.device_get(forks.params)
    m = analysis.member_attribution(aux, fork_params, 1)
    r_w, q_w = analysis.first_layer_rq(aux, fork_params, 1)
    out = analysis.constant_input_clusters(data["x"], r_w, q_w, m.r_bias[:3], m.q_bias[:3])
    assert out["n_constant_inputs"] == 1 and out["share_of_weights"] == 0.25
    assert out["max_abs_r_gap"] < 1e-10 and out["max_abs_q_gap"] < 1e-10
    assert m.pixel_correlation[2] == pytest.approx(out["bias_correlation"], abs=1e-9)
    assert abs(r_w[0] - m.r_bias[:3]).max() > 1e-3  # a varying input does not


def test_order_noise_ratio_of_medians():
    forks = [{"w": np.array([[0.0, 0.0], [1.0, 3.0], [0.0, 0.0], [2.0, 4.0]])}]
    out = analysis.order_noise(forks, [{"w": forks[0]["w"] + np.array([[0.5, 0.5]] * 4)}])
    assert out["median_order_noise"] == 0.5 and out["median_sample_difference"] == 2.5 and out["ratio"] == 0.2
