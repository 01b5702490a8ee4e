r"""What retraining does to a net spliced from blocks (:func:`toyscope.nets.splice_blocks`):
how far each block moved, whether each block still solves its task, how large the weights
between blocks grew, and the activation covariance of the whole net.

Block b of a spliced net reads inputs ``groups[b]``, owns hidden units ``b h .. (b+1) h - 1`` and
outputs ``b o .. (b+1) o - 1`` (``h``, ``o`` the block's hidden and output widths).
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np

from .. import nets
from ._covariance import activation_covariance, unit_activations
from ._training_outcomes import classification_accuracy


def spliced_block_units(spec: nets.MLP, n_blocks: int) -> list[list[int]]:
    """Unit indices of each block in :func:`unit_activations` order (hidden units, then outputs).

    Args:
        spec: the spliced ``n_inputs - B h - B o`` net; n_blocks: B.

    Returns:
        B lists of ``h + o`` indices.

    >>> from toyscope import nets
    >>> spliced_block_units(nets.mlp([4, 6, 3], "sigmoid"), 3)
    [[0, 1, 6], [2, 3, 7], [4, 5, 8]]
    """
    n_hidden = spec.widths[1]
    h, o = n_hidden // n_blocks, spec.widths[2] // n_blocks
    return [list(range(b * h, (b + 1) * h)) + [n_hidden + b * o + j for j in range(o)] for b in range(n_blocks)]


def block_drifts(spec: nets.MLP, before, after, groups: Sequence[Sequence[int]]) -> np.ndarray:
    r"""Relative change of each block's parameters: :math:`\|\theta_b' - \theta_b\| / \|\theta_b\|`.

    Args:
        spec: the spliced net; before, after: ONE network's params of it (e.g. at splice time
            and after retraining); groups: the blocks' input groups (0-based).

    Returns:
        ``(B,)`` float64.

    >>> import jax
    >>> from toyscope import nets
    >>> block = nets.mlp([2, 2, 1], "sigmoid")
    >>> one = nets.init(block, key=jax.random.key(0))
    >>> spec, net = nets.splice_blocks(block, [one, one], [[0, 1], [1, 2]], 3)
    >>> block_drifts(spec, net, net, [[0, 1], [1, 2]]).tolist()
    [0.0, 0.0]
    """
    out = []
    for b in range(len(groups)):
        old = np.asarray(nets.flatten_params(nets.extract_block(spec, before, groups, b)))
        new = np.asarray(nets.flatten_params(nets.extract_block(spec, after, groups, b)))
        out.append(float(np.linalg.norm(new - old) / np.linalg.norm(old)))
    return np.array(out)


def blocks_still_solve(block_spec: nets.MLP, spec: nets.MLP, params, groups: Sequence[Sequence[int]], x,
                       y) -> np.ndarray:
    """Whether each block, extracted as a ``block_spec`` network, classifies ``(x, y)`` perfectly.

    Args:
        block_spec: the blocks' architecture; spec, params: the spliced net (ONE network);
        groups: input groups; x: ``(N, d)``, y: ``(N, o)`` the block task (e.g. XOR).

    Returns:
        ``(B,)`` bool.

    >>> from toyscope import nets, tasks
    >>> block = nets.mlp([2, 2, 1], "sigmoid")
    >>> xor_net = [{"weight": np.array([[-10.0, -10.0], [-10.0, -10.0]]), "bias": np.array([15.0, 5.0])},
    ...            {"weight": np.array([[10.0], [-10.0]]), "bias": np.array([-5.0])}]  # NAND, NOR -> XOR
    >>> spec, net = nets.splice_blocks(block, [xor_net, xor_net], [[0, 1], [1, 2]], 3)
    >>> xor = tasks.xor_task()
    >>> blocks_still_solve(block, spec, net, [[0, 1], [1, 2]], xor["x"], xor["y"]).tolist()
    [True, True]
    """
    out = []
    for b in range(len(groups)):
        block = jax.tree_util.tree_map(lambda a: np.asarray(a)[None], nets.extract_block(spec, params, groups, b))
        out.append(bool(classification_accuracy(block_spec, block, x, y)[0] == 1.0))
    return np.array(out, bool)


def max_off_block_weight(spec: nets.MLP, params, groups: Sequence[Sequence[int]]) -> float:
    """Largest ``|w|`` among the weights that connect different blocks (0 when there are none).

    >>> import jax
    >>> from toyscope import nets
    >>> block = nets.mlp([2, 2, 1], "sigmoid")
    >>> one = nets.init(block, key=jax.random.key(0))
    >>> spec, net = nets.splice_blocks(block, [one, one], [[0, 1], [1, 2]], 3)
    >>> max_off_block_weight(spec, net, [[0, 1], [1, 2]])
    0.0
    """
    mask = nets.block_mask(spec, groups)
    off = np.concatenate([np.abs(np.asarray(p["weight"])[~m["weight"]]) for p, m in zip(params, mask)])
    return float(off.max()) if off.size else 0.0


def covariance_spectrum(spec: nets.MLP, params, x) -> tuple[np.ndarray, np.ndarray]:
    r"""Activation covariance :math:`C` ``(U, U)`` of ONE network's units over ``x`` and its singular values.

    :math:`C` is :func:`activation_covariance` of :func:`unit_activations` (outputs as
    probabilities); the singular values ``(U,)`` are descending.

    >>> import jax
    >>> from toyscope import nets, tasks
    >>> spec = nets.mlp([2, 2, 1], "sigmoid")
    >>> cov, s = covariance_spectrum(spec, nets.init(spec, key=jax.random.key(0)), tasks.binary_inputs(2))
    >>> cov.shape, s.shape
    ((3, 3), (3,))
    """
    cov = activation_covariance(unit_activations(spec, params, x))
    return cov, np.linalg.svd(cov, compute_uv=False)
