"""Shared type aliases for array shapes (jaxtyping), used across toyscope.

Axis names used in docstrings and annotations:
``ens`` ensemble members, ``batch`` examples, ``d_in``/``d_out`` layer widths,
``steps`` recorded steps.
"""

from __future__ import annotations

from typing import Any

from jaxtyping import Array, Float, Int, PRNGKeyArray

PyTree = Any
Params = Any  # a pytree of arrays; optionally with a leading ensemble axis on every leaf

__all__ = ["Array", "Float", "Int", "PRNGKeyArray", "PyTree", "Params"]
