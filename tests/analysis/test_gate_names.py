"""Boolean function names against truth tables built by plain Python from their definitions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toyscope import analysis


def _table(fn, n):
    return np.array([bool(fn(bits)) for bits in itertools.product((0, 1), repeat=n)])


def test_two_input_names_are_the_sixteen_gates():
    for table, name in analysis.GATE_NAMES.items():
        assert analysis.boolean_function_name(table) == name


@pytest.mark.parametrize(("fn", "n", "name"), [
    (lambda b: all(b), 4, "AND"), (lambda b: any(b), 3, "OR"), (lambda b: not all(b), 5, "NAND"),
    (lambda b: not any(b), 3, "NOR"), (lambda b: sum(b) % 2, 4, "XOR"), (lambda b: 1 - sum(b) % 2, 3, "XNOR"),
    (lambda b: sum(b) >= 2, 3, "MAJ"), (lambda b: sum(b) >= 2, 4, "AT_LEAST_2"), (lambda b: sum(b) <= 1, 4, "AT_MOST_1"),
    (lambda b: sum(b) in (1, 2), 4, "SYM{1,2}"), (lambda b: b[2], 3, "x3"), (lambda b: 1 - b[0], 4, "NOT_x1"),
    (lambda b: b[0] and b[2], 3, "AND(x1,x3)"), (lambda b: b[1] and not b[3], 4, "A_NIMPLY_B(x2,x4)"),
    (lambda b: b[0] ^ b[1] ^ b[4], 6, "XOR(x1,x2,x5)"), (lambda b: 0, 7, "FALSE"), (lambda b: 1, 1, "TRUE"),
    (lambda b: b[0] and (b[1] or b[2]), 3, "T00000111"),
])
def test_names_follow_the_support_and_symmetry(fn, n, name):
    assert analysis.boolean_function_name(_table(fn, n)) == name


def test_large_tables_get_a_digest_and_bad_lengths_are_refused():
    name = analysis.boolean_function_name(_table(lambda b: (b[0] and b[1]) or (b[2] and b[3] and b[4]), 5))
    assert name.startswith("T#") and len(name) == 10
    with pytest.raises(ValueError, match="2\\*\\*n rows"):
        analysis.boolean_function_name("011")
    with pytest.raises(ValueError, match="limited to 16 inputs"):
        analysis.boolean_function_name(np.zeros(2**17, bool))
