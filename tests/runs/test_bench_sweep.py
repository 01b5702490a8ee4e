"""The sweep benchmark: one cell through a real 1-worker LocalCluster and a 1-process pool; the
record's arithmetic, and both sweeps agreeing bit for bit."""

from __future__ import annotations

import pytest

from toyscope.runs import bench_sweep

pytest.importorskip("distributed")


def test_the_record_compares_a_dask_sweep_with_the_process_pool(demo_registered):
    [record] = bench_sweep(n_cells=1, workers=1, study="demo", base_values={"preset": "smoke", "n_steps": 40})
    assert record["name"] == "sweep-dask" and record["unit"] == "s" and record["same_results"] is True
    assert record["value"] > 0 and record["baseline"] > 0 and record["startup_s"] > 0
    assert record["ratio"] == pytest.approx(record["value"] / record["baseline"])
    assert (record["n_cells"], record["workers"], record["study"]) == (1, 1, "demo")


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="n_cells and workers must be >= 1, got 0 and 2"):
        bench_sweep(n_cells=0)
