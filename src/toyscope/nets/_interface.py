r"""The verbs every network type offers, dispatched on the type of its static spec.

A network is a static, hashable *spec* (:class:`~toyscope.nets.MLP`,
:class:`~toyscope.nets.LayeredNetwork`, :class:`~toyscope.nets.GatedLinearNet`,
:class:`~toyscope.nets.TinyTransformer`) and a pytree of parameters. Every type answers the
same verbs, here, by :func:`functools.singledispatch` on the spec:

=========================================  =============================================================
``init(spec, *, key, n_networks=None)``    one network, or E from independent keys (leading axis E)
``apply(spec, params, x, ...)``            the outputs, for one network or an ensemble
``activations(spec, params, x, ...)``      the hidden activations (a pytree; leading E for an ensemble)
``param_shapes(spec)``                     the shape of every leaf of ONE network's params
``tensor_names(spec)``                     one name per leaf, for saving (``named_tensors``)
=========================================  =============================================================

Each type registers its implementations in its own module; type-specific extras (gated-linear
``gates`` and an active-path ``layout``, the MLP init schemes) are extra arguments of the same
verbs. Whether ``params`` is an ensemble is read from the spec: a leaf of ONE network has exactly
the shape :func:`param_shapes` gives, an ensemble's leaf has one more leading axis E (the same E
on every leaf). No rank is guessed.
"""

from __future__ import annotations

import functools
import warnings

import jax
import numpy as np


def _no_network(verb: str, spec) -> TypeError:
    return TypeError(f"{verb}: {type(spec).__name__} is not a network spec; expected one of "
                     f"MLP, LayeredNetwork, GatedLinearNet, TinyTransformer")


@functools.singledispatch
def init(spec, *, key, n_networks: int | None = None, **options):
    """Initialise one network, or an ensemble of ``n_networks`` drawn from independent keys.

    Args:
        spec: the network.
        key: a PRNG key (keyword-only).
        n_networks: ``None`` for one network; E >= 1 for an ensemble (leading axis E on every leaf).
        **options: the type's init options (MLP: ``scheme``, ``scale``, ``gain``, ``bias_scheme``,
            ``dtype``; gated linear: ``scheme``, ``scale``, ``dtype``; layered: ``scheme``,
            ``embedding_scale``; tiny transformer: none).

    Returns:
        The params pytree; each leaf has the shape :func:`param_shapes` gives, or leading E.

    Example:
        >>> import jax
        >>> from toyscope import nets
        >>> params = nets.init(nets.mlp([2, 3, 1]), key=jax.random.key(0), n_networks=4)
        >>> params[0]["weight"].shape
        (4, 2, 3)
    """
    raise _no_network("init", spec)


@functools.singledispatch
def apply(spec, params, x, *args, **options):
    """The network's outputs for inputs ``x``, for one network or an ensemble (leading E).

    Inputs are shared by all ensemble members. Per type: MLP ``x (..., d_in) -> (E?, ..., d_out)``;
    layered ``x (..., d_0)`` floats or ``(..., n_tokens)`` tokens ``-> (E?, ..., d_L)`` in the
    original output order; gated linear ``x {input: (..., d)}``, optional ``gates`` and
    ``layout`` ``-> {output: (E?, ..., d)}``; tiny transformer ``x (..., T, d_in) -> (E?, ..., T, d_out)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from toyscope import nets
        >>> spec = nets.mlp([2, 3, 1])
        >>> nets.apply(spec, nets.init(spec, key=jax.random.key(0)), jnp.ones((5, 2))).shape
        (5, 1)
    """
    raise _no_network("apply", spec)


@functools.singledispatch
def activations(spec, params, x, *args, **options):
    """Every layer's activations (a pytree of arrays, leading E for an ensemble).

    Per type: MLP ``(pre, post)``, two lists with one array per layer; layered the list
    ``[input, h_1, ..., h_L]`` of post-activations in slot order; gated linear ``{node: h_v}``
    (optional ``gates``); tiny transformer ``{"input", "res0", "attn1", ..., "output"}``.
    """
    raise _no_network("activations", spec)


