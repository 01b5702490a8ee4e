"""The PyTorch transcription of the authors' BIMT loop learns (its loss falls below the
initial one, with the penalty and the swap rounds), on a tiny net and few steps."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope.bench._bimt_torch import torch_bimt_training

torch = pytest.importorskip("torch")


def test_the_torch_loop_learns_with_swaps():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (64, 3)).astype(np.float32)
    y = np.stack([x[:, 0] ** 2, x[:, 1] * x[:, 2]], axis=1).astype(np.float32)
    settings = dict(lambdas=(1e-4,), lambda_steps=(300,), learning_rate=1e-2, top_k=3, swap_every=50, seed=0)
    start = torch_bimt_training((3, 8, 8, 2), x, y, x, y, n_steps=1, **settings)
    end = torch_bimt_training((3, 8, 8, 2), x, y, x, y, n_steps=300, **settings)
    assert np.isfinite(end) and end < 0.5 * start
    assert torch.get_num_threads() >= 1
