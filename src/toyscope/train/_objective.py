r"""Recognisable training objectives: an MLP with a named loss.

:func:`toyscope.train.train` accepts any ``(params, batch) -> scalar`` loss; an
:class:`MLPObjective` is such a loss that also says what it is (the network and the loss name),
so ``train`` can hand the request to a fast path written for that network.
"""

from __future__ import annotations

import dataclasses

from .. import nets
from ._losses import LOSSES, loss_function


@dataclasses.dataclass(frozen=True)
class MLPObjective:
    r"""The mean loss of one MLP on a batch: :math:`\frac1B\sum_b \ell(f_\theta(x_b), y_b)`.

    Call it as ``objective(params, batch)`` with ``batch = {"x": (B, d_in), "y": (B, d_out) or (B,)}``
    (other keys are ignored); ``params`` are one network's.

    Attributes:
        spec: the network.
        loss: ``mse``, ``bce`` (on logits) or ``softmax_ce`` (see :func:`loss_function`).
        closed_form_gradient: differentiate ``bce`` by its closed form :math:`\sigma(z) - y`
            (:func:`bce_with_logits_closed_form_loss`) instead of autodiff through the stable
            softplus: the same maths, different float rounding, and about 3.5x faster on the
            tiny-ensemble path for XOR (opt-in, so that results recorded with the default do not
            move). No effect on ``mse`` or ``softmax_ce``.
    """

    spec: nets.MLP
    loss: str = "mse"
    closed_form_gradient: bool = False

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; valid: {', '.join(LOSSES)}")

    def __call__(self, params, batch):
        loss = loss_function(self.loss, closed_form_gradient=self.closed_form_gradient)
        return loss(nets.apply(self.spec, params, batch["x"]), batch["y"])


def mlp_objective(spec: nets.MLP, loss: str = "mse", *, closed_form_gradient: bool = False) -> MLPObjective:
    """The objective ``(params, batch) -> scalar`` of one MLP with the loss called ``loss``
    (``closed_form_gradient``: see :class:`MLPObjective`).

    Example:
        >>> spec = nets.mlp([2, 2, 1], "sigmoid")
        >>> objective = train.mlp_objective(spec, "bce")
        >>> batch = {"x": np.array([[0.0, 1.0]], np.float32), "y": np.array([[1.0]], np.float32)}
        >>> objective(nets.init(spec, key=jax.random.key(0)), batch)  # a scalar
    """
    return MLPObjective(spec, loss, closed_form_gradient)
