"""The ``toyscope`` command line: list, config, run, analyze, show, report, sweep, index, bench (and ``--version``).

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
import shutil
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


def _show_version(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"toyscope {__version__}")
        raise typer.Exit()



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
        from ..runs import CellsFailed, ExecutorError, RunFolderError, RunInterrupted, out_of_memory
        from ..studies import ConfigError
        from ..train import TrainingDiverged

        try:
            return function(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (BadInput, ConfigError, RunFolderError, ExecutorError) as err:
            _fail(str(err))
        except CellsFailed as err:
            kept = getattr(err, "run_folder", None)  # a study's sub-sweep: its run folder is kept
            advice = f"; resume with toyscope run --resume {kept}" if kept is not None else ""
            typer.echo(f"error: {str(err).removesuffix('; resume the run to retry them')}{advice}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
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


# how a run's sweeps are carried out (never part of its config); shared by `run` and `sweep`
ExecutorOption = Annotated[Optional[str], typer.Option(
    "--executor", help="where cells run: 'process' (a local pool of --workers processes) or 'dask' (a Dask "
                       "LocalCluster of --workers processes, default one per core; or the cluster at --scheduler)")]
WorkersOption = Annotated[Optional[int], typer.Option("--workers", help="parallel worker processes")]
SchedulerOption = Annotated[Optional[str], typer.Option(
    "--scheduler", help="tcp://HOST:PORT of a running Dask scheduler (implies --executor dask)")]
RetriesOption = Annotated[int, typer.Option("--retries", help="Dask: further tries of a cell that failed")]


def _executor(executor: str | None, workers: int | None, scheduler: str | None, retries: int,
              default_workers: int | None):
    """The executor the options ask for (``None`` when they ask for none: the study decides), not
    started yet.

    Raises:
        BadInput: an unknown executor, ``--workers`` < 1, or options that do not go together.
    """
    from ..runs import DaskExecutor, ProcessExecutor, SerialExecutor

    if executor not in (None, "process", "dask"):
        raise BadInput(f"--executor must be 'process' or 'dask', got {executor!r}")
    if workers is not None and workers < 1:
        raise BadInput(f"--workers must be >= 1, got {workers}")
    if retries < 0:
        raise BadInput(f"--retries must be >= 0, got {retries}")
    if scheduler is not None:
        if executor == "process":
            raise BadInput("--scheduler is the address of a Dask cluster; drop it or use --executor dask")
        if workers is not None:
            raise BadInput("--workers sizes a new local cluster; a cluster at --scheduler has its own workers")
        return DaskExecutor(scheduler=scheduler, retries=retries)
    if executor == "dask":
        return DaskExecutor(workers, retries=retries)
    workers = workers if workers is not None else default_workers
    if executor is None and workers is None:
        return None
    workers = workers if workers is not None else 2
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)


def _started(executor):
    """A context in which ``executor`` is running (a Dask cluster started or connected to, its
    scheduler and dashboard printed), closed afterwards; a local executor as it is."""
    import contextlib

    from ..runs import DaskExecutor

    if not isinstance(executor, DaskExecutor):
        return contextlib.nullcontext(executor)
    executor.start()  # an unreachable scheduler fails here, before anything is written
    typer.echo(executor.describe(), err=True)
    return executor


@app.callback()
def options(
    version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                          help="print the version and exit")] = False,
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


def describe_config(study_name: str) -> str:
    """The text of ``toyscope config STUDY``: every key with its type, default, allowed values and
    description, then each preset and the keys it changes.

    Raises:
        ConfigError: an unknown study.
    """
    import io

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..studies import config_options, get_study, preset_changes

    study = get_study(study_name)
    options = config_options(study.config_class)
    defaults = {o.name: o.default for o in options}

    def toml(value, inner=False):  # as it would be written after --set (TOML values, none for no value)
        if isinstance(value, list):
            return "[" + ", ".join(toml(v, True) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k} = {toml(v, True)}" for k, v in value.items()) + "}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and inner:  # a string inside a list or table needs TOML's quotes
            return json.dumps(value)
        return "none" if value is None else repr(value) if isinstance(value, float) else str(value)

    def shown(value):  # escaped: rich would read "[a, b]" as markup and print nothing
        return escape(toml(value))

    out = io.StringIO()
    width = shutil.get_terminal_size((120, 24)).columns
    console = Console(file=out, width=max(width, 120), highlight=False, soft_wrap=False)
    console.print(f"[bold]{study.name}[/bold]: {study.description}" + (f" (paper: {study.paper})" if study.paper else ""))
    console.print("Set keys with --set key=value (or a --config TOML file); --preset NAME applies a preset first.\n")
    table = Table(box=None, pad_edge=False)
    table.add_column("key", no_wrap=True)
    table.add_column("type", max_width=16)
    table.add_column("default", max_width=20, overflow="fold")
    table.add_column("allowed", max_width=22)
    table.add_column("description", min_width=40, ratio=1, overflow="fold")
    for option in options:
        table.add_row(option.name, option.type, shown(option.default), "" if option.allowed == "any" else option.allowed,
                      option.description)
    console.print(table)
    console.print("\n[bold]presets[/bold] (each changes these keys from their defaults):")
    for name, changes in preset_changes(study.config_class).items():
        if not changes:
            console.print(f"  {name}: nothing (the defaults: the paper-sized run)" if name == "default"
                          else f"  {name}: nothing")
            continue
        listed = ", ".join(f"{k} = {shown(v)} (default {shown(defaults.get(k))})" for k, v in changes.items())
        console.print(f"  {name}: {listed}")
    return out.getvalue()


@app.command("config")
@_guard
def config_command(study: Annotated[str, typer.Argument(help="study name (see `toyscope list`)")]) -> None:
    """List a study's config keys (type, default, allowed values, description) and its presets."""
    typer.echo(describe_config(study), nl=False)


