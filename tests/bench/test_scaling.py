"""``toyscope bench --scaling``: each series' rows at tiny sizes, the exponents fitted from them,
and the three files written (scripted rows for the files; one tiny real run per cheap series)."""

from __future__ import annotations

import csv

import pytest

from toyscope.bench import _scaling


def test_the_cheap_series_give_positive_costs_at_tiny_sizes():
    xor = _scaling._xor(64, n_steps=20)
    assert xor["seconds_per_unit"] > 0 and xor["unit"] == "s per network-step"
    assert xor["peak_memory_per_network_bytes"] >= 0
    online = _scaling._online(4, n_samples=256)
    assert online["seconds_per_unit"] > 0 and online["unit"] == "s per sample"
    with pytest.raises(ValueError, match="unknown scaling series 'gpu'"):
        _scaling.scaling_rows({"gpu": (1,)})


def test_exponents_and_files(tmp_path):
    rows = [{"series": "xor-ensemble", "size": s, "seconds_per_unit": 2e-8 * s ** 0.1, "unit": "s per network-step",
             "peak_memory_per_network_bytes": 100.0} for s in (100, 1000, 10000)]
    rows += [{"series": "online-sgd", "size": h, "seconds_per_unit": 1e-7 * h, "unit": "s per sample"} for h in (25, 50)]
    assert _scaling.exponents(rows) == {"xor-ensemble": pytest.approx(0.1), "online-sgd": pytest.approx(1.0)}
    paths = _scaling.write_scaling(rows, tmp_path / "out")
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    with open(paths["csv"]) as handle:
        assert [r["series"] for r in csv.DictReader(handle)] == ["xor-ensemble"] * 3 + ["online-sgd"] * 2
    table = paths["md"].read_text()
    assert "| xor-ensemble | 0.10 |" in table and "| online-sgd | 1.00 |" in table
    assert set(_scaling.REDUCED) == set(_scaling.FULL) == set(_scaling.SIZE_LABELS)
