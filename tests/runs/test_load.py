"""Loading run folders back: a finished folder round-trips, a bad one is refused in one line."""

import numpy as np
import pytest
from safetensors.numpy import load_file

import toyscope
from toyscope.runs import RunFolderError, execute, load_run
from toyscope.studies import get_study


def test_run_folder_layout_and_load_run(tmp_path, demo_registered):
    study = get_study("demo")
    folder = execute(study, study.config_class.resolve({"preset": "smoke"}), tmp_path / "r1")
    names = {p.name for p in folder.iterdir()}
    assert {"config.toml", "meta.json", "params.safetensors", "metrics.csv", "summary.json",
            "report.html", "figures", "tables"} <= names
    assert not (tmp_path / "r1.partial").exists()
    assert (folder / "figures" / "loss.png").exists() and (folder / "figures" / "loss.svg").exists()
    html = (folder / "report.html").read_text()
    assert "data:image/png;base64" in html and "Deviations from the paper" in html
    assert html.rindex("<h2>") == html.index("<h2>Deviations from the paper</h2>")  # the report ends with them
    run = toyscope.load_run(folder)
    assert run.study == "demo" and run.config["n_steps"] == 200 and run.config["preset"] == "smoke"
    assert run.params["layer0.weight"].shape == (8, 2, 8)
    np.testing.assert_array_equal(load_file(str(folder / "params.safetensors"))["layer1.bias"], run.params["layer1.bias"])
    assert run.metrics["loss_mean"].shape == (200,)
    assert run.meta["seed"] == 0 and "jax" in run.meta and run.meta["wall_time_s"] > 0
    with pytest.raises(RunFolderError, match="exists already"):
        execute(study, study.config_class.resolve({}), folder)


def test_load_run_rejects_bad_folders(tmp_path):
    with pytest.raises(RunFolderError, match="no run folder"):
        load_run(tmp_path / "missing")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "config.toml").write_text("this is = = not toml")
    with pytest.raises(RunFolderError, match="not valid TOML"):
        load_run(tmp_path / "fake")
