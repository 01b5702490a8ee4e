r"""Mode connectivity of two networks: align one to the other, then the loss barrier on the line.

For networks :math:`A` and :math:`B` of the same MLP architecture, :math:`B` is permuted unit by
unit in every hidden layer to match :math:`A` (:func:`align_networks`: the same function, other
coordinates), and the loss is evaluated along the straight path
:math:`\theta(\alpha) = (1-\alpha)\theta_A + \alpha\theta_{\pi B}`. The *barrier* is
:math:`\max_\alpha L(\theta(\alpha)) - [(1-\alpha)L(\theta_A) + \alpha L(\theta_{\pi B})]`
(:func:`loss_barriers`), reported before and after the alignment: permutation symmetry alone
explains a barrier that alignment removes.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from .. import nets
from ._alignment import align_networks
from ._landscape import flat_mlp_loss, loss_barriers, path_losses


@dataclasses.dataclass
class ModeConnection:
    """What :func:`mode_connection` measured.

    Attributes:
        alphas: ``(n_points,)`` path positions, 0 at A and 1 at B.
        losses_raw / losses_aligned: ``(n_points,)`` losses along the path to B and to the aligned B.
        barrier_raw / barrier_aligned: the barriers of those paths.
        permutations: per hidden layer the ``(k_l,)`` permutation applied to B.
        distance_raw / distance_aligned: :math:`\\|\\theta_A - \\theta_B\\|_2` before and after.
    """

    alphas: np.ndarray
    losses_raw: np.ndarray
    losses_aligned: np.ndarray
    barrier_raw: float
    barrier_aligned: float
    permutations: list[np.ndarray]
    distance_raw: float
    distance_aligned: float


def mode_connection(spec: nets.MLP, params_a, params_b, data: dict, *, loss: str = "bce",
                    n_points: int = 25) -> ModeConnection:
    """Align ONE network ``params_b`` to ``params_a`` (every hidden layer), then the loss barrier.

    Args:
        spec: the MLP both share (any depth, at least one hidden layer).
        params_a, params_b: ONE network each.
        data: ``{"x": (N, d_in), "y": (N, d_out)}``; loss: ``"bce"``, ``"mse"`` or ``"softmax_ce"``.
        n_points: points on the path (>= 3).

    Returns:
        A :class:`ModeConnection`.

    Raises:
        ValueError: ensembles, no hidden layer, or ``n_points < 3``.

    >>> import jax
    >>> from toyscope import nets, tasks
    >>> spec = nets.mlp([2, 3, 1], "tanh")
    >>> a = nets.init(spec, key=jax.random.key(0))
    >>> b = nets.permute_hidden_units(spec, a, np.array([2, 0, 1]))  # a's permuted twin
    >>> result = mode_connection(spec, a, b, tasks.xor_task())
    >>> round(result.barrier_aligned, 6), result.permutations[0].tolist()
    (0.0, [1, 2, 0])
    """
    if n_points < 3:
        raise ValueError(f"n_points must be >= 3, got {n_points}")
    if nets.is_ensemble(spec, params_a) or nets.is_ensemble(spec, params_b):
        raise ValueError("mode_connection takes ONE network for each of A and B")
    add_axis = lambda p: jax.tree_util.tree_map(lambda v: np.asarray(v)[None], p)  # noqa: E731
    aligned, perms = align_networks(spec, add_axis(params_b), params_a)
    theta_a = np.asarray(nets.flatten_params(jax.tree_util.tree_map(np.asarray, params_a)))
    theta_b = np.asarray(nets.flatten_params(jax.tree_util.tree_map(np.asarray, params_b)))
    theta_aligned = np.asarray(nets.flatten_params(jax.tree_util.tree_map(np.asarray, aligned)))[0]
    loss_of_flat = flat_mlp_loss(spec, data, loss)
    starts, ends = np.stack([theta_a, theta_a]), np.stack([theta_b, theta_aligned])
    losses = path_losses(loss_of_flat, starts, ends, n_points)
    barriers = loss_barriers(loss_of_flat, starts, ends, n_points)
    return ModeConnection(np.linspace(0.0, 1.0, n_points), losses[0], losses[1], float(barriers[0]), float(barriers[1]),
                          [p[0] for p in perms], float(np.linalg.norm(theta_a - theta_b)),
                          float(np.linalg.norm(theta_a - theta_aligned)))
