"""Host CPU devices for JAX, set before JAX starts.

XLA treats the CPU as one device by default and runs each small elementwise loop on one core.
toyscope asks for one host device per core (``--xla_force_host_platform_device_count``), so
ensemble computations can be sharded across cores (``toyscope.train.fit_small_ensemble``).
Everything else still runs on device 0 as usual. It takes effect only if toyscope is imported
before JAX initialises its backend; set ``TOYSCOPE_HOST_DEVICES=1`` to opt out.
"""

from __future__ import annotations

import os

_FLAG = "--xla_force_host_platform_device_count"


def configure_host_devices() -> None:
    """Add the device-count flag to ``XLA_FLAGS`` unless the user set one (or opted out)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags:
        return
    wanted = os.environ.get("TOYSCOPE_HOST_DEVICES") or str(min(os.cpu_count() or 1, 8))
    if wanted.isdigit() and int(wanted) > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={int(wanted)}".strip()
