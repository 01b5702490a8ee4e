"""The ``toyscope`` command line (see ``toyscope --help``)."""

from ._app import app, main, parse_sets, parse_value

__all__ = ["app", "main", "parse_sets", "parse_value"]
