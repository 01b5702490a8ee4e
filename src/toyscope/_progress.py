"""Progress reporting: rich progress bars and stage spinners that a caller can silence.

Long work with a count (training steps, sweep cells, figures) reports through
:func:`progress_bar`; long work without one (an analysis stage, t-SNE, a cached stage) through
:func:`stage`, a spinner with the stage's name and elapsed time. Bars and spinners opened inside
one another share one live display (rich allows one at a time), each its own line. The CLI's
``--quiet`` and tests switch them off with :func:`set_quiet`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextvars import ContextVar

_QUIET: ContextVar[bool] = ContextVar("toyscope_quiet", default=False)


def set_quiet(quiet: bool) -> None:
    """Silence (``True``) or restore (``False``) progress bars in this context."""
    _QUIET.set(quiet)


@contextlib.contextmanager
def quiet_while(quiet: bool) -> Iterator[None]:
    """Silence (``True``) or allow (``False``) progress bars inside the ``with`` block only."""
    token = _QUIET.set(quiet)
    try:
        yield
    finally:
        _QUIET.reset(token)


def is_quiet() -> bool:
    """Whether progress bars are off (``--quiet``, ``TOYSCOPE_QUIET=1``, or not a terminal in CI)."""
    return _QUIET.get() or os.environ.get("TOYSCOPE_QUIET") == "1" or "PYTEST_CURRENT_TEST" in os.environ


class _Bar:
    def __init__(self, progress, task):
        self._progress, self._task = progress, task

    def advance(self, amount: float = 1.0) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=amount)

    def update(self, completed: float) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=completed)

    def note(self, text: str) -> None:
        """Print one line above the bar (nothing when quiet)."""
        if self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)


_LIVE: ContextVar[object | None] = ContextVar("toyscope_live_progress", default=None)


def _columns():
    from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class _Count(ProgressColumn):  # "3/10", or nothing for a stage without a count
        def render(self, task):
            return Text("" if task.total is None else f"{task.completed:g}/{task.total:g}", style="progress.download")

    return (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), _Count(), TimeElapsedColumn())


@contextlib.contextmanager
def _task(description: str, total: float | None) -> Iterator[_Bar]:
    live = _LIVE.get()
    if live is not None:  # inside another bar or stage: a line of the same display
        task = live.add_task(description, total=total)
        try:
            yield _Bar(live, task)
        finally:
            live.remove_task(task)
        return
    from rich.progress import Progress

    with Progress(*_columns(), transient=not sys.stderr.isatty(), console=None) as progress:
        token = _LIVE.set(progress)
        try:
            task = progress.add_task(description, total=total)
            yield _Bar(progress, task)
        finally:
            _LIVE.reset(token)


@contextlib.contextmanager
def progress_bar(description: str | None, total: float) -> Iterator[_Bar]:
    """A rich progress bar as a context manager; a no-op when quiet or ``description`` is None.

    Yields an object with ``advance(amount)``, ``update(completed)`` and ``note(text)`` (a line
    printed above the bar).
    """
    if description is None or is_quiet():
        yield _Bar(None, None)
        return
    with _task(description, total) as bar:
        yield bar


@contextlib.contextmanager
def stage(description: str | None) -> Iterator[_Bar]:
    """A spinner with ``description`` and the elapsed time while the ``with`` block runs (a stage of
    work without a count); a no-op when quiet or ``description`` is None. Bars opened inside it show
    below it.

    Example:
        >>> with stage("t-SNE of 1,000 networks"):
        ...     pass
    """
    if description is None or is_quiet():
        yield _Bar(None, None)
        return
    with _task(description, None) as bar:
        yield bar
