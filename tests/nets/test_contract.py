"""The network contract: every network type, with every activation it supports, under jit.

For each type the same verbs (``nets.init``, ``nets.apply``, ``nets.activations``,
``nets.param_shapes``, ``nets.named_tensors``) must give: the documented shapes, finite values,
an ensemble whose outputs equal a Python loop over its members, members drawn from the split
keys, and a lossless round trip through the named tensors.
"""

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets

N_EXAMPLES, N_MEMBERS = 5, 3


@dataclasses.dataclass(frozen=True)
class Case:
    spec: object
    x: object  # shared inputs
    extra: dict  # type-specific arguments of apply / activations (gates)
    out_shape: Callable  # output pytree -> the expected per-network output shapes


def _rng_x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _mlp(activation):
    spec = nets.mlp([3, 4, 5, 2], activation)
    return Case(spec, _rng_x(N_EXAMPLES, 3), {}, lambda: (N_EXAMPLES, 2))


def _mlp_one_layer(activation):
    spec = nets.mlp([2, 1], activation, activation, bias=False)
    return Case(spec, _rng_x(N_EXAMPLES, 2), {}, lambda: (N_EXAMPLES, 1))


def _layered_vectors(activation):
    spec = nets.layered_network([3, 6, 4], activation)
    return Case(spec, _rng_x(N_EXAMPLES, 3), {}, lambda: (N_EXAMPLES, 4))


def _layered_tokens(activation):
    spec = nets.layered_network([4, 6, 5], activation, n_tokens=2, vocab_size=5)
    tokens = np.random.default_rng(1).integers(0, 5, (N_EXAMPLES, 2))
    return Case(spec, tokens, {}, lambda: (N_EXAMPLES, 5))


def _transformer(activation):
    spec = nets.tiny_transformer(3, 2, d_model=8, n_layers=1, n_heads=2, d_mlp=6, activation=activation)
    return Case(spec, _rng_x(N_EXAMPLES, 4, 3), {}, lambda: (N_EXAMPLES, 4, 2))


def _gated(_activation):
    nodes = [("a", 3), ("b", 2), ("h", 4), ("k", 5), ("y", 2), ("z", 3)]
    edges = [("a", "h"), ("b", "h"), ("a", "k"), ("h", "k"), ("h", "y"), ("k", "y"), ("k", "z")]
    spec = nets.gated_linear_net(nodes, edges)
    rng = np.random.default_rng(2)
    x = {"a": _rng_x(N_EXAMPLES, 3), "b": rng.standard_normal((N_EXAMPLES, 2)).astype(np.float32)}
    gates = {"h": rng.integers(0, 2, N_EXAMPLES).astype(np.float32), "k->y": rng.random(N_EXAMPLES).astype(np.float32)}
    return Case(spec, x, {"gates": gates}, lambda: {"y": (N_EXAMPLES, 2), "z": (N_EXAMPLES, 3)})


def _xor_paths(_activation):
    x = {"x": np.array([[1, 1], [1, -1], [-1, 1], [-1, -1], [1, 1]], np.float32)}
    gates = {f"h{p}": (np.arange(N_EXAMPLES) % 4 == p).astype(np.float32) for p in range(4)}
    return Case(nets.xor_path_net(2), x, {"gates": gates}, lambda: {"y": (N_EXAMPLES, 1)})


# (type, activations it supports): every activation for the nonlinear types; the GDLNs are linear
BUILDERS = {"mlp": (_mlp, sorted(nets.ACTIVATIONS)), "mlp_one_layer": (_mlp_one_layer, ["sigmoid"]),
            "layered": (_layered_vectors, sorted(nets.ACTIVATIONS)),
            "layered_tokens": (_layered_tokens, ["relu", "silu"]),
            "transformer": (_transformer, sorted(nets.ACTIVATIONS)),
            "gated_linear": (_gated, ["linear"]), "xor_path_net": (_xor_paths, ["linear"])}
CASES = [pytest.param(kind, act, id=f"{kind}-{act}") for kind, (_, acts) in BUILDERS.items() for act in acts]


def _case(kind, activation) -> Case:
    return BUILDERS[kind][0](activation)


def _shapes(tree):
    return jax.tree_util.tree_map(lambda a: tuple(a.shape), tree)


def _assert_trees_close(a, b, **tolerance):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for left, right in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(left), np.asarray(right), **tolerance)


