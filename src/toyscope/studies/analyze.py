"""``toyscope analyze METHOD MODEL``: one library analysis of a model file, written as a run folder.

Each method is a small study (a config and ``run(config, ctx)``), so ``toyscope.runs`` writes its
folder exactly as for a paper's study: ``config.toml`` (the model path and every option),
``meta.json`` (versions and the model file's checksum), ``summary.json`` and ``report.html``.
The methods only compose library functions:

- ``gates``: :func:`toyscope.analysis.gate_labels` (every unit over all 2**n binary inputs, n <= 16);
- ``ablate``: :func:`toyscope.analysis.minimal_circuits` and
  :func:`~toyscope.analysis.count_minimal_circuits` (any depth, at most 12 hidden units);
- ``connectivity``: :func:`toyscope.analysis.network_modules` (the module report),
  :func:`~toyscope.analysis.modularity` and :func:`toyscope.viz.connectivity_figure`;
- ``hessian``: :func:`toyscope.analysis.hessian_spectrum` (dense up to
  :data:`~toyscope.analysis.DENSE_HESSIAN_LIMIT` parameters, Lanczos above);
- ``connect``: :func:`toyscope.analysis.mode_connection` (align B to A in every hidden layer,
  then the loss barrier).
"""

from __future__ import annotations

from typing import Literal

import jax
import numpy as np
from pydantic import Field

from .. import analysis, nets, tasks, viz
from ._analysis_inputs import (
    AnalysisConfig,
    as_mlp,
    default_loss,
    load_data,
    load_network,
    model_file,
    require_data,
)
from ._base import Figure, Section, Study, StudyResult, Table
from ._module_section import module_section

#: rows of a report table listing signatures or networks
TABLE_ROWS = 20


def _ensemble(spec, params):
    """Params with a leading ensemble axis (one network becomes E = 1)."""
    if nets.is_ensemble(spec, params):
        return params
    return jax.tree_util.tree_map(lambda a: np.asarray(a)[None], params)


def _member(spec, params, member: int):
    """ONE network: member ``member`` of an ensemble, or the network itself (member 0)."""
    size = nets.ensemble_size(spec, params) if nets.is_ensemble(spec, params) else None
    if size is None:
        if member != 0:
            raise ValueError(f"member={member}, but the model is one network (member 0)")
        return params
    if not 0 <= member < size:
        raise ValueError(f"member must be in 0..{size - 1} (the model holds {size} networks), got {member}")
    return nets.ensemble_member(params, member)


def _describe(spec) -> str:
    return "-".join(map(str, spec.widths)) + f" ({', '.join(dict.fromkeys(spec.activations))})"


def _loaded(config: AnalysisConfig, ctx, method: str):
    ctx.data_files({"model": str(model_file(config.model))})
    return load_network(config.model, arch=config.arch, activation=config.activation, network=config.network)


# --------------------------------------------------------------------------------------------
# gates


class GatesConfig(AnalysisConfig):
    """Options of ``toyscope analyze gates``."""


def run_gates(config: GatesConfig, ctx) -> StudyResult:
    spec, params = _loaded(config, ctx, "gates")
    spec, params = as_mlp(spec, params, "gates")
    labels = analysis.gate_labels(spec, params)
    n_networks, n = labels.signatures.shape[0], spec.widths[0]
    counts = labels.counts()
    consistent = analysis.fraction_true(labels.composition_consistent)
    summary = {"n_networks": n_networks, "widths": list(spec.widths), "n_inputs": n,
               "n_signatures": len(counts), "signature_counts": dict(list(counts.items())[:TABLE_ROWS]),
               "composition_consistent_fraction": consistent.fraction}
    rows = [[sig, c, analysis.format_fraction(c, n_networks)] for sig, c in list(counts.items())[:TABLE_ROWS]]
    unit_rows = []
    for layer, names in enumerate(labels.names):
        top = analysis.value_counts(names.reshape(-1))
        unit_rows.append([layer + 1, spec.widths[layer + 1], "; ".join(f"{k} ({v})" for k, v in list(top.items())[:8])])
    given = config.task or config.data
    unused = " (the --task/--data given is not used: gates read every binary input)" if given else ""
    text = (f"{n_networks} network(s) {_describe(spec)}{unused}. Every unit of every layer is on for an input when its "
            f"pre-activation is positive; its truth table over all {2**n} binary inputs is named by "
            "toyscope.analysis.boolean_function_name. A layer above the first is also read over the binary patterns "
            "of the layer below (don't-cares '-' where no input reaches a pattern). "
            f"{len(counts)} distinct circuit signature(s); composing the labelled gates reproduces every unit above "
            f"the first layer in {analysis.format_fraction(consistent.count, n_networks)} of networks.")
    section = Section("Gates", text, tables=[
        Table("signatures", ["signature (layer by layer)", "networks", "fraction [95% CI]"], rows,
              f"The {min(TABLE_ROWS, len(counts))} most common circuit signatures."),
        Table("unit_gates", ["layer", "units", "most common gates (units over all networks)"], unit_rows)])
    return StudyResult(summary=summary, sections=[section])


