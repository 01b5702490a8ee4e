r"""A plain PyTorch transcription of the BIMT authors' training loop (symbolic formulas), the
baseline of the ``bimt-symbolic-a-2000`` benchmark.

Written from the loop of the authors' notebook (KindXiaoming/BIMT ``symbolic_formulas_3.1``) as
plain PyTorch, not copied from it: an MLP whose neurons sit on a line per layer; per step the
training and test MSE, the connection cost :math:`\sum_{ij}|W_{ij}|(A|x_i - x_j| + g) + g\sum|b|`
times :math:`\lambda(t)`, backward and an Adam step; every ``swap_every`` steps, for every layer
of neurons, each of the ``top_k`` neurons with the largest summed |weights| is swapped with the
neuron of that layer whose swap gives the lowest connection cost (each candidate swap is made,
its cost computed, and unmade, as the authors do). The work per step and per swap round is the
authors'; only plotting and printing are left out. It runs on one thread (faster than several for
tensors this small). Needs ``torch`` (imported when called).
"""

from __future__ import annotations

import numpy as np


def torch_bimt_training(widths, x, y, x_test, y_test, *, n_steps: int, lambdas, lambda_steps, learning_rate: float,
                        extent: float = 2.0, layer_gap: float = 0.1, top_k: int = 6, swap_every: int = 200,
                        seed: int = 0) -> float:
    """Train one BIMT MLP (SiLU) the authors' way in PyTorch; returns the final training MSE.

    Args:
        widths: neurons per layer, e.g. ``(4, 20, 20, 2)``; x, y, x_test, y_test: ``(N, d)`` arrays.
        n_steps: steps; lambdas, lambda_steps: :math:`\\lambda` for each stretch of steps.
        learning_rate: Adam's; extent A, layer_gap g, top_k, swap_every: as in ``toyscope.bimt.BimtMethod``.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # these tensors are tiny: more threads only wait on each other (much slower on a busy host)
    try:
        return _train(torch, widths, x, y, x_test, y_test, n_steps, lambdas, lambda_steps, learning_rate, extent,
                      layer_gap, top_k, swap_every, seed)
    finally:
        torch.set_num_threads(threads)


def _train(torch, widths, x, y, x_test, y_test, n_steps, lambdas, lambda_steps, learning_rate, extent, layer_gap,
           top_k, swap_every, seed):
    torch.manual_seed(seed)
    layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
    coords = [torch.tensor(extent * (np.arange(n) + 0.5) / n, dtype=torch.float32) for n in widths]
    in_perm = torch.arange(widths[0])
    out_perm = torch.arange(widths[-1])
    x, y, x_test, y_test = (torch.tensor(np.asarray(a), dtype=torch.float32) for a in (x, y, x_test, y_test))
    optimizer = torch.optim.Adam(layers.parameters(), lr=learning_rate)
    act = torch.nn.SiLU()

    def forward(inputs):
        h = inputs[:, in_perm]
        for i, layer in enumerate(layers):
            h = layer(h)
            if i < len(layers) - 1:
                h = act(h)
        inverse = torch.empty_like(out_perm)
        inverse[out_perm] = torch.arange(len(out_perm))
        return h[:, inverse]

    def connection_cost():
        cost = 0.0
        for i, layer in enumerate(layers):
            distance = torch.abs(coords[i + 1][:, None] - coords[i][None, :])
            cost = cost + torch.sum(torch.abs(layer.weight) * (distance + layer_gap))
            cost = cost + layer_gap * torch.sum(torch.abs(layer.bias))
        return cost

    def swap(i, j, k):  # neurons j and k of neuron layer i
        nonlocal in_perm, out_perm
        with torch.no_grad():
            if i < len(layers):
                w = layers[i].weight
                w[:, [j, k]] = w[:, [k, j]]
            if i > 0:
                w, b = layers[i - 1].weight, layers[i - 1].bias
                w[[j, k]] = w[[k, j]]
                b[[j, k]] = b[[k, j]]
            if i == 0:
                in_perm = in_perm.clone()
                in_perm[[j, k]] = in_perm[[k, j]]
            if i == len(layers):
                out_perm = out_perm.clone()
                out_perm[[j, k]] = out_perm[[k, j]]

    def importance(i):
        with torch.no_grad():
            score = torch.zeros(widths[i])
            if i < len(layers):
                score = score + layers[i].weight.abs().sum(0)
            if i > 0:
                score = score + layers[i - 1].weight.abs().sum(1)
        return torch.argsort(score, descending=True)[:top_k]

    def relocate():
        for i in range(len(widths)):
            for j in importance(i).tolist():
                costs = []
                for k in range(widths[i]):
                    swap(i, j, k)
                    with torch.no_grad():
                        costs.append(connection_cost())
                    swap(i, j, k)
                swap(i, j, int(torch.argmin(torch.stack(costs))))

    bounds = np.cumsum(lambda_steps)
    for step in range(n_steps):
        lam = lambdas[min(int(np.searchsorted(bounds, step, side="right")), len(lambdas) - 1)]
        optimizer.zero_grad()
        loss = torch.mean((forward(x) - y) ** 2)
        torch.mean((forward(x_test) - y_test) ** 2)  # the test loss, every step as the authors do
        (loss + lam * connection_cost()).backward()
        optimizer.step()
        if (step + 1) % swap_every == 0:
            relocate()
    return float(loss.detach())
