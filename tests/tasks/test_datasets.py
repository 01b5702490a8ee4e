"""The dataset loader against the real MNIST test split: checksums, download, corruption."""

from __future__ import annotations

import dataclasses
import gzip
import http.server
import os
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from toyscope import tasks

SHARED = Path(os.environ.get("TOYSCOPE_DATA", Path(__file__).parents[3] / "shared" / "data"))
MNIST = SHARED / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte.gz").exists(), reason="no MNIST test split")


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path/served`` on 127.0.0.1; yields (served dir, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@needs_mnist
def test_mnist_test_split_matches_its_readme():
    data = tasks.load_dataset("mnist", "test", data_dir=SHARED)
    assert data.images.shape == (10000, 28, 28) and data.images.dtype == np.uint8
    assert data.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(data.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    flat = data.flat()
    assert flat.shape == (10000, 784) and 0.0 <= flat.min() and flat.max() == 1.0
    assert set(data.files) == {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}


@needs_mnist
def test_uncompressed_files_are_read_too(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / stem).write_bytes(gzip.decompress((MNIST / f"{stem}.gz").read_bytes()))
    data = tasks.load_dataset("mnist", "test", data_dir=tmp_path, download=False)
    assert data.labels[:3].tolist() == [7, 2, 1]


@needs_mnist
def test_download_from_a_local_mirror(tmp_path, http_server, monkeypatch):
    served, url = http_server
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MNIST / name, served / name)
    monkeypatch.setenv("TOYSCOPE_MNIST_MIRROR", url)
    cache = tmp_path / "cache"
    data = tasks.load_dataset("mnist", "test", data_dir=cache)
    assert data.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@needs_mnist
def test_truncated_download_is_rejected_and_not_kept(tmp_path, http_server, monkeypatch):
    served, url = http_server
    raw = (MNIST / "t10k-images-idx3-ubyte.gz").read_bytes()
    (served / "t10k-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    monkeypatch.setenv("TOYSCOPE_MNIST_MIRROR", url)
    # Only the local mirror: the real ones must not be reached from tests.
    sources = tasks._datasets._SOURCES
    monkeypatch.setitem(sources, "mnist", dataclasses.replace(sources["mnist"], mirrors=()))
    cache = tmp_path / "cache"
    with pytest.raises(tasks.DataUnavailable, match="could not be downloaded") as info:
        tasks.load_dataset("mnist", "test", data_dir=cache)
    assert "\n" not in str(info.value)
    assert list((cache / "mnist").iterdir()) == []


@needs_mnist
@pytest.mark.parametrize("damage", ["flip_byte", "truncate_gzip", "truncate_raw"])
def test_corrupt_local_file_is_never_used(tmp_path, damage):
    folder = tmp_path / "mnist"
    folder.mkdir()
    shutil.copy(MNIST / "t10k-labels-idx1-ubyte.gz", folder)
    raw = (MNIST / "t10k-images-idx3-ubyte.gz").read_bytes()
    if damage == "flip_byte":
        payload = bytearray(gzip.decompress(raw))
        payload[5000] ^= 0xFF
        (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(bytes(payload)))
    elif damage == "truncate_gzip":
        (folder / "t10k-images-idx3-ubyte.gz").write_bytes(raw[:-100])
    else:
        (folder / "t10k-images-idx3-ubyte").write_bytes(gzip.decompress(raw)[:-784])
    with pytest.raises(tasks.CorruptDataError, match="t10k-images"):
        tasks.load_dataset("mnist", "test", data_dir=tmp_path, download=False)


def test_missing_split_offline_names_the_file_and_folder(tmp_path):
    with pytest.raises(tasks.DataUnavailable, match=r"train-images-idx3-ubyte.*not found in .*mnist"):
        tasks.load_dataset("mnist", "train", data_dir=tmp_path, download=False)


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TOYSCOPE_DATA", str(tmp_path))
    assert tasks.data_dir() == tmp_path
    monkeypatch.delenv("TOYSCOPE_DATA")
    assert tasks.data_dir().name == "toyscope"


def test_digits_split_is_a_stratified_partition():
    train, test = tasks.load_dataset("digits", "train"), tasks.load_dataset("digits", "test")
    assert len(train) + len(test) == 1797 and train.images.shape[1:] == (8, 8) and train.pixel_max == 16
    assert np.abs(np.bincount(test.labels) / len(test) - np.bincount(train.labels) / len(train)).max() < 0.01


def test_fashion_mnist_from_a_folder(tmp_path):
    # A tiny IDX pair with the wrong checksum must be rejected even though it parses.
    header = b"\x00\x00\x08\x03" + np.array([1, 28, 28], ">i4").tobytes()
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(header + bytes(784))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01" + np.array([1], ">i4").tobytes() + b"\x03")
    with pytest.raises(tasks.CorruptDataError, match="md5"):
        tasks.load_dataset("fashion-mnist", "test", data_dir=tmp_path, download=False)


@pytest.mark.parametrize("name,split,message", [("cifar", "test", "unknown dataset"), ("mnist", "val", "unknown split")])
def test_bad_names(name, split, message):
    with pytest.raises(ValueError, match=message):
        tasks.load_dataset(name, split)


