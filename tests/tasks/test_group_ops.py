"""Group-operation tasks against tables built by plain loops (modular addition, S_n composition)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from toyscope import tasks


def _inversion_sign(p):
    inversions = 0
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            inversions += p[i] > p[j]
    return 1 if inversions % 2 == 0 else -1


def _cycle_sign(p):
    """Sign from the cycle decomposition: (-1)^(n - number of cycles), independent of inversions."""
    seen, cycles = set(), 0
    for start in range(len(p)):
        if start not in seen:
            cycles += 1
            k = start
            while k not in seen:
                seen.add(k)
                k = p[k]
    return (-1) ** (len(p) - cycles)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_permutations_of_is_lexicographic_and_complete(n):
    perms = tasks.permutations_of(n)
    assert perms.shape == (math.factorial(n), n)
    assert perms[0].tolist() == list(range(n))  # identity first
    rows = [tuple(r) for r in perms.tolist()]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert all(sorted(r) == list(range(n)) for r in rows)


@pytest.mark.parametrize("n", [0, 9])
def test_permutations_of_rejects_bad_n(n):
    with pytest.raises(ValueError, match="n must be in 1..8"):
        tasks.permutations_of(n)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_permutation_sign_by_inversions_and_by_cycles(n):
    perms = tasks.permutations_of(n)
    signs = tasks.permutation_sign(perms)
    for p, s in zip(perms.tolist(), signs.tolist()):
        assert s == _inversion_sign(p) == _cycle_sign(p)
    assert signs.sum() == 0  # half the permutations are even


def test_permutation_sign_known_values():
    assert tasks.permutation_sign(np.array([[0, 1, 2], [1, 0, 2], [1, 2, 0], [2, 1, 0]])).tolist() == [1, -1, 1, -1]


@pytest.mark.parametrize("modulus", [2, 5, 7])
def test_modular_addition_covers_the_addition_table(modulus):
    data = tasks.modular_addition_task(modulus, train_fraction=0.6, seed=3)
    x = np.concatenate([data["train"]["x"], data["test"]["x"]])
    y = np.concatenate([data["train"]["y"], data["test"]["y"]])
    assert x.dtype == y.dtype == np.int32
    table = {}
    for (a, b), c in zip(x.tolist(), y.tolist()):
        table[a, b] = c
    expected = {(a, b): (a + b) % modulus for a in range(modulus) for b in range(modulus)}
    assert table == expected and len(x) == modulus**2  # every pair exactly once
    assert len(data["train"]["x"]) == round(0.6 * modulus**2)
    assert data["vocab_size"] == modulus and data["output_names"] == [str(i) for i in range(modulus)]
    assert data["input_names"] == ["a", "b"]


def test_split_depends_on_seed_only():
    a, b = (tasks.modular_addition_task(11, seed=s) for s in (0, 0))
    np.testing.assert_array_equal(a["train"]["x"], b["train"]["x"])
    c = tasks.modular_addition_task(11, seed=1)
    assert not np.array_equal(a["train"]["x"], c["train"]["x"])


@pytest.mark.parametrize("kwargs, match", [
    ({"modulus": 1}, "modulus"), ({"modulus": 5, "train_fraction": 0.0}, "train_fraction"),
    ({"modulus": 5, "train_fraction": 1.0}, "train_fraction"),
])
def test_modular_addition_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        tasks.modular_addition_task(**kwargs, seed=0)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("n", [3, 4])
def test_permutation_task_is_composition_a_of_b(n):
    data = tasks.permutation_task(n, train_fraction=0.5, seed=2)
    perms = data["permutations"]
    size = math.factorial(n)
    pairs = np.concatenate([data["train"]["x"], data["test"]["x"]]).tolist()
    labels = np.concatenate([data["train"]["y"], data["test"]["y"]]).tolist()
    assert sorted(map(tuple, pairs)) == list(itertools.product(range(size), repeat=2))
    for (a, b), c in zip(pairs, labels):
        composed = [perms[a][perms[b][i]] for i in range(n)]  # (a o b)(i) = a(b(i))
        assert perms[c].tolist() == composed
    assert data["vocab_size"] == size
    assert data["output_names"][0] == "".join(str(i + 1) for i in range(n))
    np.testing.assert_array_equal(data["signs"], [_inversion_sign(p) for p in perms.tolist()])


def test_permutation_task_composition_is_not_commutative():
    """S_3 is non-abelian: a table that swapped a and b would differ; check one known pair."""
    data = tasks.permutation_task(3, seed=0)
    perms = [tuple(p) for p in data["permutations"].tolist()]
    a, b = perms.index((1, 0, 2)), perms.index((0, 2, 1))
    pairs = np.concatenate([data["train"]["x"], data["test"]["x"]]).tolist()
    labels = np.concatenate([data["train"]["y"], data["test"]["y"]]).tolist()
    lookup = {tuple(p): c for p, c in zip(pairs, labels)}
    # a(b(i)): b = (0 2 1) sends 0->0,1->2,2->1; then a swaps 0,1: -> (1, 2, 0)
    assert perms[lookup[a, b]] == (1, 2, 0)
    assert perms[lookup[b, a]] == (2, 0, 1)


@pytest.mark.parametrize("kind", ["mod-add", "s4"])
def test_legacy_split_is_the_notebooks_choice_of_pairs(kind):
    # a plain transcription of BIMT's modular_addition_3.3 (cell 2) / permutation_S4_3.3 (cell 3) data
    seed = 4 if kind == "mod-add" else 1
    np.random.seed(seed)
    if kind == "mod-add":
        p = 59
        xx, yy = np.meshgrid(np.arange(p), np.arange(p))
        data_id = np.transpose([xx.reshape(-1), yy.reshape(-1)])
        labels = (data_id[:, 0] + data_id[:, 1]) % p
    else:
        perms = [list(q) for q in itertools.permutations(range(4))]
        ids = {str(q): i for i, q in enumerate(perms)}
        p = len(perms)
        labels = np.array([ids[str(np.array(perms[j])[np.array(perms[i])].tolist())] for i in range(p) for j in range(p)])
        xx, yy = np.meshgrid(np.arange(p), np.arange(p))
        data_id = np.transpose([xx.reshape(-1), yy.reshape(-1)])
    train_id = np.random.choice(p**2, int(p**2 * 0.8), replace=False)
    task = (tasks.modular_addition_task(59, seed=seed, draw="legacy") if kind == "mod-add"
            else tasks.permutation_task(4, seed=seed, draw="legacy"))
    np.testing.assert_array_equal(task["train"]["x"], data_id[train_id])
    np.testing.assert_array_equal(task["train"]["y"], labels[train_id])
    assert len(task["test"]["x"]) == p**2 - len(train_id)
    test_ids = sorted(set(range(p**2)) - set(train_id.tolist()))
    assert sorted(map(tuple, task["test"]["x"].tolist())) == sorted(map(tuple, data_id[test_ids].tolist()))
