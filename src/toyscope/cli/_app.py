"""The ``toyscope`` command line: list, run, show, report, sweep, bench.

Bad input (an unknown study, key, value or benchmark; a folder that is not a run) prints one
line naming the problem and the valid choices to stderr, exits with status 2, and writes nothing.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .._host import configure_host_devices

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="toyscope: a laboratory for mechanistic interpretability of small networks.")

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Raised for user errors; the CLI prints the message as one line and exits 2."""


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


def _load_config_file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"config file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise BadInput(f"config file {path} is not valid TOML ({err})") from None
    # a run folder's config.toml has the values under [config]
    return document.get("config", document) if isinstance(document.get("config"), dict) else document


def _guard(function):
    """Turn toyscope's user-input errors into one line and exit 2."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from ..runs import RunFolderError
        from ..studies import ConfigError

        from ..train import TrainingDiverged

        try:
            return function(*args, **kwargs)
        except (BadInput, ConfigError, RunFolderError) as err:
            _fail(str(err))
        except TrainingDiverged as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None

    return wrapper


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
        values = _load_config_file(config) if config is not None else {}
        values.update(parse_sets(set_ or []))
        config_obj = study_obj.config_class.resolve(values)
    folder = execute(study_obj, config_obj, out, resume=resume)
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
    path = run_sweep(study, parse_sets(set_ or []), parse_grid(grid), out, seeds=seeds,
                     executor=executor, parse_value=parse_value)
    typer.echo(f"wrote {path}")


@app.command()
@_guard
def bench(
    names: Annotated[Optional[list[str]], typer.Argument(help="benchmarks (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Run benchmarks; each reports its figure beside a same-process baseline."""
    from ..bench import BENCHMARKS, run_benchmark

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
                compile_s = f"  compile {record['compile_s']:.2f} s" if "compile_s" in record else ""
                typer.echo(f"{record['name']}: {record['value']:.4g} {record['unit']}{ratio}{compile_s}")


def main() -> None:
    """Console entry point: one JAX host device per core (before JAX starts), then the command."""
    configure_host_devices()
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("interrupted; resume with toyscope run --resume <DIR>.partial", err=True)
        sys.exit(130)