@functools.singledispatch
def param_shapes(spec):
    """The shape of every leaf of ONE network's params: the params pytree with each leaf
    replaced by its shape tuple (wrapped as :class:`jax.ShapeDtypeStruct` of float32, so the
    tree has the params' structure).

    Example:
        >>> from toyscope import nets
        >>> [{k: v.shape for k, v in layer.items()} for layer in nets.param_shapes(nets.mlp([2, 3, 1]))]
        [{'weight': (2, 3), 'bias': (3,)}, {'weight': (3, 1), 'bias': (1,)}]
    """
    raise _no_network("param_shapes", spec)


@functools.singledispatch
def tensor_names(spec) -> tuple[str, ...]:
    """One name per params leaf, in :func:`jax.tree_util.tree_leaves` order of :func:`param_shapes`.

    Default: the leaf's path in the pytree joined by ``"."`` (``blocks.0.query.weight``); MLP
    layers are named ``layer{i}.weight`` / ``layer{i}.bias``.
    """
    return tuple(_path_name(path) for path, _ in jax.tree_util.tree_leaves_with_path(param_shapes(spec)))


def _path_name(path) -> str:
    return ".".join(str(getattr(k, "key", getattr(k, "idx", k))) for k in path)


@functools.lru_cache(maxsize=256)
def _leaf_layout(spec) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]:
    """``(leaf shapes, leaf names)`` of ONE network, in leaf order (cached: specs are hashable)."""
    shapes = tuple(tuple(leaf.shape) for leaf in jax.tree_util.tree_leaves(param_shapes(spec)))
    return shapes, tuple(tensor_names(spec))


def leading_axes(spec, params) -> tuple[int, ...]:
    """The leading axes ``params`` carries in front of ONE network's leaf shapes: ``()`` for one
    network, ``(E,)`` for an ensemble, ``(S, E)`` for stacked snapshots of an ensemble.

    Raises:
        ValueError: ``params`` has another number of leaves than the spec, a leaf whose trailing
            shape is not the spec's, or leaves with different leading axes.
    """
    leaves = jax.tree_util.tree_leaves(params)
    try:
        shapes = tuple([leaf.shape for leaf in leaves])
    except AttributeError:
        shapes = tuple(np.shape(leaf) for leaf in leaves)
    return _leading_axes(spec, shapes)


