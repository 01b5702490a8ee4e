"""``toyscope bench --scaling``: how the cost grows with the work.

Four series, each timed in this process after a warm-up call (compilation excluded):

- xor-ensemble: E = 1e2 ... 1e6 sigmoid 2-2-1 networks, full-batch GD on XOR (the small-ensemble
  path): seconds per network-step, and the process's peak resident memory growth per network
  (``ru_maxrss``, sizes in increasing order, so each size's growth is over the largest before);
- online-sgd: a 784-h-2 softplus network, per-sample SGD with group tallies (the blocked path),
  over hidden width h: seconds per sample;
- bimt: the bimt study's training of symbolic task (a) with widths 4-w-w-2, over w: seconds per
  step (swaps every 200 steps);
- copy-average: :func:`toyscope.train.converge` of one erf student with n = round(0.46 k) neurons
  against a k-neuron teacher, over k: seconds to a max-abs gradient of 1e-10.

:func:`write_scaling` writes ``scaling.csv``, ``scaling.md`` (the table with the fitted
exponents) and ``scaling.png`` (log-log, :func:`toyscope.viz.scaling_figure`).
"""

from __future__ import annotations

import csv
import resource
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from .. import bimt, nets, tasks, train, viz
from ._timing import timed

FULL = {"xor-ensemble": (100, 1_000, 10_000, 100_000, 1_000_000), "online-sgd": (25, 50, 100, 200, 400),
        "bimt": (10, 20, 40, 80), "copy-average": (10, 20, 40, 70, 100)}
REDUCED = {"xor-ensemble": (100, 1_000, 10_000), "online-sgd": (25, 50), "bimt": (10, 20), "copy-average": (10, 20)}
SIZE_LABELS = {"xor-ensemble": "networks E", "online-sgd": "hidden width h", "bimt": "hidden width w",
               "copy-average": "teacher width k"}


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _xor(n_networks: int, n_steps: int = 200) -> dict:
    spec = nets.mlp([2, 2, 1], "sigmoid")
    data = tasks.boolean_task(np.array([0, 1, 1, 0]), 2)
    data = {"x": np.asarray(data["x"], np.float32), "y": np.asarray(data["y"], np.float32).reshape(-1, 1)}
    before = _peak_rss_bytes()
    params = nets.init(spec, key=jax.random.key(0), n_networks=n_networks, scheme="normal", scale=1.0)

    def run():
        return train.train(train.mlp_objective(spec, "bce"), params, data, optimizer=train.Optimizer("sgd", 1.0),
                           n_steps=n_steps, record=train.Record(every=n_steps), progress=None).params

    timed(run)
    seconds = min(timed(run) for _ in range(2))
    return {"seconds_per_unit": seconds / (n_networks * n_steps), "unit": "s per network-step",
            "peak_memory_per_network_bytes": max(_peak_rss_bytes() - before, 0) / n_networks}


def _online(hidden: int, n_samples: int = 2_000) -> dict:
    rng = np.random.default_rng(0)
    x = ((np.where(rng.random((n_samples, 784)) < 0.19, rng.integers(1, 256, (n_samples, 784)), 0) + 1) / 256)
    group = rng.integers(0, 2, n_samples).astype(np.int32)
    data = {"x": x.astype(np.float32), "y": np.eye(2, dtype=np.float32)[group], "group": group}
    spec = nets.mlp([784, hidden, 2], "softplus", "softplus")
    params = nets.init(spec, key=jax.random.key(0), n_networks=1, bias_scheme="same")
    aux = jax.tree_util.tree_map(lambda p: jnp.zeros((1, 2, *p.shape[1:])), params)

    def run():
        result = train.train(train.mlp_objective(spec, "mse"), params, data, optimizer=train.Optimizer("sgd", 0.01),
                             n_steps=n_samples, batching=train.Online(np.arange(n_samples)),
                             observer=train.group_tally_observer(), aux=aux, progress=None)
        return result.params

    timed(run)
    return {"seconds_per_unit": min(timed(run) for _ in range(2)) / n_samples, "unit": "s per sample"}


