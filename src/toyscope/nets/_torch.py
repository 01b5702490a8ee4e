r"""PyTorch in and out: MLPs between ``torch.nn.Sequential`` and toyscope's ``(spec, params)``.

An ``nn.Sequential`` of ``nn.Linear`` layers, each followed by at most one supported activation
module, is an :class:`~toyscope.nets.MLP`. PyTorch's ``nn.Linear`` computes
:math:`y = x W^\top + b` with ``weight (d_out, d_in)``; toyscope computes :math:`y = x W + b` with
``weight (d_in, d_out)``, so every weight is transposed on the way (no other change: outputs agree
to float rounding).

Supported modules (:data:`TORCH_ACTIVATIONS`): ``nn.ReLU``, ``nn.Sigmoid``, ``nn.Tanh``,
``nn.Identity``, ``nn.SiLU``, ``nn.Softplus`` (``beta=1``), ``nn.GELU`` (``approximate="none"``
-> ``gelu``, ``"tanh"`` -> ``gelu_tanh``), and ``nn.Dropout`` in eval mode or with ``p=0``
(the identity). Anything else (``Conv2d``, ``LayerNorm``, ``Dropout`` in train mode, ...) is
refused in one line naming the layer and its position.

torch is optional (``pip install toyscope[torch]``): it is imported inside the functions that
need it. State dicts of numpy arrays (e.g. read from a PyTorch-named ``.safetensors``) need no
torch at all.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from . import _interface as interface
from ._mlp import MLP
from ._specs import parse_activations

# toyscope activation name -> (torch.nn class name, constructor keywords)
TORCH_ACTIVATIONS = {
    "linear": ("Identity", {}),
    "relu": ("ReLU", {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "silu": ("SiLU", {}),
    "softplus": ("Softplus", {}),
    "gelu": ("GELU", {"approximate": "none"}),
    "gelu_tanh": ("GELU", {"approximate": "tanh"}),
}
SUPPORTED = ("nn.Linear, each followed by at most one of nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.SiLU, "
             "nn.Softplus(beta=1), nn.GELU, nn.Dropout (eval mode or p=0)")


class TorchMissing(ImportError, ValueError):
    """torch is not installed (a ``ValueError`` too, so the CLI prints it in one line)."""


def import_torch():
    """``torch``, or a one-line :class:`TorchMissing` saying how to install it."""
    try:
        import torch
    except ImportError:
        raise TorchMissing("this needs PyTorch, which is not installed: pip install toyscope[torch]") from None
    return torch


def _numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def linear_layers(state: Mapping, *, where: str = "state dict", lead: int = 0) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """The ``nn.Linear`` layers of a PyTorch-named state dict, in its order:
    ``[(name, weight (..., d_out, d_in), bias (..., d_out) or None), ...]`` as numpy arrays.

    Args:
        state: ``{"0.weight": (d_out, d_in), "0.bias": (d_out,), "2.weight": ...}`` (torch tensors
            or arrays), in layer order.
        where: what to call it in errors.
        lead: leading axes on every tensor (1 for ``torch.func.stack_module_state``'s ``(E, ...)``).

    Raises:
        ValueError: one line naming the tensor: a name that is not ``<layer>.weight`` /
            ``<layer>.bias``, a weight that is not a matrix, a bias that does not fit its weight,
            layers whose widths do not chain.
    """
    layers: dict[str, dict[str, np.ndarray]] = {}
    for position, (name, value) in enumerate(state.items()):
        base, _, leaf = str(name).rpartition(".")
        array = _numpy(value)
        if leaf not in ("weight", "bias") or not base:
            raise ValueError(f"{where}: tensor {name!r} (position {position}, shape {array.shape}) is not an "
                             f"nn.Linear weight or bias; supported: {SUPPORTED}")
        layers.setdefault(base, {})[leaf] = array
    out = []
    for position, (base, leaves) in enumerate(layers.items()):
        weight, bias = leaves.get("weight"), leaves.get("bias")
        if weight is None or weight.ndim != 2 + lead:
            shape = None if weight is None else weight.shape
            raise ValueError(f"layer {base!r} (position {position}) of {where} has weight shape {shape}, not an "
                             f"nn.Linear matrix (d_out, d_in); supported: {SUPPORTED}")
        if bias is not None and bias.shape != weight.shape[:-1]:
            raise ValueError(f"{where}: tensor {base + '.bias'!r} has shape {bias.shape}, its weight "
                             f"{weight.shape} needs {weight.shape[:-1]}")
        if out and out[-1][1].shape[-2] != weight.shape[-1]:
            raise ValueError(f"{where}: layer {base!r} (position {position}) takes {weight.shape[-1]} inputs, the "
                             f"layer before it gives {out[-1][1].shape[-2]}")
        if out and out[-1][1].shape[:lead] != weight.shape[:lead]:
            raise ValueError(f"{where}: layer {base!r} has leading axes {weight.shape[:lead]}, the first layer "
                             f"{out[0][1].shape[:lead]}")
        out.append((base, weight, bias))
    if not out:
        raise ValueError(f"{where} holds no nn.Linear layer")
    return out


def _from_layers(layers, activations, where: str):
    widths = [layers[0][1].shape[-1], *(w.shape[-2] for _, w, _ in layers)]
    if activations is None:
        raise ValueError(f"{where} does not say its activations: pass activations= (one name per layer, e.g. "
                         f"{['relu'] * (len(layers) - 1) + ['linear']}, or 'relu' for the hidden layers)")
    acts = parse_activations(activations, len(layers))
    spec = MLP(tuple(int(w) for w in widths), acts, tuple(b is not None for _, _, b in layers))
    params = []
    for _, weight, bias in layers:
        layer = {"weight": np.ascontiguousarray(np.swapaxes(weight, -1, -2))}
        if bias is not None:
            layer["bias"] = np.array(bias)
        params.append(layer)
    return spec, params


def from_torch(obj, *, activations: str | Sequence[str] | None = None):
    """A PyTorch MLP as toyscope's ``(spec, params)``.

    Args:
        obj: one of
            * an ``nn.Sequential`` of ``nn.Linear`` and supported activation modules (see the
              module doc; nested ``nn.Sequential`` are flattened);
            * a list of such modules with one architecture: an ensemble (leading axis E);
            * a state dict ``{"0.weight": (d_out, d_in), "0.bias": ..., ...}`` (tensors or
              arrays, in layer order), with ``activations``;
            * the ``(params, buffers)`` of ``torch.func.stack_module_state`` (leading E; no
              buffers), with ``activations``.
        activations: for state dicts: one name per layer (``["relu", "linear"]``, or
            ``"tanh,sigmoid"``), or one name for the hidden layers (output linear). For modules
            it must agree with the modules if given.

    Returns:
        ``(spec, params)``: an :class:`~toyscope.nets.MLP` and numpy params (weights transposed
        to ``(d_in, d_out)``; leading E for an ensemble).

    Raises:
        ValueError: one line: an unsupported layer (naming it, its position and what is
            supported), a state dict without activations, tensors that are not linear layers.
        TorchMissing: a module passed and torch not installed.

    Example:
        >>> import torch
        >>> from toyscope import nets
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
        >>> spec, params = nets.from_torch(model)
        >>> spec.activations, params[0]["weight"].shape
        (('tanh', 'linear'), (2, 3))
    """
    if isinstance(obj, Mapping):
        return _from_layers(linear_layers(obj), activations, "the state dict")
    if isinstance(obj, tuple) and len(obj) == 2 and all(isinstance(o, Mapping) for o in obj):
        stacked, buffers = obj
        if buffers:
            raise ValueError(f"the stacked state has buffers ({', '.join(list(buffers)[:3])}): only nn.Linear "
                             f"layers are supported; supported: {SUPPORTED}")
        return _from_layers(linear_layers(stacked, where="the stacked state", lead=1), activations,
                            "the stacked state")
    if isinstance(obj, (list, tuple)):
        return _from_modules(list(obj), activations)
    return _from_modules([obj], activations, one=True)


def _flatten(torch, module):
    for child in module.children():
        if isinstance(child, torch.nn.Sequential):
            yield from _flatten(torch, child)
        else:
            yield child


def _activation_name(torch, module) -> str | None:
    """toyscope's name for a supported activation module, ``""`` for an identity, None otherwise."""
    nn = torch.nn
    if isinstance(module, nn.Identity) or (isinstance(module, nn.Dropout) and (not module.training or module.p == 0)):
        return ""
    if isinstance(module, nn.GELU):
        return "gelu_tanh" if module.approximate == "tanh" else "gelu"
    if isinstance(module, nn.Softplus):
        return "softplus" if module.beta == 1 else None
    for name in ("relu", "sigmoid", "tanh", "silu"):
        if type(module) is getattr(nn, TORCH_ACTIVATIONS[name][0]):
            return name
    return None


def _structure(torch, model):
    """``(linear modules, activation names)`` of an ``nn.Sequential`` (see :data:`SUPPORTED`)."""
    nn = torch.nn
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"from_torch takes an nn.Sequential, got {type(model).__name__}: put its layers in an "
                         "nn.Sequential, or pass its state_dict() with activations=")
    linears, acts = [], []
    for position, module in enumerate(_flatten(torch, model)):
        if isinstance(module, nn.Linear):
            linears.append(module)
            acts.append(None)
            continue
        name = _activation_name(torch, module)
        if name is None:
            mode = " in train mode" if isinstance(module, nn.Dropout) else ""
            raise ValueError(f"unsupported layer {type(module).__name__}{mode} at position {position}: supported: "
                             f"{SUPPORTED}")
        if not acts:
            raise ValueError(f"{type(module).__name__} at position {position} comes before the first nn.Linear: "
                             f"supported: {SUPPORTED}")
        if name:
            if acts[-1] is not None:
                raise ValueError(f"{type(module).__name__} at position {position} is a second activation after one "
                                 f"nn.Linear: supported: {SUPPORTED}")
            acts[-1] = name
    if not linears:
        raise ValueError(f"the nn.Sequential holds no nn.Linear; supported: {SUPPORTED}")
    return linears, tuple(a or "linear" for a in acts)