@app.command(context_settings={"help_option_names": []})
@_guard
def run(
    ctx: typer.Context,
    study: Annotated[Optional[str], typer.Argument(help="study name (see `toyscope list`); with --help, its config keys")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", help="TOML file of config values")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="preset to apply first (e.g. smoke)")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="key=value, repeatable")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="run folder (default runs/<study>-<time>)")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="continue an unfinished DIR.partial")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
    help_: Annotated[bool, typer.Option("--help", "-h", help="show this message (and STUDY's config keys) and exit")] = False,
    executor: ExecutorOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
) -> None:
    """Run a study into a run folder. `toyscope run STUDY --help` lists the study's config keys and presets;
    --executor/--scheduler carry out the sweeps a study makes."""
    from .._progress import set_quiet
    from ..runs import execute, load_partial_config
    from ..studies import get_study
    from ..train import TrainingDiverged

    if help_:
        typer.echo(ctx.get_help())
        if study is not None:
            typer.echo("\n" + describe_config(study), nl=False)
        raise typer.Exit()
    set_quiet(quiet)
    if resume is not None:
        if config is not None or set_ or out is not None or preset is not None:
            raise BadInput("--resume uses the unfinished run's saved config; drop --config/--preset/--set/--out")
        study_obj, config_obj = load_partial_config(resume)
        if study is not None and study != study_obj.name:
            raise BadInput(f"{resume} is a run of {study_obj.name!r}, not {study!r}")
    else:
        if study is None:
            raise BadInput("name a study (see `toyscope list`) or give --resume DIR.partial")
        study_obj = get_study(study)
        values = _load_config_file(config, study) if config is not None else {}
        values.update(parse_sets(set_ or []))
        if preset is not None:
            if "preset" in values and values["preset"] != preset:
                raise BadInput(f"--preset {preset} and preset = {values['preset']!r} disagree; give one")
            values["preset"] = preset
        config_obj = study_obj.config_class.resolve(values)
    sweeps_with = _executor(executor, workers, scheduler, retries, default_workers=None)
    try:
        with _started(sweeps_with):
            folder = execute(study_obj, config_obj, out, resume=resume, executor=sweeps_with)
    except TrainingDiverged as err:
        err.config_fields = set(type(config_obj).model_fields)  # for advice naming options that exist
        raise
    typer.echo(f"wrote {folder}")


ANALYZE_HELP = """Analyse a model file into a run folder, like a study.

MODEL: a toyscope run folder or params.safetensors, a .pt state dict,
or a .safetensors with PyTorch names (then --arch 2-3-1 --activation
sigmoid). Data, for the methods that need it: --task NAME (xor,
two-moons, symbolic-a, truth:0110, ...) or --data F.npz (x and y).
Method options: --set key=value.

\b
Methods:
  gates         logic gates and circuit signatures of every unit (n <= 16)
  ablate        unit removal, minimal sub-networks, split-computation merge
  connectivity  graph, modularity and the module report (inputs, leak)
  hessian       Hessian spectrum with a stationarity check
  connect       A B: align two models, then the loss barrier between them
"""


@app.command(help=ANALYZE_HELP)
@_guard
def analyze(
    method: Annotated[str, typer.Argument(help="gates, ablate, connectivity, hessian or connect")],
    model: Annotated[str, typer.Argument(help="the model file or run folder")],
    model_b: Annotated[Optional[str], typer.Argument(help="the second model (connect only)")] = None,
    network: Annotated[Optional[str], typer.Option("--network", help="which network of a file holding several")] = None,
    arch: Annotated[Optional[str], typer.Option("--arch", help="architecture of a file without one: 2-3-1")] = None,
    activation: Annotated[Optional[str], typer.Option("--activation", help="activation(s) with --arch")] = None,
    task: Annotated[Optional[str], typer.Option("--task", help="a built-in task for the data")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="an .npz with arrays x and y")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="key=value, repeatable")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="run folder (default runs/analyze-<method>-...)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
) -> None:
    from .._progress import set_quiet
    from ..runs import default_run_dir, execute
    from ..studies import ANALYSES, get_study

    set_quiet(quiet)
    if method not in ANALYSES:
        raise BadInput(f"unknown analysis {method!r}; valid: {', '.join(ANALYSES)}")
    if (model_b is not None) != (method == "connect"):
        raise BadInput("connect takes two models (A B)" if method == "connect"
                       else f"{method} takes one model, got a second ({model_b})")
    study = get_study(f"analyze-{method}")
    given = (("model", model), ("model_b", model_b), ("network", network), ("arch", arch), ("activation", activation),
             ("task", task), ("data", None if data is None else str(data)))
    values = {key: value for key, value in given if value is not None}
    values.update(parse_sets(set_ or []))
    config = study.config_class.resolve(values)
    folder = execute(study, config, out or default_run_dir(study.name))
    typer.echo(f"wrote {folder}")


