"""Host CPU devices for JAX, set before JAX starts.

XLA treats the CPU as one device by default and runs each small elementwise loop on one core.
:func:`configure_host_devices` asks for one host device per core
(``--xla_force_host_platform_device_count`` in ``XLA_FLAGS``), so ensemble computations can be
sharded across cores (the tiny-ensemble path of ``toyscope.train.train``); everything else still runs on
device 0 as usual. Importing toyscope does not call it: the ``toyscope`` command, ``toyscope
bench``, the test suite and sweep worker processes do, and a Python user calls it before the
first JAX computation. ``TOYSCOPE_HOST_DEVICES=1`` opts out; an ``XLA_FLAGS`` that already
sets the count is left alone.
"""

from __future__ import annotations

import os

_FLAG = "--xla_force_host_platform_device_count"


def configure_host_devices(n_devices: int | None = None) -> int:
    """Ask JAX for ``n_devices`` host CPU devices (default: one per core, at most 8).

    Takes effect only if called before JAX initialises its backend (the first computation or
    ``jax.devices()``); afterwards it changes nothing JAX sees.

    Args:
        n_devices: devices wanted; default ``$TOYSCOPE_HOST_DEVICES`` or ``min(cores, 8)``.

    Returns:
        The device count now in ``XLA_FLAGS`` (1 when none is set).

    Raises:
        ValueError: ``n_devices`` < 1.

    Example:
        >>> import toyscope
        >>> toyscope.configure_host_devices() >= 1
        True
    """
    if n_devices is not None and n_devices < 1:
        raise ValueError(f"n_devices must be >= 1, got {n_devices}")
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG not in flags:
        wanted = str(n_devices) if n_devices is not None else (
            os.environ.get("TOYSCOPE_HOST_DEVICES") or str(min(os.cpu_count() or 1, 8)))
        if wanted.isdigit() and int(wanted) > 1:
            flags = f"{flags} {_FLAG}={int(wanted)}".strip()
            os.environ["XLA_FLAGS"] = flags
    for part in flags.split():
        if part.startswith(_FLAG + "="):
            value = part.split("=", 1)[1]
            return int(value) if value.isdigit() else 1
    return 1
