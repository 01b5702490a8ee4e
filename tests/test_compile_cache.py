"""``toyscope.configure_compile_cache`` and ``CompilationCounter``: a second process loads what
the first compiled, the switch turns it off, and the counter sees exactly the compilations."""

from __future__ import annotations

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

import toyscope
from toyscope._compile_cache import ENV_VAR, CompilationCounter, compile_cache_dir

# one small program, compiled in a fresh process; prints the cache folder and the counts
_CHILD = """
import json, sys, toyscope
from toyscope._compile_cache import CompilationCounter
folder = toyscope.configure_compile_cache()
jax_before = "jax" in sys.modules  # not imported yet: the settings go through JAX's environment variables
import jax, jax.numpy as jnp, numpy as np
with CompilationCounter() as counter:
    jax.block_until_ready(jax.jit(lambda x: jnp.sin(x) * 3.0 + 1.0)(np.arange(7.0)))
print(json.dumps({"folder": None if folder is None else str(folder), "count": counter.count, "hits": counter.cache_hits,
                  "jax_before": jax_before, "dir": jax.config.jax_compilation_cache_dir}))
"""


def _child(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_first_ones_programs(tmp_path, monkeypatch):
    import os

    env = {**os.environ, ENV_VAR: str(tmp_path)}
    first, second = _child(env), _child(env)
    assert first["folder"] == second["folder"] == first["dir"] == str(compile_cache_dir(tmp_path))
    assert first["jax_before"] is False
    assert (first["count"], first["hits"]) == (1, 0)  # a tiny program is cached too (no time threshold)
    assert (second["count"], second["hits"]) == (1, 1)
    assert any(compile_cache_dir(tmp_path).iterdir())
    off = _child({**env, ENV_VAR: "0"})
    assert off == {"folder": None, "count": 1, "hits": 0, "jax_before": False, "dir": None}
    # a JAX_COMPILATION_CACHE_DIR of the user's is overridden by the switch, as jax.config.update would
    assert _child({**env, ENV_VAR: "0", "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "theirs")})["dir"] is None


def test_the_folder_is_named_by_the_versions(tmp_path):
    import jaxlib

    name = compile_cache_dir(tmp_path).name
    assert name == f"toyscope-{toyscope.__version__}_jax-{jax.__version__}_jaxlib-{jaxlib.__version__}"
    assert compile_cache_dir().parent.name == "jax-compile"


def test_switch_values(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, "off")
    assert toyscope.configure_compile_cache() is None
    monkeypatch.setenv(ENV_VAR, "0")
    assert toyscope.configure_compile_cache() is None
    assert jax.config.jax_compilation_cache_dir is None
    with pytest.raises(ValueError, match="enabled must be True, False or None, got 'yes'"):
        toyscope.configure_compile_cache("yes")


def test_the_size_limit_can_be_set_or_lifted(monkeypatch, tmp_path):
    # with a limit JAX rescans the folder on every new entry; a throwaway cache (the tests') lifts it
    from toyscope._compile_cache import MAX_BYTES_ENV_VAR, MAX_CACHE_BYTES

    pytest.importorskip("filelock")
    saved = {name: getattr(jax.config, name) for name in ("jax_compilation_cache_dir", "jax_compilation_cache_max_size")}
    try:
        monkeypatch.setenv(ENV_VAR, str(tmp_path))
        for value, expected in (("", MAX_CACHE_BYTES), ("-1", -1), ("4096", 4096)):
            monkeypatch.setenv(MAX_BYTES_ENV_VAR, value)
            toyscope.configure_compile_cache()
            assert jax.config.jax_compilation_cache_max_size == expected, value
        for bad in ("0", "-2", "2GB"):
            monkeypatch.setenv(MAX_BYTES_ENV_VAR, bad)
            with pytest.raises(ValueError, match=f"must be a size in bytes >= 1 or -1 \\(no limit\\), got '{bad}'"):
                toyscope.configure_compile_cache()
    finally:
        for name, value in saved.items():
            jax.config.update(name, value)


def test_counter_counts_new_programs_and_shapes_only():
    f = jax.jit(lambda x: x * 2.0 + 1.0)
    three, five = np.ones(3, np.float32), np.ones(5, np.float32)  # numpy: no eager JAX operation
    with CompilationCounter() as outer:
        f(three)
        with CompilationCounter() as inner:
            f(three)  # in memory: no compilation
            f(five)  # new shape
        jax.jit(lambda x: x - 1.0)(three)  # new program
    assert inner.count == 1
    assert outer.count == 3 and set(outer.names) == {"jit(<lambda>)"}
    with CompilationCounter() as after:
        f(five)
    assert after.count == 0
