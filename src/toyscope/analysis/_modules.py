r"""The module report: which inputs feed which outputs through which neurons, and the leak.

For ONE layered network (a chain of weight matrices :math:`W_1, \dots, W_L`, ``y = x @ W``):

* **active graph** at threshold :math:`\tau`: an edge :math:`(l-1, i) \to (l, j)` is active when
  :math:`|W_l[i, j]| \ge \tau \max_{l', i', j'} |W_{l'}[i', j']|` (relative to the largest
  weight of the network, so one threshold serves every scale);
* a neuron *takes part* when an active directed path runs from some input through it to some
  output; the **modules** are the connected components of the active graph restricted to those
  neurons (each has at least one input and one output);
* **sensitivity** :math:`S_{io}`: with data :math:`x_1..x_N`, the mean absolute Jacobian
  :math:`S_{io} = \frac1N \sum_n |\partial y_o / \partial x_i|(x_n)`; without, the path strength
  :math:`S = |W_1| |W_2| \cdots |W_L|` (the sum over paths of :math:`\prod |w|`, which bounds
  the Jacobian for 1-Lipschitz activations);
* the **leak** of output :math:`o` of module :math:`M` to an input :math:`i` outside :math:`M`:
  :math:`S_{io} / \operatorname{mean}_{j \in M} S_{jo}`, e.g. "y1 is 7.6% as sensitive to x2 as
  to its own inputs". A module's leak is its outputs' largest, the network's the largest of all.

Every study that reports modules calls :func:`module_report` (or :func:`network_modules` for a
spec and params); the BIMT study adds it to its report.

Reference: Liu, Gan & Tegmark, Entropy 26 (2024) 41, Section 3.1 (independence: "two parallel
modules, one only involving (x1, x3), the other only involving (x2, x4)").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .. import nets

#: default relative weight threshold of the module report
MODULE_THRESHOLD = 0.1
#: rows of data per Jacobian batch
_JACOBIAN_BATCH = 1024


@dataclasses.dataclass
class Module:
    """One module: its inputs and outputs (by name) and its hidden neurons ``(layer, slot)``
    (layer 1 .. L-1 of the neuron layers; slots of the weight matrices)."""

    inputs: list[str]
    outputs: list[str]
    neurons: list[tuple[int, int]]


@dataclasses.dataclass
class Leak:
    """Output ``output``'s strongest sensitivity to an input outside its module, relative to the
    mean over its own inputs (``ratio``; ``None`` when it has no module or no other inputs)."""

    output: str
    own_inputs: list[str]
    input: str | None
    ratio: float | None


@dataclasses.dataclass
class ModuleReport:
    """What :func:`module_report` finds (see the module docstring for the definitions).

    Attributes:
        threshold: the relative weight threshold :math:`\\tau`.
        modules: the modules, by their first output; names in ``order``.
        unused_inputs / unconnected_outputs: inputs and outputs in no module.
        sensitivity: ``(d_in, d_out)`` :math:`S`, rows and columns in slot order (as ``input_names``).
        sensitivity_kind: ``"jacobian"`` (from data) or ``"weights"`` (path strength).
        leaks: one :class:`Leak` per output, in ``order``.
        input_names / output_names: the names used, in slot order.
        order: every name in the order the report lists them.
    """

    threshold: float
    modules: list[Module]
    unused_inputs: list[str]
    unconnected_outputs: list[str]
    sensitivity: np.ndarray
    sensitivity_kind: str
    leaks: list[Leak]
    input_names: list[str]
    output_names: list[str]
    order: list[str]

    @property
    def max_leak(self) -> float | None:
        """The largest leak ratio of any output (``None`` when none is defined)."""
        ratios = [leak.ratio for leak in self.leaks if leak.ratio is not None]
        return max(ratios) if ratios else None

    def rows(self) -> list[list]:
        """One table row per module: ``[module, inputs, outputs, neurons per layer, leak]``."""
        out = []
        by_output = {leak.output: leak for leak in self.leaks}
        for index, module in enumerate(self.modules):
            layers: dict[int, int] = {}
            for layer, _ in module.neurons:
                layers[layer] = layers.get(layer, 0) + 1
            leaks = [by_output[o] for o in module.outputs if by_output[o].ratio is not None]
            worst = max(leaks, key=lambda leak: leak.ratio, default=None)
            out.append([index + 1, ", ".join(module.inputs), ", ".join(module.outputs),
                        " ".join(f"L{layer}:{count}" for layer, count in sorted(layers.items())) or "-",
                        "-" if worst is None else f"{100 * worst.ratio:.1f}% ({worst.output} <- {worst.input})"])
        return out

    def sensitivity_rows(self) -> list[list]:
        """One row per output (in ``order``): its sensitivity to each input (columns in ``order``),
        relative to its largest; ``[output, s_1, ..., s_n]``."""
        ins = sorted(range(len(self.input_names)), key=lambda i: self._rank(self.input_names[i]))
        outs = sorted(range(len(self.output_names)), key=lambda o: self._rank(self.output_names[o]))
        rows = []
        for o in outs:
            column = self.sensitivity[:, o]
            top = column.max()
            rows.append([self.output_names[o], *(float(column[i] / top) if top > 0 else 0.0 for i in ins)])
        return rows

    def sorted_inputs(self) -> list[str]:
        """The input names in ``order``."""
        return sorted(self.input_names, key=self._rank)

    def _rank(self, name: str) -> int:
        return self.order.index(name) if name in self.order else len(self.order)

    def sentences(self) -> list[str]:
        """The report in words: one sentence per module and one per leaking output."""
        kind = ("mean |dy/dx| over the data" if self.sensitivity_kind == "jacobian"
                else "path strength |W1|...|WL|")
        out = [f"{len(self.modules)} module(s) at threshold {self.threshold:g} x max|w|; sensitivity = {kind}."]
        for index, module in enumerate(self.modules):
            out.append(f"Module {index + 1}: {', '.join(module.inputs)} -> {', '.join(module.outputs)} through "
                       f"{len(module.neurons)} hidden neuron(s).")
        for leak in self.leaks:
            if leak.ratio is not None:
                out.append(f"{leak.output} is {100 * leak.ratio:.1f}% as sensitive to {leak.input} as to its own "
                           f"inputs ({', '.join(leak.own_inputs)}).")
        if self.unused_inputs:
            out.append(f"Unused inputs: {', '.join(self.unused_inputs)}.")
        if self.unconnected_outputs:
            out.append(f"Outputs without an active path: {', '.join(self.unconnected_outputs)}.")
        return out


def path_strength(weights: Sequence) -> np.ndarray:
    r""":math:`|W_1| |W_2| \cdots |W_L|`: ``(d_in, d_out)``, the summed :math:`\prod|w|` over every path."""
    out = np.abs(np.asarray(weights[0], float))
    for weight in weights[1:]:
        out = out @ np.abs(np.asarray(weight, float))
    return out


def input_sensitivity(function: Callable, x) -> np.ndarray:
    r"""Mean absolute Jacobian :math:`\frac1N\sum_n |\partial f_o(x_n) / \partial x_i|`: ``(d_in, d_out)``.

    Args:
        function: ONE network's map ``(d_in,) -> (d_out,)`` (JAX-traceable).
        x: ``(N, d_in)`` data.

    >>> import jax.numpy as jnp
    >>> input_sensitivity(lambda v: jnp.array([2 * v[0], v[0] * v[1]]), jnp.ones((3, 2))).tolist()
    [[2.0, 1.0], [0.0, 1.0]]
    """
    x = jnp.asarray(x)
    jac = jax.jit(jax.vmap(jax.jacrev(function)))
    total = np.zeros((x.shape[1], jax.eval_shape(function, x[0]).shape[0]))
    for start in range(0, len(x), _JACOBIAN_BATCH):
        total += np.abs(np.asarray(jac(x[start:start + _JACOBIAN_BATCH]), float)).sum(0).T
    return total / len(x)


def _checked_layers(weights, threshold: float, input_names, output_names, *, need_hidden: bool = False):
    """``(|W_l| as float arrays, input names, output names)`` after checking the threshold, that the
    matrices chain (``weights[l]`` is ``(n_l, n_{l+1})``) and the names' counts; one-line ValueErrors."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1] (a fraction of the largest |w|), got {threshold}")
    weights = [np.abs(np.asarray(w, float)) for w in weights]
    if need_hidden and (len(weights) < 2 or any(w.ndim != 2 for w in weights)):
        raise ValueError(f"weights must be two or more 2-D matrices (a hidden layer is needed), got {len(weights)}")
    if not weights or any(w.ndim != 2 for w in weights):
        raise ValueError("weights must be a non-empty list of 2-D matrices")
    for index in range(1, len(weights)):
        if weights[index].shape[0] != weights[index - 1].shape[1]:
            raise ValueError(f"weights[{index}] has {weights[index].shape[0]} rows, weights[{index - 1}] "
                             f"has {weights[index - 1].shape[1]} columns; they must match")
    d_in, d_out = weights[0].shape[0], weights[-1].shape[1]
    input_names = list(input_names) if input_names is not None else [f"x{i + 1}" for i in range(d_in)]
    output_names = list(output_names) if output_names is not None else [f"y{i + 1}" for i in range(d_out)]
    if len(input_names) != d_in or len(output_names) != d_out:
        raise ValueError(f"need {d_in} input and {d_out} output names, got {len(input_names)} and {len(output_names)}")
    return weights, input_names, output_names