@functools.lru_cache(maxsize=1024)
def _leading_axes(spec, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    """:func:`leading_axes` from the leaf shapes (cached: every apply asks again with the same shapes)."""
    want, names = _leaf_layout(spec)
    if len(shapes) != len(want):
        raise ValueError(f"params have {len(shapes)} arrays, a {type(spec).__name__} of this spec has {len(want)}")
    lead = None
    for name, expected, shape in zip(names, want, shapes):
        shape = tuple(shape)
        n_lead = len(shape) - len(expected)
        if n_lead < 0 or shape[n_lead:] != expected:
            raise ValueError(f"params leaf {name!r} has shape {shape}, expected {_with_lead(expected)}")
        if lead is None:
            lead = shape[:n_lead]
        elif shape[:n_lead] != lead:
            raise ValueError(f"params leaf {name!r} has leading axes {shape[:n_lead]}, other leaves {lead}: "
                             "every leaf needs the same ensemble axis")
    return lead or ()


def _with_lead(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(["E?", *map(str, shape)]) + ")"


_LEGACY = object()


def is_ensemble(spec, params=_LEGACY) -> bool:
    """Whether ``params`` is an ensemble of the network ``spec`` (one leading axis E on every leaf).

    Decided from the spec's own per-network leaf shapes (:func:`param_shapes`), not a rank guess.
    The old one-argument form ``is_ensemble(params)`` (MLP params, weight rank 3) still works
    and is deprecated.

    Raises:
        ValueError: params that do not fit the spec (see :func:`leading_axes`), or more than one
            leading axis (take a member with :func:`ensemble_member` first).

    Example:
        >>> import jax
        >>> from toyscope import nets
        >>> spec = nets.tiny_transformer(d_model=8, n_layers=1)
        >>> nets.is_ensemble(spec, nets.init(spec, key=jax.random.key(0), n_networks=3))
        True
    """
    if params is _LEGACY:
        warnings.warn("is_ensemble(params) is deprecated; use is_ensemble(spec, params)", DeprecationWarning,
                      stacklevel=2)
        return spec[0]["weight"].ndim == 3
    lead = leading_axes(spec, params)
    if len(lead) > 1:
        raise ValueError(f"params have leading axes {lead}; an ensemble has one (E,): index the others first")
    return len(lead) == 1


def ensemble_size(spec, params=_LEGACY) -> int | None:
    """The ensemble size E of ``params``, or ``None`` for one network (see :func:`is_ensemble`;
    the one-argument form ``ensemble_size(params)`` for MLP params is deprecated)."""
    if params is _LEGACY:
        warnings.warn("ensemble_size(params) is deprecated; use ensemble_size(spec, params)", DeprecationWarning,
                      stacklevel=2)
        return spec[0]["weight"].shape[0] if spec[0]["weight"].ndim == 3 else None
    if not is_ensemble(spec, params):
        return None
    return leading_axes(spec, params)[0]


def ensemble_member(tree, index):
    """Member ``index`` of an ensemble pytree of any network type: ``leaf[index]`` on every leaf.

    ``index`` may be a tuple for several leading axes, e.g. ``(snapshot, member)`` of training
    snapshots shaped ``(S, E, ...)``. Leaves keep their array type (numpy stays numpy).
    """
    return jax.tree_util.tree_map(lambda leaf: leaf[index], tree)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def named_tensors(spec, params, prefix: str = "") -> dict:
    """The params as a flat ``{name: array}`` dict, for saving (e.g. ``params.safetensors``).

    Names come from :func:`tensor_names`, preceded by ``prefix + "."`` when ``prefix`` is given:
    MLP ``layer0.weight``, ``layer0.bias``, ...; layered network ``layer{i}.weight``,
    ``embedding`` or ``input_order``, ``output_order``; gated linear the edge names ``s->t``;
    tiny transformer ``embed.weight``, ``blocks.0.query.bias``, ..., ``input_order``. Arrays keep
    their leading ensemble axes and array type. :func:`from_named_tensors` inverts it.

    Raises:
        ValueError: params that do not fit the spec (see :func:`leading_axes`).

    Example:
        >>> import jax
        >>> from toyscope import nets
        >>> spec = nets.mlp([2, 3, 1])
        >>> sorted(nets.named_tensors(spec, nets.init(spec, key=jax.random.key(0)), prefix="final"))
        ['final.layer0.bias', 'final.layer0.weight', 'final.layer1.bias', 'final.layer1.weight']
    """
    leading_axes(spec, params)  # validates
    return {_join(prefix, name): leaf for name, leaf in zip(tensor_names(spec), jax.tree_util.tree_leaves(params))}


def from_named_tensors(spec, tensors, prefix: str = ""):
    """Inverse of :func:`named_tensors`: the params pytree of ``spec`` from ``{name: array}``.

    Reads the names ``prefix.<tensor name>`` and ignores every other entry (a file may hold
    several networks under different prefixes).

    Raises:
        ValueError: a tensor missing, or shapes that do not fit the spec (see :func:`leading_axes`).
    """
    names = [_join(prefix, name) for name in tensor_names(spec)]
    missing = [name for name in names if name not in tensors]
    if missing:
        raise ValueError(f"tensors lack {missing} (prefix {prefix!r})")
    params = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(param_shapes(spec)),
                                          [tensors[name] for name in names])
    leading_axes(spec, params)  # validates the shapes
    return params
