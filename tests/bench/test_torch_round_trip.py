"""The ``torch-round-trip`` benchmark at a tiny size: its records' structure and that the round
trip gives back the very networks (no assertion about speed)."""

from __future__ import annotations

import math

import pytest

from toyscope.bench import BENCHMARKS, _torch_round_trip

pytest.importorskip("torch", reason="torch is not installed (pip install toyscope[torch])")


def test_records_name_units_ratios_and_check_the_networks():
    records = _torch_round_trip.bench_torch_round_trip(n_networks=8, repeats=1)
    assert [r["name"] for r in records] == ["torch-round-trip", "torch-round-trip-stacked"]
    for record in records:
        assert record["n_networks"] == 8 and record["target_s"] == 1.0
        assert all(math.isfinite(record[k]) and record[k] > 0 for k in ("value", "baseline", "ratio"))
        assert math.isclose(record["ratio"], record["baseline"] / record["value"], rel_tol=1e-9)
        assert record["max_abs_diff"] <= 1e-6  # the networks came back
    assert "torch-round-trip" in BENCHMARKS
