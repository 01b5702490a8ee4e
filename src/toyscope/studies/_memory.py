"""The size guard: a study's peak-memory estimate from its config, checked before anything is allocated.

Every study config may define ``peak_memory() -> MemoryEstimate`` (params x ensemble x copies x
dtype, data, large activations; see each study). :meth:`StudyConfig.resolve` calls
:func:`check_memory` on it, so a config that would not fit is refused while it is validated (in
well under a second, before a run folder or a sweep cell is written) with a one-line
:class:`~toyscope.studies.ConfigError`: the estimate, the limit and how to override.

The limit is the machine's available memory (``MemAvailable`` of ``/proc/meminfo``, else
``os.sysconf``), or the environment variable ``TOYSCOPE_MEMORY_LIMIT``: a size (``64G``,
``512M``, ``1.5T`` or plain bytes) to use instead, or ``off`` to skip the check.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re

#: environment variable overriding the memory limit (a size such as ``64G``, or ``off``)
MEMORY_LIMIT_ENV = "TOYSCOPE_MEMORY_LIMIT"
#: resident memory of the process before a study allocates anything: Python, JAX, XLA's
#: compiled programs, numpy, matplotlib (measured: about 0.4-0.6 GB for the smoke presets)
BASELINE_BYTES = 500 * 2**20
_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


@dataclasses.dataclass(frozen=True)
class MemoryEstimate:
    """A study's estimated peak resident memory, in bytes, by part (the baseline is added once)."""

    parts: dict[str, float]

    @property
    def total(self) -> float:
        return BASELINE_BYTES + sum(self.parts.values())

    def largest(self) -> str:
        return max(self.parts, key=self.parts.get) if self.parts else "baseline"


def format_bytes(n: float) -> str:
    """``1.5 GB``-style size (binary units)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB", "EB"):
        if abs(n) < 1024 or unit == "EB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EB"


def available_memory() -> int | None:
    """Bytes the machine can still give (``MemAvailable``), or ``None`` if it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit() -> tuple[float | None, str]:
    """``(limit in bytes or None for no check, where it comes from)``.

    Raises:
        ValueError: ``TOYSCOPE_MEMORY_LIMIT`` is not a size or ``off``.
    """
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if not value:
        available = available_memory()
        return available, "available"
    if value.lower() in ("off", "none", "0"):
        return None, MEMORY_LIMIT_ENV
    match = re.fullmatch(r"([0-9]*\.?[0-9]+)\s*([KMGTP]?)I?B?", value.upper())
    if not match:
        raise ValueError(f"{MEMORY_LIMIT_ENV}={value!r} is not a size (e.g. 64G, 512M) or 'off'")
    return float(match.group(1)) * _UNITS[match.group(2)], f"{MEMORY_LIMIT_ENV}={value}"


def check_memory(estimate: MemoryEstimate, what: str) -> None:
    """Refuse (``ValueError``, one line) when ``estimate`` exceeds the limit of :func:`memory_limit`."""
    limit, source = memory_limit()
    total = estimate.total
    if limit is None or (math.isfinite(total) and total <= limit):
        return
    raise ValueError(
        f"{what} needs about {format_bytes(total)} of memory (mostly {estimate.largest()}) but "
        f"{format_bytes(limit)} {'are available' if source == 'available' else 'is allowed by ' + source}; "
        f"make the run smaller, or set {MEMORY_LIMIT_ENV}=<size> (e.g. 64G) or {MEMORY_LIMIT_ENV}=off to override")
