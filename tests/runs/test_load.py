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


def test_resume_refuses_a_saved_config_that_does_not_validate(tmp_path, demo_registered):
    from toyscope.runs import load_partial_config

    study = get_study("demo")
    good = study.config_class.resolve({"preset": "smoke"}).model_dump(mode="json")
    partial = tmp_path / "r.partial"
    partial.mkdir()
    lines = [f"{k} = {v!r}".replace("'", '"').replace("False", "false") for k, v in good.items()]
    (partial / "config.toml").write_text('study = "demo"\n[config]\n' + "\n".join(lines) + "\n")
    assert load_partial_config(partial) == (study, study.config_class.resolve({"preset": "smoke"}))
    text = (partial / "config.toml").read_text()
    for bad, message in [("learning_rate = inf", "invalid value for 'learning_rate' (inf): finite values are required"),
                         ("", "no value saved for 'learning_rate'")]:  # an older toyscope dropped the inf
        (partial / "config.toml").write_text(text.replace("learning_rate = 0.05", bad))
        with pytest.raises(RunFolderError) as info:
            load_partial_config(partial)
        assert str(info.value).startswith(f"cannot resume {partial}: its saved config is invalid: {message}")
        assert "\n" not in str(info.value)


def test_load_run_refuses_a_folder_missing_a_file(tmp_path, demo_registered):
    study = get_study("demo")
    folder = execute(study, study.config_class.resolve({"preset": "smoke", "n_steps": 20}), tmp_path / "r")
    (folder / "metrics.csv").unlink()
    with pytest.raises(RunFolderError, match="is not a whole run folder: metrics.csv is missing"):
        load_run(folder)
