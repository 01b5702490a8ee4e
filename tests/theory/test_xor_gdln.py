"""The XOR GDLN closed form against independent truth: the gradient flow of the four-path
network integrated by a plain Euler loop, and s, d read off the data by hand."""

import doctest

import numpy as np
import pytest

from toyscope import nets, tasks, theory
from toyscope.theory import _xor_gdln

N_PER_PATH = 3
TAU = 2.5


def _euler_loss(w1, w2, times, tau=TAU):
    """Gradient flow tau dW/dt = -dL/dW of L = sum_p 1/4 * 1/2 (y_p - x_p W1_p W2_p)^2 (row layout),
    by Euler steps of dt = times[1] - times[0]; the loss at every time."""
    xor = tasks.xor_path_task(np.float64)
    x, y, weight = xor["inputs"], xor["targets"][:, 0], xor["weight"]
    w1, w2 = [np.array(a, np.float64) for a in w1], [np.array(a, np.float64) for a in w2]
    dt = times[1] - times[0]
    losses = []
    for _ in times:
        loss = 0.0
        for p in range(4):
            hidden = x[p] @ w1[p]  # (n,)
            residual = y[p] - hidden @ w2[p][:, 0]
            loss += 0.5 * weight[p] * residual ** 2
            grad_w2 = -weight[p] * residual * hidden[:, None]  # dL/dW2 (n, 1)
            grad_w1 = -weight[p] * residual * np.outer(x[p], w2[p][:, 0])  # dL/dW1 (2, n)
            w1[p] -= dt / tau * grad_w1
            w2[p] -= dt / tau * grad_w2
        losses.append(loss)
    return np.array(losses)


@pytest.fixture(scope="module")
def modes():
    return theory.xor_path_modes(nets.xor_path_net(N_PER_PATH), tasks.xor_path_task())


def test_modes_are_the_one_example_singular_values(modes):
    xor = tasks.xor_path_task()
    # Sigma^yx(p) = w_p y_p x_p^T: s_p = w_p |y_p| |x_p| = sqrt(2) / 4, d_p = w_p |x_p|^2 = 1/2
    np.testing.assert_allclose(modes.singular_values, np.sqrt(2) / 4, rtol=1e-6)
    np.testing.assert_allclose(modes.overlaps, 0.5, rtol=1e-6)
    np.testing.assert_allclose(modes.target_energies, 0.125)
    # u_out v^T is the direction of y_p x_p^T
    for p in range(4):
        direction = modes.output_directions[p][0] * modes.input_directions[p]
        np.testing.assert_allclose(direction, xor["targets"][p, 0] * xor["inputs"][p] / np.sqrt(2), atol=1e-6)


def test_closed_form_is_the_gradient_flow_from_balanced_paths(modes):
    """Balanced rank-one paths W1 = c v q^T, W2 = c q u^T follow the closed form exactly."""
    rng = np.random.default_rng(0)
    times = np.arange(0.0, 40.0, 2e-3)
    c = np.array([0.02, 0.03, 0.05, 0.04])
    q = rng.normal(size=(4, N_PER_PATH))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w1 = [c[p] * np.outer(modes.input_directions[p], q[p]) for p in range(4)]
    w2 = [c[p] * np.outer(q[p], modes.output_directions[p]) for p in range(4)]
    params = {**{f"x->h{p}": w1[p][None] for p in range(4)}, **{f"h{p}->y": w2[p][None] for p in range(4)}}
    u0 = theory.xor_path_initial_strengths(modes, params)
    np.testing.assert_allclose(u0[:, 0], c ** 2, rtol=1e-12)
    closed = theory.xor_path_loss(times, modes, u0[:, 0], tau=TAU)
    euler = _euler_loss(w1, w2, times)
    assert euler[0] == pytest.approx(0.5, abs=1e-2) and euler[-1] < 1e-3  # it learns within the window
    np.testing.assert_allclose(closed, euler, atol=5e-4)  # Euler error at dt = 2e-3 is ~1e-4


def test_effective_initial_strength_predicts_a_random_small_init(modes):
    """From small random (unbalanced) weights the decaying mode dies out and the closed form with
    u0 = |a + b|^2 / 4 tracks the flow; with u0 = a.b (the raw product) it does not."""
    rng = np.random.default_rng(1)
    times = np.arange(0.0, 60.0, 2e-3)
    w1 = [1e-3 * rng.normal(size=(2, N_PER_PATH)) for _ in range(4)]
    w2 = [1e-3 * rng.normal(size=(N_PER_PATH, 1)) for _ in range(4)]
    params = {**{f"x->h{p}": w1[p][None] for p in range(4)}, **{f"h{p}->y": w2[p][None] for p in range(4)}}
    u0 = theory.xor_path_initial_strengths(modes, params)[:, 0]
    euler = _euler_loss(w1, w2, times)
    assert euler[-1] < 1e-3
    gap = np.abs(theory.xor_path_loss(times, modes, u0, tau=TAU) - euler).max() / euler[0]
    assert gap < 5e-3
    raw = np.array([abs(float((modes.output_directions[p][0] * w2[p][:, 0]) @ (modes.input_directions[p] @ w1[p])))
                    for p in range(4)])
    raw_gap = np.abs(theory.xor_path_loss(times, modes, raw, tau=TAU) - euler).max() / euler[0]
    assert raw_gap > 10 * gap


def test_bad_input_is_one_line(modes):
    with pytest.raises(ValueError, match="four|4 examples"):
        theory.xor_path_modes(nets.xor_path_net(1), {**tasks.xor_path_task(), "weight": np.ones(3)})
    with pytest.raises(ValueError, match="initial"):
        theory.xor_path_loss(np.arange(3.0), modes, [0.0, 1.0, 1.0, 1.0])


def test_examples_run():
    assert doctest.testmod(_xor_gdln).failed == 0
