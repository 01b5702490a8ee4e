r"""Network specs as versioned JSON-able dicts, and the architecture strings of the command line.

:func:`spec_to_dict` writes a spec (every network type) as a plain dict, the form stored in the
header of a toyscope ``.safetensors`` file; :func:`spec_from_dict` reads it back and refuses a
newer version or a field it does not know, in one line naming the field. Version 1::

    {"version": 1, "type": "mlp", "widths": [2, 3, 1], "activations": ["sigmoid", "sigmoid"],
     "biases": [true, true]}
    {"version": 1, "type": "layered_network", "widths": [...], "activations": [...], "biases": [...],
     "n_tokens": 0, "vocab_size": 0}                  # widths: the MLP's (n_tokens * d_0 first)
    {"version": 1, "type": "gated_linear_net", "nodes": [["x", 2], ...], "edges": [["x", "h0"], ...]}
    {"version": 1, "type": "tiny_transformer", "d_in": 2, "d_out": 2, "d_model": 32, "n_layers": 2,
     "n_heads": 1, "d_mlp": 128, "activation": "gelu"}

:func:`parse_architecture` turns ``"2-3-1"`` and ``activation="sigmoid"`` (or one name per layer,
``"tanh,sigmoid"``) into an :class:`~toyscope.nets.MLP`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._activations import ACTIVATIONS
from ._gated_linear import GatedLinearNet
from ._layered import LayeredNetwork
from ._mlp import MLP, mlp
from ._tiny_transformer import TinyTransformer

SPEC_VERSION = 1

_TRANSFORMER_FIELDS = ("d_in", "d_out", "d_model", "n_layers", "n_heads", "d_mlp", "activation")
_FIELDS = {
    "mlp": {"widths", "activations", "biases"},
    "layered_network": {"widths", "activations", "biases", "n_tokens", "vocab_size"},
    "gated_linear_net": {"nodes", "edges"},
    "tiny_transformer": set(_TRANSFORMER_FIELDS),
}


def spec_to_dict(spec) -> dict:
    """A network spec as a JSON-able dict with ``"version"`` and ``"type"`` (see the module doc).

    Raises:
        TypeError: ``spec`` is not a network spec.

    Example:
        >>> from toyscope import nets
        >>> nets.spec_to_dict(nets.mlp([2, 3, 1], "sigmoid", "sigmoid"))["activations"]
        ['sigmoid', 'sigmoid']
    """
    if isinstance(spec, MLP):
        body = {"type": "mlp", **_mlp_fields(spec)}
    elif isinstance(spec, LayeredNetwork):
        body = {"type": "layered_network", **_mlp_fields(spec.mlp), "n_tokens": spec.n_tokens,
                "vocab_size": spec.vocab_size}
    elif isinstance(spec, GatedLinearNet):
        body = {"type": "gated_linear_net", "nodes": [[n, w] for n, w in spec.nodes],
                "edges": [[s, t] for s, t in spec.edges]}
    elif isinstance(spec, TinyTransformer):
        body = {"type": "tiny_transformer", **{name: getattr(spec, name) for name in _TRANSFORMER_FIELDS}}
    else:
        raise TypeError(f"{type(spec).__name__} is not a network spec; expected one of "
                        "MLP, LayeredNetwork, GatedLinearNet, TinyTransformer")
    return {"version": SPEC_VERSION, **body}


def _mlp_fields(spec: MLP) -> dict:
    return {"widths": list(spec.widths), "activations": list(spec.activations), "biases": list(spec.biases)}



def check_format_version(version, newest: int, where: str, field: str) -> None:
    """Refuse (one-line ``ValueError``) a format ``version`` that is not an integer >= 1 or is newer
    than ``newest``, the newest this toyscope reads; ``where`` and ``field`` name it in the message.

    Example:
        >>> check_format_version(1, 1, "model.safetensors", "field 'version'")
        >>> check_format_version(2, 1, "f", "field 'version'")
        Traceback (most recent call last):
        ...
        ValueError: f: field 'version' is 2, newer than this toyscope reads (<= 1): upgrade toyscope
    """
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{where}: {field} must be an integer >= 1, got {version!r}")
    if version > newest:
        raise ValueError(f"{where}: {field} is {version}, newer than this toyscope reads (<= {newest}): upgrade toyscope")

def spec_from_dict(data: dict, *, where: str = "spec"):
    """Inverse of :func:`spec_to_dict`.

    Args:
        data: the dict (e.g. parsed from a file's header).
        where: what to call it in errors (e.g. ``"network 'final'"``).

    Raises:
        ValueError: one line naming the field: a version newer than this toyscope reads
            (:data:`SPEC_VERSION`), an unknown type, a missing or unknown field, or values the
            spec refuses.

    Example:
        >>> from toyscope import nets
        >>> spec = nets.xor_path_net(2)
        >>> nets.spec_from_dict(nets.spec_to_dict(spec)) == spec
        True
    """
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(data).__name__}")
    check_format_version(data.get("version"), SPEC_VERSION, where, "field 'version'")
    kind = data.get("type")
    if kind not in _FIELDS:
        raise ValueError(f"{where}: field 'type' is {kind!r}; valid: {', '.join(_FIELDS)}")
    fields = set(data) - {"version", "type"}
    missing, unknown = sorted(_FIELDS[kind] - fields), sorted(fields - _FIELDS[kind])
    if missing:
        raise ValueError(f"{where}: a {kind} spec needs field {missing[0]!r}")
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r} for a {kind} spec; valid: "
                         f"{', '.join(sorted(_FIELDS[kind]))}")
    try:
        if kind == "mlp":
            return _mlp_from(data)
        if kind == "layered_network":
            return LayeredNetwork(_mlp_from(data), int(data["n_tokens"]), int(data["vocab_size"]))
        if kind == "gated_linear_net":
            return GatedLinearNet(tuple((str(n), int(w)) for n, w in data["nodes"]),
                                  tuple((str(s), str(t)) for s, t in data["edges"]))
        return TinyTransformer(**{name: data[name] for name in _TRANSFORMER_FIELDS})
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: invalid {kind} spec: {err}") from None


def _mlp_from(data: dict) -> MLP:
    kinds = {"widths": (int, "integers"), "activations": (str, "names"), "biases": (bool, "true/false")}
    for name, (kind, what) in kinds.items():
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, kind) and (kind is bool or not isinstance(v, bool))
                                                  for v in value):
            raise ValueError(f"field {name!r} must be a list of {what}, got {value!r}")
    return MLP(tuple(data["widths"]), tuple(data["activations"]), tuple(data["biases"]))


def parse_activations(activation: str | Sequence[str], n_layers: int) -> tuple[str, ...]:
    """One activation name per layer from ``"relu"`` (the hidden layers; the output layer is
    ``"linear"``, as in :func:`toyscope.nets.mlp`) or from one name per layer (``"tanh,sigmoid"``
    or a list).

    Raises:
        ValueError: an unknown name, or a list of the wrong length.
    """
    names = [a.strip() for a in activation.split(",")] if isinstance(activation, str) else [str(a) for a in activation]
    for name in names:
        if name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")
    if len(names) == 1 and n_layers > 1 and isinstance(activation, str):
        return (names[0],) * (n_layers - 1) + ("linear",)
    if len(names) == 1 and n_layers == 1 and isinstance(activation, str):
        return (names[0],)
    if len(names) != n_layers:
        raise ValueError(f"{len(names)} activations {','.join(names)!r} for {n_layers} layers: give one name "
                         f"(the hidden layers; the output is linear) or {n_layers} comma-separated names")
    return tuple(names)


def parse_architecture(arch: str, activation: str | Sequence[str] = "relu", *, bias: bool = True) -> MLP:
    """An :class:`~toyscope.nets.MLP` from the command line's ``--arch`` and ``--activation``.

    ``arch`` is the widths joined by ``-`` (``"2-3-1"``: 2 inputs, 3 hidden units, 1 output).
    ``activation`` is one name for every hidden layer (the output layer is then linear, as in
    :func:`toyscope.nets.mlp`) or one name per layer, comma-separated (``"tanh,sigmoid"``) or a
    list; names from :data:`toyscope.nets.ACTIVATIONS`.

    Raises:
        ValueError: one line: widths that are not integers >= 1, fewer than two widths, an
            unknown activation or the wrong number of them.

    Example:
        >>> from toyscope import nets
        >>> nets.parse_architecture("2-3-1", "sigmoid,sigmoid")
        MLP(widths=(2, 3, 1), activations=('sigmoid', 'sigmoid'), biases=(True, True))
    """
    parts = str(arch).strip().split("-")
    try:
        widths = [int(p) for p in parts]
    except ValueError:
        widths = []
    if len(widths) < 2 or any(w < 1 for w in widths):
        raise ValueError(f"architecture {arch!r} is not widths joined by '-' (at least two integers >= 1, "
                         "e.g. '2-3-1')")
    return mlp(widths, parse_activations(activation, len(widths) - 1), bias=bias)
