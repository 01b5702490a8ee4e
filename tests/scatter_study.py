"""A tiny study with interactive figures, for the report, index and browser tests (not part of the
package): an untrained ensemble of 2-2-1 sigmoid MLPs, its parameters in a 2-D scatter (hover:
member, accuracy, signature; click: decision boundary) and a loss curve."""

from __future__ import annotations

import jax
import matplotlib.figure
import numpy as np

from toyscope import nets, viz
from toyscope.studies import Figure, Section, Study, StudyConfig, StudyResult, Table

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


class ScatterConfig(StudyConfig):
    n_networks: int = 12
    scale: float = 1.0

    PRESETS = {"default": {}, "smoke": {"n_networks": 8}}


def member_accuracy(params, spec) -> np.ndarray:
    """Each member's accuracy on the four XOR points (sigmoid of the logit > 0.5)."""
    logits = np.asarray(nets.apply(spec, params, XOR_X))[..., 0]
    return ((logits > 0) == (XOR_Y > 0.5)).mean(axis=-1)


def run(config: ScatterConfig, ctx) -> StudyResult:
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = nets.init(spec, key=jax.random.key(config.seed), n_networks=config.n_networks)
    params = [{k: np.asarray(v) * config.scale for k, v in layer.items()} for layer in params]
    accuracy = member_accuracy(params, spec)
    points = np.asarray(params[0]["weight"]).reshape(config.n_networks, -1)[:, :2]
    members = np.arange(config.n_networks)
    classes = np.array([f"{a:.2f}" for a in accuracy])
    signatures = np.array([f"sig{m % 3}" for m in members])
    panel = viz.ScatterPanel(points, classes, "first-layer weights")
    fig = viz.scatter_panels_figure([panel, panel])
    interactive = viz.member_scatter_figure([panel], members, {"accuracy": classes, "circuit signature": signatures},
                                            member_view=viz.mlp_member_view(spec, params, members, XOR_X, XOR_Y))
    steps = np.arange(1, 51)
    curve = matplotlib.figure.Figure(figsize=(3, 2))
    curve.add_subplot().plot(steps, 1 / steps)
    curves = viz.curves_figure([viz.Curve("loss", steps, 1 / steps)], xlabel="step", ylabel="loss", log_y=True)
    return StudyResult(
        summary={"mean_accuracy": float(accuracy.mean()), "n_networks": config.n_networks, "scale": config.scale},
        params={"layer0.weight": params[0]["weight"]},
        param_docs={"layer0.weight": "(E, 2, 2) first-layer weights of each member"},
        sections=[Section("Members", "Points are networks.",
                          [Figure("members", fig, "weights", interactive=interactive),
                           Figure("loss", curve, "a curve", interactive=curves)],
                          [Table("accuracy", ["member", "accuracy"], [[int(m), float(a)] for m, a in zip(members, accuracy)])])])


STUDY = Study(name="scatter-demo", description="A study with interactive figures, for tests", config_class=ScatterConfig,
              run=run)
