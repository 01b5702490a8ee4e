"""The paper's task pieces: the scaled λ schedule, the MLP tasks' test metrics, and the in-context
losses against a numpy computation of the predictions they read."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import bimt, nets, tasks


def test_scaled_schedule_keeps_the_papers_proportions():
    assert bimt.scaled_schedule(bimt.PAPER_SETUPS["symbolic-a"], 1000) == (250, 500, 250)  # 5k, 10k, 5k of 20k
    assert bimt.scaled_schedule(bimt.PAPER_SETUPS["in-context"], 400) == (100, 100, 100, 100)
    assert bimt.scaled_schedule(bimt.PAPER_SETUPS["symbolic-a"], 2) == (1, 1, 1)  # never a zero-length phase


def test_layered_metrics_accuracy_by_hand():
    spec = nets.layered_network([2, 3, 3], "silu")
    params = jax.tree_util.tree_map(np.asarray, nets.init(spec, key=jax.random.key(1)))
    x = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    labels = np.arange(20) % 3
    loss_fn = bimt.layered_loss(spec, "softmax_ce")
    metrics = bimt.layered_metrics(spec, loss_fn, {"x": jnp.asarray(x), "y": jnp.asarray(labels)}, accuracy=True)
    logits = np.asarray(nets.apply(spec, params, x))
    assert float(metrics["test_accuracy"](params)) == pytest.approx(np.mean(logits.argmax(1) == labels))
    one_hot = bimt.layered_metrics(spec, loss_fn, {"x": jnp.asarray(x), "y": jnp.eye(3)[labels]}, accuracy=True)
    assert float(one_hot["test_accuracy"](params)) == float(metrics["test_accuracy"](params))
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert float(metrics["test_loss"](params)) == pytest.approx(-log_softmax[np.arange(20), labels].mean(), rel=1e-5)


def test_in_context_losses_read_the_x_tokens():
    spec = nets.tiny_transformer(2, 2, d_model=4, n_layers=1)
    params = nets.init(spec, key=jax.random.key(0))
    data = tasks.in_context_regression_task(20, n_examples=2, dim=1, seed=0)["train"]
    batch = {k: jnp.asarray(v) for k, v in data.items()}
    out = np.asarray(nets.apply(spec, params, batch["x"]))  # (n, 5 tokens, 2)
    loss_fn, last_loss = bimt.in_context_losses(spec)
    at_x_tokens = out[:, [0, 2, 4], 0]
    assert float(loss_fn(params, batch)) == pytest.approx(np.mean((at_x_tokens - data["y"]) ** 2), rel=1e-5)
    assert float(last_loss(params, batch)) == pytest.approx(np.mean((out[:, -1, 0] - data["y"][:, -1]) ** 2), rel=1e-5)


def test_own_task_setup_follows_the_papers_regression_and_classification_settings():
    regression = bimt.own_task_setup("regression", (5, 20, 20, 2))
    symbolic = bimt.PAPER_SETUPS["symbolic-a"]
    assert regression.widths == (5, 20, 20, 2) and regression.loss == "mse" and not regression.accuracy
    assert (regression.lambdas, regression.lambda_steps, regression.layer_gap, regression.top_k) == (
        symbolic.lambdas, symbolic.lambda_steps, symbolic.layer_gap, symbolic.top_k)
    classification = bimt.own_task_setup("classification", [3, 7, 4])
    moons = bimt.PAPER_SETUPS["two-moons"]
    assert classification.widths == (3, 7, 4) and classification.loss == "softmax_ce" and classification.accuracy
    assert (classification.lambdas, classification.layer_gap) == (moons.lambdas, moons.layer_gap)
    for kind, widths, message in (("ranking", (2, 1), "kind"), ("regression", (2,), "widths"),
                                  ("regression", (2, 0, 1), "widths")):
        with pytest.raises(ValueError, match=message):
            bimt.own_task_setup(kind, widths)