@pytest.mark.parametrize("kind, activation", CASES)
def test_every_network_type_keeps_the_contract_under_jit(kind, activation):
    case = _case(kind, activation)
    spec, key = case.spec, jax.random.key(3)
    one = nets.init(spec, key=key)
    ensemble = nets.init(spec, key=key, n_networks=N_MEMBERS)
    apply = jax.jit(lambda p, x: nets.apply(spec, p, x, **case.extra))
    acts = jax.jit(lambda p, x: nets.activations(spec, p, x, **case.extra))

    # shapes: the spec knows one network's leaf shapes; an ensemble adds E in front of each
    expected = nets.param_shapes(spec)
    assert _shapes(one) == _shapes(expected)
    assert _shapes(ensemble) == jax.tree_util.tree_map(lambda s: (N_MEMBERS, *s.shape), expected)
    assert not nets.is_ensemble(spec, one) and nets.ensemble_size(spec, one) is None
    assert nets.is_ensemble(spec, ensemble) and nets.ensemble_size(spec, ensemble) == N_MEMBERS

    out_one, out_all = apply(one, case.x), apply(ensemble, case.x)
    assert _shapes(out_one) == case.out_shape()
    assert _shapes(out_all) == jax.tree_util.tree_map(lambda s: (N_MEMBERS, *s), case.out_shape(),
                                                      is_leaf=lambda s: isinstance(s, tuple))
    acts_one, acts_all = acts(one, case.x), acts(ensemble, case.x)
    for tree in (out_one, out_all, acts_one, acts_all):
        assert all(np.isfinite(np.asarray(leaf)).all() for leaf in jax.tree_util.tree_leaves(tree))

    # ensemble = a Python loop over members; each member is init from its own split key
    keys = jax.random.split(key, N_MEMBERS)
    for e in range(N_MEMBERS):
        member = nets.ensemble_member(ensemble, e)
        _assert_trees_close(member, nets.init(spec, key=keys[e]), rtol=1e-6, atol=1e-7)
        _assert_trees_close(jax.tree_util.tree_map(lambda a: a[e], out_all), apply(member, case.x),
                            rtol=2e-5, atol=1e-6)
        _assert_trees_close(jax.tree_util.tree_map(lambda a: a[e], acts_all), acts(member, case.x),
                            rtol=2e-5, atol=1e-6)
    first, second = (jax.tree_util.tree_leaves(jax.tree_util.tree_map(lambda a: a[e], out_all))[0] for e in (0, 1))
    assert not np.allclose(first, second)  # members differ: no broadcast of one network

    # jit and eager agree
    _assert_trees_close(nets.apply(spec, ensemble, case.x, **case.extra), out_all, rtol=2e-5, atol=1e-6)

    # tensor naming for saving: one flat name per leaf, and back
    for params in (one, ensemble):
        named = nets.named_tensors(spec, params, prefix="final")
        assert len(named) == len(jax.tree_util.tree_leaves(params)) and all(k.startswith("final.") for k in named)
        back = nets.from_named_tensors(spec, {**named, "other.thing": np.zeros(1)}, prefix="final")
        assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(params)
        for a, b in zip(jax.tree_util.tree_leaves(back), jax.tree_util.tree_leaves(params)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_param_shapes_are_the_shapes_init_draws(kind):
    spec = _case(kind, BUILDERS[kind][1][0]).spec
    drawn = jax.eval_shape(lambda k: nets.init(spec, key=k), jax.random.key(0))
    assert jax.tree_util.tree_structure(drawn) == jax.tree_util.tree_structure(nets.param_shapes(spec))
    assert _shapes(drawn) == _shapes(nets.param_shapes(spec))
    assert len(nets.tensor_names(spec)) == len(set(nets.tensor_names(spec))) == len(jax.tree_util.tree_leaves(drawn))


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_params_that_do_not_fit_the_spec_are_refused(kind):
    spec = _case(kind, BUILDERS[kind][1][0]).spec
    params = jax.tree_util.tree_map(lambda a: jnp.stack([a, 2 * a]), nets.init(spec, key=jax.random.key(0)))
    leaves, treedef = jax.tree_util.tree_flatten(params)
    if len(leaves) > 1:
        with pytest.raises(ValueError, match="leading axes"):  # one leaf without the ensemble axis
            nets.is_ensemble(spec, jax.tree_util.tree_unflatten(treedef, [leaves[0][0], *leaves[1:]]))
    with pytest.raises(ValueError, match="arrays"):  # a leaf too many
        nets.is_ensemble(spec, [*leaves, leaves[0]])
    with pytest.raises(ValueError, match="has shape"):  # a trailing shape that is not the spec's
        nets.is_ensemble(spec, jax.tree_util.tree_unflatten(treedef, [leaves[0][..., :0], *leaves[1:]]))
    with pytest.raises(ValueError, match="one .E,."):  # snapshots (S, E, ...): pick one first
        nets.is_ensemble(spec, jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), params))
    assert nets.leading_axes(spec, jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), params)) == (2, 2)