@app.command()
@_guard
def show(run_dir: Annotated[Path, typer.Argument(help="a run folder")]) -> None:
    """Show a run's headline quantities against the paper, then its summary as a table."""
    from rich.console import Console
    from rich.table import Table

    from ..analysis import format_number
    from ..runs import load_run
    from ..studies import ConfigError, evaluate_headlines, get_study

    data = load_run(run_dir)
    console = Console()
    try:
        headlines = get_study(data.study).headlines
    except ConfigError:
        headlines = ()
    rows = evaluate_headlines(headlines, data.summary, data.config)
    if rows:
        verdicts = Table("quantity", "paper", "this run (95% interval)", "verdict", "rule",
                         title=f"{data.study}: measured vs paper (preset {data.config.get('preset', 'default')})")
        for row in rows:
            verdicts.add_row(row.name, row.paper, row.measured, row.verdict, row.rule)
        console.print(verdicts)
    table = Table("quantity", "value", title=f"{data.study}: {run_dir}")
    for key, value in data.summary.items():
        text = json.dumps(value) if isinstance(value, (dict, list)) else format_number(value)
        table.add_row(key, text if len(text) < 200 else text[:197] + "...")
    console.print(table)


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
    out: Annotated[Optional[Path], typer.Option("--out", help="sweep folder (on a filesystem every worker sees)")] = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = None,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
) -> None:
    """Run a grid of configs (one run folder per cell, resumable) and write sweep.csv."""
    from ..runs import default_run_dir, parse_grid, run_sweep
    from ..studies import get_study

    get_study(study)
    cells_with = _executor(executor, workers, scheduler, retries, default_workers=2)
    out = out or default_run_dir(f"sweep-{study}")
    grid_values = parse_grid(grid)
    try:
        with _started(cells_with):
            path = run_sweep(study, parse_sets(set_ or []), grid_values, out, seeds=seeds,
                             executor=cells_with, parse_value=parse_value)
    except KeyboardInterrupt:
        if not out.is_dir():
            raise
        raise _Interrupted(f"the finished cells in {out} are kept: run the same toyscope sweep command "
                           "again to continue") from None
    typer.echo(f"wrote {path}")