# --------------------------------------------------------------------------------------------
# ablate


class AblateConfig(AnalysisConfig):
    """Options of ``toyscope analyze ablate``."""

    target_units: int | None = Field(None, ge=1, description="size of the minimal sub-network sought "
                                                                "(default 2, or the number of hidden layers if more)")


def run_ablate(config: AblateConfig, ctx) -> StudyResult:
    spec, params = _loaded(config, ctx, "ablate")
    spec, params = as_mlp(spec, params, "ablate")
    params = _ensemble(spec, params)
    found = load_data(config.task, config.data, seed=config.seed)
    if found is None:
        if spec.widths[0] > analysis.MAX_GATE_INPUTS:
            raise ValueError(f"ablate without --task/--data uses all 2**n binary inputs, n <= "
                             f"{analysis.MAX_GATE_INPUTS}; the model has {spec.widths[0]}")
        x, y, source = tasks.binary_inputs(spec.widths[0]), None, f"all {2**spec.widths[0]} binary inputs"
    else:
        x, y, source = found.x, found.y, found.source
    target = config.target_units or max(2, spec.n_layers - 1)
    circuits = analysis.minimal_circuits(spec, params, x, target_units=target)
    n_networks = circuits.keeps_classification.shape[0]
    if y is None:
        solved = np.ones(n_networks, bool)
        solved_text = "every network (no targets given)"
    else:
        accuracy = analysis.classification_accuracy(spec, params, x, np.asarray(y).reshape(len(x), -1))
        solved = np.isclose(accuracy, 1.0)
        solved_text = f"the {int(solved.sum())} of {n_networks} networks at 100% accuracy on {source}"
    counts = analysis.count_minimal_circuits(circuits, solved)
    smallest = analysis.value_counts(circuits.smallest_kept.astype(int))
    summary = {"n_networks": n_networks, "widths": list(spec.widths), "target_units": target, "solved": counts.solved,
               "minimal": counts.minimal, "split": counts.split, "neither": counts.neither,
               "mean_removable": counts.mean_removable, "smallest_kept_counts": smallest,
               "duplicate_pairs_mean": float(circuits.duplicate_pairs.mean())}
    rows = [[f"contains a sub-network of {target} hidden units with the same classification",
             analysis.format_fraction(counts.minimal, counts.solved)],
            ["... only after merging two units with the same on/off pattern (split computation)",
             analysis.format_fraction(counts.split, counts.solved)],
            ["neither", analysis.format_fraction(counts.neither, counts.solved)],
            ["mean number of removable single units", "-" if counts.mean_removable is None
             else f"{counts.mean_removable:.2f}"]]
    sizes = [[size, count] for size, count in smallest.items()]
    text = (f"{n_networks} network(s) {_describe(spec)} on {source}. Every subset of hidden units (at least one "
            "per hidden layer) is kept, the others removed (their outgoing weights deleted), and the sub-network's "
            "output on/off (pre-activation > 0) compared with the whole network's on every input. Counted among "
            f"{solved_text}.")
    section = Section("Ablation", text, tables=[
        Table("minimal_circuits", ["", "fraction [95% CI]"], rows),
        Table("smallest_kept", ["fewest hidden units keeping the classification", "networks"], sizes)])
    return StudyResult(summary=summary, sections=[section])


# --------------------------------------------------------------------------------------------
# connectivity


class ConnectivityConfig(AnalysisConfig):
    """Options of ``toyscope analyze connectivity``."""

    threshold: float = Field(analysis.MODULE_THRESHOLD, gt=0, le=1,
                             description="active weights: |w| >= threshold x the largest |w|")
    member: int = Field(0, ge=0, description="which network of an ensemble")


