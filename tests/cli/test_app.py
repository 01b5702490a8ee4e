"""The command line: bad input exits 2 with one line and writes nothing; list/show/report work."""

import subprocess

import pytest

from conftest import DEMO_CLI


def _cli(*args, cwd):
    return subprocess.run([*DEMO_CLI, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


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
    (["sweep", "demo", "--grid", "width"], "--grid needs key=v1,v2"),
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
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("demo-")
    show = _cli("show", str(folder), cwd=tmp_path)
    assert show.returncode == 0 and "final_loss_mean" in show.stdout
    (folder / "report.html").unlink()
    assert _cli("report", str(folder), cwd=tmp_path).returncode == 0
    assert (folder / "report.html").exists()
