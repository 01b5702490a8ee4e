"""The losses against numpy formulas written out, including logits far beyond float32's exp range."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from toyscope import train


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_mse_is_the_mean_of_squares_over_batch_and_units():
    rng = np.random.default_rng(0)
    prediction, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    by_hand = sum((prediction[b, i] - target[b, i]) ** 2 for b in range(5) for i in range(3)) / 15
    assert float(train.mse_loss(prediction.astype(np.float32), target.astype(np.float32))) == pytest.approx(by_hand, rel=1e-5)


def test_bce_with_logits_equals_the_cross_entropy_of_the_sigmoid():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(6, 2))
    target = rng.random((6, 2))  # soft targets in [0, 1] too
    p = _sigmoid(logits)
    by_hand = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    got = float(train.bce_with_logits_loss(logits.astype(np.float32), target.astype(np.float32)))
    assert got == pytest.approx(by_hand, rel=1e-5)


@pytest.mark.parametrize("z,y,expected", [
    (1e4, 1.0, 0.0), (1e4, 0.0, 1e4), (-1e4, 0.0, 0.0), (-1e4, 1.0, 1e4), (100.0, 1.0, np.exp(-100.0)),
])
def test_bce_with_extreme_logits_is_finite_and_follows_the_asymptotes(z, y, expected):
    # softplus(z) - y z: z for z >> 0, 0 for z << 0; the naive log(sigmoid) would give inf or nan
    got = float(train.bce_with_logits_loss(np.array([[z]], np.float32), np.array([[y]], np.float32)))
    assert np.isfinite(got) and got == pytest.approx(expected, rel=1e-6, abs=1e-30)


def test_softmax_ce_with_labels_and_with_probabilities_equals_minus_log_softmax():
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=2.0, size=(4, 5))
    labels = np.array([0, 3, 4, 1])
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    by_hand = -np.mean([log_softmax[b, labels[b]] for b in range(4)])
    got = float(train.softmax_cross_entropy_loss(logits.astype(np.float32), labels))
    assert got == pytest.approx(by_hand, rel=1e-5)
    probabilities = rng.dirichlet(np.ones(5), size=4)
    soft = -np.mean((probabilities * log_softmax).sum(axis=1))
    got = float(train.softmax_cross_entropy_loss(logits.astype(np.float32), probabilities.astype(np.float32)))
    assert got == pytest.approx(soft, rel=1e-5)


def test_softmax_ce_with_extreme_logits_is_finite():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]], np.float32)
    got = float(train.softmax_cross_entropy_loss(logits, np.array([0, 1])))
    assert got == pytest.approx((0.0 + 1e4) / 2, rel=1e-6)  # -log softmax: 0 for the winner, 1e4 for class 1


def test_loss_function_names_and_bad_names():
    assert train.loss_function("mse") is train.mse_loss
    assert train.loss_function("bce") is train.bce_with_logits_loss
    assert train.loss_function("softmax_ce") is train.softmax_cross_entropy_loss
    with pytest.raises(ValueError, match=r"^unknown loss 'hinge'; valid: mse, bce, softmax_ce$"):
        train.loss_function("hinge")


def test_closed_form_bce_has_the_same_value_and_the_gradient_sigmoid_minus_target():
    z = np.array([[-30.0, -3.0, -0.2], [0.0, 0.7, 25.0]], np.float32)
    y = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 1.0]], np.float32)
    assert train.loss_function("bce", closed_form_gradient=True) is train.bce_with_logits_closed_form_loss
    assert train.loss_function("mse", closed_form_gradient=True) is train.mse_loss  # only bce has a closed form here
    value, grad = jax.jit(jax.value_and_grad(train.bce_with_logits_closed_form_loss))(z, y)
    autodiff_value, autodiff = jax.jit(jax.value_and_grad(train.bce_with_logits_loss))(z, y)
    assert float(value) == float(autodiff_value)
    want = (_sigmoid(z.astype(np.float64)) - y) / z.size  # d/dz mean(softplus(z) - y z), in float64
    np.testing.assert_allclose(np.asarray(grad, np.float64), want, rtol=0, atol=2e-8)  # round-off of values < 1/6
    np.testing.assert_allclose(np.asarray(grad, np.float64), np.asarray(autodiff, np.float64), rtol=0, atol=2e-8)
