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
    """

    spec: nets.MLP
    loss: str = "mse"

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; valid: {', '.join(LOSSES)}")

    def __call__(self, params, batch):
        return loss_function(self.loss)(nets.apply(self.spec, params, batch["x"]), batch["y"])


def mlp_objective(spec: nets.MLP, loss: str = "mse") -> MLPObjective:
    """The objective ``(params, batch) -> scalar`` of one MLP with the loss called ``loss``.

    Example:
        >>> spec = nets.mlp([2, 2, 1], "sigmoid")
        >>> objective = train.mlp_objective(spec, "bce")
        >>> batch = {"x": np.array([[0.0, 1.0]], np.float32), "y": np.array([[1.0]], np.float32)}
        >>> objective(nets.init(spec, key=jax.random.key(0)), batch)  # a scalar
    """
    return MLPObjective(spec, loss)
