"""A run context that stores nothing, for calling a study's ``run`` from Python or tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._registry import get_study


class NullContext:
    """A :class:`RunContext` that stores nothing: for calling ``run`` from Python or tests."""

    def __init__(self, out_dir: Path | str | None = None):
        self.out_dir = Path(out_dir) if out_dir is not None else Path(".")
        self.files: dict[str, str] = {}

    def checkpointer(self, name: str):
        return None

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        return compute()

    def data_files(self, paths: dict[str, str]) -> None:
        self.files.update(paths)

    def sweep(self, study: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path | str | None = None,
              *, workers: int = 1) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every cell in this process, nothing stored (``out`` and ``workers`` are ignored)."""
        cells = []
        for combination in itertools.product(*grid.values()):
            values = dict(zip(grid, combination))
            target = get_study(study)
            result = target.run(target.config_class.resolve({**base_values, **values}), NullContext())
            cells.append((values, result.summary))
        return cells
