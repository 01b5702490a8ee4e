"""Image datasets from one data directory: MNIST, Fashion-MNIST (IDX files) and sklearn's digits.

Every IDX file is checked against the MD5 of its *decompressed* bytes (gzip wrappers differ
between mirrors; the payload does not), and parsed only after the check passes, so a corrupt
or truncated file is never used. A missing MNIST or Fashion-MNIST split is downloaded into the
data directory when a network is reachable (mirrors in order; ``TOYSCOPE_MNIST_MIRROR`` or
``TOYSCOPE_FASHION_MNIST_MIRROR`` first), verified, and only then moved into place.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .._progress import progress_bar

DATA_ENV = "TOYSCOPE_DATA"
SPLITS = ("train", "test")
DATASETS = ("mnist", "fashion-mnist", "digits")


class DataUnavailable(ValueError):
    """A dataset file is missing and could not be downloaded (one-line message says where to put it)."""


class CorruptDataError(ValueError):
    """A dataset file exists but is not what it claims (wrong checksum, truncated, bad header)."""


@dataclasses.dataclass(frozen=True)
class _IdxSource:
    folder: str  # sub-folder of the data directory
    files: dict[str, tuple[str, str]]  # split -> (images stem, labels stem)
    md5: dict[str, str]  # stem -> md5 of the decompressed bytes
    mirrors: tuple[str, ...]
    mirror_env: str
    system_dirs: tuple[str, ...] = ()
    classes: tuple[str, ...] = tuple(str(d) for d in range(10))


_MNIST_LIKE_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                     "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

_SOURCES = {
    "mnist": _IdxSource(
        folder="mnist",
        files=_MNIST_LIKE_FILES,
        md5={"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
             "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
             "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
             "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"},
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        mirror_env="TOYSCOPE_MNIST_MIRROR",
    ),
    "fashion-mnist": _IdxSource(
        folder="fashion-mnist",
        files=_MNIST_LIKE_FILES,
        md5={"train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
             "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
             "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
             "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965"},
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        mirror_env="TOYSCOPE_FASHION_MNIST_MIRROR",
        system_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian's dataset-fashion-mnist
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                 "Bag", "Ankle boot"),
    ),
}


@dataclasses.dataclass(frozen=True)
class Dataset:
    """An image classification split.

    Attributes:
        name, split: e.g. ``"mnist"``, ``"test"``.
        images: ``(N, H, W)`` uint8, pixel values ``0..pixel_max``.
        labels: ``(N,)`` int64 class indices.
        classes: class names, ``classes[label]``.
        pixel_max: 255 for MNIST-like data, 16 for sklearn's digits.
        files: file name -> path of every file read (for ``meta.json`` checksums).
    """

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    pixel_max: int
    files: dict[str, str]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def flat(self, dtype=np.float32) -> np.ndarray:
        """Images as ``(N, H*W)`` floats in ``[0, 1]``."""
        return (self.images.reshape(len(self.images), -1) / self.pixel_max).astype(dtype)

    def one_hot(self, dtype=np.float32) -> np.ndarray:
        """Labels as ``(N, n_classes)`` one-hot rows."""
        return np.eye(self.n_classes, dtype=dtype)[self.labels]


def data_dir() -> Path:
    """The data directory: ``$TOYSCOPE_DATA``, else the user cache dir (e.g. ``~/.cache/toyscope``)."""
    return _default_data_dir()


def _default_data_dir() -> Path:
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("toyscope"))


def load_dataset(name: str, split: str = "train", *, data_dir: Path | str | None = None,
                 download: bool = True) -> Dataset:
    """Load a split of ``mnist``, ``fashion-mnist`` or ``digits``.

    MNIST-like files are looked up as ``<data_dir>/<name>/<stem>`` or ``<stem>.gz`` (then, for
    Fashion-MNIST, Debian's ``/usr/share/datasets/fashion-mnist``), checked against the MD5 of
    their decompressed bytes, and downloaded into ``<data_dir>/<name>/`` when missing and
    ``download`` is true. ``digits`` is scikit-learn's 8x8 set (1,797 images, shipped with
    scikit-learn); its ``train``/``test`` are a fixed, stratified 80/20 split (seed 0).

    Args:
        name: ``mnist``, ``fashion-mnist`` or ``digits``.
        split: ``train`` or ``test``.
        data_dir: overrides :func:`data_dir`; for Fashion-MNIST also a folder holding the IDX files.
        download: fetch missing MNIST-like files from the mirrors.

    Returns:
        A :class:`Dataset`.

    Raises:
        ValueError: unknown name or split. DataUnavailable: missing and not downloadable.
        CorruptDataError: a file whose checksum or structure is wrong (it is never used).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid: {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    if name == "digits":
        return _load_digits(split)
    source = _SOURCES[name]
    root = Path(data_dir) if data_dir is not None else _default_data_dir()
    folder = root / source.folder
    search = [folder, root] if data_dir is not None else [folder]
    search += [Path(d) for d in source.system_dirs]
    image_stem, label_stem = source.files[split]
    paths, payloads = {}, {}
    for stem in (image_stem, label_stem):
        path = _find(stem, search)
        if path is None:
            if not download:
                raise DataUnavailable(f"{name} {split} split: {stem}[.gz] not found in {folder}; put it there")
            path = _download(stem, source, folder, name, split)
        payloads[stem] = _verified_bytes(path, source.md5[stem])
        paths[stem] = path
    images = _parse_idx(payloads[image_stem], paths[image_stem], ndim=3)
    labels = _parse_idx(payloads[label_stem], paths[label_stem], ndim=1).astype(np.int64)
    if len(images) != len(labels):
        raise CorruptDataError(f"{paths[image_stem]} has {len(images)} images but {paths[label_stem]} has {len(labels)} labels")
    return Dataset(name, split, images, labels, source.classes, 255,
                   {p.name: str(p) for p in paths.values()})


def _load_digits(split: str) -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    index = np.arange(len(digits.target))
    train, test = train_test_split(index, test_size=0.2, random_state=0, stratify=digits.target)
    chosen = np.sort(train if split == "train" else test)
    return Dataset("digits", split, digits.images[chosen].astype(np.uint8), digits.target[chosen].astype(np.int64),
                   tuple(str(d) for d in range(10)), 16, {})


def _find(stem: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _decompressed(raw: bytes, path: Path) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise CorruptDataError(f"{path} is not a valid gzip file ({err}); delete it and load again") from None


def _verified_bytes(path: Path, expected_md5: str) -> bytes:
    data = _decompressed(path.read_bytes(), path)
    got = hashlib.md5(data).hexdigest()
    if got != expected_md5:
        raise CorruptDataError(f"{path} is corrupt or truncated (md5 of its decompressed bytes {got}, "
                               f"expected {expected_md5}); delete it and load again")
    return data


def _parse_idx(data: bytes, path: Path, ndim: int) -> np.ndarray:
    """Parse an IDX file of unsigned bytes: magic ``00 00 08 ndim``, then ndim big-endian int32 sizes."""
    if len(data) < 4 + 4 * ndim or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise CorruptDataError(f"{path} is not an IDX file of {ndim}-D unsigned bytes")
    shape = tuple(int(s) for s in np.frombuffer(data, ">i4", count=ndim, offset=4))
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise CorruptDataError(f"{path} holds {body.size} bytes of data, its header says {shape}")
    return body.reshape(shape).copy()


def _mirrors(source: _IdxSource) -> list[str]:
    extra = [m.strip() for m in os.environ.get(source.mirror_env, "").split(",") if m.strip()]
    return [m if m.endswith("/") else m + "/" for m in [*extra, *source.mirrors]]


def _download(stem: str, source: _IdxSource, folder: Path, name: str, split: str) -> Path:
    """Fetch ``<stem>.gz`` from the first mirror that serves a file with the right checksum."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.gz"
    failures = []
    for mirror in _mirrors(source):
        url = f"{mirror}{stem}.gz"
        handle, tmp_name = tempfile.mkstemp(prefix=f".{stem}.", suffix=".download", dir=folder)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                with progress_bar(f"downloading {stem}.gz", total) as bar:
                    while chunk := response.read(1 << 16):
                        out.write(chunk)
                        bar.advance(len(chunk))
            _verified_bytes(tmp, source.md5[stem])
            os.replace(tmp, target)
            return target
        except (urllib.error.URLError, OSError, CorruptDataError, ValueError) as err:
            failures.append(f"{url}: {getattr(err, 'reason', err)}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DataUnavailable(f"{name} {split} split: {stem}.gz is not in {folder} and could not be downloaded "
                          f"({'; '.join(failures)}); put the file there (md5 of decompressed bytes "
                          f"{source.md5[stem]})")
