"""A task's draw is named: an unknown one is a one-line error listing the valid draws, and every
task that takes ``draw`` checks it before drawing."""

from __future__ import annotations

import pytest

from toyscope import tasks
from toyscope.tasks._draws import DRAWS, check_draw


@pytest.mark.parametrize("make", [lambda d: tasks.symbolic_task("a", seed=0, draw=d),
                                  lambda d: tasks.two_moons_task(4, 4, seed=0, draw=d),
                                  lambda d: tasks.modular_addition_task(5, seed=0, draw=d),
                                  lambda d: tasks.permutation_task(3, seed=0, draw=d)])
def test_every_task_with_a_draw_refuses_an_unknown_one(make):
    with pytest.raises(ValueError, match=r"^unknown draw 'rng'; valid: generator, legacy$"):
        make("rng")
    for draw in DRAWS:
        assert len(make(draw)["train"]["x"]) > 0


def test_check_draw_accepts_the_named_draws_only():
    for draw in DRAWS:
        check_draw(draw)
    with pytest.raises(ValueError, match="unknown draw"):
        check_draw("Legacy")
