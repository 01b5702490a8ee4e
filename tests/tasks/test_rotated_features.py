"""Rotated PCA features: the training half is a PCA projection (compared with an SVD), scaled
to unit mean squared norm; the held-out half uses the same projection."""

import doctest

import numpy as np

from toyscope import tasks
from toyscope.tasks import _rotated_features


def test_features_are_the_pca_projection_of_the_rotated_training_half():
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (30, 8, 8)), rng.integers(0, 10, 30)
    (train, train_labels), (held, held_labels) = tasks.rotated_pca_features(
        images, labels, pixel_max=255, n_rotations=3, n_images=20, n_features=5, seed=4)
    assert train.shape == (3, 10, 5) and held.shape == (3, 10, 5)
    chosen = np.random.default_rng(4).permutation(30)[:20]
    np.testing.assert_array_equal(np.concatenate([train_labels, held_labels]), labels[chosen])
    # independent: the top right singular vectors of the centred, rotated training images
    rotated = tasks.rotated_copies(images[chosen] / 255.0, 3)
    pool = rotated[:, :10].reshape(-1, 64).astype(np.float64)
    _, _, vt = np.linalg.svd(pool - pool.mean(0), full_matrices=False)
    projected = (rotated - pool.mean(0)) @ vt[:5].T
    scale = np.sqrt(np.mean(np.sum(projected[:, :10] ** 2, -1)))
    both = np.concatenate([train, held], axis=1)
    np.testing.assert_allclose(np.abs(both), np.abs(projected / scale), rtol=1e-3, atol=1e-4)  # up to sign per axis
    np.testing.assert_allclose(np.mean(np.sum(train ** 2, -1)), 1.0, rtol=1e-5)


def test_examples_run():
    assert doctest.testmod(_rotated_features).failed == 0
