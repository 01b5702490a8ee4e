"""Writing and reading the files of a run folder, each written atomically (tmp + rename)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import tomllib
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w


class RunFolderError(ValueError):
    """A run folder or one of its files is missing or not what it claims to be."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``: ``path`` holds either its
    old content or all of ``data``, never part of it. The temporary file's name is unique (PID and a
    random part), so concurrent writers of one path (cells finishing at once) never share it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write leaves neither a half-written file nor a temporary one
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and non-finite floats into JSON-able values
    (NaN and Inf become ``None``)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if hasattr(value, "__array__"):
        return to_jsonable(np.asarray(value))
    return value


def write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(to_jsonable(value), indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path} is not valid JSON ({err})") from None


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def write_config(path: Path, study: str, config_values: dict[str, Any]) -> None:
    """``config.toml``: the study name and the full resolved config (``None`` values omitted)."""
    document = {"study": study, "config": _drop_none(to_jsonable(config_values))}
    atomic_write_text(path, tomli_w.dumps(document))


def read_config(path: Path) -> tuple[str, dict[str, Any]]:
    """Read ``config.toml`` -> ``(study name, config values)``."""
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RunFolderError(f"{path} is missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RunFolderError(f"{path} is not valid TOML ({err})") from None
    if "study" not in document or not isinstance(document.get("config"), dict):
        raise RunFolderError(f"{path} lacks a 'study' name and a [config] table")
    return document["study"], document["config"]


def write_params(path: Path, params: dict[str, np.ndarray], docs: dict[str, str],
                 networks: dict[str, Any] | None = None) -> None:
    """``params.safetensors``, self-describing: the header metadata holds each network's spec
    (``toyscope.networks``, :func:`toyscope.nets.header_metadata`) and every tensor's doc
    (``doc.<name>``; network tensors without one get a generated doc with their axes). Readable with
    ``safetensors.numpy.load_file``, by PyTorch, and network by network with
    :func:`toyscope.nets.load` (``prefix=``).

    Args:
        path: the file.
        params: tensor name -> array.
        docs: tensor name -> what it is, with its axes (every tensor outside ``networks`` needs one).
        networks: prefix -> spec or :class:`toyscope.nets.StoredNetwork`, the networks among ``params``.

    Raises:
        ValueError: a network whose tensors do not fit its spec, a tensor without a doc, a doc
            for a tensor that is not there (one line naming it); nothing is written.
    """
    from safetensors.numpy import save

    from .. import nets

    tensors = {name: np.ascontiguousarray(np.asarray(array)) for name, array in params.items()}
    for name, array in tensors.items():
        if array.dtype == np.bool_:
            tensors[name] = array.astype(np.uint8)
    try:
        metadata = nets.header_metadata(tensors, networks, docs)
    except ValueError as err:
        raise ValueError(f"{path.name}: {err}") from None
    atomic_write_bytes(path, save(tensors, metadata=metadata or None))


def read_params(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    if not path.exists():
        return {}
    try:
        return load_file(str(path))
    except Exception as err:  # noqa: BLE001 - safetensors raises several types
        raise RunFolderError(f"{path} is not a valid safetensors file ({err})") from None


def write_metrics(path: Path, metrics: dict[str, Any]) -> None:
    """``metrics.csv``: one column per metric, equal lengths."""
    columns = {name: np.asarray(values).reshape(-1) for name, values in metrics.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"metrics columns have different lengths: { {k: len(v) for k, v in columns.items()} }")
    n_rows = lengths.pop() if lengths else 0
    lines = [",".join(columns)]
    for i in range(n_rows):
        lines.append(",".join(_csv_cell(columns[name][i]) for name in columns))
    atomic_write_text(path, "\n".join(lines) + "\n")


def _csv_cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    text = str(value)
    return f'"{text}"' if "," in text else text


def read_metrics(path: Path) -> dict[str, np.ndarray]:
    """Read ``metrics.csv`` into columns (numeric where possible)."""
    if not path.exists():
        return {}
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows or not rows[0]:
        return {}
    header, body = rows[0], rows[1:]
    out = {}
    for j, name in enumerate(header):
        column = [row[j] for row in body]
        try:
            out[name] = np.asarray([float(v) for v in column])
        except ValueError:
            out[name] = np.asarray(column)
    return out


def write_table_csv(path: Path, columns: list[str], rows: list[list[Any]]) -> None:
    lines = [",".join(_csv_cell(c) for c in columns)]
    lines += [",".join(_csv_cell(v) for v in row) for row in rows]
    atomic_write_text(path, "\n".join(lines) + "\n")


def file_md5(path: Path, chunk: int = 1 << 20) -> str:
    """md5 of a file's bytes."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def refuse_pickles(folder: Path) -> None:
    """Refuse a run folder holding ``.pkl`` files (earlier toyscope pickled its cached stages and
    checkpoints): loading a pickle can run any code its author put in it.

    Raises:
        RunFolderError: naming one such file and what to do instead.
    """
    found = next(iter(sorted(folder.rglob("*.pkl"))), None) if folder.is_dir() else None
    if found is not None:
        raise RunFolderError(f"{folder} holds pickled files ({found.relative_to(folder)}), which are unsafe to load "
                             "(unpickling can run code): rerun the study into a new folder instead")


PARTIAL = ".partial"


def partial_path(final: Path) -> Path:
    """The unfinished folder of a run that will end as ``final`` (``<final>.partial``)."""
    return final.with_name(final.name + PARTIAL)


def final_path(partial: Path) -> Path:
    """The finished name of an unfinished ``<name>.partial`` folder (for ``--resume``)."""
    if not partial.name.endswith(PARTIAL):
        raise RunFolderError(f"--resume needs an unfinished run folder ending in '{PARTIAL}', got {partial}")
    return partial.with_name(partial.name[: -len(PARTIAL)])
