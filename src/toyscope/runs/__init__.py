"""Run folders: executing a study atomically, checkpoints and resume, reports, sweeps.

Modules, each importing only those before it: ``_files`` (file formats, folder names),
``_tree_file`` (cached stages and checkpoints as arrays + JSON, never pickles), ``_lock`` (one
writer per run folder, heartbeat, stale takeover, the segments of a resumed run), ``_report`` (HTML), ``_executors`` (serial / process pool), ``_dask`` (a Dask cluster), ``_run`` (execute a study into a
folder, with the sub-sweeps a study asks its context for), ``_load`` (read folders back),
``_sweep`` (grids from the command line, ``sweep.csv``), ``_bench_sweep`` (``toyscope bench sweep``).
"""

from ._bench_sweep import bench_sweep
from ._dask import DaskExecutor
from ._executors import Executor, ExecutorError, ItemFailed, ProcessExecutor, SerialExecutor
from ._files import PARTIAL, RunFolderError, file_md5, partial_path, read_config
from ._load import RunData, load_partial_config, load_run
from ._report import render_report
from ._run import (
    ERROR_LOG,
    CellsFailed,
    RunFolderContext,
    RunInterrupted,
    SweepCell,
    configure_dtype,
    default_run_dir,
    execute,
    grid_cells,
    out_of_memory,
    precision_scope,
    sweep_cells,
)
from ._sweep import parse_grid, run_sweep

__all__ = [
    "ERROR_LOG", "PARTIAL", "RunInterrupted", "out_of_memory", "CellsFailed", "DaskExecutor", "Executor", "ExecutorError",
    "ItemFailed", "ProcessExecutor", "RunData", "RunFolderContext", "RunFolderError",
    "SerialExecutor", "SweepCell", "configure_dtype", "default_run_dir", "execute", "file_md5", "grid_cells",
    "load_partial_config", "load_run", "parse_grid", "partial_path", "precision_scope", "read_config",
    "bench_sweep", "render_report", "run_sweep", "sweep_cells",
]
