"""JAX's persistent compilation cache for toyscope, and a counter of compilations.

Tracing and compiling cost several seconds per study, most of it XLA compiling the same
programs every time a study runs. :func:`configure_compile_cache` turns on JAX's persistent
compilation cache in a folder of the user cache dir, so a second run loads the compiled programs
instead. Every program is cached, however small or quick to compile (the minimum compile time and
entry size are set to zero). The folder is named by the toyscope, JAX and jaxlib versions
(``<user cache>/toyscope/jax-compile/toyscope-0.1.0_jax-0.10.2_jaxlib-0.10.2``): another version
starts from an empty folder and never reads a stale entry (JAX's own key, a hash of the program,
its compile options and the backend, already keeps entries of different programs apart).

Importing toyscope does not call it: the ``toyscope`` command does (``--no-compile-cache`` turns
it off), as do ``toyscope bench`` and sweep worker processes; a Python user calls it before the
first JAX computation. ``TOYSCOPE_COMPILE_CACHE=0`` (or ``off``/``false``/``no``) turns it off;
``TOYSCOPE_COMPILE_CACHE=/some/folder`` puts it in that folder instead (still under the
versions' subfolder). The folder is kept under :data:`MAX_CACHE_BYTES`
(``TOYSCOPE_COMPILE_CACHE_MAX_BYTES`` sets another limit, ``-1`` none): a process that configured
the cache deletes the oldest entries beyond it when it exits (:func:`prune_compile_cache`).
JAX's own size limit is not used: it rescans the whole folder on every new entry.

:class:`CompilationCounter` counts the XLA compilations (and persistent-cache hits) inside a
``with`` block, through ``jax.monitoring``; tests use it to fail on an unexpected recompile.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections import Counter
from pathlib import Path

ENV_VAR = "TOYSCOPE_COMPILE_CACHE"
#: the size limit in bytes instead of :data:`MAX_CACHE_BYTES`; ``-1``: no limit (nothing is evicted)
MAX_BYTES_ENV_VAR = "TOYSCOPE_COMPILE_CACHE_MAX_BYTES"
_OFF = {"0", "off", "false", "no"}
_ON = {"", "1", "on", "true", "yes"}
#: the persistent cache's size limit: beyond it, the oldest entries are deleted when a process
#: that configured the cache exits (:func:`prune_compile_cache`)
MAX_CACHE_BYTES = 2 * 2**30
_CACHE_SUFFIX = "-cache"  # JAX's name for an entry: <key>-cache (and <key>-atime with JAX's own limit)


def compile_cache_dir(root: str | os.PathLike | None = None) -> Path:
    """The cache folder for these toyscope, JAX and jaxlib versions.

    Args:
        root: the folder holding every version's subfolder; default the user cache dir's
            ``toyscope/jax-compile``.

    Example:
        >>> compile_cache_dir("/tmp/cache").name.startswith("toyscope-")
        True
    """
    from importlib.metadata import version  # not importing JAX: the CLI sets the cache up before it needs JAX

    from ._version import __version__

    if root is None:
        import platformdirs

        root = Path(platformdirs.user_cache_dir("toyscope")) / "jax-compile"
    return Path(root) / f"toyscope-{__version__}_jax-{version('jax')}_jaxlib-{version('jaxlib')}"


def _max_bytes() -> int:
    """The cache's size limit: ``$TOYSCOPE_COMPILE_CACHE_MAX_BYTES`` (an integer >= 1, or ``-1`` for
    none) or :data:`MAX_CACHE_BYTES`."""
    value = os.environ.get(MAX_BYTES_ENV_VAR, "").strip()
    if not value:
        return MAX_CACHE_BYTES
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit != -1 and limit < 1:
        raise ValueError(f"{MAX_BYTES_ENV_VAR} must be a size in bytes >= 1 or -1 (no limit), got {value!r}")
    return limit


_PRUNE_AT_EXIT: set[Path] = set()


def prune_compile_cache(folder: str | os.PathLike, max_bytes: int) -> int:
    """Delete the oldest entries of a cache folder (by modification time: the order they were
    written) until its entries total at most ``max_bytes``; return how many were deleted.

    Entries another process deletes at the same time are skipped. Reading the folder costs one
    ``stat`` per entry, once (JAX's own limit costs that on every new entry).

    Example:
        >>> import tempfile
        >>> prune_compile_cache(tempfile.mkdtemp(), 1)
        0
    """
    entries = []
    for path in Path(folder).glob(f"*{_CACHE_SUFFIX}"):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        entries.append((info.st_mtime_ns, info.st_size, path))
    total, deleted = sum(size for _, size, _ in entries), 0
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        for victim in (path, path.with_name(path.name.removesuffix(_CACHE_SUFFIX) + "-atime")):
            try:
                victim.unlink()
            except FileNotFoundError:
                pass
        total -= size
        deleted += 1
    return deleted


def configure_compile_cache(enabled: bool | None = None, root: str | os.PathLike | None = None) -> Path | None:
    """Turn JAX's persistent compilation cache on in :func:`compile_cache_dir` (or off).

    Call it before the first compilation (JAX reads the folder once, when it first compiles);
    afterwards it changes nothing for this process. Before JAX is imported it does not import it
    (that costs about a second): it sets JAX's own variables (``JAX_COMPILATION_CACHE_DIR`` and the
    size thresholds), which JAX reads when it is imported and child processes inherit; after, it
    calls ``jax.config.update``.

    Args:
        enabled: ``True``/``False`` to force; ``None`` (default) reads ``$TOYSCOPE_COMPILE_CACHE``
            (unset = on; ``0``/``off``/``false``/``no`` = off; any other value = the root folder).
        root: the folder holding every version's subfolder (default: see :func:`compile_cache_dir`).

    Returns:
        The cache folder in use, or ``None`` when the cache is off.

    Raises:
        ValueError: ``enabled`` is not a bool or ``None``, or ``$TOYSCOPE_COMPILE_CACHE_MAX_BYTES``
            is not a size (see :func:`_max_bytes`).

    Example:
        >>> import toyscope
        >>> toyscope.configure_compile_cache(False) is None
        True
    """
    if enabled is not None and not isinstance(enabled, bool):
        raise ValueError(f"enabled must be True, False or None, got {enabled!r}")
    setting = os.environ.get(ENV_VAR, "").strip()
    if enabled is None:
        enabled = setting.lower() not in _OFF
        if enabled and root is None and setting.lower() not in _ON:
            root = setting
    folder = compile_cache_dir(root) if enabled else None
    settings = {"jax_compilation_cache_dir": None if folder is None else str(folder)}
    if enabled:
        settings.update(jax_persistent_cache_min_compile_time_secs=0.0, jax_persistent_cache_min_entry_size_bytes=-1)
        # JAX's own limit rescans the whole folder on every new entry (and writes an access-time
        # file on every hit), a cost that grows with the cache: toyscope prunes once, at exit
        settings["jax_compilation_cache_max_size"] = -1
        limit = _max_bytes()
        if limit != -1 and folder not in _PRUNE_AT_EXIT:
            _PRUNE_AT_EXIT.add(folder)
            atexit.register(prune_compile_cache, folder, limit)
    if "jax" in sys.modules:
        import jax

        for name, value in settings.items():
            jax.config.update(name, value)
    else:  # JAX reads each setting from its JAX_... variable when it is first imported
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name.upper(), None)
            else:
                os.environ[name.upper()] = str(value)
    return folder


_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"
_CACHE_HIT = "/jax/compilation_cache/cache_hits"
_lock = threading.Lock()
_active: list["CompilationCounter"] = []
_registered = False


def _on_duration(event: str, duration: float, **kwargs) -> None:
    if event == _BACKEND_COMPILE:
        for counter in list(_active):
            counter.names[str(kwargs.get("fun_name", "?"))] += 1
            counter.seconds += duration


def _on_event(event: str, **kwargs) -> None:
    if event == _CACHE_HIT:
        for counter in list(_active):
            counter.cache_hits += 1


class CompilationCounter:
    """Counts XLA compilations inside a ``with`` block (all threads of this process).

    A compilation is one request to XLA for an executable: a new ``jit`` program, a known one
    with new shapes, dtypes or static arguments, or an eager operation on a new shape. A program
    found in JAX's in-memory cache is not counted; one loaded from the persistent cache is
    (``cache_hits`` says how many were).

    Attributes:
        names: program name (``jit(run_chunk)``, ...) -> compilations.
        seconds: total compile (or cache load) time; cache_hits: persistent-cache hits.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> f = jax.jit(lambda x: x * 2)
        >>> with CompilationCounter() as counter:
        ...     _ = f(jnp.ones(3)); _ = f(jnp.ones(3)); _ = f(jnp.ones(4))
        >>> counter.count
        2
    """

    def __init__(self):
        self.names: Counter[str] = Counter()
        self.seconds = 0.0
        self.cache_hits = 0

    @property
    def count(self) -> int:
        """Compilations so far."""
        return sum(self.names.values())

    def __enter__(self) -> "CompilationCounter":
        global _registered
        import jax

        with _lock:
            if not _registered:
                jax.monitoring.register_event_duration_secs_listener(_on_duration)
                jax.monitoring.register_event_listener(_on_event)
                _registered = True
            _active.append(self)
        return self

    def __exit__(self, *exc) -> None:
        with _lock:
            _active.remove(self)
