"""Benchmarks (``toyscope bench``): each times toyscope against a plain baseline in the same
process and reports the ratio, since absolute times drift on shared machines.

Every benchmark is a function returning a list of records
``{"name", "value", "unit", "baseline", "ratio", "compile_s", ...parameters}``.
"""

from __future__ import annotations

import importlib

from .._compile_cache import configure_compile_cache
from .._host import configure_host_devices

# name -> (module, function, one-line description)
BENCHMARKS: dict[str, tuple[str, str, str]] = {
    "xor-ensemble": ("toyscope.bench._xor", "bench_xor_ensemble",
                     "E=10,000 sigmoid 2-2-1 nets, full-batch GD on XOR, 5,000 steps: network-steps/s"),
    "online-sgd": ("toyscope.bench._online", "bench_online_sgd",
                   "784-100-2 softplus net, per-sample SGD with per-group |update| tallies (blocked exact path and engine): samples/s"),
    "bimt-symbolic-a": ("toyscope.bench._bimt", "bench_bimt_symbolic_a",
                        "BIMT on symbolic task (a), 4-20-20-2 SiLU, swaps every 200 steps: steps/s and seeds/s"),
    "bimt-symbolic-a-short": ("toyscope.bench._bimt", "bench_bimt_short",
                              "BIMT on symbolic task (a), 2,000 steps, one seed: end-to-end s cold / warm / steady "
                              "against a PyTorch transcription of the authors' loop"),
    "bimt-in-context": ("toyscope.bench._bimt_in_context", "bench_bimt_in_context",
                        "BIMT on the in-context transformer (2 layers, width 32, batch 64), swaps every 200 steps: "
                        "steps/s and seeds/s"),
    "copy-average": ("toyscope.bench._copy_average", "bench_copy_average",
                     "erf teacher-student k=100, n=46: seconds to max-abs gradient 1e-10 (flow / Newton / eigen split)"),
    "torch-round-trip": ("toyscope.bench._torch_round_trip", "bench_torch_round_trip",
                         "1,000 PyTorch 2-3-1 sigmoid nets -> toyscope -> PyTorch (modules and stacked state): s"),
    "smoke-startup": ("toyscope.bench._startup", "bench_smoke_startup",
                      "seconds from launch to the first training step of smoke runs, warm compilation cache "
                      "(cold and no-cache beside)"),
}


_COLD_CACHE: list[str] = []


def _cold_compile_cache() -> None:
    """Point JAX's persistent compilation cache at an empty folder of this process (removed at
    exit), so every benchmark's first call compiles cold and a later call can load warm (no
    effect once this process has compiled anything)."""
    if not _COLD_CACHE:
        import atexit
        import shutil
        import tempfile

        folder = tempfile.mkdtemp(prefix="toyscope-bench-cache-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _COLD_CACHE.append(folder)
        configure_compile_cache(True, root=folder)


def run_benchmark(name: str, **kwargs) -> list[dict]:
    """Run the benchmark called ``name``; raises ValueError for an unknown name.

    The process's compilation cache starts empty: ``compile_s`` is a cold compilation,
    ``warm_compile_s`` that of a second invocation (programs loaded from the cache)."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}")
    configure_host_devices()  # no effect once JAX has started (the CLI calls it first)
    _cold_compile_cache()
    module, function, _ = BENCHMARKS[name]
    return getattr(importlib.import_module(module), function)(**kwargs)


def run_scaling(out, *, reduced: bool = False) -> dict:
    """``toyscope bench --scaling``: the four scaling series (``bench._scaling``; ``reduced``:
    fewer, smaller sizes) written to ``out`` as scaling.csv/.md/.png; their paths."""
    from pathlib import Path

    from ._scaling import FULL, REDUCED, scaling_rows, write_scaling

    configure_host_devices()
    _cold_compile_cache()
    return write_scaling(scaling_rows(REDUCED if reduced else FULL), Path(out))


__all__ = ["BENCHMARKS", "run_benchmark", "run_scaling"]
