"""Two-group tasks cut from labelled images."""

from __future__ import annotations

import numpy as np
import pytest

from toyscope import tasks


@pytest.mark.parametrize("groups, message", [
    ([[1, 7], [7, 8]], "class 7 is in both groups"),
    ([[1, 7], []], "group B is empty"),
    ([[1, 10], [6]], "group A has class 10, which the dataset lacks"),
    ([[1, 1], [6]], "repeats a class"),
    ([[1], [6], [8]], "two lists"),
])
def test_bad_groups_raise_one_line(groups, message):
    with pytest.raises(ValueError, match=message) as err:
        tasks.check_class_groups(groups, 10)
    assert "\n" not in str(err.value)


def test_split_group_halves_and_refuses_singletons():
    assert tasks.split_group([1, 7]) == ((1,), (7,))
    assert tasks.split_group([0, 2, 4]) == ((0, 2), (4,))
    with pytest.raises(ValueError, match="cannot be split"):
        tasks.split_group([3])


def test_class_group_task_selects_scales_and_labels_in_order():
    images = np.arange(6 * 2 * 2, dtype=np.uint8).reshape(6, 2, 2)
    labels = np.array([1, 0, 6, 7, 3, 8])
    task = tasks.class_group_task(images, labels, [[1, 7], [6, 8]], n_classes=10)
    np.testing.assert_array_equal(task["index"], [0, 2, 3, 5])
    np.testing.assert_array_equal(task["group"], [0, 1, 0, 1])
    np.testing.assert_array_equal(task["y"], [[1, 0], [0, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(task["x"][1], (images[2].ravel() + 1) / 256)
    assert task["x"].dtype == np.float32 and task["x"].min() >= 1 / 256