def _from_modules(models: list, activations, one: bool = False):
    """One ``nn.Sequential`` (``one``) or an ensemble of them with one architecture: each member's
    structure is checked, then each layer's weights are stacked in one torch call."""
    if not models:
        raise ValueError("from_torch got an empty list of modules")
    torch = import_torch()
    structures = [_structure(torch, model) for model in models]
    first, names = structures[0]
    shapes = [(tuple(m.weight.shape), m.bias is not None) for m in first]
    for index, (linears, other) in enumerate(structures[1:], start=1):
        if other != names or [(tuple(m.weight.shape), m.bias is not None) for m in linears] != shapes:
            raise ValueError(f"ensemble member {index} has another architecture than member 0: one architecture "
                             "needed")
    if activations is not None and tuple(parse_activations(activations, len(names))) != names:
        raise ValueError(f"activations={activations!r} disagree with the modules' {','.join(names)}")
    state = {}
    with torch.no_grad():
        for i in range(len(first)):
            weights = [linears[i].weight for linears, _ in structures]
            state[f"{i}.weight"] = weights[0] if one else torch.stack(weights)
            if shapes[i][1]:
                biases = [linears[i].bias for linears, _ in structures]
                state[f"{i}.bias"] = biases[0] if one else torch.stack(biases)
        layers = linear_layers(state, where="the nn.Sequential", lead=0 if one else 1)
    return _from_layers(layers, names, "the nn.Sequential")


