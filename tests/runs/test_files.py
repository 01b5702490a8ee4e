"""Run-folder file formats: each writer's output read back by an independent reader."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import tomllib

import jax
import numpy as np
import pytest
from safetensors import safe_open

from toyscope import nets
from toyscope.runs import RunFolderError, file_md5, partial_path, read_config
from toyscope.runs._files import (
    final_path,
    read_metrics,
    read_params,
    to_jsonable,
    write_config,
    write_json,
    write_metrics,
    write_params,
    write_table_csv,
)
from toyscope.runs._tree_file import write_tree


def test_json_turns_numpy_and_non_finite_values_into_plain_json(tmp_path):
    value = {"a": np.float32(0.5), "b": np.arange(3), "c": (1, np.int64(2)), "d": float("nan"), "e": np.bool_(True),
             "f": [math.inf, -1.5], 3: "key made a string"}
    write_json(tmp_path / "x.json", value)
    assert json.loads((tmp_path / "x.json").read_text()) == {
        "a": 0.5, "b": [0, 1, 2], "c": [1, 2], "d": None, "e": True, "f": [None, -1.5], "3": "key made a string"}
    assert to_jsonable(np.float64(2.0)) == 2.0 and type(to_jsonable(np.float64(2.0))) is float


def test_config_round_trip_drops_none_and_checks_its_shape(tmp_path):
    write_config(tmp_path / "config.toml", "demo", {"n": 3, "lr": 0.5, "maybe": None, "xs": [1, 2]})
    assert tomllib.loads((tmp_path / "config.toml").read_text()) == {
        "study": "demo", "config": {"n": 3, "lr": 0.5, "xs": [1, 2]}}
    assert read_config(tmp_path / "config.toml") == ("demo", {"n": 3, "lr": 0.5, "xs": [1, 2]})
    (tmp_path / "bad.toml").write_text('study = "demo"\n')
    with pytest.raises(RunFolderError, match="lacks a 'study' name and a \\[config\\] table"):
        read_config(tmp_path / "bad.toml")
    with pytest.raises(RunFolderError, match="is missing"):
        read_config(tmp_path / "none.toml")


def test_params_keep_values_dtypes_and_docs(tmp_path):
    params = {"layer0.weight": np.arange(6, dtype=np.float32).reshape(1, 2, 3), "mask": np.array([True, False]),
              "count": np.array([3, 4], dtype=np.int64)}
    docs = {"layer0.weight": "(E, d_in, d_out)", "mask": "(2,) a mask", "count": "(2,) counts"}
    write_params(tmp_path / "p.safetensors", params, docs)
    with safe_open(str(tmp_path / "p.safetensors"), framework="numpy") as handle:  # the library's own reader
        assert handle.metadata() == {f"doc.{k}": v for k, v in docs.items()}
        np.testing.assert_array_equal(handle.get_tensor("layer0.weight"), params["layer0.weight"])
        assert handle.get_tensor("mask").dtype == np.uint8  # booleans are stored as bytes
    loaded = read_params(tmp_path / "p.safetensors")
    assert loaded["count"].dtype == np.int64 and loaded["count"].tolist() == [3, 4]
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(RunFolderError, match="not a valid safetensors file"):
        read_params(tmp_path / "junk.safetensors")


def test_params_carry_the_specs_of_their_networks_and_refuse_undocumented_tensors(tmp_path):
    spec = nets.mlp([2, 3, 1], "sigmoid", "sigmoid")
    rng = np.random.default_rng(0)
    ensemble = jax.tree_util.tree_map(lambda leaf: rng.standard_normal((4, *leaf.shape)).astype(np.float32),
                                      nets.param_shapes(spec))
    net = {k: np.asarray(v) for k, v in nets.named_tensors(spec, ensemble, "final").items()}
    forks = {k.replace("final", "forks"): np.stack([v, 2 * v]) for k, v in net.items()}
    params = {**net, **forks, "table": np.ones((4, 3))}
    networks = {"final": spec, "forks": nets.StoredNetwork(spec, axes=("fork", "member"))}
    write_params(tmp_path / "p.safetensors", params, {"table": "(member, cell) ones"}, networks)
    with safe_open(str(tmp_path / "p.safetensors"), framework="numpy") as handle:
        metadata = handle.metadata()
    assert set(metadata) == {f"doc.{name}" for name in params} | {"toyscope.networks"}
    assert "fork=2, member=4, d_in=2, d_out=3" in metadata["doc.forks.layer0.weight"]
    loaded_spec, loaded = nets.load(tmp_path / "p.safetensors", prefix="forks")
    assert loaded_spec == spec and loaded[1]["bias"].tobytes() == forks["forks.layer1.bias"].tobytes()
    assert read_params(tmp_path / "p.safetensors").keys() == params.keys()
    with pytest.raises(ValueError, match="'table' has no doc"):
        write_params(tmp_path / "q.safetensors", params, {}, networks)
    with pytest.raises(ValueError, match="network 'final'"):
        write_params(tmp_path / "q.safetensors", params, {"table": "t"}, {"final": nets.mlp([2, 4, 1])})
    assert not (tmp_path / "q.safetensors").exists()


def test_metrics_and_tables_are_csv_a_csv_reader_reads(tmp_path):
    write_metrics(tmp_path / "m.csv", {"step": np.arange(3), "loss": np.array([0.5, 0.25, 1 / 3])})
    rows = list(csv.reader(open(tmp_path / "m.csv", newline="")))
    assert rows[0] == ["step", "loss"] and [float(r[1]) for r in rows[1:]] == [0.5, 0.25, 1 / 3]  # repr: exact
    np.testing.assert_array_equal(read_metrics(tmp_path / "m.csv")["loss"], [0.5, 0.25, 1 / 3])
    with pytest.raises(ValueError, match="different lengths"):
        write_metrics(tmp_path / "bad.csv", {"a": [1, 2], "b": [1]})
    assert not (tmp_path / "bad.csv").exists()
    write_table_csv(tmp_path / "t.csv", ["name", "value"], [["a,b", 1.5], ["c", None]])
    assert list(csv.reader(open(tmp_path / "t.csv", newline=""))) == [["name", "value"], ["a,b", "1.5"], ["c", "None"]]


def test_md5_and_folder_names(tmp_path):
    (tmp_path / "f").write_bytes(b"x" * 3_000_000)
    assert file_md5(tmp_path / "f", chunk=1000) == hashlib.md5(b"x" * 3_000_000).hexdigest()
    assert partial_path(tmp_path / "run").name == "run.partial"
    assert final_path(tmp_path / "run.partial") == tmp_path / "run"
    with pytest.raises(RunFolderError, match="ending in '.partial'"):
        final_path(tmp_path / "run")


WRITERS = {
    "write_json": lambda path, size: write_json(path, {"a": list(range(size))}),
    "write_params": lambda path, size: write_params(path, {"w": np.arange(size, dtype=np.float32)}, {"w": "(size,)"}),
    "write_tree": lambda path, size: write_tree(path, {"a": np.arange(size)}),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_failed_write_leaves_the_old_file_and_no_temporary(writer, tmp_path, monkeypatch):
    """An OSError from the writer half-way through leaves the previous content and no stray file."""
    path = tmp_path / "folder" / "file"
    WRITERS[writer](path, 3)
    before = path.read_bytes()
    real_open = open

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: HalfWriter(real_open(p, mode, *a, **k))
                        if "w" in mode else real_open(p, mode, *a, **k))
    with pytest.raises(OSError, match="No space left"):
        WRITERS[writer](path, 1000)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["file"]
