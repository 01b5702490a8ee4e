"""``tools/copy_average_gammas_by_k.py``: folders of one k pool into one phase diagram, a width from
two folders and a non-erf run are refused in one line with exit 2."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "copy_average_gammas_by_k.py"


def _tool():
    spec = importlib.util.spec_from_file_location("copy_average_gammas_by_k", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _folder(path: Path, k: int, rows, activation: str = "erf") -> Path:
    path.mkdir()
    runs = [{"n": n, "seed": s, "class": c, "loss": loss} for n, s, c, loss in rows]
    (path / "summary.json").write_text(json.dumps({"k": k, "activation": activation, "runs": runs}))
    return path


# k = 4: every seed C-A optimal at n = 1, mixed at n = 2, P-n-C at n = 3 (losses only matter for gamma3)
ROWS = [(1, 0, "C-A optimal", 0.3), (1, 1, "C-A optimal", 0.3), (2, 0, "C-A optimal", 0.2), (2, 1, "P-n-C", 0.21),
        (3, 0, "P-n-C", 0.1), (3, 1, "P-n-C", 0.1)]


def test_folders_of_one_k_pool_into_the_table_of_one_folder(tmp_path, capsys):
    tool = _tool()
    tool.main([str(tmp_path / "one.png"), str(_folder(tmp_path / "all", 4, ROWS))])
    whole = capsys.readouterr().out
    tool.main([str(tmp_path / "two.png"), str(_folder(tmp_path / "a", 4, ROWS[:2])),
               str(_folder(tmp_path / "b", 4, ROWS[2:]))])
    assert capsys.readouterr().out == whole and (tmp_path / "two.png").stat().st_size > 0
    assert "| 4 | 3 (1-3) | 2 | 0.25 [" in whole  # gamma1: n = 1 is the largest all-C-A width


def _empty(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("second, message", [
    (lambda p: _folder(p, 4, ROWS[:1]), "width n = 1 at k = 4 is in both"),
    (lambda p: _folder(p, 5, ROWS[:1], activation="relu"), "is a 'relu' run"),
    (_empty, "is not a finished run folder"),
])
def test_bad_folders_are_one_line_errors_with_exit_2(tmp_path, capsys, second, message):
    first = _folder(tmp_path / "a", 4, ROWS)
    with pytest.raises(SystemExit) as exit_info:
        _tool().main([str(tmp_path / "out.png"), str(first), str(second(tmp_path / "b"))])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count(chr(10)) == 1
    assert not (tmp_path / "out.png").exists()
