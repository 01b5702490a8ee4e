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
    "bimt-in-context": ("toyscope.bench._bimt_in_context", "bench_bimt_in_context",
                        "BIMT on the in-context transformer (2 layers, width 32, batch 64), swaps every 200 steps: "
                        "steps/s and seeds/s"),
    "copy-average": ("toyscope.bench._copy_average", "bench_copy_average",
                     "erf teacher-student k=100, n=46: seconds to max-abs gradient 1e-10 (flow / Newton / eigen split)"),
}


def run_benchmark(name: str, **kwargs) -> list[dict]:
    """Run the benchmark called ``name``; raises ValueError for an unknown name."""
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}")
    configure_host_devices()  # no effect once JAX has started (the CLI calls it first)
    configure_compile_cache()
    module, function, _ = BENCHMARKS[name]
    return getattr(importlib.import_module(module), function)(**kwargs)


__all__ = ["BENCHMARKS", "run_benchmark"]
