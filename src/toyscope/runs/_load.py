"""Loading run folders back: a finished one (:func:`load_run`) or the config of an unfinished one
(:func:`load_partial_config`, for ``--resume``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ..studies import ConfigError, Study, StudyConfig, get_study
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
    """The study and config saved in an unfinished run folder (for ``--resume``), exactly as saved
    (:meth:`toyscope.studies.StudyConfig.from_saved`: no preset is applied over it).

    Raises:
        RunFolderError: not a ``.partial`` folder, pickled files in it (unsafe to load), no
            readable ``config.toml``, or a saved config
            that does not validate (one line naming the field; such a folder cannot be resumed).
    """
    partial = Path(partial)
    final_path(partial)  # validates the name
    if not partial.is_dir():
        raise RunFolderError(f"nothing to resume at {partial}")
    refuse_pickles(partial)  # before anything in the folder is read
    name, values = read_config(partial / "config.toml")
    try:
        study = get_study(name)
        return study, study.config_class.from_saved(values)
    except ConfigError as err:
        raise RunFolderError(f"cannot resume {partial}: its saved config is invalid: {err}; "
                             "start a new run with a valid config") from None


# the files every finished run folder holds (written by ``toyscope.runs.execute``)
_RUN_FILES = ("params.safetensors", "metrics.csv", "summary.json", "meta.json")



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
    for name in _RUN_FILES:
        if not (path / name).is_file():
            raise RunFolderError(f"{path} is not a whole run folder: {name} is missing")
    return RunData(path=path, study=study, config=config, params=read_params(path / "params.safetensors"),
                   summary=read_json(path / "summary.json"), metrics=read_metrics(path / "metrics.csv"),
                   meta=read_json(path / "meta.json"))
