"""Two moons: with no noise every point lies on its half circle; the noise has the stated scale."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks


def _distance_to_own_circle(x, y):
    """Class 0: upper half of the unit circle at (0, 0); class 1: lower half of the unit circle at (1, 0.5)."""
    centre = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    return np.linalg.norm(x - centre, axis=1) - 1.0


def test_noiseless_points_lie_on_their_half_circles():
    data = tasks.two_moons_task(60, 40, noise=0.0, seed=1, dtype=np.float64)
    for split, size in (("train", 60), ("test", 40)):
        x, y = data[split]["x"], data[split]["y"]
        assert x.shape == (size, 2) and y.shape == (size,) and y.dtype == np.int32
        np.testing.assert_allclose(_distance_to_own_circle(x, y), 0.0, atol=1e-12)
        assert (x[y == 0, 1] >= -1e-12).all() and (x[y == 1, 1] <= 0.5 + 1e-12).all()
    y_all = np.concatenate([data["train"]["y"], data["test"]["y"]])
    assert (y_all == 0).sum() == (y_all == 1).sum() == 50  # balanced classes
    assert data["input_names"] == ["x1", "x2"] and data["output_names"] == ["class 1", "class 2"]


def test_noise_has_the_stated_standard_deviation():
    noise = 0.05
    data = tasks.two_moons_task(4000, 1, noise=noise, seed=0, dtype=np.float64)
    x, y = data["train"]["x"], data["train"]["y"]
    # isotropic Gaussian noise of std s moves a point off its circle by ~N(0, s^2) radially (s << 1)
    radial = _distance_to_own_circle(x, y)
    assert abs(radial.std() - noise) < 0.005 and abs(radial.mean()) < 0.005


def test_seed_reproduces_and_default_dtype():
    a, b = tasks.two_moons_task(20, 5, seed=2), tasks.two_moons_task(20, 5, seed=2)
    np.testing.assert_array_equal(a["train"]["x"], b["train"]["x"])
    assert a["train"]["x"].dtype == np.float32
    assert not np.array_equal(a["train"]["x"], tasks.two_moons_task(20, 5, seed=3)["train"]["x"])


@pytest.mark.parametrize("kwargs, match", [({"n_train": 0}, "n_train"), ({"n_test": 0}, "n_test"),
                                           ({"noise": -0.1}, "noise")])
def test_bad_input_gives_one_line_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        tasks.two_moons_task(**{"n_train": 5, "n_test": 5, **kwargs}, seed=0)
    assert "\n" not in str(info.value)


def test_legacy_draw_is_two_make_moons_calls_on_the_global_state():
    from sklearn.datasets import make_moons

    np.random.seed(1)  # BIMT's two_moon_3.2.ipynb, cell 1
    x, y = make_moons(n_samples=200, noise=0.1)
    x_test, y_test = make_moons(n_samples=200, noise=0.1)
    task = tasks.two_moons_task(200, 200, seed=1, draw="legacy")
    np.testing.assert_array_equal(task["train"]["x"], x.astype(np.float32))
    np.testing.assert_array_equal(task["test"]["y"], y_test)
    np.testing.assert_array_equal(task["test"]["x"], x_test.astype(np.float32))
    assert not np.array_equal(tasks.two_moons_task(200, 200, seed=1)["train"]["x"], task["train"]["x"])
