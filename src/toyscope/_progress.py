"""Progress reporting: rich progress bars that a caller can silence.

Long work (training chunks, sweeps) reports through :func:`progress_bar`; the CLI's
``--quiet`` and tests switch it off with :func:`set_quiet`.
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


@contextlib.contextmanager
def progress_bar(description: str | None, total: float) -> Iterator[_Bar]:
    """A rich progress bar as a context manager; a no-op when quiet or ``description`` is None.

    Yields an object with ``advance(amount)``, ``update(completed)`` and ``note(text)`` (a line
    printed above the bar).
    """
    if description is None or is_quiet():
        yield _Bar(None, None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=not sys.stderr.isatty(),
        console=None,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield _Bar(progress, task)
