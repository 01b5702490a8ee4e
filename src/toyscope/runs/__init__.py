"""Run folders: executing a study atomically, checkpoints and resume, reports, sweeps.

Modules, each importing only those before it: ``_files`` (file formats, folder names),
``_tree_file`` (cached stages and checkpoints as arrays + JSON, never pickles), ``_lock`` (one
writer per run folder, heartbeat, stale takeover, the segments of a resumed run), ``_report`` (HTML), ``_executors`` (serial / process pool), ``_run`` (execute a study into a
folder, with the sub-sweeps a study asks its context for), ``_load`` (read folders back),
``_sweep`` (grids from the command line, ``sweep.csv``); ``_interactive`` (plotly figures and page
assets), ``_page_js`` (the pages' JavaScript) and ``_index`` (the runs index, sweep pages).
"""

from ._bench_sweep import bench_sweep
from ._dask import DaskExecutor
from ._executors import Executor, ExecutorError, ItemFailed, ProcessExecutor, SerialExecutor
from ._files import file_md5, PARTIAL, partial_path, read_config, RunFolderError
from ._index import headline_numbers, index_entries, IndexEntry, read_entry, write_index, write_sweep_page
from ._interactive import write_shared_assets
from ._load import load_partial_config, load_run, RunData
from ._report import render_report
from ._run import (
    CellsFailed,
    configure_dtype,
    default_run_dir,
    ERROR_LOG,
    execute,
    grid_cells,
    out_of_memory,
    precision_scope,
    RunFolderContext,
    RunInterrupted,
    sweep_cells,
    SweepCell,
)
from ._sweep import parse_grid, run_sweep

__all__ = [
    "bench_sweep", "CellsFailed", "configure_dtype", "DaskExecutor", "default_run_dir", "ERROR_LOG", "execute",
    "Executor", "ExecutorError", "file_md5", "grid_cells", "headline_numbers", "index_entries", "IndexEntry",
    "ItemFailed", "load_partial_config", "load_run", "out_of_memory", "parse_grid", "PARTIAL", "partial_path",
    "precision_scope", "ProcessExecutor", "read_config", "read_entry", "render_report", "run_sweep", "RunData",
    "RunFolderContext", "RunFolderError", "RunInterrupted", "SerialExecutor", "sweep_cells", "SweepCell",
    "write_index", "write_shared_assets", "write_sweep_page"
]
