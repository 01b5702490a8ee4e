"""The sweep benchmark's record: the two sweeps it times, their ratio and the start-up apart,
and whether their cells agree bit for bit. (Stand-ins for the pool and the cluster keep this
fast: the real cluster is tested in test_dask.py.)"""

from __future__ import annotations

import pytest

from toyscope.runs import SerialExecutor, bench_sweep


class _Cluster(SerialExecutor):
    """A stand-in for the Dask executor: runs the cells here, records its start and close."""

    events: list[str] = []

    def __init__(self, workers):
        self.events.append(f"made with {workers}")

    def start(self):
        self.events.append("started")
        return self

    def close(self):
        self.events.append("closed")


class _Different(_Cluster):
    """A cluster whose cells come out different (it swaps the seeds)."""

    def map(self, fn, items):
        items = list(items)
        return super().map(fn, [(*job[:2], {**job[2], "seed": str(1 - int(job[2]["seed"]))}, *job[3:]) for job in items])


BASE = {"preset": "smoke", "n_steps": 40}


def test_the_record_holds_both_times_their_ratio_and_the_start_up(demo_registered):
    _Cluster.events.clear()
    [record] = bench_sweep(n_cells=1, workers=3, study="demo", base_values=BASE, pool=lambda n: SerialExecutor(),
                           cluster=_Cluster)
    assert _Cluster.events == ["made with 3", "started", "closed"]
    assert record["name"] == "sweep-dask" and record["unit"] == "s" and record["same_results"] is True
    assert record["value"] > 0 and record["baseline"] > 0 and record["startup_s"] >= 0
    assert record["ratio"] == pytest.approx(record["value"] / record["baseline"])
    assert (record["n_cells"], record["workers"], record["study"]) == (1, 3, "demo")


def test_cells_that_differ_are_reported(demo_registered):
    [record] = bench_sweep(n_cells=2, workers=1, study="demo", base_values=BASE, pool=lambda n: SerialExecutor(),
                           cluster=_Different)
    assert record["same_results"] is False


def test_sizes_must_be_positive():
    with pytest.raises(ValueError, match="n_cells and workers must be >= 1, got 0 and 2"):
        bench_sweep(n_cells=0)
