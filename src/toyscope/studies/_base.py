"""The contract between a study module and the run-folder layer.

A study module (``studies/<name>.py``) exposes ``STUDY = Study(...)``: a pydantic config class
with presets, and ``run(config, ctx) -> StudyResult``. The study composes library functions
and returns figures, tables, text, a summary and the params to save; ``toyscope.runs`` writes
them into a run folder. The study never writes files itself except through ``ctx``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._memory import MemoryEstimate, check_memory


class StudyConfig(BaseModel):
    """Base of every study's config: ``preset``, ``seed`` and ``dtype``.

    Subclasses add fields (with defaults = the study's default run) and fill ``PRESETS``:
    name -> field overrides. ``smoke`` must exist and run in under 20 s.

    Every float of every field, inside lists and dicts too, must be finite (``allow_inf_nan``
    is off for the whole model); a field that means to admit NaN or Inf says so with
    ``Field(..., allow_inf_nan=True)``. A resolved config round-trips through a run folder's
    ``config.toml`` (:meth:`from_saved`).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)

    preset: str = "default"
    seed: int = Field(0, ge=0)
    dtype: Literal["float32", "float64"] = "float32"

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {"default": {}, "smoke": {}}

    @classmethod
    def resolve(cls, values: dict[str, Any] | None = None) -> "StudyConfig":
        """Apply the preset named in ``values`` (default ``"default"``), then ``values`` over it.

        Raises:
            ConfigError: unknown preset, unknown key or invalid value (one line, with choices), or a
                config whose :meth:`peak_memory` exceeds the memory limit (see ``studies._memory``).
        """
        values = dict(values or {})
        preset = values.get("preset", "default")
        if preset not in cls.PRESETS:
            raise ConfigError(f"unknown preset {preset!r}; valid: {', '.join(cls.PRESETS)}")
        merged = {**cls.PRESETS[preset], **values, "preset": preset}
        unknown = sorted(set(merged) - set(cls.model_fields))
        if unknown:
            raise ConfigError(f"unknown config key {unknown[0]!r}; valid: {', '.join(sorted(cls.model_fields))}")
        try:
            config = cls.model_validate(merged)
        except ValidationError as err:
            raise ConfigError(_one_line(err)) from None
        estimate = config.peak_memory()
        if estimate is not None:
            try:
                study = re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__.removesuffix("Config")).lower()
                check_memory(estimate, f"this {study} config")
            except ValueError as err:
                raise ConfigError(str(err)) from None
        return config

    def peak_memory(self) -> MemoryEstimate | None:
        """The run's estimated peak memory (from the config alone, before anything is allocated),
        or ``None`` for no estimate; studies override it."""
        return None

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> "StudyConfig":
        """The config saved as ``values`` (a run folder's ``[config]`` table), validated.

        The table holds every field except those that are ``None`` (TOML has no null), so a field
        absent from it is ``None``, not the preset's or default value: a saved config means
        exactly what was run. No preset is applied.

        Raises:
            ConfigError: an unknown key or an invalid value (one line naming the field).
        """
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise ConfigError(f"unknown config key {unknown[0]!r}; valid: {', '.join(sorted(cls.model_fields))}")
        full = {name: values.get(name) for name in cls.model_fields}
        try:
            return cls.model_validate(full)
        except ValidationError as err:
            loc = err.errors()[0]["loc"]
            if loc and loc[0] not in values:
                raise ConfigError(f"no value saved for {loc[0]!r} (it must not be None)") from None
            raise ConfigError(_one_line(err)) from None


class ConfigError(ValueError):
    """A bad study name, config key or value; the message is one line naming the valid choices."""


_SHOWN_INPUT = 60  # characters of a rejected value shown in an error


def _one_line(err: ValidationError) -> str:
    """The first error of ``err`` as one line naming the field and the value received (shortened);
    an error of the whole model (a cross-field check) shows its message only, never the input."""
    first = err.errors()[0]
    message = first["msg"].removeprefix("Value error, ").replace("\n", " ")
    if first["type"] == "finite_number":
        message = "finite values are required (no inf or nan)"
    if not first["loc"]:
        return f"invalid config: {message}"
    where = ".".join(str(p) for p in first["loc"])
    shown = repr(first.get("input"))
    if len(shown) > _SHOWN_INPUT:
        shown = shown[: _SHOWN_INPUT - 3] + "..."
    return f"invalid value for {where!r} ({shown}): {message}"


@dataclasses.dataclass
class Figure:
    """A matplotlib figure to save as ``figures/<name>.png`` and ``.svg``, with a caption."""

    name: str
    figure: Any
    caption: str


@dataclasses.dataclass
class Table:
    """A table for the report (and ``tables/<name>.csv``)."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclasses.dataclass
class Section:
    """A report section: a paragraph of text (plain, blank lines separate paragraphs), then
    figures and tables."""

    title: str
    text: str = ""
    figures: list[Figure] = dataclasses.field(default_factory=list)
    tables: list[Table] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Deviation:
    """One row of the report's closing table of deviations from the paper."""

    what: str
    paper: str
    ours: str
    why: str


@dataclasses.dataclass
class StudyResult:
    """What a study returns.

    Attributes:
        summary: JSON-serialisable headline numbers (``summary.json``).
        params: tensor name -> array (``params.safetensors``); ``param_docs`` documents each
            (what it is and its axes; tensors of ``networks`` get a generated doc when they lack one).
        networks: prefix -> network spec or ``toyscope.nets.StoredNetwork``: the networks among
            ``params`` (tensors ``<prefix>.<tensor name>``, prefix ``""`` for none), whose specs
            the file's header carries (``toyscope.nets.load(path, prefix=...)`` reads them back).
        metrics: column name -> 1-D array, equal lengths (``metrics.csv``).
        sections: the report body, in order.
        deviations: the closing table (what differs from the paper, and why).
    """

    summary: dict[str, Any]
    params: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    param_docs: dict[str, str] = dataclasses.field(default_factory=dict)
    metrics: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    sections: list[Section] = dataclasses.field(default_factory=list)
    deviations: list[Deviation] = dataclasses.field(default_factory=list)
    networks: dict[str, Any] = dataclasses.field(default_factory=dict)


class RunContext(Protocol):
    """What a study may ask of the run folder while it runs (implemented by ``toyscope.runs``)."""

    out_dir: Path  # the unfinished run folder, for study-specific extra files

    def checkpointer(self, name: str):
        """A :class:`toyscope.train.Checkpointer` stored under ``name`` (resumable training)."""

    def cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once; on resume, the stored result (for multi-stage studies)."""

    def data_files(self, paths: dict[str, str]) -> None:
        """Record data files used (name -> path); their checksums go into ``meta.json``."""

    def sweep(self, study: str, base_values: dict[str, Any], grid: dict[str, list[Any]], out: Path | str | None = None,
              *, workers: int = 1) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Run ``study`` on every cell of the grid (``base_values`` plus one value per grid key);
        ``[(cell values, summary), ...]`` in grid order (tasks outer). With a run folder, each cell
        is its own resumable run folder under ``out``, reused when it exists with the same config."""


@dataclasses.dataclass(frozen=True)
class Study:
    """A registered study: name, one-line description, config class and ``run``."""

    name: str
    description: str
    config_class: type[StudyConfig]
    run: Callable[[StudyConfig, RunContext], StudyResult]
    paper: str = ""