def module_report(weights: Sequence, *, threshold: float = MODULE_THRESHOLD, sensitivity=None,
                  input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
                  order: Sequence[str] | None = None) -> ModuleReport:
    """The modules of ONE network's weight chain, with the leak between them.

    Args:
        weights: one ``(n_{l-1}, n_l)`` matrix per layer, in slot order.
        threshold: relative weight threshold in (0, 1].
        sensitivity: ``(d_in, d_out)`` (e.g. :func:`input_sensitivity`); default the path strength.
        input_names / output_names: names of the input and output slots (default ``x1..``, ``y1..``).
        order: every name in the order the report lists them (default: inputs then outputs as given,
            i.e. slot order).

    Returns:
        A :class:`ModuleReport`.

    Raises:
        ValueError: a threshold outside (0, 1], weights that do not chain, or names or a
            sensitivity of the wrong shape.

    >>> import numpy as np
    >>> w1 = np.array([[1.0, 0, 0], [0, 0, 1.0], [0.9, 0, 0]])  # x1, x3 -> h1 ; x2 -> h3
    >>> w2 = np.array([[1.0, 0.05], [0, 0], [0, 1.0]])           # h1 -> y1 ; h3 -> y2 (+ a weak h1 -> y2)
    >>> report = module_report([w1, w2])
    >>> [(m.inputs, m.outputs) for m in report.modules]
    [(['x1', 'x3'], ['y1']), (['x2'], ['y2'])]
    >>> round(report.max_leak, 3)  # y2 is 5% as sensitive to x1 as to x2
    0.05
    """
    weights, input_names, output_names = _checked_layers(weights, threshold, input_names, output_names)
    kind = "weights" if sensitivity is None else "jacobian"
    sensitivity = path_strength(weights) if sensitivity is None else np.asarray(sensitivity, float)
    shape = (weights[0].shape[0], weights[-1].shape[1])
    if sensitivity.shape != shape:
        raise ValueError(f"sensitivity must have shape {shape}, got {sensitivity.shape}")
    return _report(weights, threshold, sensitivity, kind, input_names, output_names, order)