def run_connectivity(config: ConnectivityConfig, ctx) -> StudyResult:
    spec, params = _loaded(config, ctx, "connectivity")
    one = _member(spec, params, config.member)
    if not isinstance(spec, (nets.MLP, nets.LayeredNetwork)):
        raise ValueError(f"connectivity works on MLPs and layered networks, got a {type(spec).__name__}")
    found = load_data(config.task, config.data, seed=config.seed)
    layered = spec if isinstance(spec, nets.LayeredNetwork) else nets.LayeredNetwork(spec)
    x = None
    names = {}
    if found is not None:
        names = {"input_names": found.input_names, "output_names": found.output_names}
        if not layered.n_tokens:
            x = np.asarray(found.x, np.float32)
    report = analysis.network_modules(spec, one, x, threshold=config.threshold, **names)
    layers = one["layers"] if isinstance(spec, nets.LayeredNetwork) else one
    q = analysis.modularity([np.asarray(layer["weight"]) for layer in layers])
    figure = viz.network_connectivity_figure(spec, one, title=f"member {config.member}", **names)
    summary = {"widths": list(layered.mlp.widths), "member": config.member, "modularity": q,
               "threshold": config.threshold, "n_modules": len(report.modules),
               "modules": [{"inputs": m.inputs, "outputs": m.outputs, "n_neurons": len(m.neurons)}
                           for m in report.modules],
               "max_leak": report.max_leak, "sensitivity": report.sensitivity_kind}
    graph = Section("Connectivity graph", (
        f"Member {config.member}, {_describe(layered.mlp)}. Newman modularity Q = {q:.3f} of the |w|-weighted neuron "
        "graph (networkx greedy_modularity_communities, resolution 1)."),
        [Figure("graph", figure, "Connectivity graph (blue positive, red negative, width ∝ |w|/max|w| per layer).")])
    return StudyResult(summary=summary, sections=[graph, module_section(report)])


# --------------------------------------------------------------------------------------------
# hessian


class HessianConfig(AnalysisConfig):
    """Options of ``toyscope analyze hessian``."""

    method: Literal["auto", "dense", "lanczos"] = Field("auto", description="dense spectrum, Lanczos ends, or auto")
    k: int = Field(analysis.LANCZOS_EIGENVALUES, ge=1, description="eigenvalues at each end (Lanczos)")
    loss: Literal["auto", "bce", "mse", "softmax_ce"] = "auto"
    member: int = Field(0, ge=0, description="which network of an ensemble")
    gradient_tol: float = Field(1e-4, gt=0, description="stationary when the gradient norm is at most this")


def run_hessian(config: HessianConfig, ctx) -> StudyResult:
    spec, params = _loaded(config, ctx, "hessian")
    spec, params = as_mlp(spec, params, "hessian")
    found = require_data(load_data(config.task, config.data, seed=config.seed), "hessian")
    loss = default_loss(spec, found.y) if config.loss == "auto" else config.loss
    one = _member(spec, params, config.member)
    theta = np.asarray(nets.flatten_params(jax.tree_util.tree_map(np.asarray, one)))
    loss_of_flat = analysis.flat_mlp_loss(spec, {"x": found.x, "y": found.y}, loss)
    spectrum = analysis.hessian_spectrum(loss_of_flat, theta, method=config.method, k=config.k,
                                         gradient_tol=config.gradient_tol)
    n_negative = int((spectrum.eigenvalues < 0).sum()) if spectrum.method == "dense" else None
    summary = {"widths": list(spec.widths), "member": config.member, "loss_name": loss, "method": spectrum.method,
               "n_params": spectrum.n_params, "loss": spectrum.loss, "gradient_norm": spectrum.gradient_norm,
               "stationary": spectrum.stationary, "top_eigenvalue": spectrum.top,
               "bottom_eigenvalue": spectrum.bottom, "eigenvalues": spectrum.eigenvalues.tolist()}
    if n_negative is not None:
        summary["n_negative"] = n_negative
    where = ("a stationary point" if spectrum.stationary else
             f"NOT a stationary point (gradient norm above {config.gradient_tol:g}): the spectrum is curvature, "
             "not evidence of a minimum or a saddle")
    how = ("all eigenvalues of the dense Hessian" if spectrum.method == "dense" else
           f"the {config.k} largest and smallest eigenvalues by Lanczos over Hessian-vector products")
    text = (f"Member {config.member}, {_describe(spec)}, {spectrum.n_params} parameters, {loss} loss on "
            f"{found.source}: L = {spectrum.loss:.4g}, gradient norm {spectrum.gradient_norm:.3g}, so this is {where}. "
            f"Spectrum: {how} (dense up to {analysis.DENSE_HESSIAN_LIMIT} parameters). Largest {spectrum.top:.4g}, "
            f"smallest {spectrum.bottom:.4g}" + (f", {n_negative} negative." if n_negative is not None else "."))
    shown = spectrum.eigenvalues if len(spectrum.eigenvalues) <= 2 * TABLE_ROWS else np.concatenate(
        [spectrum.eigenvalues[:TABLE_ROWS], spectrum.eigenvalues[-TABLE_ROWS:]])
    section = Section("Hessian spectrum", text, tables=[
        Table("eigenvalues", ["eigenvalue"], [[float(v)] for v in shown], "Ascending.")])
    return StudyResult(summary=summary, sections=[section])


