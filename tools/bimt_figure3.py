"""Check the paper's Figure 3b/3c claims per seed (Liu, Gan & Tegmark 2024, Section 3.1).

    toyscope run bimt --set task=symbolic-b --set n_seeds=5 --out RUNS/sym-b
    toyscope run bimt --set task=symbolic-c --set n_seeds=5 --out RUNS/sym-c
    python tools/bimt_figure3.py RUNS

Criterion, fixed before the runs: a neuron is active as ``toyscope.bimt.feature_neurons`` defines
it, at threshold 0.1. Figure 3b holds in a seed iff neuron layer A2 of symbolic-b has exactly 3
active neurons whose best features (largest |r| over x1², x2², x3²) are distinct, each with
|r| >= 0.9. Figure 3c holds in a seed iff neuron layer A3 of symbolic-c has exactly 1 active
neuron with |r(h, I)| >= 0.9, I = (x1-x2)² + (x3-x4)². Correlations over the run's own test split
(drawn again from the run's config.toml: data seed and draw of its settings).
"""

from __future__ import annotations

import sys

import numpy as np
from safetensors.numpy import load_file

from toyscope import bimt, load_run, nets
from toyscope.studies import get_study
from toyscope.studies.bimt import data_seed, load_task, task_setup

CLAIMS = (("b", [3, 20, 20, 3], 2, 3), ("c", [4, 20, 20, 20, 20, 1], 3, 1))  # task, widths, layer, neurons


def _member(arrays, index: int, n_layers: int) -> dict:
    return {"layers": [{"weight": arrays[f"layer{i}.weight"][index], "bias": arrays[f"layer{i}.bias"][index]}
                       for i in range(n_layers)],
            "input_order": arrays["input_order"][index], "output_order": arrays["output_order"][index]}


def main(runs: str) -> None:
    for task, widths, layer, expected in CLAIMS:
        arrays = load_file(f"{runs}/sym-{task}/params.safetensors")
        config = get_study("bimt").config_class.resolve(load_run(f"{runs}/sym-{task}").config)
        x = load_task(config.task, n_train=config.n_train, n_test=config.n_test, seed=data_seed(config),
                      draw=task_setup(config).data_draw)["test"]["x"]
        features = x ** 2 if task == "b" else ((x[:, 0] - x[:, 1]) ** 2 + (x[:, 2] - x[:, 3]) ** 2)[:, None]
        spec = nets.layered_network(widths, "silu")
        n_seeds, holds = arrays["input_order"].shape[0], 0
        for seed in range(n_seeds):
            slots, r = bimt.feature_neurons(spec, _member(arrays, seed, len(widths) - 1), x, features, layer)
            best = np.nanargmax(np.abs(r), axis=1) if slots else np.array([], int)
            ok = (len(slots) == expected and len(set(best.tolist())) == len(slots)
                  and bool(np.all(np.abs(r[np.arange(len(slots)), best]) >= 0.9)))
            holds += ok
            cells = "; ".join(f"slot {s}: r = " + ", ".join(f"{v:+.2f}" for v in row) for s, row in zip(slots, r))
            print(f"symbolic-{task} seed {seed}: {len(slots)} active in A{layer}: {cells} -> {'holds' if ok else 'fails'}")
        print(f"symbolic-{task}: the claim holds in {holds} of {n_seeds} seeds")


if __name__ == "__main__":
    main(sys.argv[1])
