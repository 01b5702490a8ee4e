"""bimt-table: cells through the run context's sweep, tables read from each cell's own summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toyscope.runs import RunFolderError, execute
from toyscope.studies import get_study


def test_table_reads_its_cells_and_refuses_cells_of_another_config(tmp_path):
    study = get_study("bimt-table")
    values = {"preset": "smoke", "n_steps": 200}
    folder = execute(study, study.config_class.resolve(values), tmp_path / "table")
    cells = sorted((folder / "cells").iterdir())
    assert [c.name for c in cells] == ["task=symbolic-a_method=vanilla", "task=symbolic-a_method=bimt"]
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
