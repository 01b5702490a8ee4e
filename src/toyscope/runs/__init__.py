"""Run folders: executing a study atomically, checkpoints and resume, reports, sweeps."""

from ._files import RunFolderError, file_md5, read_config
from ._report import render_report
from ._run import (
    PARTIAL,
    RunData,
    RunFolderContext,
    configure_dtype,
    default_run_dir,
    execute,
    load_partial_config,
    load_run,
    partial_path,
)
from ._sweep import Executor, ProcessExecutor, SerialExecutor, SweepCell, grid_cells, parse_grid, run_sweep, sweep_cells

__all__ = [
    "PARTIAL", "Executor", "ProcessExecutor", "RunData", "RunFolderContext", "RunFolderError",
    "SerialExecutor", "SweepCell", "configure_dtype", "default_run_dir", "execute", "file_md5", "grid_cells",
    "load_partial_config", "load_run", "parse_grid", "partial_path", "read_config", "render_report", "run_sweep",
    "sweep_cells",
]
