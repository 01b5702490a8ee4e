"""A tiny study used by the run-folder and CLI tests (not part of the package).

It trains an ensemble of small MLPs on a fixed regression set with checkpoints, so tests can
kill it mid-training and resume it.
"""

from __future__ import annotations

import shutil
import time
from typing import Literal

import jax
import jax.numpy as jnp
import matplotlib.figure
import numpy as np

from toyscope import nets, train
from toyscope.studies import Deviation, Figure, Section, Study, StudyConfig, StudyResult, Table


class DemoConfig(StudyConfig):
    n_networks: int = 8
    width: int = 8
    n_steps: int = 400
    learning_rate: float = 0.05
    fail_with_value_error: bool = False
    fail_after_training: bool = False
    # an internal error after training (the folder then holds a checkpoint), the same after the
    # run folder was removed (the CLI's log must go elsewhere), or a real MemoryError from numpy
    fail_with: Literal["", "internal", "internal-no-folder", "memory"] = ""
    # seconds to wait after each checkpoint: slows training down (not its numbers) so that a test
    # can kill the process in the middle of it
    checkpoint_pause_s: float = 0.0

    PRESETS = {"default": {}, "smoke": {"n_steps": 200}}


def _paused(checkpointer, pause_s: float):
    return _Paused(checkpointer, pause_s) if checkpointer is not None and pause_s > 0 else checkpointer


class _Paused:
    """A checkpointer that waits ``pause_s`` after each save."""

    def __init__(self, checkpointer, pause_s: float):
        self.checkpointer, self.pause_s = checkpointer, pause_s

    def load(self, template=None):
        return self.checkpointer.load(template)

    def save(self, state) -> None:
        self.checkpointer.save(state)
        time.sleep(self.pause_s)


def run(config: DemoConfig, ctx) -> StudyResult:
    if config.fail_with_value_error:
        raise ValueError("fail_with_value_error was set")
    if config.fail_with == "memory":
        np.empty(10**15)  # 8 PB: numpy raises MemoryError naming the size
    spec = nets.mlp([2, config.width, 1], "tanh")
    key = jax.random.key(config.seed)
    x = jax.random.normal(jax.random.key(123), (64, 2))
    y = jnp.sin(x[:, :1]) * x[:, 1:]
    params = nets.init(spec, key=key, n_networks=config.n_networks)
    result = train.train(train.mlp_objective(spec, "mse"), params, {"x": x, "y": y},
                         optimizer=train.Optimizer("sgd", config.learning_rate), n_steps=config.n_steps,
                         record=train.Record(chunk_steps=config.n_steps // 20),
                         checkpointer=_paused(ctx.checkpointer("train"), config.checkpoint_pause_s))
    if config.fail_after_training:
        raise ValueError("fail_after_training was set")
    if config.fail_with == "internal-no-folder":
        shutil.rmtree(ctx.out_dir)
    if config.fail_with.startswith("internal"):
        raise RuntimeError("fail_with=internal was set")
    fig = matplotlib.figure.Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.semilogy(result.steps, result.loss.mean(axis=1))
    final = result.loss[-1]
    return StudyResult(
        summary={"final_loss_mean": float(final.mean()), "n_networks": config.n_networks},
        params={f"layer{i}.{k}": np.asarray(v) for i, layer in enumerate(result.params) for k, v in layer.items()},
        param_docs={"layer0.weight": "(E, 2, width)"},
        networks={"": spec},
        metrics={"step": result.steps, "loss_mean": result.loss.mean(axis=1)},
        sections=[Section("Training", "The loss falls.", [Figure("loss", fig, "mean loss")],
                          [Table("final", ["member", "loss"], [[i, float(v)] for i, v in enumerate(final)])])],
        deviations=[Deviation("everything", "no paper", "a demo", "it is a test fixture")],
    )


STUDY = Study(name="demo", description="A demo study for tests", config_class=DemoConfig, run=run)
