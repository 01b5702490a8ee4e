"""Executing a study into a run folder, and loading run folders back.

Layout of ``runs/<study>-<YYYYmmdd-HHMMSS>/``::

    config.toml          the study name and the full resolved config
    meta.json            versions, platform, seed, git commit, data checksums, wall time
    params.safetensors   the study's tensors (names and docs in the header metadata)
    metrics.csv          per-step or per-item columns
    summary.json         the study's headline numbers
    report.json          report body (sections, figure captions, tables, deviations)
    report.html          self-contained report (figures embedded)
    figures/*.png|svg    every figure;  tables/*.csv  every table

While running, the folder is ``<name>.partial/`` with ``checkpoints/`` and ``cache/``; only a
complete run is renamed to ``<name>/``, so a finished folder is always whole. ``resume``
continues a ``.partial`` folder from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..studies import Study, StudyConfig, StudyResult, get_study
from ._files import (
    RunFolderError,
    file_md5,
    read_config,
    read_json,
    read_metrics,
    read_params,
    read_pickle,
    write_config,
    write_json,
    write_metrics,
    write_params,
    write_pickle,
    write_table_csv,
)
from ._report import render_report

PARTIAL = ".partial"


class _FileCheckpointer:
    """A :class:`toyscope.train.Checkpointer` backed by one pickle file."""

    def __init__(self, path: Path):
        self.path = path

    def load(self):
        return read_pickle(self.path) if self.path.exists() else None

    def save(self, state) -> None:
        write_pickle(self.path, state)


class RunFolderContext:
    """The :class:`toyscope.studies.RunContext` of an unfinished run folder."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.files: dict[str, str] = {}

    def checkpointer(self, name: str) -> _FileCheckpointer:
        return _FileCheckpointer(self.out_dir / "checkpoints" / f"{name}.pkl")

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        path = self.out_dir / "cache" / f"{name}.pkl"
        if path.exists():
            return read_pickle(path)
        value = compute()
        write_pickle(path, value)
        return value

    def data_files(self, paths: dict[str, str]) -> None:
        self.files.update({k: str(v) for k, v in paths.items()})

    def sweep(self, study: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path | str | None = None,
              *, workers: int = 1) -> list:
        """Run ``study`` on every cell of ``grid`` (one resumable run folder per cell under ``out``,
        default ``cells/`` in this run folder); the finished cells, in grid order (see
        :func:`toyscope.runs.sweep_cells`)."""
        from .._progress import is_quiet
        from ._sweep import ProcessExecutor, SerialExecutor, sweep_cells

        executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
        # cells in other processes run quiet (a bar here counts them); in this process they show their bars
        cells = sweep_cells(study, base_values, grid, Path(out) if out is not None else self.out_dir / "cells",
                            executor=executor, quiet=is_quiet() or workers > 1)
        return [(cell.values, cell.summary) for cell in cells]


def _holds_work(partial: Path) -> bool:
    """Whether an unfinished run folder holds more than its config and cached inputs."""
    return any(p.is_file() and p.name != "config.toml" and p.relative_to(partial).parts[0] != "cache"
               for p in partial.rglob("*"))


def default_run_dir(study: str, root: Path | str = "runs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{study}-{stamp}"


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL)


def final_path(partial: Path) -> Path:
    if not partial.name.endswith(PARTIAL):
        raise RunFolderError(f"--resume needs an unfinished run folder ending in '{PARTIAL}', got {partial}")
    return partial.with_name(partial.name[: -len(PARTIAL)])


def _versions() -> dict[str, str]:
    import jax
    import jaxlib
    import numpy

    from .. import __version__

    return {"toyscope": __version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "numpy": numpy.__version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "x64": bool(jax.config.jax_enable_x64)}


def _git_commit() -> str | None:
    source = Path(__file__).resolve().parents[3]
    if not (source / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("-dirty" if dirty else "")) or None


