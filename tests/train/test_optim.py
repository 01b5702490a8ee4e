"""Optimisers by name against hand-written updates; piecewise-constant schedules against a loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from toyscope import train

A = np.array([[2.0, 0.5], [0.5, 1.0]])
B = np.array([1.0, -2.0])


def _grad(theta):
    """Gradient of 0.5 theta' A theta - b' theta (so every step sees a new gradient)."""
    return A @ theta - B


def _optax_steps(optimizer, theta, n_steps):
    params = {"w": jnp.asarray(theta, jnp.float32)}
    state = optimizer.init(params)
    history = []
    for _ in range(n_steps):
        grads = {"w": jnp.asarray(_grad(np.asarray(params["w"], np.float64)), jnp.float32)}
        updates, state = optimizer.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        history.append(np.asarray(params["w"], np.float64))
    return np.array(history)


def _hand_steps(name, theta, n_steps, lr, momentum=0.9, wd=1e-4, b1=0.9, b2=0.999, eps=1e-8):
    theta = np.array(theta, np.float64)
    trace, m, v, history = np.zeros(2), np.zeros(2), np.zeros(2), []
    for t in range(1, n_steps + 1):
        g = _grad(theta)
        if name == "sgd":
            theta = theta - lr * g
        elif name == "momentum":
            trace = g + momentum * trace
            theta = theta - lr * trace
        else:
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            step = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
            if name == "adamw":
                step = step + wd * theta
            theta = theta - lr * step
        history.append(theta.copy())
    return np.array(history)


@pytest.mark.parametrize("name,kwargs", [("sgd", {}), ("momentum", {"momentum": 0.7}), ("adam", {"b1": 0.8, "b2": 0.99}),
                                         ("adamw", {"weight_decay": 0.1})])
def test_each_optimizer_steps_as_its_hand_written_update(name, kwargs):
    theta0 = np.array([1.5, -0.5])
    got = _optax_steps(train.make_optimizer(name, 0.05, **kwargs), theta0, 8)
    hand_kwargs = {"momentum": kwargs.get("momentum", 0.9), "wd": kwargs.get("weight_decay", 1e-4),
                   "b1": kwargs.get("b1", 0.9), "b2": kwargs.get("b2", 0.999)}
    np.testing.assert_allclose(got, _hand_steps(name, theta0, 8, 0.05, **hand_kwargs), rtol=1e-5, atol=1e-6)


def test_momentum_differs_from_sgd_after_the_first_step():
    # guards the hand loop above: the two updates agree on step 1 (empty trace) and differ afterwards
    theta0 = np.array([1.5, -0.5])
    sgd, momentum = _hand_steps("sgd", theta0, 2, 0.05), _hand_steps("momentum", theta0, 2, 0.05)
    np.testing.assert_allclose(sgd[0], momentum[0])
    assert np.abs(sgd[1] - momentum[1]).max() > 1e-3


@pytest.mark.parametrize("name,lr,message", [
    ("sgd", 0.0, r"^learning_rate must be > 0, got 0.0$"), ("adam", -1.0, r"^learning_rate must be > 0, got -1.0$"),
    ("rmsprop", 0.1, r"^unknown optimizer 'rmsprop'; valid: sgd, momentum, adam, adamw$"),
])
def test_bad_optimizer_arguments_raise_one_line_errors(name, lr, message):
    with pytest.raises(ValueError, match=message):
        train.make_optimizer(name, lr)


def test_piecewise_constant_holds_each_value_for_its_duration_and_the_last_value_after():
    values, durations = (1e-3, 1e-2, 5e-4), (3, 5, 2)
    schedule = train.piecewise_constant(values, durations)
    jitted = jax.jit(schedule)
    for step in range(14):
        elapsed, expected = 0, values[-1]
        for value, duration in zip(values, durations):  # plain loop over segments
            if step < elapsed + duration:
                expected = value
                break
            elapsed += duration
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-6)
        assert float(jitted(jnp.asarray(step))) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("values,durations,message", [
    ((1.0, 2.0), (3,), r"^values and durations must be non-empty and of equal length, got 2 and 1$"),
    ((), (), r"^values and durations must be non-empty"),
    ((1.0, 2.0), (3, 0), r"^every duration must be > 0, got \(3, 0\)$"),
])
def test_bad_schedules_raise_one_line_errors(values, durations, message):
    with pytest.raises(ValueError, match=message):
        train.piecewise_constant(values, durations)
