"""Benchmark helpers: which step counts the chunk-timed BIMT benchmarks accept."""

import pytest

from toyscope.bench import run_benchmark
from toyscope.bench._timing import check_chunked_steps


@pytest.mark.parametrize("n_steps", [4_000, 5_000, 20_000, 100_000])
def test_step_counts_whose_chunks_divide_100_are_accepted(n_steps):
    check_chunked_steps(n_steps)


@pytest.mark.parametrize("name", ["bimt-symbolic-a", "bimt-in-context"])
@pytest.mark.parametrize("n_steps", [2_000, 3_000, 4_500, 30_000])
def test_other_step_counts_fail_before_any_training(name, n_steps):
    with pytest.raises(ValueError, match=rf"n_steps must be one of 4,000, 5,000, 10,000, .*, got {n_steps}$"):
        run_benchmark(name, n_steps=n_steps)
