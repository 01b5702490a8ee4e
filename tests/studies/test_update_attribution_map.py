"""The update-attribution regime map (experiment="regime_map") on scikit-learn's 8x8 digits: its
grid, its [0, 1] intervals, its float64 rule, and its full-length cell against the default
experiment run with the same fork learning rate (two code paths, one number)."""

from __future__ import annotations

import math

import pytest

from toyscope.studies import ConfigError, NullContext, get_study

TINY = {"dataset": "digits", "n_seeds": 2, "hidden": 8, "sweep_activations": ["softplus"], "fork_examples": 256,
        "n_permutations": 99, "map_phase1_images": [12_000], "map_fork_learning_rates": [0.1, 1e-5],
        "map_fork_snapshots": 2}


def test_map_grid_intervals_float64_rule_and_agreement_with_the_default_path():
    study = get_study("update-attribution")
    config = study.config_class.resolve({"preset": "regime-map", **TINY})
    summary = study.run(config, NullContext()).summary
    cells = summary["cells"]
    assert [(c["phase1_images_of_60000"], c["fork_learning_rate"], c["fork_steps"]) for c in cells] == [
        (12_000, f, s) for f in (0.1, 1e-5) for s in (128, 256)]  # snapshots at whole blocks of 128
    for c in cells:
        for kind in ("r2_weights", "r2_biases"):
            assert 0 <= c[kind]["low"] <= c[kind]["high"] <= 1
    # float32 at 1e-5 rounds updates of the 1/16-scaled inputs away: detected, and the forks rerun in float64
    small = [c for c in cells if c["fork_learning_rate"] == 1e-5]
    assert all(c["dtype"] == "float64" and c["float32_zero_differences"]["c_zero"] > 0 for c in small)
    assert all(c["float64_zero_differences"]["c_zero"] < c["float32_zero_differences"]["c_zero"] for c in small)
    assert len(summary["phase1"]) == 1 and len(summary["baselines"]) == 2 and len(summary["checks"]) == 2
    # the map's full-length cell at fork rate 0.1 is the default experiment's R^2 with the same settings
    default = study.config_class.resolve({**TINY, "phase1_images": 12_000, "fork_learning_rate": 0.1})
    plain = study.run(default, NullContext()).summary
    cell = next(c for c in cells if c["phase1_images_of_60000"] == 12_000 and c["fork_learning_rate"] == 0.1
                and c["fork_steps"] == 256)
    assert cell["per_seed_r2_weights"] == pytest.approx(plain["r2_weights"]["per_seed"], rel=1e-9)
    assert plain["fork_learning_rate"] == 0.1
    # the linearised baseline's q does not depend on the rate; the trained q follows it at the small rate
    base = {b["fork_learning_rate"]: b for b in summary["baselines"] if b["phase1_images_of_60000"] == 12_000}
    assert base[0.1]["r2_weights_linearised"] == base[1e-5]["r2_weights_linearised"]
    assert base[1e-5]["q_agreement_weights_linearised"]["mean"] > 0.9
    assert not math.isnan(base[0.1]["r2_split_first_layer"]["unit"]["mean"])


@pytest.mark.parametrize(("values", "message"), [
    ({"map_fork_learning_rates": [0.1, 0.0]}, "learning rates must be > 0"),
    ({"map_phase1_images": [60_000]}, "map_phase1_images"),
    ({"map_fork_snapshots": 0}, "map_fork_snapshots"),
])
def test_bad_map_configs_are_config_errors(values, message):
    with pytest.raises(ConfigError, match=message):
        get_study("update-attribution").config_class.resolve({"preset": "regime-map", **values})