# --------------------------------------------------------------------------------------------
# connect


class ConnectConfig(AnalysisConfig):
    """Options of ``toyscope analyze connect A B``."""

    model_b: str = Field(..., min_length=1, description="the second model (same architecture)")
    member: int = Field(0, ge=0, description="which network of A's ensemble")
    member_b: int = Field(0, ge=0, description="which network of B's ensemble")
    loss: Literal["auto", "bce", "mse", "softmax_ce"] = "auto"
    n_points: int = Field(25, ge=3, description="points on the straight path")


def run_connect(config: ConnectConfig, ctx) -> StudyResult:
    spec_a, params_a = _loaded(config, ctx, "connect")
    ctx.data_files({"model_b": str(model_file(config.model_b))})
    spec_b, params_b = load_network(config.model_b, arch=config.arch, activation=config.activation,
                                    network=config.network)
    spec_a, params_a = as_mlp(spec_a, params_a, "connect")
    spec_b, params_b = as_mlp(spec_b, params_b, "connect")
    if spec_a != spec_b:
        raise ValueError(f"connect needs two models of one architecture, got {_describe(spec_a)} and "
                         f"{_describe(spec_b)}")
    found = require_data(load_data(config.task, config.data, seed=config.seed), "connect")
    loss = default_loss(spec_a, found.y) if config.loss == "auto" else config.loss
    a, b = _member(spec_a, params_a, config.member), _member(spec_b, params_b, config.member_b)
    result = analysis.mode_connection(spec_a, a, b, {"x": found.x, "y": found.y}, loss=loss, n_points=config.n_points)
    summary = {"widths": list(spec_a.widths), "loss_name": loss, "loss_a": float(result.losses_raw[0]),
               "loss_b": float(result.losses_raw[-1]), "barrier_raw": result.barrier_raw,
               "barrier_aligned": result.barrier_aligned, "distance_raw": result.distance_raw,
               "distance_aligned": result.distance_aligned,
               "permutations": [p.tolist() for p in result.permutations]}
    text = (f"A = {config.model} (member {config.member}), B = {config.model_b} (member {config.member_b}), "
            f"{_describe(spec_a)}, {loss} loss on {found.source}. B's hidden units are permuted, layer by layer, to "
            "match A's (weight matching: the same function); then the loss is taken along the straight path. "
            f"Barrier (max of the loss above the chord): {result.barrier_raw:.4g} to B as given, "
            f"{result.barrier_aligned:.4g} to the aligned B; distance |A - B| {result.distance_raw:.4g} -> "
            f"{result.distance_aligned:.4g}.")
    rows = [[float(alpha), float(raw), float(aligned)]
            for alpha, raw, aligned in zip(result.alphas, result.losses_raw, result.losses_aligned)]
    section = Section("Linear mode connectivity", text, tables=[
        Table("path", ["alpha", "loss to B", "loss to aligned B"], rows, "alpha = 0 at A, 1 at B.")])
    return StudyResult(summary=summary, sections=[section])


STUDIES = {
    "gates": Study("analyze-gates", "logic-gate labels and circuit signatures of every unit (binary inputs, n <= 16)",
                   GatesConfig, run_gates),
    "ablate": Study("analyze-ablate", "unit removal, minimal sub-networks and the split-computation merge",
                    AblateConfig, run_ablate),
    "connectivity": Study("analyze-connectivity", "connectivity graph, modularity and the module report",
                          ConnectivityConfig, run_connectivity),
    "hessian": Study("analyze-hessian", "Hessian spectrum at the model, with a stationarity check",
                     HessianConfig, run_hessian),
    "connect": Study("analyze-connect", "permutation alignment of two models, then the loss barrier between them",
                     ConnectConfig, run_connect),
}
