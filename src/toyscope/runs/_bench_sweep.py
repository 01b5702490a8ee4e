"""The sweep benchmark (``toyscope bench sweep``): one grid of smoke cells through a Dask
``LocalCluster`` and through the local process pool, in the same process, one after the other.

It lives in ``runs`` rather than ``toyscope.bench`` because it runs a study through the sweep
machinery (``bench`` uses the library only). The figure is the Dask sweep's wall time once the
cluster is up, as a ratio to the process pool's wall time for the same cells (which includes the
pool's start, as every local sweep does); the cluster's start-up is reported beside it. Both
sweeps start in fresh worker processes, so both pay for importing JAX and compiling once per
worker. The cells of both must agree bit for bit (``same_results``).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._progress import quiet_while
from ._dask import DaskExecutor
from ._executors import Executor, ProcessExecutor
from ._files import read_params
from ._run import sweep_cells

DESCRIPTION = ("8 neural-race XOR smoke cells (seeds 0-7) on a 2-worker Dask LocalCluster against the local "
               "process pool of 2 workers: seconds once the cluster is up, ratio, cluster start-up")


def bench_sweep(n_cells: int = 8, workers: int = 2, study: str = "neural-race",
                base_values: dict[str, Any] | None = None, *,
                pool: Callable[[int], Executor] = ProcessExecutor,
                cluster: Callable[[int], Any] = DaskExecutor) -> list[dict]:
    """Time ``n_cells`` cells (seeds ``0..n_cells-1`` of ``study`` with ``base_values``, default the
    neural-race XOR smoke run) on a ``workers``-process LocalCluster and on a ``workers``-process
    local pool (``pool(workers)`` and ``cluster(workers)`` make them; the cluster is started,
    timed, and closed at the end).

    Returns:
        One record ``{"name": "sweep-dask", "value": Dask seconds once up, "unit": "s",
        "baseline": pool seconds, "ratio": value / baseline, "startup_s": cluster start-up,
        "same_results": bool, "n_cells", "workers", "study"}``.

    Raises:
        ValueError: ``n_cells`` or ``workers`` < 1.
        ExecutorError: dask.distributed is not installed.
    """
    if n_cells < 1 or workers < 1:
        raise ValueError(f"n_cells and workers must be >= 1, got {n_cells} and {workers}")
    base = dict(base_values) if base_values is not None else {"preset": "smoke", "experiment": "xor"}
    with tempfile.TemporaryDirectory(prefix="toyscope-bench-sweep-") as tmp, quiet_while(True):
        started = time.perf_counter()
        pooled = sweep_cells(study, base, {}, Path(tmp) / "pool", seeds=n_cells, executor=pool(workers))
        pool_s = time.perf_counter() - started
        started = time.perf_counter()
        executor = cluster(workers)
        executor.start()
        try:
            executor.check_folder(Path(tmp))  # waits for the workers to be up
            startup_s = time.perf_counter() - started
            started = time.perf_counter()
            dask = sweep_cells(study, base, {}, Path(tmp) / "dask", seeds=n_cells, executor=executor)
            dask_s = time.perf_counter() - started
        finally:
            executor.close()
        same = all(_same_cell(a.folder, b.folder) for a, b in zip(pooled, dask))
    return [{"name": "sweep-dask", "value": dask_s, "unit": "s", "baseline": pool_s, "ratio": dask_s / pool_s,
             "startup_s": startup_s, "same_results": same, "n_cells": n_cells, "workers": workers, "study": study}]


def _same_cell(a: Path, b: Path) -> bool:
    """Whether two cell folders hold the same tensors bit for bit and the same summary (timing
    keys aside). Tensors, not file bytes: safetensors writes its header metadata in an order that
    varies from process to process."""
    def summary(folder: Path) -> dict:
        values = json.loads((folder / "summary.json").read_text())
        return {k: v for k, v in values.items() if not k.endswith("_s") and "time" not in k}

    ours, theirs = read_params(a / "params.safetensors"), read_params(b / "params.safetensors")
    same_params = sorted(ours) == sorted(theirs) and all(
        ours[k].dtype == theirs[k].dtype and ours[k].tobytes() == theirs[k].tobytes() for k in ours)
    return same_params and summary(a) == summary(b)
