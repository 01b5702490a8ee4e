"""What every ``toyscope analyze`` method reads: a model file and, when it needs one, a data set.

:class:`AnalysisConfig` is the config base of the analyses of :mod:`toyscope.studies.analyze`:
the model (``model``, with ``arch`` / ``activation`` for a file without a spec) and the data
(``task``, a built-in task, or ``data``, an ``.npz`` with arrays ``x`` and ``y``). The loaders
compose :func:`toyscope.nets.load_model`, :func:`toyscope.nets.parse_architecture` and
:func:`toyscope.tasks.load_arrays`; nothing here computes.

Built-in tasks (:data:`ANALYSIS_TASKS`): ``xor``, ``truth:<table>`` (any Boolean truth table
over all 2**n inputs, e.g. ``truth:00010111``), ``two-moons`` (its test split) and the symbolic
formulas ``symbolic-a`` .. (their test splits, with the formula's input and output names).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from pydantic import Field, field_validator, model_validator

from .. import nets, tasks
from ._base import StudyConfig

#: the built-in tasks an analysis can read (besides ``truth:<table>``)
ANALYSIS_TASKS = ("xor", "two-moons", *(f"symbolic-{name}" for name in tasks.SYMBOLIC_FORMULAS))


class AnalysisConfig(StudyConfig):
    """Options shared by every ``toyscope analyze`` method: the model and the data."""

    model: str = Field(..., min_length=1, description="model: a toyscope run folder or params.safetensors, a .pt "
                                                         "state dict, or a .safetensors with PyTorch names")
    network: str | None = Field(None, description="which network of a file holding several (its tensor prefix, "
                                                  "e.g. final or large in an xor-basins run)")
    arch: str | None = Field(None, description="architecture for a file without a spec, e.g. 2-3-1")
    activation: str | None = Field(None, description="activation(s) with arch, e.g. sigmoid or relu,relu,linear")
    task: str | None = Field(None, description=f"a built-in task: {', '.join(ANALYSIS_TASKS)}, truth:<table>")
    data: str | None = Field(None, description="an .npz file with arrays x (N, d_in) and y (N, d_out)")

    PRESETS = {"default": {}, "smoke": {}}

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str | None) -> str | None:
        if value is None or value in ANALYSIS_TASKS:
            return value
        if value.startswith("truth:"):
            table = value.removeprefix("truth:")
            n = len(table).bit_length() - 1
            if len(table) == 2**n and n >= 1 and not set(table) - {"0", "1"}:
                return value
            raise ValueError("truth:<table> needs 2**n characters of 0/1 (rows in binary order)")
        raise ValueError(f"unknown task; valid: {', '.join(ANALYSIS_TASKS)}, truth:<table>")

    @model_validator(mode="after")
    def _one_source(self):
        if self.task is not None and self.data is not None:
            raise ValueError("give --task or --data, not both")
        return self


class AnalysisData(NamedTuple):
    """A data set for an analysis: inputs, targets (or ``None``) and the names of its variables."""

    x: np.ndarray
    y: np.ndarray | None
    input_names: list[str] | None
    output_names: list[str] | None
    source: str


def model_file(path: str) -> Path:
    """The file holding a model: ``path`` itself, or a run folder's ``params.safetensors``."""
    folder = Path(path)
    return folder / "params.safetensors" if folder.is_dir() else folder


def load_network(path: str, *, arch: str | None = None, activation: str | None = None, network: str | None = None):
    """``(spec, params)`` of the model at ``path`` (:func:`toyscope.nets.load_model`; ``network`` picks
    one of several), with the architecture ``arch`` / ``activation`` when the file does not describe itself."""
    spec = None
    if arch is not None:
        spec = (nets.parse_architecture(arch) if activation is None
                else nets.parse_architecture(arch, activation=activation))
    elif activation is not None:
        raise ValueError("--activation needs --arch (the architecture it applies to)")
    return nets.load_model(path, spec=spec, network=network)


def as_mlp(spec, params, method: str):
    """The model as an MLP: an MLP as is, a vector-input layered network with its slot orders
    folded in (:func:`toyscope.nets.layered_as_mlp`); anything else refused in one line."""
    if isinstance(spec, nets.MLP):
        return spec, params
    if isinstance(spec, nets.LayeredNetwork) and not spec.n_tokens:
        return nets.layered_as_mlp(spec, params)
    raise ValueError(f"{method} works on MLPs (and vector-input layered networks), got a {type(spec).__name__}")


def load_data(task: str | None, data: str | None, *, seed: int) -> AnalysisData | None:
    """The data set named by ``task`` or stored in ``data`` (``None`` when neither is given)."""
    if data is not None:
        x, y = tasks.load_arrays(data)
        return AnalysisData(np.asarray(x), np.asarray(y), None, None, f"the arrays of {data}")
    if task is None:
        return None
    if task == "xor":
        arrays = tasks.xor_task()
        return AnalysisData(arrays["x"], arrays["y"], None, None, "the 4 XOR points")
    if task.startswith("truth:"):
        table = task.removeprefix("truth:")
        n = len(table).bit_length() - 1
        arrays = tasks.boolean_task(np.array([int(c) for c in table]), n)
        return AnalysisData(arrays["x"], arrays["y"], None, None, f"truth table {table} over all {2**n} inputs")
    if task == "two-moons":
        test = tasks.two_moons_task(seed=seed)["test"]
        return AnalysisData(test["x"], test["y"], None, None, f"two moons, {len(test['x'])} test points (seed {seed})")
    name = task.removeprefix("symbolic-")
    arrays = tasks.symbolic_task(name, seed=seed)
    test = arrays["test"]
    return AnalysisData(test["x"], test["y"], list(arrays["input_names"]), list(arrays["output_names"]),
                        f"symbolic formula {name}, {len(test['x'])} test points (seed {seed})")


def require_data(found: AnalysisData | None, method: str) -> AnalysisData:
    """``found``, or a one-line error saying the method needs ``--task`` or ``--data``."""
    if found is None:
        raise ValueError(f"{method} needs data: give --task NAME ({', '.join(ANALYSIS_TASKS)}, truth:<table>) "
                         "or --data F.npz")
    return found


def default_loss(spec: nets.MLP, y) -> str:
    """The loss an analysis evaluates: ``bce`` for 0/1 targets of a linear-output net, ``softmax_ce``
    for integer class labels ``(N,)``, ``mse`` otherwise."""
    y = np.asarray(y)
    if y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
        return "softmax_ce"
    if spec.activations[-1] == "linear" and np.isin(y, (0, 1)).all():
        return "bce"
    return "mse"
