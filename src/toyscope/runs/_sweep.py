"""Sweeps: a grid of configs, one run folder per cell, resumable cell by cell.

Cells run through an :class:`Executor` (default a local process pool; :class:`DaskExecutor`
runs them on a Dask cluster). Each worker process runs one cell with
:func:`toyscope.runs.execute`, so a cell's folder is whole or ``.partial``, and a rerun of the
sweep skips finished cells and resumes partial ones. ``sweep.csv`` joins every cell's grid
values with the scalar entries of its ``summary.json``; ``sweep.json`` (written first) what the sweep runs, and ``sweep.html`` its
headline numbers against its grid keys (``_index``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..studies import ConfigError
from ._executors import Executor
from ._files import write_table_csv
from ._index import update_index, write_sweep_marker, write_sweep_page
from ._run import CellsFailed, grid_cells, sweep_cells


def parse_grid(specs: Iterable[str]) -> dict[str, list[str]]:
    """``["k=4,8", "lr=0.1,1"]`` -> ``{"k": ["4", "8"], "lr": ["0.1", "1"]}``."""
    grid: dict[str, list[str]] = {}
    for spec in specs:
        key, sep, values = spec.partition("=")
        if not sep or not key or not values:
            raise ConfigError(f"--grid needs key=v1,v2,..., got {spec!r}")
        if key.strip() in grid:
            raise ConfigError(f"--grid key {key.strip()!r} given twice; give all its values once ({key.strip()}=v1,v2,...)")
        grid[key.strip()] = [v.strip() for v in values.split(",")]
    return grid


def run_sweep(study_name: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path, *,
              seeds: int | None = None, executor: Executor | None = None, quiet: bool = True,
              parse_value: Callable[[Any], Any] = lambda value: value) -> Path:
    """:func:`sweep_cells`, then ``out/sweep.csv``: each cell's grid values and the scalar entries
    of its ``summary.json`` (a failed cell's row holds ``failed`` and its one-line ``error``).
    Returns the path of ``sweep.csv``.

    Raises:
        CellsFailed: after writing ``sweep.csv``, when some cells failed on every try their
            executor allows (the others finished; running the sweep again retries them).
    """
    cells = sweep_cells(study_name, base_values, grid, out, seeds=seeds, executor=executor, quiet=quiet,
                        parse_value=parse_value,
                        on_start=lambda: write_sweep_marker(out, study_name, base_values, grid, seeds))
    grid_keys = list(grid_cells(grid, seeds)[0])
    scalar_keys = sorted({k for c in cells for k, v in c.summary.items()
                          if (isinstance(v, (int, float, str, bool)) or v is None) and k not in grid_keys})
    columns = ["cell", *grid_keys, *scalar_keys]
    rows = [[c.folder.name, *c.values.values(), *(c.summary.get(k) for k in scalar_keys)] for c in cells]
    path = out / "sweep.csv"
    write_table_csv(path, columns, rows)
    write_sweep_page(out)
    update_index(out)
    failed = [c for c in cells if c.summary.get("failed")]
    if failed:
        raise CellsFailed([(c.folder.name, c.summary["error"]) for c in failed], len(cells),
                          f"their errors are in {path}; run the same sweep again to retry them")
    return path
