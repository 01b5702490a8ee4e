"""Benchmark ``smoke-startup``: seconds from launching ``toyscope run STUDY --set preset=smoke`` to
its first training step, cold (empty compilation cache) and warm (the second invocation).

Each run is a fresh Python process (as the command is), started with ``python -c`` on a small
driver that runs the study's smoke preset into a temporary folder and reports, through
``jax.monitoring``, when the first training program (the engine's or the small-ensemble path's
``run_chunk``, the blocked online path's ``member``) was compiled or loaded from the cache: the
first training step starts then. The baseline is the same pair of runs with the compilation cache
off (``TOYSCOPE_COMPILE_CACHE=0``); ``ratio`` is its first-step time over the warm one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

#: study -> extra --set values of its smoke run
STUDIES = {"xor-basins": {}, "update-attribution": {}, "bimt": {}, "neural-race": {}}
TRAINING_PROGRAMS = ("jit(run_chunk)", "jit(member)")

_DRIVER = r"""
import json, sys, time
launched = float(sys.argv[1])
import toyscope
toyscope.configure_host_devices()
toyscope.configure_compile_cache()
import jax
first = []
def listener(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration" and not first and kwargs.get("fun_name") in %r:
        first.append(time.time())
jax.monitoring.register_event_duration_secs_listener(listener)
from pathlib import Path
from toyscope import runs, studies
study = studies.get_study(sys.argv[2])
config = study.config_class.resolve({"preset": "smoke", **json.loads(sys.argv[3])})
runs.execute(study, config, Path(sys.argv[4]))
done = time.time()
print(json.dumps({"first_step_s": first[0] - launched if first else None, "total_s": done - launched}))
""" % (TRAINING_PROGRAMS,)


def _launch(study: str, values: dict, cache: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "TOYSCOPE_COMPILE_CACHE": cache}
        started = time.time()
        done = subprocess.run([sys.executable, "-c", _DRIVER, repr(started), study, json.dumps(values), f"{out}/run"],
                              capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # e.g. missing data: the smoke run's own last line says what is wrong
        lines = done.stderr.strip().splitlines() or ["no output"]
        raise RuntimeError(f"the {study} smoke run of smoke-startup failed: {lines[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_smoke_startup(studies: tuple[str, ...] = tuple(STUDIES)) -> list[dict]:
    """One record per study: warm seconds to the first training step, with cold and no-cache times."""
    records = []
    with tempfile.TemporaryDirectory() as cache:
        for study in studies:
            values = STUDIES.get(study, {})
            cold, warm = _launch(study, values, cache), _launch(study, values, cache)
            off = _launch(study, values, "0")
            records.append({
                "name": f"smoke-startup-{study}", "value": warm["first_step_s"], "unit": "s to the first training step (warm)",
                "baseline": off["first_step_s"], "baseline_name": "the same run without the compilation cache",
                "ratio": off["first_step_s"] / warm["first_step_s"], "cold_first_step_s": cold["first_step_s"],
                "cold_total_s": cold["total_s"], "warm_total_s": warm["total_s"], "no_cache_total_s": off["total_s"],
                "target": 1.5})
    return records
