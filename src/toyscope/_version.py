"""toyscope's version (one place; the package root and run folders' ``meta.json`` read it)."""

__version__ = "0.1.0"