def _active_graph(weights, threshold):
    """The active edges (``|w| >= threshold * max|w|``) per weight layer and, per neuron layer,
    which neurons take part (lie on an active path from an input to an output)."""
    largest = max(float(w.max()) for w in weights)
    active = [w >= threshold * largest if largest > 0 else np.zeros_like(w, bool) for w in weights]
    # forward reach from the inputs and backward reach from the outputs, layer by layer
    forward = [np.ones(weights[0].shape[0], bool)]
    for a in active:
        forward.append((forward[-1][:, None] & a).any(0))
    backward = [np.ones(weights[-1].shape[1], bool)]
    for a in reversed(active):
        backward.insert(0, (a & backward[0][None, :]).any(1))
    return active, [f & b for f, b in zip(forward, backward)]


def parallel_modules(weights: Sequence, *, threshold: float = MODULE_THRESHOLD,
                     input_names: Sequence[str] | None = None,
                     output_names: Sequence[str] | None = None) -> list[Module]:
    r"""The sub-circuits of ONE network that meet only at its outputs (BIMT Figure 2e: "two
    parallel modules").

    With the active graph and the neurons that take part as in :func:`module_report`, remove
    the output layer: the **parallel modules** are the connected components of what remains (the
    inputs and hidden neurons that take part, joined by the active weights of layers
    :math:`1 .. L-1`). Each lists its inputs, its hidden neurons and the outputs its last hidden
    neurons feed through active weights. For :math:`(y_1, y_2) = (x_1x_4 + x_2x_3, x_1x_4 - x_2x_3)`
    the paper's picture is two of them, :math:`\{x_1, x_4\}` and :math:`\{x_2, x_3\}`, each
    feeding both outputs; :func:`module_report` sees one module there (both outputs use all inputs).

    Args:
        weights: one ``(n_{l-1}, n_l)`` matrix per layer, in slot order (at least two layers).
        threshold: relative weight threshold in (0, 1].
        input_names / output_names: names of the input and output slots (default ``x1..``, ``y1..``).

    Returns:
        One :class:`Module` per component that holds an input, ordered by their first input's
        slot; inputs and outputs in slot order, neurons as ``(layer, slot)``.

    Raises:
        ValueError: a threshold outside (0, 1], fewer than two layers, weights that do not chain,
            or names of the wrong length.

    >>> import numpy as np
    >>> w1 = np.array([[1.0, 0], [0, 1.0], [0, 1.0], [1.0, 0]])  # x1, x4 -> h1 ; x2, x3 -> h2
    >>> w2 = np.array([[1.0, 1.0], [1.0, -1.0]])                # both hidden neurons feed y1 and y2
    >>> [(m.inputs, m.outputs) for m in parallel_modules([w1, w2])]
    [(['x1', 'x4'], ['y1', 'y2']), (['x2', 'x3'], ['y1', 'y2'])]
    """
    import networkx as nx  # imported where used: a lighter start

    weights, input_names, output_names = _checked_layers(weights, threshold, input_names, output_names,
                                                         need_hidden=True)
    active, alive = _active_graph(weights, threshold)
    n_layers = len(weights)
    graph = nx.Graph()
    for layer in range(n_layers):  # neuron layers 0 .. L-1: the outputs are left out
        graph.add_nodes_from((layer, int(s)) for s in np.flatnonzero(alive[layer]))
    for layer in range(n_layers - 1):
        rows, cols = np.nonzero(active[layer] & alive[layer][:, None] & alive[layer + 1][None, :])
        graph.add_edges_from(((layer, int(r)), (layer + 1, int(c))) for r, c in zip(rows, cols))
    last = active[-1] & alive[-2][:, None] & alive[-1][None, :]
    modules = []
    for component in nx.connected_components(graph):
        nodes = sorted(component)
        inputs = [s for layer, s in nodes if layer == 0]
        if not inputs:
            continue
        feeding = [s for layer, s in nodes if layer == n_layers - 1]
        outputs = np.flatnonzero(last[feeding].any(0)) if feeding else []
        modules.append(Module([input_names[s] for s in inputs], [output_names[int(o)] for o in outputs],
                              [(layer, s) for layer, s in nodes if layer > 0]))
    modules.sort(key=lambda m: input_names.index(m.inputs[0]))
    return modules


