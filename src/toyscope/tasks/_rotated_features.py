r"""Rotated images as low-dimensional inputs for the naturalistic routing task (Fig. 7).

Domain i holds the images rotated by 360 i / M degrees; a PCA basis fitted on the rotated
training half projects every domain to ``n_features`` dimensions, scaled so that
:math:`\langle\lVert x\rVert^2\rangle = 1` on the training half.

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 7a.
"""

from __future__ import annotations

import numpy as np

from ._transformed_routes import rotated_copies


def rotated_pca_features(images, labels, *, pixel_max: float, n_rotations: int, n_images: int, n_features: int,
                         seed: int):
    r"""A random ``n_images`` of ``images`` rotated into ``n_rotations`` domains, PCA-projected, split in halves.

    With :math:`X` the rotated training-half images of every domain stacked ``(M n/2, H W)`` and
    :math:`\mu` their mean, the features are :math:`(x - \mu) V_d / c`, :math:`V_d` the top-d
    eigenvectors of :math:`(X-\mu)^\top(X-\mu)` and :math:`c` the root mean squared norm on the
    training half.

    Args:
        images: ``(N, H, W)`` pixels in ``0..pixel_max``. labels: ``(N,)`` class indices.
        pixel_max: the largest pixel value (255 for MNIST).
        n_rotations: M. n_images: how many images to draw (first half trains, second evaluates).
        n_features: d. seed: which images are drawn.

    Returns:
        ``((train (M, n/2, d), train labels (n/2,)), (eval (M, n - n/2, d), eval labels))``.

    Example:
        >>> import numpy as np
        >>> from toyscope import tasks
        >>> images = np.random.default_rng(0).integers(0, 256, (12, 6, 6))
        >>> (train, _), (held_out, _) = tasks.rotated_pca_features(images, np.arange(12) % 3, pixel_max=255,
        ...     n_rotations=2, n_images=10, n_features=4, seed=0)
        >>> train.shape, held_out.shape, round(float(np.mean(np.sum(train ** 2, -1))), 4)
        ((2, 5, 4), (2, 5, 4), 1.0)
    """
    images, labels = np.asarray(images), np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(labels))[:n_images]
    half = len(chosen) // 2
    rotated = rotated_copies(images[chosen].astype(np.float32) / pixel_max, n_rotations)
    pool = rotated[:, :half].reshape(-1, rotated.shape[-1])
    mean = pool.mean(0)
    centred = pool - mean
    values, vectors = np.linalg.eigh(centred.T @ centred)  # principal axes of the rotated training images
    feats = (rotated - mean) @ vectors[:, np.argsort(values)[::-1][:n_features]]
    feats /= np.sqrt(np.mean(np.sum(feats[:, :half] ** 2, -1)))  # E ||x||^2 = 1 on the training half
    labels = labels[chosen]
    return (feats[:, :half], labels[:half]), (feats[:, half:], labels[half:])