def _bimt(width: int, n_steps: int = 2_000) -> dict:
    setup = bimt.PAPER_SETUPS["symbolic-a"]
    data = tasks.symbolic_task("a", 100, 100, seed=0)
    spec = nets.layered_network([4, width, width, 2], "silu")
    method = bimt.BimtMethod("bimt", setup.lambdas, bimt.scaled_schedule(setup, n_steps), layer_gap=setup.layer_gap,
                             normalization=setup.normalization, top_k=setup.top_k)
    loss_fn = bimt.layered_loss(spec, setup.loss)

    def run():
        params = nets.init(spec, key=jax.random.key(0), n_networks=1)
        return bimt.train_bimt(bimt.mlp_layout(spec), loss_fn, params, data["train"], method=method, n_networks=1,
                               n_steps=n_steps, learning_rate=1e-3, record_every=n_steps // 20,
                               snapshot_every=n_steps // 4).params

    timed(run)
    return {"seconds_per_unit": min(timed(run) for _ in range(2)) / n_steps, "unit": "s per step"}


def _copy_average(k: int) -> dict:
    from ._copy_average import bench_copy_average

    n = max(1, round(0.46 * k))
    bench_copy_average(k=k, n=n)  # compiles
    start = time.perf_counter()
    [record] = bench_copy_average(k=k, n=n)
    return {"seconds_per_unit": record["value"], "unit": "s to converge one student", "n": n,
            "total_benchmark_s": time.perf_counter() - start}


_RUNNERS = {"xor-ensemble": _xor, "online-sgd": _online, "bimt": _bimt, "copy-average": _copy_average}


def scaling_rows(sizes: dict[str, tuple[int, ...]] = REDUCED) -> list[dict]:
    """One row per (series, size): ``{"series", "size", "seconds_per_unit", "unit", ...}``.

    Raises:
        ValueError: an unknown series name.
    """
    unknown = sorted(set(sizes) - set(_RUNNERS))
    if unknown:
        raise ValueError(f"unknown scaling series {unknown[0]!r}; valid: {', '.join(_RUNNERS)}")
    rows = []
    for series, values in sizes.items():
        for size in sorted(values):
            rows.append({"series": series, "size": size, **_RUNNERS[series](size)})
    return rows


def exponents(rows: list[dict]) -> dict[str, float]:
    """Series -> fitted exponent of seconds per unit against size (log-log least squares)."""
    out = {}
    for series in dict.fromkeys(r["series"] for r in rows):
        mine = [r for r in rows if r["series"] == series]
        if len(mine) >= 2:
            out[series] = viz.fit_exponent([r["size"] for r in mine], [r["seconds_per_unit"] for r in mine])[0]
    return out


def write_scaling(rows: list[dict], out: Path) -> dict[str, Path]:
    """Write ``scaling.csv``, ``scaling.md`` and ``scaling.png`` into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    paths = {"csv": out / "scaling.csv", "md": out / "scaling.md", "png": out / "scaling.png"}
    with open(paths["csv"], "w", newline="") as handle:
        writer = csv.DictWriter(handle, keys)
        writer.writeheader()
        writer.writerows(rows)
    fitted = exponents(rows)
    lines = ["| series | size | cost | unit | peak memory per network (bytes) |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        memory = r.get("peak_memory_per_network_bytes")
        lines.append(f"| {r['series']} | {r['size']:,} | {r['seconds_per_unit']:.3g} | {r['unit']} | "
                     f"{'' if memory is None else f'{memory:.3g}'} |")
    lines += ["", "| series | fitted exponent (cost against size) |", "| --- | --- |"]
    lines += [f"| {s} | {a:.2f} |" for s, a in fitted.items()]
    paths["md"].write_text("\n".join(lines) + "\n")
    series = {}
    for name in dict.fromkeys(r["series"] for r in rows):
        mine = [r for r in rows if r["series"] == name]
        costs = {mine[0]["unit"]: [r["seconds_per_unit"] for r in mine]}
        if "peak_memory_per_network_bytes" in mine[0]:
            costs["peak bytes per network"] = [max(r["peak_memory_per_network_bytes"], 1e-9) for r in mine]
        series[name] = (SIZE_LABELS[name], [r["size"] for r in mine], costs)
    viz.scaling_figure(series).savefig(paths["png"], dpi=120)
    return paths
