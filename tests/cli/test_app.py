"""The command line: bad input exits 2 with one line and writes nothing; Ctrl-C names the folder
and the resume command (exit 130); an internal error is one line and a log (exit 1);
list/show/report work."""

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import DEMO_CLI


def _cli(*args, cwd, env=None):
    return subprocess.run([*DEMO_CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, **(env or {})})


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("args, message", [
    (["run", "no-such-study"], "unknown study 'no-such-study'; valid: xor-basins"),
    (["run", "demo", "--set", "bogus=1"], "unknown config key 'bogus'; valid:"),
    (["run", "demo", "--set", "n_steps=many"], "invalid value for 'n_steps'"),
    (["run", "demo", "--set", "preset=huge"], "unknown preset 'huge'; valid: default, smoke"),
    (["run", "demo", "--set", "noequals"], "--set needs key=value"),
    (["run", "demo", "--config", "missing.toml"], "config file missing.toml does not exist"),
    (["run", "demo", "--set", "fail_with_value_error=true"], "fail_with_value_error was set"),
    (["run", "--resume", "not-a-run"], "ending in '.partial'"),
    (["show", "nowhere"], "no run folder at nowhere"),
    (["bench", "no-such-bench"], "unknown benchmark 'no-such-bench'; valid: xor-ensemble"),
    (["bench", "--scaling", "xor-ensemble"], "--scaling runs its own four series; drop the benchmark names"),
    (["sweep", "demo", "--grid", "width"], "--grid needs key=v1,v2"),
    (["run", "demo", "--set", "learning_rate=inf"],
     "invalid value for 'learning_rate' (inf): finite values are required (no inf or nan)"),
    (["run", "demo", "--set", "seed=-1"], "invalid value for 'seed' (-1): Input should be greater than or equal to 0"),
    (["run", "demo", "--config", "."], "config file . is a folder, not a TOML file"),
    (["run", "demo", "--out", "/proc/x"], "cannot create /proc/x.partial: "),
    (["sweep", "demo", "--grid", "width=4,4"], "grid key 'width' repeats the value 4; give each value once"),
    (["sweep", "demo", "--grid", "width=4", "--grid", "width=8"], "--grid key 'width' given twice"),
    (["run", "xor-basins", "--set", "splice_pairs=[[1,1]]"],
     "invalid config: splice_pairs: [1, 1] must be two different inputs in 1..4"),
    (["run", "demo", "--set", "fail_with=memory"], "out of memory (asked for 7.11 PiB); lower the sizes in the config"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, args, message):
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def test_list_run_show_report(tmp_path):
    listing = _cli("list", cwd=tmp_path)
    assert listing.returncode == 0 and "xor-basins" in listing.stdout
    run = _cli("run", "demo", "--set", "preset=smoke", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (folder,) = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    assert folder.name.startswith("demo-")
    assert "demo" in (tmp_path / "runs" / "index.html").read_text()  # the runs index lists it
    show = _cli("show", str(folder), cwd=tmp_path)
    assert show.returncode == 0 and "final_loss_mean" in show.stdout
    (folder / "report.html").unlink()
    assert _cli("report", str(folder), cwd=tmp_path).returncode == 0
    assert (folder / "report.html").exists()


# a demo run's config.toml with learning_rate = inf (older toyscope let it through)
_RESUMED_INF = ('study = "demo"\n[config]\npreset = "default"\nseed = 0\ndtype = "float32"\nn_networks = 8\n'
                'width = 8\nn_steps = 400\nlearning_rate = inf\nfail_with_value_error = false\n'
                'fail_after_training = false\nfail_with = ""\n')


@pytest.mark.parametrize("files, args, message", [
    ({"afile": ""}, ["run", "demo", "--out", "afile/x"], "error: cannot create afile/x.partial: afile is a file, not a folder"),
    ({"c.toml": 'study = "demo"\n[config]\nn_steps = 20\n[extra]\na = 1\n'}, ["run", "demo", "--config", "c.toml"],
     "error: config file c.toml has 'extra' beside [config]; put config values under [config] (or give a flat file "
     "without [config])"),
    ({"r/config.toml": 'study = "demo"\n[config]\n', "r/summary.json": "{}", "r/meta.json": "{}",
      "r/params.safetensors": ""}, ["show", "r"], "error: r is not a whole run folder: metrics.csv is missing"),
    ({"r.partial/config.toml": _RESUMED_INF}, ["run", "--resume", "r.partial"],
     "error: cannot resume r.partial: its saved config is invalid: invalid value for 'learning_rate' (inf): "
     "finite values are required (no inf or nan); start a new run with a valid config"),
])
def test_bad_files_and_folders_exit_2_with_one_line_and_change_nothing(tmp_path, files, args, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    before = _files(tmp_path)
    result = _cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (2, message + "\n")
    assert _files(tmp_path) == before


def test_ctrl_c_names_the_partial_folder_and_the_resume_command(tmp_path):
    # SIGINT as a terminal delivers it: a pytest-xdist worker ignores SIGINT, and a child would inherit
    # that (Python then installs no KeyboardInterrupt handler), so a small launcher gives it the default
    # back before it becomes the CLI (exec keeps the pid; no fork of this multithreaded process)
    launcher = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"]
    process = subprocess.Popen([*launcher, *DEMO_CLI[1:], "run", "demo", "--set", "n_steps=4000000", "--out", "r",
                                "--quiet"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    checkpoints = tmp_path / "r.partial" / "checkpoints"
    deadline = time.time() + 120
    def saved():  # a finished checkpoint, not the temporary file an atomic write starts with
        return checkpoints.is_dir() and any(not p.name.startswith(".") for p in checkpoints.iterdir())

    while not saved() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (130, "interrupted; r.partial is kept: resume with toyscope run --resume r.partial\n")
    assert saved() and not (tmp_path / "r").exists()


def test_an_internal_error_is_one_line_with_a_traceback_log(tmp_path):
    result = _cli("run", "demo", "--set", "preset=smoke", "--set", "fail_with=internal", "--out", "r", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        1, "error: internal error (RuntimeError: fail_with=internal was set); traceback in r.partial/error.log\n")
    log = (tmp_path / "r.partial" / "error.log").read_text()
    assert "Traceback (most recent call last)" in log and "RuntimeError: fail_with=internal was set" in log
    # with no run folder to write to, the log goes to the user cache dir
    cache = tmp_path / "cache"
    result = _cli("run", "demo", "--set", "preset=smoke", "--set", "fail_with=internal-no-folder", "--out", "s",
                  cwd=tmp_path, env={"XDG_CACHE_HOME": str(cache)})
    (log,) = (cache / "toyscope" / "logs").iterdir()
    assert (result.returncode, result.stderr) == (
        1, f"error: internal error (RuntimeError: fail_with=internal was set); traceback in {log}\n")
    assert "RuntimeError: fail_with=internal was set" in log.read_text() and not (tmp_path / "s.partial").exists()


def test_divergence_advice_names_options_of_the_command_line(tmp_path):
    result = _cli("run", "demo", "--set", "preset=smoke", "--set", "learning_rate=1e6", "--out", "r", cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "lower the learning rate (--set learning_rate=...)" in result.stderr and "nan_policy" not in result.stderr


@pytest.mark.parametrize("error, asked", [
    (MemoryError("Unable to allocate 7.11 PiB for an array with shape (1000000000000000,) and data type float64"),
     " (asked for 7.11 PiB)"),
    (RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 80000000000 bytes."),
     " (asked for 74.5 GiB)"),
    (MemoryError(), ""),
])
def test_out_of_memory_says_how_much_was_asked(error, asked):
    from toyscope.cli._app import _memory_message
    from toyscope.runs import out_of_memory

    assert out_of_memory(error) and _memory_message(error) == f"out of memory{asked}; lower the sizes in the config"


# --- discoverable options (in-process: typer's runner) ---------------------------------------

def _invoke(*args):
    from typer.testing import CliRunner

    from toyscope.cli._app import app

    return CliRunner().invoke(app, list(args))


def test_version():
    from toyscope._version import __version__

    result = _invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"toyscope {__version__}"


@pytest.mark.parametrize("how", [("config",), ("run", "--help")])
def test_config_lists_every_key_with_default_and_every_preset(how):
    from toyscope.studies import get_study

    config_class = get_study("xor-basins").config_class
    result = _invoke(how[0], "xor-basins", *how[1:])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for name, field in config_class.model_fields.items():
        row = next((line for line in lines if line.split()[:1] == [name]), None)
        assert row is not None, name
    n_networks = next(line for line in lines if line.startswith("n_networks "))
    assert n_networks.split()[1:5] == ["int", "1000", ">=", "10"] and "networks in the main" in n_networks
    presets = result.stdout[result.stdout.index("presets"):]
    assert "default: nothing" in presets and "n_networks = 128 (default 1000)" in " ".join(presets.split())
    if how[0] == "run":
        assert "--preset" in result.stdout  # the command's own help comes first


def test_config_shows_list_defaults_as_the_toml_you_would_set():
    # a list of strings was read as rich markup and printed blank
    import tomllib

    from toyscope.cli._app import describe_config

    text = " ".join(describe_config("bimt-table").split())
    assert 'tasks = ["symbolic-a"] (default ["symbolic-a", "symbolic-b",' in text
    shown = text[text.index('methods = ["vanilla", "bimt"] (default ') + len('methods = ["vanilla", "bimt"] (default '):]
    assert tomllib.loads("methods = " + shown[:shown.index("]") + 1])["methods"] == ["vanilla", "l1", "bimt"]


def test_config_of_an_unknown_study_is_one_line():
    result = _invoke("config", "nope")
    assert result.exit_code == 2 and "unknown study 'nope'" in result.output


def test_bench_help_names_every_benchmark():
    from toyscope.bench import BENCHMARKS

    result = _invoke("bench", "--help")
    assert result.exit_code == 0
    for name in BENCHMARKS:
        assert f"{name}:" in result.stdout, name


def test_preset_option_and_a_conflicting_set(tmp_path, monkeypatch, demo_registered):
    import toyscope.runs

    seen = []
    monkeypatch.setattr(toyscope.runs, "execute", lambda study, config, out, resume=None, **kw: seen.append(config) or out)
    result = _invoke("run", "demo", "--preset", "smoke", "--set", "seed=3", "--quiet", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    (config,) = seen
    smoke = type(config).PRESETS["smoke"]
    assert config.preset == "smoke" and config.seed == 3 and all(getattr(config, k) == v for k, v in smoke.items())
    clash = _invoke("run", "demo", "--preset", "smoke", "--set", "preset=default")
    assert clash.exit_code == 2 and "disagree" in clash.output
    unknown = _invoke("run", "demo", "--preset", "huge")
    assert unknown.exit_code == 2 and "unknown preset 'huge'" in unknown.output


def test_index_writes_the_runs_page_and_refuses_a_missing_folder(tmp_path):
    (tmp_path / "runs" / "stray").mkdir(parents=True)
    done = _cli("index", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "not a run folder" in (tmp_path / "runs" / "index.html").read_text()
    missing = _cli("index", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2 and "no folder at nowhere" in missing.stderr
