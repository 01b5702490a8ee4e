r"""Your own data: arrays ``x`` and ``y`` from an ``.npz`` file, validated, as a task.

:func:`load_arrays` reads and checks the two arrays; :func:`array_task` splits them into train and
test sets and says whether the task is a regression (float targets) or a classification (integer
labels). The file is opened with ``allow_pickle=False``: an object array is refused, never
unpickled.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

_X_RULE = "x must be a numeric (bool, int or float) 2-D array (N, d_in), or 1-D (N,) read as one input column"
_Y_RULE = ("y must be 1-D integer labels (N,) for classification, or 1-D (N,) / 2-D (N, d_out) floats for "
           "regression")


def _kind(y: np.ndarray) -> str:
    return "classification" if np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_ else "regression"


def load_arrays(path: str | os.PathLike, *, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    r"""The arrays ``x`` and ``y`` of the ``.npz`` file ``path``, checked.

    ``x`` is the inputs, one row per example; ``y`` is either integer class labels (a
    classification) or float targets (a regression). Other arrays in the file are ignored.

    Args:
        path: an ``.npz`` file (``np.savez(path, x=..., y=...)``), read with ``allow_pickle=False``.
        dtype: the float dtype of the returned ``x`` and of float ``y``.

    Returns:
        ``(x, y)``: ``x`` of shape ``(N, d_in)`` in ``dtype`` (a 1-D ``x`` of shape ``(N,)`` becomes
        one input column ``(N, 1)``; bool and int inputs become floats); ``y`` either ``(N,)``
        ``int32`` labels in ``0..n_classes-1`` (integer or bool ``y``: a classification) or float
        ``(N,)`` / ``(N, d_out)`` targets in ``dtype`` (a regression; the shape is kept).

    Raises:
        ValueError (one line): the file is missing or not an ``.npz`` archive; ``x`` or ``y`` is
            absent; an array holds objects (pickles are never loaded), strings or complex numbers;
            a value is NaN or infinite; ``x`` is not 1-D or 2-D; ``y`` is not 1-D integer or
            1-D/2-D float; negative labels; ``x`` and ``y`` have different lengths; no examples.

    Example:
        >>> import tempfile, numpy as np
        >>> path = tempfile.mkdtemp() + "/data.npz"
        >>> np.savez(path, x=np.arange(6.0).reshape(3, 2), y=np.array([0, 1, 1]))
        >>> x, y = load_arrays(path)
        >>> x.shape, x.dtype, y.tolist()
        ((3, 2), dtype('float32'), [0, 1, 1])
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {str(path)!r} does not exist; give an .npz file with arrays x and y "
                         "(np.savez(path, x=x, y=y))")
    with open(path, "rb") as handle:
        magic = handle.read(6)
    if magic == b"\x93NUMPY":
        raise ValueError(f"data file {str(path)!r} holds a single array (.npy), not an .npz archive; save x and y "
                         "together with np.savez(path, x=x, y=y)")
    if magic[:1] == b"\x80":
        raise ValueError(f"data file {str(path)!r} holds a pickle, which is never loaded (unsafe); save numeric "
                         "arrays with np.savez(path, x=x, y=y)")
    if magic[:2] != b"PK":
        raise ValueError(f"data file {str(path)!r} is not an .npz archive (no zip header); save it with "
                         "np.savez(path, x=x, y=y)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"data file {str(path)!r} cannot be read as an .npz archive "
                         f"({type(err).__name__}: {' '.join(str(err).split())}); save it with "
                         "np.savez(path, x=x, y=y)") from None
    with archive:
        missing = [name for name in ("x", "y") if name not in archive.files]
        if missing:
            have = ", ".join(archive.files) or "none"
            raise ValueError(f"data file {str(path)!r} has no array {missing[0]!r} (arrays in it: {have}); "
                             "it needs x (inputs) and y (labels or targets)")
        x, y = (_read(archive, name, path) for name in ("x", "y"))
    return _check(x, y, path, dtype)