def _bench_help() -> str:
    from ..bench import BENCHMARKS  # the registry only: no benchmark module is imported

    listed = "\n\n".join([*(f"{name}: {description}" for name, (_, _, description) in BENCHMARKS.items()),
                           "sweep: a smoke grid of 8 cells on a 2-worker Dask LocalCluster against the local process "
                           "pool (cluster start-up reported apart)"])
    return f"Run benchmarks; each reports its figure beside a same-process baseline.\n\nBenchmarks:\n\n{listed}"


@app.command()
@_guard
def index(
    folder: Annotated[Path, typer.Argument(help="folder of run and sweep folders")] = Path("runs"),
) -> None:
    """Write DIR/index.html: every run and sweep (study, preset, date, status, duration, headline
    numbers), sortable and filterable, two runs side by side; and each sweep's sweep.html."""
    from ..runs import write_index

    if not folder.is_dir():
        raise BadInput(f"no folder at {folder} to index; give a folder of run folders (default runs/)")
    typer.echo(f"wrote {write_index(folder)}")


@app.command(help=_bench_help())
@_guard
def bench(
    names: Annotated[Optional[list[str]], typer.Argument(help="benchmarks (default: all; names listed below)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    scaling: Annotated[bool, typer.Option("--scaling", help="cost against size for four benchmarks: a table, "
                                          "a log-log figure and fitted exponents (about 15 min)")] = False,
    reduced: Annotated[bool, typer.Option("--reduced", help="with --scaling: fewer, smaller sizes (a check)")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="with --scaling: folder for scaling.csv/.md/.png "
                                                "(default bench-scaling)")] = None,
) -> None:
    import functools

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

    from ..bench import BENCHMARKS, run_benchmark
    from ..runs import bench_sweep

    runners = {name: functools.partial(run_benchmark, name) for name in BENCHMARKS}
    runners["sweep"] = bench_sweep  # runs a study through the sweep machinery, so it lives in runs
    names = names or list(runners)
    for name in names:
        if name not in runners:
            raise BadInput(f"unknown benchmark {name!r}; valid: {', '.join(runners)}")
    for name in names:
        for record in runners[name]():
            if as_json:
                typer.echo(json.dumps(record))
            else:
                ratio = f"  ({record['ratio']:.1f}x baseline {record['baseline']:.3g})" if record.get("ratio") else ""
                times = [f"{label} {record[key]:.2f} s" for key, label in
                         (("compile_s", "compile cold"), ("warm_compile_s", "warm"), ("steady_s", "steady"),
                          ("startup_s", "start-up"))
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