def _report(weights, threshold, sensitivity, kind, input_names, output_names, order) -> ModuleReport:
    import networkx as nx  # imported where used: a lighter start

    order = [*input_names, *output_names] if order is None else list(order)
    rank = {name: i for i, name in enumerate(order)}
    by_rank = lambda name: rank.get(name, len(rank))  # noqa: E731
    n_layers = len(weights)
    active, alive = _active_graph(weights, threshold)
    graph = nx.Graph()
    for layer, mask in enumerate(alive):
        graph.add_nodes_from((layer, int(s)) for s in np.flatnonzero(mask))
    for layer, a in enumerate(active):
        rows, cols = np.nonzero(a & alive[layer][:, None] & alive[layer + 1][None, :])
        graph.add_edges_from(((layer, int(r)), (layer + 1, int(c))) for r, c in zip(rows, cols))
    modules = []
    for component in nx.connected_components(graph):
        nodes = sorted(component)
        modules.append(Module(sorted((input_names[s] for layer, s in nodes if layer == 0), key=by_rank),
                              sorted((output_names[s] for layer, s in nodes if layer == n_layers), key=by_rank),
                              [(layer, s) for layer, s in nodes if 0 < layer < n_layers]))
    modules.sort(key=lambda m: by_rank(m.outputs[0]))
    leaks = []
    for o, name in enumerate(output_names):
        module = next((m for m in modules if name in m.outputs), None)
        if module is None:
            leaks.append(Leak(name, [], None, None))
            continue
        own = [input_names.index(i) for i in module.inputs]
        others = [i for i in range(len(input_names)) if i not in own]
        reference = float(sensitivity[own, o].mean())
        if not others or reference <= 0:
            leaks.append(Leak(name, module.inputs, None, None))
            continue
        worst = max(others, key=lambda i: sensitivity[i, o])
        leaks.append(Leak(name, module.inputs, input_names[worst], float(sensitivity[worst, o] / reference)))
    used = {i for m in modules for i in m.inputs}
    connected = {o for m in modules for o in m.outputs}
    leaks.sort(key=lambda leak: by_rank(leak.output))
    return ModuleReport(threshold, modules, sorted((i for i in input_names if i not in used), key=by_rank),
                        sorted((o for o in output_names if o not in connected), key=by_rank), sensitivity, kind, leaks,
                        input_names, output_names, order)


