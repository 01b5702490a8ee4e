"""Sweeps: a grid of configs, one run folder per cell, resumable cell by cell.

Cells run through an :class:`Executor` (default a local process pool; a Dask executor can
implement the same two-method interface). Each worker process runs one cell with
:func:`toyscope.runs.execute`, so a cell's folder is whole or ``.partial``, and a rerun of the
sweep skips finished cells and resumes partial ones. ``sweep.csv`` joins every cell's grid
values with the scalar entries of its ``summary.json``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import itertools
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .._progress import progress_bar, quiet_while
from ..studies import ConfigError, get_study
from ._files import read_config, read_json, write_table_csv
from ._run import RunFolderError, execute, partial_path


class Executor(Protocol):
    """Runs independent jobs: ``map(fn, items)`` yields their results in order, each as soon as
    it and the ones before it are done (so a caller can report progress)."""

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]: ...


class SerialExecutor:
    """Runs cells one after another in this process."""

    def map(self, fn, items):
        return (fn(item) for item in items)


class ProcessExecutor:
    """Runs cells in a local pool of ``workers`` processes (spawned, so JAX starts clean)."""

    def __init__(self, workers: int = 2):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def map(self, fn, items):
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            yield from pool.map(fn, items)


def parse_grid(specs: Iterable[str]) -> dict[str, list[str]]:
    """``["k=4,8", "lr=0.1,1"]`` -> ``{"k": ["4", "8"], "lr": ["0.1", "1"]}``."""
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, values = spec.partition("=")
        if not sep or not key or not values:
            raise ConfigError(f"--grid needs key=v1,v2,..., got {spec!r}")
        grid[key.strip()] = [v.strip() for v in values.split(",")]
    return grid


def grid_cells(grid: dict[str, list[Any]], seeds: int | None) -> list[dict[str, Any]]:
    """Cartesian product of the grid (times ``seed = "0".."seeds-1"`` when given), in grid order."""
    if seeds is not None:
        if seeds < 1:
            raise ConfigError(f"--seeds must be >= 1, got {seeds}")
        grid = {**grid, "seed": [str(s) for s in range(seeds)]}
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def cell_name(cell: dict[str, Any]) -> str:
    """The folder name of a cell, from its grid values alone (``task=mnist_method=bimt``), so that
    adding or reordering grid values never renames a finished cell. A label that had to be
    shortened or cleaned of other characters gets a hash of the full label, to stay unique."""
    label = "_".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in cell.items())
    clean = re.sub(r"[^A-Za-z0-9=._-]+", "-", label)
    if clean == label and len(label) <= 80:
        return label
    return f"{clean[:71]}-{hashlib.sha1(label.encode()).hexdigest()[:8]}"


def _run_cell(job: tuple[str, dict[str, Any], str, bool]) -> str:
    study_name, values, out, quiet = job
    with quiet_while(quiet):  # in this process (serial executor) the caller's setting comes back after
        return _run_cell_folder(study_name, values, Path(out))


def _run_cell_folder(study_name: str, values: dict[str, Any], out_path: Path) -> str:
    """Run one cell into ``out_path``: ``"done before"`` if it is there (with the same config),
    else run it, resuming its ``.partial`` folder if one exists, and return ``"ran"``."""
    study = get_study(study_name)
    config = study.config_class.resolve(values)
    if out_path.is_dir():
        _check_same_config(out_path, study_name, config)
        return "done before"
    partial = partial_path(out_path)
    if partial.is_dir():
        _check_same_config(partial, study_name, config)
    execute(study, config, resume=partial if partial.is_dir() else None, out=None if partial.is_dir() else out_path)
    return "ran"


def _check_same_config(folder: Path, study_name: str, config) -> None:
    """A cell folder found on disk must hold the cell's own config (else it is some other run)."""
    stored_study, stored = read_config(folder / "config.toml")
    found = get_study(stored_study).config_class.resolve(stored) if stored_study == study_name else None
    if found is None or found.model_dump() != config.model_dump():
        wanted, have = config.model_dump(), found.model_dump() if found is not None else {}
        diff = next((f"{k}: {have.get(k)!r} there, {wanted[k]!r} wanted" for k in wanted if have.get(k) != wanted[k]),
                    f"study {stored_study!r}")
        raise RunFolderError(f"{folder} holds a run with another config ({diff}); use another sweep folder")


class SweepCell(NamedTuple):
    """One finished cell: its grid ``values`` (as parsed), its run ``folder`` and ``summary.json``."""

    values: dict[str, Any]
    folder: Path
    summary: dict[str, Any]


def sweep_cells(study_name: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path, *,
                seeds: int | None = None, executor: Executor | None = None, quiet: bool = True,
                parse_value: Callable[[Any], Any] = lambda value: value) -> list[SweepCell]:
    """Run every cell of ``grid`` over ``base_values`` into ``out/<cell name>/``, resumably.

    Every cell's config is validated before any cell runs (a bad value fails the whole sweep
    with nothing written). A cell folder that exists already is reused only if it holds the same
    config, and a ``.partial`` one is resumed. Returns the finished cells in grid order.

    Raises:
        ConfigError: a cell's config is invalid.
        RunFolderError: a cell folder holds another config, or a summary is not a JSON object.
    """
    study = get_study(study_name)
    cells = grid_cells(grid, seeds)
    jobs, parsed = [], []
    for cell in cells:
        values = {k: parse_value(v) for k, v in cell.items()}
        study.config_class.resolve({**base_values, **values})  # validate up front
        jobs.append((study_name, {**base_values, **values}, str(out / cell_name(cell)), quiet))
        parsed.append(values)
    out.mkdir(parents=True, exist_ok=True)
    # quiet cells report nothing themselves: then one bar counts the finished cells
    with progress_bar(f"{study_name}: {len(jobs)} cells" if quiet else None, len(jobs)) as bar:
        for _ in (executor or ProcessExecutor()).map(_run_cell, jobs):
            bar.advance()
    finished = []
    for (_, _, cell_out, _), values in zip(jobs, parsed):
        summary = read_json(Path(cell_out) / "summary.json")
        if not isinstance(summary, dict):
            raise RunFolderError(f"{cell_out}/summary.json is not a JSON object")
        finished.append(SweepCell(values, Path(cell_out), summary))
    return finished


def run_sweep(study_name: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path, *,
              seeds: int | None = None, executor: Executor | None = None, quiet: bool = True,
              parse_value: Callable[[Any], Any] = lambda value: value) -> Path:
    """:func:`sweep_cells`, then ``out/sweep.csv``: each cell's grid values and the scalar entries
    of its ``summary.json``. Returns the path of ``sweep.csv``."""
    cells = sweep_cells(study_name, base_values, grid, out, seeds=seeds, executor=executor, quiet=quiet,
                        parse_value=parse_value)
    grid_keys = list(grid_cells(grid, seeds)[0])
    scalar_keys = sorted({k for c in cells for k, v in c.summary.items()
                          if (isinstance(v, (int, float, str, bool)) or v is None) and k not in grid_keys})
    columns = ["cell", *grid_keys, *scalar_keys]
    rows = [[c.folder.name, *c.values.values(), *(c.summary.get(k) for k in scalar_keys)] for c in cells]
    path = out / "sweep.csv"
    write_table_csv(path, columns, rows)
    return path