def _sequential(torch, spec: MLP, device=None):
    nn = torch.nn
    modules = []
    for d_in, d_out, bias, name in zip(spec.widths[:-1], spec.widths[1:], spec.biases, spec.activations):
        modules.append(nn.Linear(d_in, d_out, bias=bias, device=device))
        if name not in TORCH_ACTIVATIONS:
            raise ValueError(f"activation {name!r} has no PyTorch module; to_torch supports "
                             f"{', '.join(TORCH_ACTIVATIONS)}")
        cls, kwargs = TORCH_ACTIVATIONS[name]
        modules.append(getattr(nn, cls)(**kwargs))
    return nn.Sequential(*modules)


def _state(torch, spec: MLP, params) -> dict:
    """``{"0.weight": (..., d_out, d_in), "0.bias": ..., "2.weight": ...}`` torch tensors."""
    state = {}
    for i, layer in enumerate(params):
        weight = np.asarray(layer["weight"])
        state[f"{2 * i}.weight"] = torch.from_numpy(np.array(np.swapaxes(weight, -1, -2), order="C"))
        if spec.biases[i]:
            state[f"{2 * i}.bias"] = torch.from_numpy(np.array(layer["bias"]))
    return state


def to_torch(spec, params, *, stacked: bool = False):
    """toyscope's MLP as PyTorch: ``nn.Sequential`` modules holding its weights.

    Layer ``l`` is ``nn.Linear`` at index ``2 l`` followed by its activation module at ``2 l + 1``
    (``nn.Identity`` for ``linear``), so state dict names are ``0.weight``, ``0.bias``,
    ``2.weight``, ...; weights are transposed to PyTorch's ``(d_out, d_in)``.

    Args:
        spec: an :class:`~toyscope.nets.MLP` (activations with a PyTorch module:
            :data:`TORCH_ACTIVATIONS`).
        params: one network, or an ensemble (leading E).
        stacked: for an ensemble, return ``(model, params, buffers)`` in the form of
            ``torch.func.stack_module_state`` (tensors with leading E, for
            ``torch.func.functional_call`` under ``torch.vmap``; ``model`` a template on the
            ``meta`` device) instead of one module per member.

    Returns:
        One ``nn.Sequential``; a list of E for an ensemble; or ``(model, params, buffers)``.

    Raises:
        ValueError: one line: a spec that is not an MLP, an activation PyTorch lacks, params with
            more than one leading axis, ``stacked`` for one network.
        TorchMissing: torch not installed.

    Example:
        >>> import jax, torch
        >>> from toyscope import nets
        >>> spec = nets.mlp([2, 3, 1], "sigmoid", "sigmoid")
        >>> model = nets.to_torch(spec, nets.init(spec, key=jax.random.key(0)))
        >>> model(torch.zeros(4, 2)).shape
        torch.Size([4, 1])
    """
    if not isinstance(spec, MLP):
        raise ValueError(f"to_torch takes an MLP spec (an nn.Sequential of nn.Linear), got {type(spec).__name__}")
    lead = interface.leading_axes(spec, params)
    if len(lead) > 1:
        raise ValueError(f"params have leading axes {lead}; to_torch takes one network or an ensemble (E,)")
    if stacked and not lead:
        raise ValueError("stacked=True needs an ensemble (params with a leading axis E); got one network")
    torch = import_torch()
    state = _state(torch, spec, params)
    if stacked:
        return _sequential(torch, spec, device="meta"), state, {}
    if not lead:
        model = _sequential(torch, spec, device="meta")
        model.load_state_dict(state, strict=True, assign=True)
        return model
    template = _sequential(torch, spec, device="meta")
    template.load_state_dict({k: v[0] for k, v in state.items()}, strict=True, assign=True)
    models = [template]
    fast = _fast_copy_works(torch, spec, template)
    for member in range(1, lead[0]):
        if fast:
            models.append(_fast_copy(torch, spec, {k: v[member] for k, v in state.items()}))
        else:
            model = _sequential(torch, spec, device="meta")
            model.load_state_dict({k: v[member] for k, v in state.items()}, strict=True, assign=True)
            models.append(model)
    return models


