r"""The loss landscape around trained networks: gradients, Hessian spectra, loss barriers.

All functions take ``loss_of_flat``: a function of ONE network's flat parameter vector
:math:`\theta \in \mathbb{R}^P` returning a scalar (e.g. :func:`flat_mlp_loss`), and are
vmapped over the leading axis of ``theta``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets, train


def flat_mlp_loss(spec: nets.MLP, data: dict, loss: str = "bce") -> Callable:
    """:math:`\\theta \\mapsto L(\\theta)`: the full-batch ``loss`` of the MLP with flat params on ``data``."""
    fn = train.mlp_objective(spec, loss)
    batch = {k: jnp.asarray(v) for k, v in data.items()}
    return lambda theta: fn(nets.unflatten_params(spec, theta), batch)


def gradient_norms(loss_of_flat: Callable, theta) -> np.ndarray:
    r""":math:`\|\nabla L(\theta_e)\|_2` for each row of ``theta`` ``(E, P)``: ``(E,)``."""
    return np.asarray(jax.jit(jax.vmap(lambda t: jnp.linalg.norm(jax.grad(loss_of_flat)(t))))(jnp.asarray(theta)))


def hessian_eigenvalues(loss_of_flat: Callable, theta) -> np.ndarray:
    r"""Eigenvalues (ascending) of the Hessian :math:`\nabla^2 L(\theta_e)` for each row of ``theta``.

    Args:
        theta: ``(E, P)`` flat parameters (P up to a few hundred: the Hessian is formed densely).

    Returns:
        ``(E, P)`` eigenvalues, ascending.
    """
    theta = jnp.asarray(theta)
    if theta.shape[-1] > 2000:
        raise ValueError(f"dense Hessians need P <= 2000 parameters, got {theta.shape[-1]}")
    hessians = jax.jit(jax.vmap(jax.hessian(loss_of_flat)))(theta)
    hessians = np.asarray(hessians, np.float64)
    return np.linalg.eigvalsh(0.5 * (hessians + np.swapaxes(hessians, 1, 2)))


def path_losses(loss_of_flat: Callable, theta_a, theta_b, n_points: int = 25) -> np.ndarray:
    r"""Loss along the straight path :math:`\theta(\alpha) = (1-\alpha)\theta_a + \alpha\theta_b`.

    Args:
        theta_a, theta_b: ``(M, P)`` pairs of endpoints.
        n_points: alphas ``linspace(0, 1, n_points)``.

    Returns:
        ``(M, n_points)`` losses.
    """
    alphas = jnp.linspace(0.0, 1.0, n_points)
    theta_a, theta_b = jnp.asarray(theta_a), jnp.asarray(theta_b)

    def one_pair(a, b):
        return jax.vmap(lambda t: loss_of_flat((1 - t) * a + t * b))(alphas)

    return np.asarray(jax.jit(jax.vmap(one_pair))(theta_a, theta_b))


def loss_barriers(loss_of_flat: Callable, theta_a, theta_b, n_points: int = 25) -> np.ndarray:
    r"""Loss barrier of each pair: :math:`\max_\alpha L(\theta(\alpha)) - [(1-\alpha)L(\theta_a) + \alpha L(\theta_b)]`.

    Zero (up to the grid) when the endpoints are linearly mode connected; positive when the
    straight path climbs over a ridge. Returns ``(M,)``.
    """
    losses = path_losses(loss_of_flat, theta_a, theta_b, n_points)
    alphas = np.linspace(0.0, 1.0, n_points)
    chord = (1 - alphas) * losses[:, :1] + alphas * losses[:, -1:]
    return (losses - chord).max(axis=1)
