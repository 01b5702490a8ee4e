"""Benchmark ``torch-round-trip``: an ensemble of E PyTorch 2-3-1 sigmoid nets into toyscope and
back (:func:`toyscope.nets.from_torch` then :func:`toyscope.nets.to_torch`).

Two forms, each timed against a plain PyTorch baseline doing the same copying in the same run:

* ``torch-round-trip``: E ``nn.Sequential`` modules -> toyscope ensemble -> E modules; baseline:
  each module's ``state_dict()`` cloned into a new module (``load_state_dict(assign=True)``).
* ``torch-round-trip-stacked``: ``torch.func.stack_module_state`` state -> toyscope -> stacked
  state; baseline: cloning the stacked tensors.

Each record checks the result: ``max_abs_diff`` of the final modules' outputs against the
originals' on random inputs (0 when the weights came back bit for bit).
"""

from __future__ import annotations

import time

import numpy as np

from .. import nets


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_torch_round_trip(n_networks: int = 1_000, repeats: int = 3) -> list[dict]:
    """Seconds for PyTorch -> toyscope -> PyTorch on ``n_networks`` 2-3-1 sigmoid nets (target < 1 s).

    Raises:
        toyscope.nets.TorchMissing: torch is not installed.
    """
    try:
        import torch
    except ImportError:
        raise nets.TorchMissing("the torch-round-trip benchmark needs PyTorch: pip install toyscope[torch]") from None

    torch.manual_seed(0)
    models = [torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1), torch.nn.Sigmoid())
              for _ in range(n_networks)]
    template = torch.nn.Sequential(torch.nn.Linear(2, 3, device="meta"), torch.nn.Sigmoid(),
                                   torch.nn.Linear(3, 1, device="meta"), torch.nn.Sigmoid())

    def round_trip():
        spec, params = nets.from_torch(models)
        return nets.to_torch(spec, params)

    def plain_copy():
        out = []
        for model in models:
            fresh = torch.nn.Sequential(torch.nn.Linear(2, 3, device="meta"), torch.nn.Sigmoid(),
                                        torch.nn.Linear(3, 1, device="meta"), torch.nn.Sigmoid())
            fresh.load_state_dict({k: v.detach().clone() for k, v in model.state_dict().items()}, assign=True)
            out.append(fresh)
        return out

    stacked, buffers = torch.func.stack_module_state(models)

    def stacked_round_trip():
        spec, params = nets.from_torch((stacked, buffers), activations="sigmoid,sigmoid")
        return nets.to_torch(spec, params, stacked=True)

    def stacked_copy():
        return template, {k: v.detach().clone() for k, v in stacked.items()}, {}

    seconds, back = _best(round_trip, repeats)
    baseline, _ = _best(plain_copy, repeats)
    stacked_seconds, (_, state, _) = _best(stacked_round_trip, repeats)
    stacked_baseline, _ = _best(stacked_copy, repeats)

    x = torch.from_numpy(np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32))
    with torch.no_grad():
        before = torch.stack([m(x) for m in models])
        after = torch.stack([m(x) for m in back])
        after_stacked = torch.vmap(lambda p: torch.func.functional_call(template, (p, {}), (x,)))(state)
    shared = {"n_networks": n_networks, "architecture": "2-3-1 sigmoid", "target_s": 1.0}
    return [
        {"name": "torch-round-trip", "value": seconds, "unit": "s (modules -> toyscope -> modules)",
         "baseline": baseline, "baseline_name": "state_dict() clone into new modules", "ratio": baseline / seconds,
         "max_abs_diff": float((after - before).abs().max()), **shared},
        {"name": "torch-round-trip-stacked", "value": stacked_seconds,
         "unit": "s (stack_module_state -> toyscope -> stacked state)", "baseline": stacked_baseline,
         "baseline_name": "clone of the stacked tensors", "ratio": stacked_baseline / stacked_seconds,
         "max_abs_diff": float((after_stacked - before).abs().max()), **shared},
    ]
