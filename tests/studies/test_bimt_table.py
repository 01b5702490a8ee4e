"""bimt-table: cells through the run context's sweep, tables read from each cell's own summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toyscope.runs import RunFolderError, execute
from toyscope.studies import get_study
from _self_describing import assert_self_describing


def test_table_reads_its_cells_and_refuses_cells_of_another_config(tmp_path):
    study = get_study("bimt-table")
    values = {"preset": "smoke", "n_steps": 200}
    folder = execute(study, study.config_class.resolve(values), tmp_path / "table")
    assert_self_describing(folder)  # and each cell's folder
    cells = [folder / "cells" / f"task=symbolic-a_method={m}" for m in ("vanilla", "bimt")]
    assert sorted((folder / "cells").iterdir()) == sorted(cells)
    summary = json.loads((folder / "summary.json").read_text())
    for cell, method in zip(cells, ("vanilla", "bimt")):
        per_seed = json.loads((cell / "summary.json").read_text())["per_seed"]
        assert len(per_seed["modularity"]) == 2  # the smoke preset's n_seeds
        assert summary[f"symbolic-a/{method}/modularity"] == pytest.approx(np.mean(per_seed["modularity"]))
        assert summary[f"symbolic-a/{method}/test_loss"] == pytest.approx(np.mean(per_seed["test_loss"]))
    shared = {**values, "cells_dir": str(folder / "cells")}
    stamp = (cells[0] / "summary.json").stat().st_mtime_ns
    execute(study, study.config_class.resolve(shared), tmp_path / "again")  # reuses both cells
    assert (cells[0] / "summary.json").stat().st_mtime_ns == stamp
    with pytest.raises(RunFolderError, match="another config"):
        execute(study, study.config_class.resolve({**shared, "n_seeds": 1}), tmp_path / "other")


def test_grid_runs_the_slowest_tasks_first_and_knows_every_task():
    from toyscope.studies.bimt import TASK_NAMES
    from toyscope.studies.bimt_table import CLASSIFICATION, RUN_ORDER, table_grid

    config = get_study("bimt-table").config_class.resolve({})
    assert sorted(RUN_ORDER) == sorted(TASK_NAMES) == sorted(config.tasks)
    assert table_grid(config)["task"][:2] == ["mnist", "in-context"]
    assert CLASSIFICATION == {"two-moons", "mod-add", "permutation-s4", "mnist"}
    with pytest.raises(ValueError, match="unknown task 'mnist-train'"):
        get_study("bimt-table").config_class.resolve({"tasks": ["mnist-train"]})
