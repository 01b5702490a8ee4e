"""NullContext: stores nothing, computes cached stages, runs a sweep's cells in this process."""

from __future__ import annotations

from toyscope.studies import NullContext, get_study


def test_null_context_stores_nothing():
    ctx = NullContext()
    assert ctx.checkpointer("train") is None
    calls = []
    assert ctx.cached("stage", lambda: calls.append(1) or 42) == 42
    assert ctx.cached("stage", lambda: calls.append(1) or 43) == 43 and len(calls) == 2  # nothing kept
    ctx.data_files({"mnist": "/data/train.idx"})
    assert ctx.files == {"mnist": "/data/train.idx"}


def test_sweep_runs_every_cell_in_grid_order(demo_registered):
    base = {"preset": "smoke", "n_steps": 20, "n_networks": 2}
    cells = NullContext().sweep("demo", base, {"width": [2, 3], "seed": [0, 1]})
    assert [values for values, _ in cells] == [{"width": w, "seed": s} for w in (2, 3) for s in (0, 1)]
    study = get_study("demo")
    for values, summary in cells:
        direct = study.run(study.config_class.resolve({**base, **values}), NullContext())
        assert summary == direct.summary
