"""toyscope: a laboratory for mechanistic interpretability of small neural networks."""

from ._host import configure_host_devices as _configure_host_devices

_configure_host_devices()

__version__ = "0.1.0"


def load_run(path):
    """Load a run folder: ``RunData(config, params, summary, metrics, meta)`` (see ``toyscope.runs``)."""
    from .runs import load_run as _load_run

    return _load_run(path)


__all__ = ["__version__", "load_run"]