def _read(archive, name: str, path: Path) -> np.ndarray:
    """One array of the archive; numeric (bool, integer or float) only."""
    try:
        array = archive[name]
    except ValueError as err:  # object arrays with allow_pickle=False
        if "pickle" in str(err):
            raise ValueError(f"array {name!r} of {str(path)!r} is an object array, which is never loaded (unsafe); "
                             "store numbers (bool, int or float)") from None
        raise ValueError(f"array {name!r} of {str(path)!r} cannot be read ({' '.join(str(err).split())})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"array {name!r} of {str(path)!r} cannot be read ({type(err).__name__}: "
                         f"{' '.join(str(err).split())}); save the file again with np.savez(path, x=x, y=y)") from None
    if not (array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"array {name!r} of {str(path)!r} has dtype {array.dtype}; only bool, int or float "
                         "arrays are allowed")
    return array


def _check(x: np.ndarray, y: np.ndarray, path: Path, dtype) -> tuple[np.ndarray, np.ndarray]:
    where = repr(str(path))
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"array 'x' of {where} has shape {x.shape}; {_X_RULE}")
    kind = _kind(y)
    if kind == "classification" and y.ndim != 1:
        raise ValueError(f"array 'y' of {where} is {y.dtype} with shape {y.shape}; {_Y_RULE} "
                         "(cast y to float for an integer-valued regression)")
    if y.ndim not in (1, 2):
        raise ValueError(f"array 'y' of {where} has shape {y.shape}; {_Y_RULE}")
    if len(x) != len(y):
        raise ValueError(f"arrays 'x' and 'y' of {where} have different lengths ({len(x)} and {len(y)} "
                         "examples); they need one row per example")
    if len(x) == 0 or x.shape[1] == 0 or (y.ndim == 2 and y.shape[1] == 0):
        raise ValueError(f"arrays of {where} are empty (x {x.shape}, y {y.shape}); at least one example with "
                         "one input and one target is needed")
    for name, array in (("x", x), ("y", y)):
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            bad = np.argwhere(~np.isfinite(array))[0]
            raise ValueError(f"array {name!r} of {where} holds a non-finite value ({array[tuple(bad)]} at row "
                             f"{bad[0]}); all values must be finite numbers")
    if kind == "classification":
        y = y.astype(np.int64)
        if y.min() < 0:
            raise ValueError(f"array 'y' of {where} holds the negative label {int(y.min())}; class labels must "
                             "be 0, 1, ..., n_classes - 1")
        return x.astype(dtype), y.astype(np.int32)
    return x.astype(dtype), y.astype(dtype)


def array_task(path: str | os.PathLike, *, test_fraction: float = 0.2, seed: int, dtype=np.float32) -> dict:
    r"""The arrays of ``path`` (see :func:`load_arrays`) shuffled by ``seed`` and split into train and test.

    The last ``max(1, round(test_fraction N))`` examples of a ``np.random.default_rng(seed)``
    permutation are the test set, the others the train set. Integer labels make a classification
    (``n_classes = max(y) + 1`` outputs, one per class), float targets a regression (``d_out``
    outputs; a 1-D ``y`` becomes one column ``(N, 1)``).

    Args:
        path: the ``.npz`` file with arrays ``x`` and ``y``.
        test_fraction: share of the examples held out, in (0, 1).
        seed: numpy seed of the shuffle (keyword-only).

    Returns:
        ``{"train": {"x": (n_train, d_in), "y": (n_train,) int32 or (n_train, d_out)}, "test": {...},
        "kind": "classification" | "regression", "n_outputs", "input_names": ["x1", ...],
        "output_names": ["class 0", ...] or ["y1", ...], "files": {file name: path}}``.

    Raises:
        ValueError: a bad file (see :func:`load_arrays`), ``test_fraction`` outside (0, 1), fewer
            than 2 examples, or labels of one class only.

    Example:
        >>> import tempfile, numpy as np
        >>> path = tempfile.mkdtemp() + "/data.npz"
        >>> np.savez(path, x=np.random.default_rng(0).normal(size=(10, 3)), y=np.arange(10.0))
        >>> task = array_task(path, seed=0)
        >>> task["kind"], task["train"]["x"].shape, task["test"]["y"].shape
        ('regression', (8, 3), (2, 1))
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    x, y = load_arrays(path, dtype=dtype)
    if len(x) < 2:
        raise ValueError(f"data file {str(path)!r} has {len(x)} example; at least 2 are needed (train and test)")
    kind = _kind(y)
    if kind == "classification" and len(np.unique(y)) < 2:
        raise ValueError(f"array 'y' of {str(path)!r} holds one class label only ({int(y[0])}); a classification "
                         "needs at least 2 classes (float y makes a regression)")
    if kind == "regression" and y.ndim == 1:
        y = y[:, None]
    n_test = min(len(x) - 1, max(1, int(round(test_fraction * len(x)))))
    order = np.random.default_rng(seed).permutation(len(x))
    train, test = order[: len(x) - n_test], order[len(x) - n_test:]
    n_outputs = int(y.max()) + 1 if kind == "classification" else y.shape[1]
    names = [f"class {c}" for c in range(n_outputs)] if kind == "classification" else [f"y{i + 1}" for i in range(n_outputs)]
    return {"train": {"x": x[train], "y": y[train]}, "test": {"x": x[test], "y": y[test]}, "kind": kind,
            "n_outputs": n_outputs, "input_names": [f"x{i + 1}" for i in range(x.shape[1])], "output_names": names,
            "files": {Path(path).name: str(path)}}
