"""Executing a study into a run folder, including the sweeps of other studies it asks for.

Layout of ``runs/<study>-<YYYYmmdd-HHMMSS>/``::

    config.toml          the study name and the full resolved config
    meta.json            versions, platform, seed, git commit, data checksums, wall time
    params.safetensors   the study's tensors (names and docs in the header metadata)
    metrics.csv          per-step or per-item columns
    summary.json         the study's headline numbers
    report.json          report body (sections, figure captions, tables, deviations)
    report.html          self-contained report (figures embedded)
    figures/*.png|svg    every figure;  tables/*.csv  every table

While running, the folder is ``<name>.partial/`` with ``checkpoints/`` and ``cache/`` (``.npz``
arrays + JSON, never pickles: a folder holding ``.pkl`` files is refused), ``lock.json`` (the one
process writing it) and ``segments.json`` (start, end and host of each process that worked on it,
for ``meta.json``); only a complete run is renamed to ``<name>/``, so a finished folder is always
whole. ``resume`` continues a ``.partial`` folder from its last checkpoint.

A study may sweep another study through its context (:meth:`RunFolderContext.sweep`), and each
cell is again executed into a run folder (:func:`sweep_cells`): that recursion lives in this
module, so the package has no import cycle. Loading folders back is ``_load``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import itertools
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple


from .._progress import is_quiet, progress_bar, quiet_while, stage
from .._version import __version__
from ..studies import STUDIES, ConfigError, Study, StudyConfig, StudyResult, get_study
from ._executors import Executor, ItemFailed, ProcessExecutor, SerialExecutor
from ._files import (
    RunFolderError,
    final_path,
    partial_path,
    file_md5,
    read_config,
    read_json,
    refuse_pickles,
    write_config,
    write_json,
    write_metrics,
    write_params,
    write_table_csv,
)
from ._index import update_index
from ._interactive import interactive_path, write_interactive_figure, write_shared_assets
from ._lock import RunLock, close_segment, lock_holder
from ._report import render_report
from ._tree_file import read_tree, write_tree

class _FileCheckpointer:
    """A :class:`toyscope.train.Checkpointer` backed by one ``.npz`` file of arrays and JSON
    (``_tree_file``): the optimiser state and any other pytree node of the training state are
    rebuilt on the ``template`` the engine passes, never from the file."""

    def __init__(self, path: Path):
        self.path = path

    def load(self, template=None):
        return read_tree(self.path, template) if self.path.exists() else None

    def save(self, state) -> None:
        write_tree(self.path, state, leaves_for_unknown_nodes=True)


class RunFolderContext:
    """The :class:`toyscope.studies.RunContext` of an unfinished run folder; ``executor``, when
    given, carries out every sub-sweep the study asks for (else each sweep's ``workers`` decide)."""

    def __init__(self, out_dir: Path, executor: Executor | None = None):
        self.out_dir = out_dir
        self.files: dict[str, str] = {}
        self.executor = executor

    def checkpointer(self, name: str) -> _FileCheckpointer:
        return _FileCheckpointer(self.out_dir / "checkpoints" / f"{name}.npz")

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, stored under ``cache/<name>.npz`` and read back on a resume (arrays,
        numbers, strings, containers and the types of ``_tree_file.REBUILDABLE`` only)."""
        path = self.out_dir / "cache" / f"{name}.npz"
        if path.exists():
            return read_tree(path)
        with stage(name.replace("_", " ")):
            value = compute()
        write_tree(path, value)
        return value

    def data_files(self, paths: dict[str, str]) -> None:
        self.files.update({k: str(v) for k, v in paths.items()})

    def sweep(self, study: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path | str | None = None,
              *, workers: int = 1) -> list:
        """Run ``study`` on every cell of ``grid`` (one resumable run folder per cell under ``out``,
        default ``cells/`` in this run folder); the finished cells, in grid order (see
        :func:`toyscope.runs.sweep_cells`). The context's executor, when it has one, runs them;
        else ``workers`` local processes (one: in this process).

        Raises:
            CellsFailed: a cell failed on every try its executor allows (the others finished).
        """
        executor = self.executor or (SerialExecutor() if workers == 1 else ProcessExecutor(workers))
        write_shared_assets(self.out_dir)  # the cells' reports link this run's plotly.js
        # cells in other processes run quiet (a bar here counts them); in this process they show their bars
        cells = sweep_cells(study, base_values, grid, Path(out) if out is not None else self.out_dir / "cells",
                            executor=executor, quiet=is_quiet() or not isinstance(executor, SerialExecutor))
        failed = [cell for cell in cells if cell.summary.get("failed")]
        if failed:
            raise CellsFailed([(cell.folder.name, cell.summary["error"]) for cell in failed], len(cells),
                              "resume the run to retry them")
        return [(cell.values, cell.summary) for cell in cells]


class CellsFailed(RuntimeError):
    """Some sweep cells failed on every try their executor allows; the other cells finished.

    ``failed`` lists ``(cell folder name, one-line error)``; ``total`` counts every cell.
    """

    def __init__(self, failed: list[tuple[str, str]], total: int, advice: str):
        name, error = failed[0]
        super().__init__(f"{len(failed)} of {total} cells failed (first: {name}: {error}); {advice}")
        self.failed, self.total = failed, total


ERROR_LOG = "error.log"  # the traceback of an internal error, written by the CLI into the run folder
_NOT_WORK = ("config.toml", ERROR_LOG, "lock.json", "segments.json")  # bookkeeping, not work


def _saved_files(partial: Path):
    """The files of an unfinished run folder that hold work: everything but its bookkeeping
    (config, error log, lock, segments) and the hidden temporaries of atomic writes."""
    return (p for p in partial.rglob("*") if p.is_file() and p.name not in _NOT_WORK and not p.name.startswith("."))


def _holds_work(partial: Path) -> bool:
    """Whether an unfinished run folder holds more than its config and cached inputs."""
    return any(p.relative_to(partial).parts[0] != "cache" for p in _saved_files(partial))


def _holds_only_config(partial: Path) -> bool:
    """Whether an unfinished run folder holds nothing but its config (and an error log): no
    checkpoint, cached stage or cell, so that replacing it loses nothing."""
    return not any(True for _ in _saved_files(partial))


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C while a run folder was being written; ``partial`` is that unfinished folder (the
    outermost one of a study that sweeps), kept for ``toyscope run --resume``."""

    def __init__(self, partial: Path):
        super().__init__(str(partial))
        self.partial = Path(partial)


def out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is the machine running out of memory (``MemoryError`` or XLA's
    ``RESOURCE_EXHAUSTED``): the user's environment, not a bug."""
    return isinstance(err, MemoryError) or (isinstance(err, RuntimeError) and "RESOURCE_EXHAUSTED" in str(err))


def _make_folder(folder: Path) -> Path | None:
    """Create ``folder`` and its missing parents; the highest parent that had to be created
    (``None`` if the parent existed), so that :func:`_discard` can remove what was made.

    Raises:
        RunFolderError: a parent is a file, or the folder cannot be created (one line, e.g.
            ``--out /proc/x``).
    """
    folder = Path(folder)
    ancestor, created = folder.parent, None
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor, created = ancestor.parent, ancestor
    if ancestor.exists() and not ancestor.is_dir():
        raise RunFolderError(f"cannot create {folder}: {ancestor} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunFolderError(f"cannot create {folder}: {err.strerror or err}") from None
    return created


def default_run_dir(study: str, root: Path | str = "runs") -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{study}-{stamp}"


def _versions() -> dict[str, str]:
    import jax
    import jaxlib
    import numpy

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


def precision_scope(config: StudyConfig):
    """A context in which JAX's x64 mode is on for a float64 config and off for a float32 one;
    the previous mode comes back when it exits (``with precision_scope(config): ...``)."""
    import jax

    return jax.enable_x64(config.dtype == "float64")


def configure_dtype(config: StudyConfig) -> None:
    """Deprecated: switched JAX's x64 mode globally; use ``with precision_scope(config):``."""
    import warnings

    warnings.warn("toyscope.runs.configure_dtype is deprecated; use 'with toyscope.runs.precision_scope(config):'",
                  DeprecationWarning, stacklevel=2)
    if config.dtype == "float64":
        import jax

        jax.config.update("jax_enable_x64", True)


def execute(study: Study, config: StudyConfig, out: Path | None = None, *, resume: Path | None = None,
            executor: Executor | None = None) -> Path:
    """Run ``study`` with ``config`` into a run folder; returns the finished folder's path.

    Args:
        out: final folder (default ``runs/<study>-<timestamp>``); must not exist yet.
        resume: an unfinished ``<name>.partial`` folder; its saved config is used.
        executor: carries out the sweeps the study asks its context for (how the run is carried
            out, not part of its config: nothing of it is saved).

    Raises:
        RunFolderError: the target exists, or the resume folder is not a partial run of
            this study.
    """
    if resume is not None:
        partial = Path(resume)
        final = final_path(partial)
        if not partial.is_dir():
            raise RunFolderError(f"nothing to resume at {partial}")
        refuse_pickles(partial)
    else:
        final = Path(out) if out is not None else default_run_dir(study.name)
        partial = partial_path(final)
        if partial.is_dir() and lock_holder(partial) is None and _holds_only_config(partial):
            shutil.rmtree(partial)  # left by an interrupted start: nothing to resume, nothing lost
        if partial.exists():
            holder = lock_holder(partial)
            if holder is not None:
                raise RunFolderError(f"{partial} is being written by {holder}; choose another --out")
            raise RunFolderError(f"{partial} exists: resume it with --resume {partial}, or delete it")
    if final.exists():
        raise RunFolderError(f"{final} exists already; choose another --out")

    created = _make_folder(partial)
    lock = RunLock.acquire(partial)  # one writer at a time; heartbeat while running, released on error
    try:
        if resume is None:
            write_config(partial / "config.toml", study.name, config.model_dump(mode="json"))
            _check_saved_exactly(partial, config, created)
        started = time.time()
        context = RunFolderContext(partial, executor)
        with lock, precision_scope(config):  # x64 for float64 configs, restored afterwards
            try:
                with stage(f"{study.name} ({config.preset})"):
                    result = study.run(config, context)
            except Exception as err:
                if not (isinstance(err, ValueError) or out_of_memory(err)):
                    raise
                # invalid input found by the study itself, or too little memory for it: leave
                # nothing behind, unless resuming or the folder already holds work (checkpoints,
                # finished sweep cells) that a resume would reuse
                if resume is not None or _holds_work(partial):
                    if out_of_memory(err):
                        raise
                    raise RunFolderError(f"{study.name}: {err} (kept {partial}: fix the cause, then --resume it; a bad "
                                         "config value cannot change on resume, so then delete it and run again)") from err
                _discard(partial, created)
                if out_of_memory(err):
                    raise
                raise RunFolderError(f"{study.name}: {err}") from err
            _write_result(partial, study, config, result, context, started)
    except KeyboardInterrupt as err:
        lock.release()
        raise RunInterrupted(partial) from err  # the outermost run folder wins: that is what to resume
    except Exception as err:
        lock.release()
        # tell the caller (the CLI's error log) which folder was being written
        if getattr(err, "run_folder", None) is None and partial.is_dir():
            try:
                err.run_folder = partial
            except AttributeError:
                pass
        raise
    for scratch in ("checkpoints", "cache"):
        shutil.rmtree(partial / scratch, ignore_errors=True)
    (partial / ERROR_LOG).unlink(missing_ok=True)  # a resumed run's earlier failure
    (partial / "segments.json").unlink(missing_ok=True)
    os.replace(partial, final)  # the lock moves with the folder, so nobody can take it in between
    lock.release(final)
    update_index(final)  # the runs index of the folder it finished in (not for a sweep's cell)
    return final


def _discard(partial: Path, created: Path | None) -> None:
    """Remove an unfinished folder that holds no work, and the parents made for it if empty."""
    shutil.rmtree(partial, ignore_errors=True)
    if created is None:
        return
    parent = partial.parent
    while parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        if parent == created:
            break
        parent = parent.parent


def _check_saved_exactly(partial: Path, config: StudyConfig, created: Path | None) -> None:
    """``config.toml`` must mean exactly ``config`` (else a resume would run another config).

    Raises:
        ConfigError: a value does not survive the round trip (the folder is removed).
    """
    _, saved = read_config(partial / "config.toml")
    try:
        back = type(config).from_saved(saved)
    except ConfigError:
        back = None
    if back != config:
        _discard(partial, created)
        dumped = config.model_dump(mode="json")
        name = next((n for n in dumped if repr(saved.get(n)) != repr(dumped[n])),
                    next((n for n in dumped if back is None or repr(getattr(back, n)) != repr(getattr(config, n))),
                         "config"))
        raise ConfigError(f"{name!r} = {getattr(config, name, None)!r} cannot be saved in config.toml exactly")


def _write_result(folder: Path, study: Study, config: StudyConfig, result: StudyResult,
                  context: RunFolderContext, started: float) -> None:
    figures_dir, tables_dir = folder / "figures", folder / "tables"
    figures_dir.mkdir(exist_ok=True)
    sections = []
    n_figures = sum(len(section.figures) for section in result.sections)
    with progress_bar(f"saving {n_figures} figures (PNG and SVG)" if n_figures else None, n_figures) as bar:
        for section in result.sections:
            for fig in section.figures:
                # A figure with a layout engine (constrained/tight) is already laid out; "tight" bbox
                # would render it a second time per file.
                bbox = None if fig.figure.get_layout_engine() is not None else "tight"
                fig.figure.savefig(figures_dir / f"{fig.name}.png", dpi=110, bbox_inches=bbox)
                fig.figure.savefig(figures_dir / f"{fig.name}.svg", bbox_inches=bbox)
                if fig.interactive is not None:
                    write_interactive_figure(interactive_path(folder, fig.name), fig.interactive)
                bar.advance()
    for section in result.sections:
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
    write_params(folder / "params.safetensors", result.params, result.param_docs, result.networks)
    write_metrics(folder / "metrics.csv", result.metrics)
    write_json(folder / "summary.json", result.summary)
    segments = close_segment(folder) or [{"start": started, "end": time.time(), "host": platform.node()}]
    meta = {**_versions(), "study": study.name, "seed": config.seed, "git_commit": _git_commit(),
            "started": dt.datetime.fromtimestamp(segments[0]["start"]).isoformat(timespec="seconds"),
            "finished": dt.datetime.now().isoformat(timespec="seconds"),
            "wall_time_s": round(sum(s["end"] - s["start"] for s in segments), 2),
            "resumed": len(segments) > 1,
            "segments": [{"start": dt.datetime.fromtimestamp(s["start"]).isoformat(timespec="seconds"),
                          "end": dt.datetime.fromtimestamp(s["end"]).isoformat(timespec="seconds"),
                          "host": s["host"], "wall_time_s": round(s["end"] - s["start"], 2)} for s in segments],
            "data_files": {name: {"path": path, "md5": file_md5(Path(path))}
                           for name, path in context.files.items() if Path(path).exists()}}
    write_json(folder / "meta.json", meta)
    with stage("writing report.html"):
        render_report(folder)


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


def _run_cell(job: tuple[str, str, dict[str, Any], str, bool]) -> str:
    study_name, module, values, out, quiet = job
    with quiet_while(quiet):  # in this process (serial executor) the caller's setting comes back after
        return _run_cell_folder(_job_study(study_name, module), values, Path(out))


def _job_study(name: str, module: str) -> Study:
    """The study a job names: from the registry, or from its module in a worker process whose
    registry lacks it (a study registered at run time by the process that made the sweep)."""
    if name in STUDIES:
        return get_study(name)
    study = importlib.import_module(module).STUDY
    if study.name != name:
        raise ConfigError(f"module {module} holds study {study.name!r}, not {name!r}")
    return study


#: what :func:`_run_cell_folder` returns for a cell whose training diverged (then the message)
DIVERGED = "diverged: "


def _run_cell_folder(study: Study, values: dict[str, Any], out_path: Path) -> str:
    """Run one cell into ``out_path``: ``"done before"`` if it is there (with the same config),
    else run it, resuming its ``.partial`` folder if one exists, and return ``"ran"``; a cell
    whose training diverges returns ``DIVERGED + message`` (the sweep records it and goes on)."""
    from ..train import TrainingDiverged

    config = study.config_class.resolve(values)
    if out_path.is_dir():
        _check_same_config(out_path, study, config)
        return "done before"
    partial = partial_path(out_path)
    if partial.is_dir():
        _check_same_config(partial, study, config)
    try:
        execute(study, config, resume=partial if partial.is_dir() else None, out=None if partial.is_dir() else out_path)
    except TrainingDiverged as err:
        return DIVERGED + str(err)
    return "ran"


def _check_same_config(folder: Path, study: Study, config) -> None:
    """A cell folder found on disk must hold the cell's own config (else it is some other run)."""
    stored_study, stored = read_config(folder / "config.toml")
    try:
        found = study.config_class.from_saved(stored) if stored_study == study.name else None
    except ConfigError as err:
        raise RunFolderError(f"{folder} holds a config that does not validate ({err}); use another sweep folder") from None
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
                parse_value: Callable[[Any], Any] = lambda value: value,
                on_start: Callable[[], None] | None = None) -> list[SweepCell]:
    """Run every cell of ``grid`` over ``base_values`` into ``out/<cell name>/``, resumably.
    ``on_start`` is called once every cell's config is valid and ``out`` exists, before any cell
    runs (the sweep runner writes ``sweep.json`` there).

    Every cell's config is validated before any cell runs (a bad value fails the whole sweep
    with nothing written), and ``executor.check_folder(out)`` must pass (its workers see
    ``out``). A cell whose training diverges is recorded with the summary
    ``{"diverged": True, "divergence": message}`` and the other cells go on; so is a cell that an
    executor which retries reports failed on every try (:class:`ItemFailed`), with the summary
    ``{"failed": True, "error": message}``. A cell folder that exists already is reused only if it
    holds the same config, and a ``.partial`` one is resumed. Returns the cells in grid order.

    Raises:
        ConfigError: a cell's config is invalid, or a grid key repeats a value (it would run once
            and be counted twice).
        RunFolderError: a cell folder holds another config, or a summary is not a JSON object.
        ExecutorError: the executor's workers cannot see ``out`` (nothing is left behind).
    """
    study = get_study(study_name)
    for key, values in grid.items():
        seen = []
        for value in map(parse_value, values):
            if value in seen:
                raise ConfigError(f"grid key {key!r} repeats the value {value!r}; give each value once")
            seen.append(value)
    cells = grid_cells(grid, seeds)
    executor = executor or ProcessExecutor()
    jobs, parsed = [], []
    for cell in cells:
        values = {k: parse_value(v) for k, v in cell.items()}
        study.config_class.resolve({**base_values, **values})  # validate up front
        # absolute paths: a worker elsewhere may run in another working directory
        jobs.append((study_name, STUDIES[study_name][0], {**base_values, **values},
                     os.path.abspath(out / cell_name(cell)), quiet))
        parsed.append(values)
    existed = Path(out).exists()
    created = _make_folder(out)
    check_folder = getattr(executor, "check_folder", None)  # an executor of map alone runs on this machine
    try:
        if check_folder is not None:
            check_folder(Path(os.path.abspath(out)))
    except Exception:
        if not existed and not any(Path(out).iterdir()):
            _discard(Path(out), created)
        raise
    if on_start is not None:
        on_start()
    statuses = []
    if getattr(executor, "reports_progress", False):  # its own bar, naming the worker of each cell
        statuses = list(executor.map(_run_cell, jobs, labels=[cell_name(c) for c in cells],
                                     description=f"{study_name}: {len(jobs)} cells"))
    else:  # quiet cells report nothing themselves: then one bar counts the finished cells
        with progress_bar(f"{study_name}: {len(jobs)} cells" if quiet else None, len(jobs)) as bar:
            for status in executor.map(_run_cell, jobs):
                statuses.append(status)
                bar.advance()
    finished = []
    for cell, values, status in zip(cells, parsed, statuses):
        folder = Path(out) / cell_name(cell)
        if isinstance(status, ItemFailed):
            finished.append(SweepCell(values, folder, {"failed": True, "error": status.error}))
            continue
        if status.startswith(DIVERGED):
            finished.append(SweepCell(values, folder, {"diverged": True, "divergence": status.removeprefix(DIVERGED)}))
            continue
        summary = read_json(folder / "summary.json")
        if not isinstance(summary, dict):
            raise RunFolderError(f"{folder}/summary.json is not a JSON object")
        finished.append(SweepCell(values, folder, summary))
    return finished
