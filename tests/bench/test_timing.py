"""Benchmark helpers: the chunk-clock arithmetic on a scripted clock, and which step counts the
chunk-timed BIMT benchmarks accept."""

import pytest

from toyscope.bench import _timing, run_benchmark
from toyscope.bench._timing import check_chunked_steps, chunked_rates


def test_chunked_rates_on_a_scripted_clock(monkeypatch):
    """Start at 0 s, chunks of 1,000 steps end at 5, 6, 7, 8 s (the first holds 4 s of compilation),
    the call returns at 8.5 s: steady 3,000 steps / 3 s, end to end 4,000 / 8.5 s, compile 5 - 1 s."""
    ticks = iter([0.0, 5.0, 6.0, 7.0, 8.0, 8.5])
    monkeypatch.setattr(_timing.time, "perf_counter", lambda: next(ticks))

    def run(clock):
        for _ in range(4):
            clock.save(None)

    steady, end_to_end, compile_s = chunked_rates(run, 4_000, 1_000)
    assert steady == pytest.approx(1_000.0)
    assert end_to_end == pytest.approx(4_000 / 8.5)
    assert compile_s == pytest.approx(4.0)


@pytest.mark.parametrize("n_steps,ok", [(4_000, True), (5_000, True), (100_000, True), (3_000, False), (6_000, False)])
def test_only_step_counts_whose_chunk_count_divides_100_pass(n_steps, ok):
    if ok:
        check_chunked_steps(n_steps)
    else:
        with pytest.raises(ValueError, match="n_steps must be one of"):
            check_chunked_steps(n_steps)


@pytest.mark.parametrize("name", ["bimt-symbolic-a", "bimt-in-context"])
@pytest.mark.parametrize("n_steps", [2_000, 3_000, 4_500, 30_000])
def test_other_step_counts_fail_before_any_training(name, n_steps):
    with pytest.raises(ValueError, match=rf"n_steps must be one of 4,000, 5,000, 10,000, .*, got {n_steps}$"):
        run_benchmark(name, n_steps=n_steps)


def test_seed_rate_records_divide_each_rate_by_its_baseline():
    from toyscope.bench._timing import seed_rate_records

    one, five = seed_rate_records("b", n_steps=1000, steady=(400.0, 100.0), compile_s=(1.0, 2.0), plain_s=0.5,
                                  plain_compile_s=0.25, shared={"task": "t"}, one_seed={"extra": 1})
    assert (one["name"], one["value"], one["baseline"], one["ratio"], one["extra"]) == ("b", 400.0, 2000.0, 0.2, 1)
    assert five["name"] == "b-5-seeds" and five["value"] == 0.5 and five["baseline"] == 2.0
    assert five["ratio"] == 0.25 and "extra" not in five
    assert one["task"] == five["task"] == "t" and one["plain_compile_s"] == five["plain_compile_s"] == 0.25
    assert (one["compile_s"], five["compile_s"]) == (1.0, 2.0)