def configure_dtype(config: StudyConfig) -> None:
    """Switch JAX's global x64 mode on for float64 configs (before anything compiles)."""
    if config.dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def execute(study: Study, config: StudyConfig, out: Path | None = None, *, resume: Path | None = None) -> Path:
    """Run ``study`` with ``config`` into a run folder; returns the finished folder's path.

    Args:
        out: final folder (default ``runs/<study>-<timestamp>``); must not exist yet.
        resume: an unfinished ``<name>.partial`` folder; its saved config is used.

    Raises:
        RunFolderError: the target exists, or the resume folder is not a partial run of
            this study.
    """
    if resume is not None:
        partial = Path(resume)
        final = final_path(partial)
        if not partial.is_dir():
            raise RunFolderError(f"nothing to resume at {partial}")
    else:
        final = Path(out) if out is not None else default_run_dir(study.name)
        partial = partial_path(final)
        if partial.exists():
            raise RunFolderError(f"{partial} exists: resume it with --resume {partial}, or delete it")
    if final.exists():
        raise RunFolderError(f"{final} exists already; choose another --out")

    configure_dtype(config)
    new_parent = not partial.parent.exists()
    partial.mkdir(parents=True, exist_ok=True)
    if resume is None:
        write_config(partial / "config.toml", study.name, config.model_dump(mode="json"))
    started = time.time()
    context = RunFolderContext(partial)
    try:
        result = study.run(config, context)
    except ValueError as err:
        # invalid input found by the study itself: leave nothing behind, unless resuming or the
        # folder already holds work (checkpoints, finished sweep cells) that a resume would reuse
        if resume is not None or _holds_work(partial):
            raise RunFolderError(f"{study.name}: {err} (kept {partial}: fix the cause, then --resume it)") from err
        shutil.rmtree(partial, ignore_errors=True)
        if new_parent and not any(partial.parent.iterdir()):
            partial.parent.rmdir()
        raise RunFolderError(f"{study.name}: {err}") from err
    _write_result(partial, study, config, result, context, started)
    for scratch in ("checkpoints", "cache"):
        shutil.rmtree(partial / scratch, ignore_errors=True)
    os.replace(partial, final)
    return final


def load_partial_config(partial: Path) -> tuple[Study, StudyConfig]:
    """The study and config saved in an unfinished run folder (for ``--resume``)."""
    final_path(Path(partial))  # validates the name
    name, values = read_config(Path(partial) / "config.toml")
    study = get_study(name)
    return study, study.config_class.resolve(values)


def _write_result(folder: Path, study: Study, config: StudyConfig, result: StudyResult,
                  context: RunFolderContext, started: float) -> None:
    figures_dir, tables_dir = folder / "figures", folder / "tables"
    figures_dir.mkdir(exist_ok=True)
    sections = []
    for section in result.sections:
        for fig in section.figures:
            # A figure with a layout engine (constrained/tight) is already laid out; "tight" bbox
            # would render it a second time per file.
            bbox = None if fig.figure.get_layout_engine() is not None else "tight"
            fig.figure.savefig(figures_dir / f"{fig.name}.png", dpi=110, bbox_inches=bbox)
            fig.figure.savefig(figures_dir / f"{fig.name}.svg", bbox_inches=bbox)
        for table in section.tables:
            write_table_csv(tables_dir / f"{table.name}.csv", table.columns, table.rows)
        sections.append({
            "title": section.title, "text": section.text,
            "figures": [{"name": f.name, "caption": f.caption} for f in section.figures],
            "tables": [{"name": t.name, "columns": t.columns, "rows": t.rows, "caption": t.caption}
                       for t in section.tables],
        })
    write_json(folder / "report.json", {
        "description": study.description,
        "sections": sections,
        "deviations": [dataclasses.asdict(d) for d in result.deviations],
    })
    write_params(folder / "params.safetensors", result.params, result.param_docs)
    write_metrics(folder / "metrics.csv", result.metrics)
    write_json(folder / "summary.json", result.summary)
    meta = {**_versions(), "study": study.name, "seed": config.seed, "git_commit": _git_commit(),
            "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
            "finished": dt.datetime.now().isoformat(timespec="seconds"),
            "wall_time_s": round(time.time() - started, 2),
            "data_files": {name: {"path": path, "md5": file_md5(Path(path))}
                           for name, path in context.files.items() if Path(path).exists()}}
    write_json(folder / "meta.json", meta)
    render_report(folder)


@dataclasses.dataclass
class RunData:
    """A loaded run folder."""

    path: Path
    study: str
    config: dict[str, Any]
    params: dict[str, np.ndarray]
    summary: dict[str, Any]
    metrics: dict[str, np.ndarray]
    meta: dict[str, Any]


def load_run(path: Path | str) -> RunData:
    """Load a finished run folder: config, params (numpy), summary, metrics, meta.

    Raises:
        RunFolderError: not a run folder, unfinished, or a file is corrupt.
    """
    path = Path(path)
    if path.name.endswith(PARTIAL):
        raise RunFolderError(f"{path} is an unfinished run; finish it with toyscope run --resume {path}")
    if not path.is_dir():
        raise RunFolderError(f"no run folder at {path}")
    study, config = read_config(path / "config.toml")
    return RunData(path=path, study=study, config=config, params=read_params(path / "params.safetensors"),
                   summary=read_json(path / "summary.json"), metrics=read_metrics(path / "metrics.csv"),
                   meta=read_json(path / "meta.json"))