def _bare_linear(torch, weight, bias):
    """An ``nn.Linear`` holding ``weight`` / ``bias`` without its initialisation (which would draw
    weights only to overwrite them: most of the time of building E small modules)."""
    nn = torch.nn
    layer = nn.Linear.__new__(nn.Linear)
    nn.Module.__init__(layer)
    layer.in_features, layer.out_features = int(weight.shape[1]), int(weight.shape[0])
    layer.weight = nn.Parameter(weight)
    if bias is None:
        layer.register_parameter("bias", None)
    else:
        layer.bias = nn.Parameter(bias)
    return layer


def _fast_copy(torch, spec: MLP, state):
    """A new ``nn.Sequential`` of ``spec`` (as :func:`_sequential` builds it) holding ``state``."""
    modules = []
    for layer, name in enumerate(spec.activations):
        modules.append(_bare_linear(torch, state[f"{2 * layer}.weight"], state.get(f"{2 * layer}.bias")))
        cls, kwargs = TORCH_ACTIVATIONS[name]
        modules.append(getattr(torch.nn, cls)(**kwargs))
    return torch.nn.Sequential(*modules)


def _fast_copy_works(torch, spec: MLP, template) -> bool:
    """Whether :func:`_fast_copy` builds modules equal in every attribute to the normally built
    ``template`` under this torch version (else members are built the normal way)."""
    copy = _fast_copy(torch, spec, template.state_dict())
    for mine, theirs in zip(copy, template):
        if type(mine) is not type(theirs) or vars(mine).keys() != vars(theirs).keys() or repr(mine) != repr(theirs):
            return False
        if isinstance(mine, torch.nn.Linear) and (mine.in_features, mine.out_features) != (theirs.in_features,
                                                                                           theirs.out_features):
            return False
    return list(copy.state_dict()) == list(template.state_dict())


