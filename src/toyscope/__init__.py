"""toyscope: a laboratory for mechanistic interpretability of small neural networks.

Importing toyscope changes no global state. To let JAX shard ensembles across CPU cores, call
:func:`configure_host_devices` before JAX starts (the ``toyscope`` command, ``toyscope bench``,
the tests and sweep workers do)::

    import toyscope
    toyscope.configure_host_devices()   # before the first JAX computation
    toyscope.configure_compile_cache()  # optional: keep compiled programs between runs
    from toyscope import nets, train
"""

from ._compile_cache import configure_compile_cache
from ._host import configure_host_devices
from ._version import __version__


def load_run(path):
    """Load a run folder: ``RunData(config, params, summary, metrics, meta)`` (see ``toyscope.runs``)."""
    from .runs import load_run as _load_run

    return _load_run(path)


__all__ = ["__version__", "configure_compile_cache", "configure_host_devices", "load_run"]
