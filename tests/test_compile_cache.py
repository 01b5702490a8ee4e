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


def test_the_size_limit_is_kept_by_pruning_the_oldest_entries(tmp_path):
    import os

    from toyscope._compile_cache import prune_compile_cache

    for i in range(6):  # entries of 100 bytes written one second apart; JAX's <key>-atime beside one
        entry = tmp_path / f"k{i}-cache"
        entry.write_bytes(b"x" * 100)
        os.utime(entry, ns=(10**9 * (i + 1), 10**9 * (i + 1)))
    (tmp_path / "k0-atime").write_bytes(b"t" * 8)
    (tmp_path / "unrelated.txt").write_bytes(b"y" * 1000)
    assert prune_compile_cache(tmp_path, 600) == 0
    assert prune_compile_cache(tmp_path, 350) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k3-cache", "k4-cache", "k5-cache", "unrelated.txt"]


def test_the_limit_is_pruned_at_exit_not_by_jax(tmp_path):
    # JAX's own limit would rescan the folder on every new entry; toyscope prunes once, at exit
    import os

    from toyscope._compile_cache import MAX_BYTES_ENV_VAR

    env = {**os.environ, ENV_VAR: str(tmp_path), MAX_BYTES_ENV_VAR: "1"}
    folder = compile_cache_dir(tmp_path)
    child = _CHILD.replace('"dir": jax.config.jax_compilation_cache_dir}', '"dir": jax.config.jax_compilation_cache_max_size}')
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1])["dir"] == -1  # JAX keeps every entry while running
    assert not list(folder.glob("*-cache"))  # ... and at exit the 1-byte limit left none
    for bad in ("0", "-2", "2GB"):
        result = subprocess.run([sys.executable, "-c", "import toyscope; toyscope.configure_compile_cache()"],
                                capture_output=True, text=True, env={**env, MAX_BYTES_ENV_VAR: bad})
        assert result.returncode != 0 and f"must be a size in bytes >= 1 or -1 (no limit), got '{bad}'" in result.stderr


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
