"""Progress bars: quiet switches (context-local, restored), and the bar's counts when shown."""

from __future__ import annotations

import contextvars

import pytest

from toyscope import _progress


@pytest.fixture
def loud(monkeypatch):
    """Call first in a test: neither the environment nor pytest silences the bars, the quiet flag is off.

    (pytest sets ``PYTEST_CURRENT_TEST`` again just before the test body, so it is removed there.)
    """
    token = _progress._QUIET.set(False)

    def unsilence():
        monkeypatch.delenv("TOYSCOPE_QUIET", raising=False)
        monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)

    yield unsilence
    _progress._QUIET.reset(token)


def test_quiet_sources(loud, monkeypatch):
    loud()
    assert not _progress.is_quiet()
    monkeypatch.setenv("TOYSCOPE_QUIET", "1")
    assert _progress.is_quiet()
    monkeypatch.setenv("TOYSCOPE_QUIET", "0")
    assert not _progress.is_quiet()
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "x")
    assert _progress.is_quiet()


def test_quiet_while_restores_even_after_an_error(loud):
    loud()
    with _progress.quiet_while(True):
        assert _progress.is_quiet()
        with _progress.quiet_while(False):
            assert not _progress.is_quiet()
        assert _progress.is_quiet()
    assert not _progress.is_quiet()
    with pytest.raises(RuntimeError), _progress.quiet_while(True):
        raise RuntimeError("boom")
    assert not _progress.is_quiet()


def test_set_quiet_is_local_to_its_context(loud):
    loud()
    def silence():
        _progress.set_quiet(True)
        return _progress.is_quiet()

    assert contextvars.copy_context().run(silence) is True
    assert not _progress.is_quiet()  # the other context's switch did not leak here
    _progress.set_quiet(True)
    assert _progress.is_quiet()
    _progress.set_quiet(False)
    assert not _progress.is_quiet()


def test_shown_bar_counts_advances_and_updates(loud):
    loud()
    with _progress.progress_bar("training", total=10) as bar:
        progress = bar._progress
        assert progress is not None
        (task,) = progress.tasks
        assert task.description == "training" and task.total == 10 and task.completed == 0
        bar.advance()
        bar.advance(2.5)
        assert task.completed == 3.5
        bar.update(8)
        assert task.completed == 8
        with progress.console.capture() as captured:
            bar.note("cell a: done on worker 1 [not markup]")
        assert captured.get() == "cell a: done on worker 1 [not markup]\n"
    assert progress.finished is False  # 8 of 10: the bar reports what it was told, not "done"


@pytest.mark.parametrize("quiet, description", [(True, "training"), (False, None)])
def test_quiet_or_nameless_bar_is_a_no_op(loud, quiet, description, capsys):
    loud()
    with _progress.quiet_while(quiet), _progress.progress_bar(description, total=3) as bar:
        assert bar._progress is None
        bar.advance(1)
        bar.update(3)  # no error, nothing drawn
        bar.note("nothing")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_stage_spinner_and_nested_bars_share_one_display(loud):
    loud()
    with _progress.stage("t-SNE") as spinner:
        live = spinner._progress
        assert live is not None and [t.description for t in live.tasks] == ["t-SNE"]
        assert live.tasks[0].total is None  # a spinner: no count
        with _progress.progress_bar("training", total=4) as bar:
            assert bar._progress is live  # one live display (rich allows no second)
            assert [t.description for t in live.tasks] == ["t-SNE", "training"]
            bar.advance(4)
        with _progress.stage("inner stage") as inner:
            assert inner._progress is live
        assert [t.description for t in live.tasks] == ["t-SNE"]  # finished lines are removed
    with _progress.progress_bar("next", total=1) as bar:
        assert bar._progress is not live  # the display closed with its outermost stage


def test_quiet_stage_is_a_no_op(loud, capsys):
    loud()
    with _progress.quiet_while(True), _progress.stage("t-SNE") as spinner:
        assert spinner._progress is None
    assert capsys.readouterr().err == ""


def test_docstring_examples_run():
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module("toyscope._progress"))
    assert result.attempted > 0 and result.failed == 0
