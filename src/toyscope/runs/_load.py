"""Loading run folders back: a finished one (:func:`load_run`) or the config of an unfinished one
(:func:`load_partial_config`, for ``--resume``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ..studies import Study, StudyConfig, get_study
from ._files import (
    PARTIAL,
    RunFolderError,
    final_path,
    read_config,
    read_json,
    read_metrics,
    read_params,
    refuse_pickles,
)


def load_partial_config(partial: Path) -> tuple[Study, StudyConfig]:
    """The study and config saved in an unfinished run folder (for ``--resume``)."""
    final_path(Path(partial))  # validates the name
    name, values = read_config(Path(partial) / "config.toml")
    study = get_study(name)
    return study, study.config_class.resolve(values)




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
    refuse_pickles(path)
    study, config = read_config(path / "config.toml")
    return RunData(path=path, study=study, config=config, params=read_params(path / "params.safetensors"),
                   summary=read_json(path / "summary.json"), metrics=read_metrics(path / "metrics.csv"),
                   meta=read_json(path / "meta.json"))
