"""The ``copy-average`` benchmark at a tiny size (k = 2 teachers, n = 1 student neuron): its record's
structure and meaning, and that it leaves JAX's x64 mode as it found it (no assertion about speed)."""

from __future__ import annotations

import math

import jax
import pytest

from toyscope import theory
from toyscope.bench import _copy_average


def test_the_record_of_a_tiny_convergence():
    assert not jax.config.jax_enable_x64
    (record,) = _copy_average.bench_copy_average(k=2, n=1, flow_gtol=1e-2)
    assert not jax.config.jax_enable_x64  # switched on inside, restored
    assert (record["name"], record["unit"], record["k"], record["n"], record["seed"]) == ("copy-average-converge", "s", 2, 1, 0)
    for key in ("value", "ratio", "flow_s", "refine_s", "eigen_s"):
        assert math.isfinite(record[key]) and record[key] > 0, key
    # the value is the wall time of the whole convergence, which holds its three timed parts
    assert record["flow_s"] + record["refine_s"] + record["eigen_s"] <= record["value"] * (1 + 1e-6)
    assert record["ratio_name"] == "flow s per gradient evaluation over plain GD s per step (one gradient)"
    assert math.isfinite(record["baseline"]) and record["baseline"] >= 0  # plain GD's max-abs gradient
    assert record["baseline_name"].startswith("jit(scan) GD, step ")
    # the student reached a true minimum: gradient below gtol, positive curvature, the copy-average optimum
    assert record["grad_max"] < 1e-10 and record["min_eigenvalue"] > 0 and record["note"] == ""
    assert record["flow_grad_max"] < 1e-2 and record["flow_steps"] > 0
    # no stage ran, so the evaluations are the first Tsit5 flow's: 7 per step and 5 at its ends
    assert record["flow_gradients"] == 7 * record["flow_steps"] + 5
    # one neuron against two teachers: the flow stops in the minimum's basin, so no stage and no hand-off
    # at a negative eigenvalue; the hand-off eigenvalue is the one Newton started from
    assert (record["flow_stages"], record["negative_handoffs"]) == (0, 0)
    assert record["handoff_eigenvalue"] >= -1e-8
    assert record["class"] == "C-A optimal"
    assert record["ca_optimal_loss"] == theory.optimal_copy_average_loss(1, 2)
    assert record["loss"] == pytest.approx(record["ca_optimal_loss"], rel=1e-9)


@pytest.mark.parametrize("k, n", [(4, 6), (2, 3), (3, 0)])
def test_a_student_wider_than_the_teacher_is_refused_before_any_work(k, n):
    with pytest.raises(ValueError, match=f"need 1 <= n <= k, got n={n}, k={k}"):
        _copy_average.bench_copy_average(k=k, n=n)
    assert not jax.config.jax_enable_x64
