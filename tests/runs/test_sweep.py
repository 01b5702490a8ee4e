"""Sweeps: cells as run folders named by their values, resumable, refusing a foreign folder."""

import pytest

from toyscope.runs import RunFolderError, SerialExecutor, run_sweep


def test_sweep_runs_cells_and_resumes(tmp_path, demo_registered):
    out = tmp_path / "sweep"
    csv = run_sweep("demo", {"preset": "smoke"}, {"width": ["2", "4"]}, out, seeds=2, executor=SerialExecutor(),
                    parse_value=int)
    lines = csv.read_text().strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("cell,width,seed,final_loss_mean")
    cells = sorted(p for p in out.iterdir() if p.is_dir() and p.name != "assets")  # assets: the cells' shared plotly.js
    assert len(cells) == 4
    stamp = (cells[0] / "summary.json").stat().st_mtime_ns
    from toyscope._progress import _QUIET, set_quiet

    set_quiet(False)  # quiet cells run in this process (serial) must not leave the caller quiet
    run_sweep("demo", {"preset": "smoke"}, {"width": ["2", "4"]}, out, seeds=2, executor=SerialExecutor(), parse_value=int)
    assert _QUIET.get() is False
    assert (cells[0] / "summary.json").stat().st_mtime_ns == stamp  # finished cells are not rerun


def test_cell_folders_are_named_by_their_values_so_growing_a_grid_reuses_them(tmp_path, demo_registered):
    """A cell's folder does not depend on its place in the grid: adding a value in front reruns
    nothing; labels that must be shortened or cleaned stay distinct through a hash."""
    from toyscope.runs._run import cell_name

    out = tmp_path / "sweep"
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [4]}, out, executor=SerialExecutor())
    stamp = (out / "width=4" / "summary.json").stat().st_mtime_ns
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [2, 4]}, out, executor=SerialExecutor())
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["assets", "width=2", "width=4"]
    assert (out / "width=4" / "summary.json").stat().st_mtime_ns == stamp
    long_a, long_b = {"x": "a" * 100 + "1"}, {"x": "a" * 100 + "2"}
    names = {cell_name(c) for c in (long_a, long_b, {"x": "a b"}, {"x": "a/b"}, {"x": "a-b"})}
    assert len(names) == 5 and all(len(n) <= 80 and "/" not in n and " " not in n for n in names)


def test_sweep_refuses_a_cell_folder_with_another_config(tmp_path, demo_registered):
    out = tmp_path / "sweep"
    run_sweep("demo", {"preset": "smoke", "n_steps": 40}, {"width": [2]}, out, executor=SerialExecutor())
    with pytest.raises(RunFolderError, match="another config.*n_steps: 40 there, 60 wanted"):
        run_sweep("demo", {"preset": "smoke", "n_steps": 60}, {"width": [2]}, out, executor=SerialExecutor())
