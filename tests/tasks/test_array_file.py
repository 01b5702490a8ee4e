"""load_arrays / array_task: every bad .npz refused in one line, good files read exactly."""

import pickle

import numpy as np
import pytest

from toyscope import tasks


def _save(tmp_path, name="data.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_reads_classification_and_regression(tmp_path):
    x = np.arange(12.0).reshape(6, 2)
    path = _save(tmp_path, x=x, y=np.array([0, 2, 1, 0, 2, 1]), extra=np.zeros(3))
    got_x, got_y = tasks.load_arrays(path)
    assert got_x.dtype == np.float32 and got_y.dtype == np.int32
    np.testing.assert_array_equal(got_x, x)
    assert got_y.tolist() == [0, 2, 1, 0, 2, 1]
    # 1-D x becomes one column; float y keeps its shape; bool x and bool labels are read as numbers
    path = _save(tmp_path, "r.npz", x=np.array([1.0, 2.0, 3.0]), y=np.ones((3, 2)))
    got_x, got_y = tasks.load_arrays(path, dtype=np.float64)
    assert got_x.shape == (3, 1) and got_x.dtype == np.float64 and got_y.shape == (3, 2) and got_y.dtype == np.float64
    path = _save(tmp_path, "b.npz", x=np.array([[True, False], [False, True]]), y=np.array([True, False]))
    got_x, got_y = tasks.load_arrays(path)
    assert got_x.tolist() == [[1.0, 0.0], [0.0, 1.0]] and got_y.tolist() == [1, 0]


@pytest.mark.parametrize("arrays, message", [
    ({"y": np.zeros(3)}, "no array 'x'"),
    ({"x": np.zeros((3, 2))}, "no array 'y'"),
    ({"x": np.zeros((3, 2)), "y": np.zeros(4)}, "different lengths (3 and 4"),
    ({"x": np.array([[0.0, np.nan]] * 3), "y": np.zeros(3)}, "non-finite value (nan at row 0)"),
    ({"x": np.zeros((3, 2)), "y": np.array([0.0, np.inf, 1.0])}, "non-finite value (inf at row 1)"),
    ({"x": np.array([[1, None]] * 3, dtype=object), "y": np.zeros(3)}, "object array"),
    ({"x": np.zeros((3, 2)), "y": np.array(["a", "b", "c"])}, "dtype <U1"),
    ({"x": np.zeros((3, 2), complex), "y": np.zeros(3)}, "dtype complex128"),
    ({"x": np.zeros((3, 2, 2)), "y": np.zeros(3)}, "shape (3, 2, 2)"),
    ({"x": np.zeros((3, 2)), "y": np.zeros((3, 2, 1))}, "shape (3, 2, 1)"),
    ({"x": np.zeros((3, 2)), "y": np.zeros((3, 2), int)}, "cast y to float"),
    ({"x": np.zeros((3, 2)), "y": np.array([0, -1, 1])}, "negative label -1"),
    ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, "empty"),
])
def test_bad_arrays_refused_in_one_line(tmp_path, arrays, message):
    path = _save(tmp_path, **arrays)
    with pytest.raises(ValueError) as err:
        tasks.load_arrays(path)
    text = str(err.value)
    assert message in text and "\n" not in text and "data.npz" in text


def test_bad_files_refused_in_one_line(tmp_path):
    cases = {tmp_path / "missing.npz": "does not exist"}
    (tmp_path / "text.npz").write_text("not a zip")
    cases[tmp_path / "text.npz"] = "not an .npz archive (no zip header)"
    np.save(tmp_path / "one.npy", np.zeros(3))
    cases[tmp_path / "one.npy"] = "single array (.npy)"
    with open(tmp_path / "pickled.npz", "wb") as handle:
        pickle.dump({"x": [1.0], "y": [2.0]}, handle)
    cases[tmp_path / "pickled.npz"] = "never loaded (unsafe)"
    for path, message in cases.items():
        with pytest.raises(ValueError) as err:
            tasks.load_arrays(path)
        assert message in str(err.value) and "\n" not in str(err.value), (path, str(err.value))


def test_array_task_split_and_kind(tmp_path):
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(10, 3)), np.array([0, 1] * 5)
    task = tasks.array_task(_save(tmp_path, x=x, y=labels), test_fraction=0.3, seed=4)
    assert task["kind"] == "classification" and task["n_outputs"] == 2
    assert task["output_names"] == ["class 0", "class 1"] and task["input_names"] == ["x1", "x2", "x3"]
    # the split is the seed's permutation: the last 3 rows of it are the test set
    order = np.random.default_rng(4).permutation(10)
    np.testing.assert_array_equal(task["test"]["x"], x[order[7:]].astype(np.float32))
    np.testing.assert_array_equal(task["train"]["y"], labels[order[:7]])
    assert task["files"] == {"data.npz": str(tmp_path / "data.npz")}
    task = tasks.array_task(_save(tmp_path, "r.npz", x=x, y=x[:, 0]), seed=0)
    assert task["kind"] == "regression" and task["train"]["y"].shape == (8, 1) and task["output_names"] == ["y1"]
    with pytest.raises(ValueError, match="one class label only"):
        tasks.array_task(_save(tmp_path, "c.npz", x=x, y=np.zeros(10, int)), seed=0)
    with pytest.raises(ValueError, match="at least 2"):
        tasks.array_task(_save(tmp_path, "s.npz", x=x[:1], y=x[:1, 0]), seed=0)
    with pytest.raises(ValueError, match="test_fraction"):
        tasks.array_task(tmp_path / "r.npz", test_fraction=1.0, seed=0)


def test_truncated_archive_refused(tmp_path):
    path = _save(tmp_path, x=np.zeros((3, 2)), y=np.zeros(3))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="cannot be read as an .npz archive") as err:
        tasks.load_arrays(path)
    assert "\n" not in str(err.value)