def network_modules(spec, params, x=None, *, threshold: float = MODULE_THRESHOLD,
                    input_names: Sequence[str] | None = None,
                    output_names: Sequence[str] | None = None) -> ModuleReport:
    """:func:`module_report` of ONE MLP or vector-input :class:`~toyscope.nets.LayeredNetwork`.

    A layered network's swapped slots are named by the input and output they hold
    (``input_order``, ``output_order``), so the report speaks of the task's variables. With
    ``x`` (``(N, d_in)`` data, in the task's input order) the sensitivity is the mean absolute
    Jacobian, else the path strength. A token network's inputs are its embedding positions
    (``t1.e1``, ...), with the path strength.

    Raises:
        ValueError: an ensemble (pass one member), or another network type.

    >>> import jax
    >>> from toyscope import nets
    >>> spec = nets.mlp([4, 8, 2], "silu")
    >>> report = network_modules(spec, nets.init(spec, key=jax.random.key(0)), threshold=0.5)
    >>> report.sensitivity.shape
    (4, 2)
    """
    if isinstance(spec, nets.LayeredNetwork):
        mlp, layers = spec.mlp, params["layers"]
    elif isinstance(spec, nets.MLP):
        mlp, layers = spec, params
    else:
        raise ValueError(f"module reports need an MLP or a layered network, got {type(spec).__name__}")
    if nets.is_ensemble(spec, params):
        raise ValueError("network_modules takes ONE network; pick a member with nets.ensemble_member")
    weights = [np.asarray(layer["weight"]) for layer in layers]
    d_in, d_out = mlp.widths[0], mlp.widths[-1]
    ins = list(input_names) if input_names is not None else [f"x{i + 1}" for i in range(d_in)]
    outs = list(output_names) if output_names is not None else [f"y{i + 1}" for i in range(d_out)]
    sensitivity = None
    order = [*ins, *outs]  # the task's variables in their own order, whatever slot holds them
    if isinstance(spec, nets.LayeredNetwork):
        outs_slot = [outs[int(o)] for o in np.asarray(params["output_order"])]
        if spec.n_tokens:
            d0 = spec.neuron_widths[0]
            ins_slot = [f"t{t + 1}.e{j + 1}" for t in range(spec.n_tokens) for j in range(d0)]
            x = None
        else:
            slots = np.asarray(params["input_order"]).astype(int)
            ins_slot = [ins[int(i)] for i in slots]
            if x is not None:
                x = np.asarray(x)[:, slots]
        outs = outs_slot
        ins = ins_slot
    if x is not None:
        layers_j = jax.tree_util.tree_map(jnp.asarray, layers)
        sensitivity = input_sensitivity(lambda v: nets.apply(mlp, layers_j, v), np.asarray(x, np.float32))
    return module_report(weights, threshold=threshold, sensitivity=sensitivity, input_names=ins, output_names=outs,
                         order=order)
