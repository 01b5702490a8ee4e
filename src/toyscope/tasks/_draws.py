"""How a task's random draw is made: numpy's ``Generator`` (toyscope's) or its legacy global state.

``"generator"``: ``numpy.random.default_rng(seed)``. ``"legacy"``: ``numpy.random.RandomState(seed)``
in the order of calls a script written against ``np.random.seed(seed)`` makes, so that a published
script's exact points can be repeated (each task's docstring states the calls).
"""

from __future__ import annotations

DRAWS = ("generator", "legacy")


def check_draw(draw: str) -> None:
    """Raise ``ValueError`` unless ``draw`` is one of :data:`DRAWS`."""
    if draw not in DRAWS:
        raise ValueError(f"unknown draw {draw!r}; valid: {', '.join(DRAWS)}")
