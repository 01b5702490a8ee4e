"""The ``toyscope`` command line: list, run, show, report, sweep, bench.

Every failure is one line on stderr:

- bad input or environment (an unknown study, key, value or benchmark; a folder that is not a
  run; an ``--out`` that cannot be created; too little memory): the problem and the valid
  choices, exit status 2, and nothing written unless work was saved;
- Ctrl-C: the unfinished folder and the command that resumes it, exit 130, the folder kept;
- an internal error (a bug): its type and message and the path of a log holding the traceback
  (``error.log`` in the run folder, else in the user cache dir), exit 1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import tomllib
import traceback
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .._compile_cache import ENV_VAR as COMPILE_CACHE_ENV
from .._compile_cache import configure_compile_cache
from .._host import configure_host_devices

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="toyscope: a laboratory for mechanistic interpretability of small networks.")

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130


class BadInput(Exception):
    """Raised for user errors; the CLI prints the message as one line and exits 2."""


class _Interrupted(Exception):
    """Ctrl-C, with the one line saying what was kept and how to continue (exit 130)."""


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML value (``3``, ``0.5``, ``true``, ``[1, 2]``, ``"s"``), a comma
    list of such values (``1,2,3``), or else the plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if "," in text:
        return [parse_value(part.strip()) for part in text.split(",")]
    return text


def parse_sets(sets: list[str]) -> dict[str, Any]:
    """``["a=1", "b.c=x"]`` -> ``{"a": 1, "b": {"c": "x"}}``."""
    values: dict[str, Any] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--set needs key=value, got {item!r}")
        target = values
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = parse_value(raw.strip())
    return values


def _load_config_file(path: Path, study: str) -> dict[str, Any]:
    """The values of a ``--config`` file: a flat TOML table of config values, or a run folder's
    ``config.toml`` (``study = ...`` and a ``[config]`` table) of the same study."""
    if path.is_dir():
        hint = f" (a run folder's is {path / 'config.toml'})" if (path / "config.toml").is_file() else ""
        raise BadInput(f"config file {path} is a folder, not a TOML file{hint}")
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise BadInput(f"config file {path} is not valid TOML ({err})") from None
    except OSError as err:
        raise BadInput(f"config file {path} cannot be read ({err.strerror or err})") from None
    if not isinstance(document.get("config"), dict):
        return document
    # a run folder's config.toml: the values are under [config]; anything else would be ignored
    extra = sorted(set(document) - {"study", "config"})
    if extra:
        raise BadInput(f"config file {path} has {extra[0]!r} beside [config]; "
                       "put config values under [config] (or give a flat file without [config])")
    if "study" in document and document["study"] != study:
        raise BadInput(f"config file {path} is for study {document['study']!r}, not {study!r}")
    return document["config"]


def _diverged_message(err: Exception, config_fields) -> str:
    """A divergence message whose advice names only options of the command line: the library's
    API-only advice (``nan_policy``) is dropped, and ``learning_rate`` named when the study has it."""
    message = re.sub(r",? or use nan_policy='freeze'", "", str(err))
    if "learning_rate" in config_fields:
        message = message.replace("lower the learning rate", "lower the learning rate (--set learning_rate=...)")
    return message


def _memory_message(err: BaseException) -> str:
    """Out of memory, with the amount asked for when the error says it."""
    text = str(err)
    match = re.search(r"allocate (\d+) bytes", text)
    if match:
        asked = f"{int(match.group(1)) / 2**30:.3g} GiB"
    else:
        match = re.search(r"allocate ([\d.]+ [KMGTPE]?i?B)", text)
        asked = match.group(1) if match else None
    where = f" (asked for {asked})" if asked else ""
    return f"out of memory{where}; lower the sizes in the config"


def _error_log(err: BaseException) -> Path | None:
    """Write ``err``'s traceback to ``error.log`` in the run folder it came from when that folder
    exists and is writable, else to a log in the user cache dir (or the temp dir); its path
    (``None`` if nowhere could be written)."""
    from ..runs import ERROR_LOG

    text = "".join(traceback.format_exception(err))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    header = f"toyscope {' '.join(sys.argv[1:])}\n{stamp}, pid {os.getpid()}\n\n"
    candidates = []
    folder = getattr(err, "run_folder", None)
    if folder is not None:
        candidates.append(Path(folder) / ERROR_LOG)
    try:
        import platformdirs

        candidates.append(Path(platformdirs.user_cache_dir("toyscope")) / "logs" / f"error-{stamp}-{os.getpid()}.log")
    except Exception:  # noqa: BLE001 - any failure here falls through to the temp dir
        pass
    import tempfile

    candidates.append(Path(tempfile.gettempdir()) / f"toyscope-error-{stamp}-{os.getpid()}.log")
    for path in candidates:
        try:
            if path.name != ERROR_LOG:
                path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a") as handle:
                handle.write(header + text)
            return path
        except OSError:
            continue
    return None


def _guard(function):
    """One line for every failure of a command (see the module docstring for the classes)."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from ..runs import RunFolderError, RunInterrupted, out_of_memory
        from ..studies import ConfigError
        from ..train import TrainingDiverged

        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (BadInput, ConfigError, RunFolderError) as err:
            _fail(str(err))
        except TrainingDiverged as err:
            typer.echo(f"error: {_diverged_message(err, getattr(err, 'config_fields', ()))}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        except RunInterrupted as err:
            typer.echo(f"interrupted; {err.partial} is kept: resume with toyscope run --resume {err.partial}", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except _Interrupted as err:
            typer.echo(f"interrupted; {err}", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except KeyboardInterrupt:
            typer.echo("interrupted before a run folder was made; nothing was written", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as err:  # noqa: BLE001 - the last resort: one line and a log
            if out_of_memory(err):
                kept = getattr(err, "run_folder", None)
                _fail(_memory_message(err) + (f"; the work done is kept in {kept}" if kept is not None else ""))
            message = " ".join(str(err).split())
            if len(message) > 200:
                message = message[:197] + "..."
            log = _error_log(err)
            where = f"traceback in {log}" if log is not None else "no log could be written"
            typer.echo(f"error: internal error ({type(err).__name__}: {message}); {where}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper


@app.callback()
def options(
    no_compile_cache: Annotated[bool, typer.Option(
        "--no-compile-cache", help=f"do not keep compiled programs between runs (as {COMPILE_CACHE_ENV}=0)")] = False,
) -> None:
    """toyscope: a laboratory for mechanistic interpretability of small networks."""
    if no_compile_cache:
        os.environ[COMPILE_CACHE_ENV] = "0"  # also for sweep worker processes
    configure_compile_cache()


@app.command("list")
def list_studies() -> None:
    """List the studies with one-line descriptions."""
    from rich.console import Console
    from rich.table import Table

    from ..studies import STUDIES

    table = Table("study", "description", box=None)
    for name, (_, description) in STUDIES.items():
        table.add_row(name, description)
    Console().print(table)


@app.command()
@_guard
def run(
    study: Annotated[Optional[str], typer.Argument(help="study name (see `toyscope list`)")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML file of config values")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="key=value, repeatable")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="run folder (default runs/<study>-<time>)")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="continue an unfinished DIR.partial")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
) -> None:
    """Run a study into a run folder."""
    from .._progress import set_quiet
    from ..runs import execute, load_partial_config
    from ..studies import get_study
    from ..train import TrainingDiverged

    set_quiet(quiet)
    if resume is not None:
        if config is not None or set_ or out is not None:
            raise BadInput("--resume uses the unfinished run's saved config; drop --config/--set/--out")
        study_obj, config_obj = load_partial_config(resume)
        if study is not None and study != study_obj.name:
            raise BadInput(f"{resume} is a run of {study_obj.name!r}, not {study!r}")
    else:
        if study is None:
            raise BadInput("name a study (see `toyscope list`) or give --resume DIR.partial")
        study_obj = get_study(study)
        values = _load_config_file(config, study) if config is not None else {}
        values.update(parse_sets(set_ or []))
        config_obj = study_obj.config_class.resolve(values)
    try:
        folder = execute(study_obj, config_obj, out, resume=resume)
    except TrainingDiverged as err:
        err.config_fields = set(type(config_obj).model_fields)  # for advice naming options that exist
        raise
    typer.echo(f"wrote {folder}")


@app.command()
@_guard
def show(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Show a run's summary as a table."""
    from rich.console import Console
    from rich.table import Table

    from ..runs import load_run

    data = load_run(run_dir)
    table = Table("quantity", "value", title=f"{data.study}: {run_dir}")
    for key, value in data.summary.items():
        text = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        table.add_row(key, text if len(text) < 200 else text[:197] + "...")
    Console().print(table)


@app.command()
@_guard
def report(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Re-render a run's report.html from its files."""
    from ..runs import load_run, render_report

    load_run(run_dir)  # validates the folder
    typer.echo(f"wrote {render_report(run_dir)}")


@app.command()
@_guard
def sweep(
    study: Annotated[str, typer.Argument(help="study name")],
    grid: Annotated[list[str], typer.Option("--grid", help="key=v1,v2,... (repeatable)")],
    seeds: Annotated[Optional[int], typer.Option("--seeds", help="run seeds 0..N-1 per cell")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="key=value for every cell")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="sweep folder")] = None,
    workers: Annotated[int, typer.Option("--workers", help="parallel processes")] = 2,
) -> None:
    """Run a grid of configs (one run folder per cell, resumable) and write sweep.csv."""
    from ..runs import ProcessExecutor, SerialExecutor, default_run_dir, parse_grid, run_sweep
    from ..studies import get_study

    get_study(study)
    if workers < 1:
        raise BadInput(f"--workers must be >= 1, got {workers}")
    out = out or default_run_dir(f"sweep-{study}")
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    grid_values = parse_grid(grid)
    try:
        path = run_sweep(study, parse_sets(set_ or []), grid_values, out, seeds=seeds,
                         executor=executor, parse_value=parse_value)
    except KeyboardInterrupt:
        if not out.is_dir():
            raise
        raise _Interrupted(f"the finished cells in {out} are kept: run the same toyscope sweep command "
                           "again to continue") from None
    typer.echo(f"wrote {path}")


@app.command()
@_guard
def bench(
    names: Annotated[Optional[list[str]], typer.Argument(help="benchmarks (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    scaling: Annotated[bool, typer.Option("--scaling", help="cost against size for four benchmarks: a table, "
                                          "a log-log figure and fitted exponents (about 15 min)")] = False,
    reduced: Annotated[bool, typer.Option("--reduced", help="with --scaling: fewer, smaller sizes (a check)")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="with --scaling: folder for scaling.csv/.md/.png "
                                                "(default bench-scaling)")] = None,
) -> None:
    """Run benchmarks; each reports its figure beside a same-process baseline."""
    from ..bench import BENCHMARKS, run_benchmark

    if scaling:
        from ..bench import run_scaling

        if names:
            raise BadInput("--scaling runs its own four series; drop the benchmark names")
        paths = run_scaling(Path(out or "bench-scaling"), reduced=reduced)
        typer.echo(Path(paths["md"]).read_text())
        typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}")
        return
    if reduced or out is not None:
        raise BadInput("--reduced and --out go with --scaling")

    names = names or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            raise BadInput(f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}")
    for name in names:
        for record in run_benchmark(name):
            if as_json:
                typer.echo(json.dumps(record))
            else:
                ratio = f"  ({record['ratio']:.1f}x baseline {record['baseline']:.3g})" if record.get("ratio") else ""
                times = [f"{label} {record[key]:.2f} s" for key, label in
                         (("compile_s", "compile cold"), ("warm_compile_s", "warm"), ("steady_s", "steady"))
                         if record.get(key) is not None]
                times = f"  ({', '.join(times)})" if times else ""
                typer.echo(f"{record['name']}: {record['value']:.4g} {record['unit']}{ratio}{times}")


def main() -> None:
    """Console entry point: one JAX host device per core (before JAX starts), then the command
    (whose options turn the persistent compilation cache on or off)."""
    configure_host_devices()
    # Ctrl-C inside a command is reported by _guard (typer turns a KeyboardInterrupt that
    # reaches it into a silent exit 130); one between commands' setup steps lands here
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("interrupted; nothing was written", err=True)
        sys.exit(EXIT_INTERRUPTED)