_ZIP = b"PK\x03\x04"


def load_torch_file(path) -> dict[str, np.ndarray]:
    """A PyTorch state dict file (``torch.save(model.state_dict(), path)``) as ``{name: array}``,
    read with ``torch.load(weights_only=True)``: tensors and plain containers only, nothing
    unpickled that could run code. A checkpoint dict with a ``state_dict`` /
    ``model_state_dict`` entry gives that entry.

    Raises:
        ValueError: one line: not a PyTorch file, a pickled object such as a whole module
            (unsafe to load; how to save a state dict instead), not a dict of tensors.
        TorchMissing: torch not installed.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(9)
    if head[:4] != _ZIP and head[:1] != b"\x80":
        hint = " (it looks like a safetensors file: name it .safetensors)" if head[8:9] == b"{" else ""
        raise ValueError(f"{path} is not a PyTorch file (its suffix {path.suffix} claims one){hint}: save weights "
                         "with torch.save(model.state_dict(), path)")
    torch = import_torch()
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"{path} holds a pickled object (e.g. a whole nn.Module), not a state dict: unsafe to load "
                         "(unpickling can run code); save one with torch.save(model.state_dict(), path)") from None
    except Exception as err:  # noqa: BLE001 - torch raises several types on corrupt files
        raise ValueError(f"{path} is not a readable PyTorch file ({type(err).__name__}: {str(err)[:120]})") from None
    if isinstance(state, Mapping):
        for key in ("state_dict", "model_state_dict"):
            if isinstance(state.get(key), Mapping):
                state = state[key]
                break
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path} is not a state dict of tensors: save one with torch.save(model.state_dict(), path)")
    return {str(k): v.detach().cpu().numpy() for k, v in state.items()}
