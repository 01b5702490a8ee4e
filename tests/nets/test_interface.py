"""The shared verbs: dispatch, ensemble detection from the spec, tensor names, deprecated aliases."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets

GATED = nets.gated_linear_net([("a", 2), ("h", 3), ("y", 1)], [("a", "h"), ("h", "y")])
LAYERED = nets.layered_network([3, 4, 2], "tanh")
TOKENS = nets.layered_network([2, 4, 3], "relu", n_tokens=2, vocab_size=5)
TRANSFORMER = nets.tiny_transformer(2, 2, d_model=4, n_layers=1, d_mlp=4)
X_GATED = {"a": np.arange(8, dtype=np.float32).reshape(4, 2) / 8}
GATES = {"h": np.array([1, 0, 1, 1], np.float32)}
X_LAYERED = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
X_TOKENS = np.array([[0, 1], [4, 2], [3, 3]])
X_TRANSFORMER = np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 6, 2)


def _equal(a, b):
    assert jax.tree_util.tree_structure(a) == jax.tree_util.tree_structure(b)
    for left, right in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(left), np.asarray(right))


def _call_deprecated(fn, *args, **kwargs):
    with pytest.warns(DeprecationWarning, match="deprecated") as record:
        out = fn(*args, **kwargs)
    assert len(record) == 1 and "\n" not in str(record[0].message)  # one line
    return out


@pytest.mark.parametrize("old, spec, kwargs", [
    (nets.init_gated_linear, GATED, {"scale": 0.5}),
    (nets.init_gated_linear, GATED, {"scheme": "orthogonal", "n_networks": 3}),
    (nets.init_layered_network, LAYERED, {"n_networks": 2}),
    (nets.init_layered_network, TOKENS, {"embedding_scale": 0.3}),
    (nets.init_tiny_transformer, TRANSFORMER, {}),
    (nets.init_tiny_transformer, TRANSFORMER, {"n_networks": 2}),
], ids=["gated", "gated-ensemble", "layered-ensemble", "layered-tokens", "transformer", "transformer-ensemble"])
def test_deprecated_inits_warn_and_equal_init(old, spec, kwargs):
    _equal(_call_deprecated(old, spec, key=jax.random.key(4), **kwargs), nets.init(spec, key=jax.random.key(4), **kwargs))


@pytest.mark.parametrize("old_apply, old_activations, spec, x, extra", [
    (nets.apply_gated_linear, nets.gated_linear_activations, GATED, X_GATED, (GATES,)),
    (nets.layered_network_apply, nets.layered_network_activations, LAYERED, X_LAYERED, ()),
    (nets.layered_network_apply, nets.layered_network_activations, TOKENS, X_TOKENS, ()),
    (nets.tiny_transformer_apply, nets.tiny_transformer_activations, TRANSFORMER, X_TRANSFORMER, ()),
], ids=["gated", "layered", "layered-tokens", "transformer"])
def test_deprecated_apply_and_activations_warn_and_equal_the_verbs(old_apply, old_activations, spec, x, extra):
    params = nets.init(spec, key=jax.random.key(1))
    _equal(_call_deprecated(old_apply, spec, params, x, *extra), nets.apply(spec, params, x, *extra))
    _equal(_call_deprecated(old_activations, spec, params, x, *extra), nets.activations(spec, params, x, *extra))
    # inside the caller's vmap over members, as the studies use them
    ensemble = nets.init(spec, key=jax.random.key(1), n_networks=2)
    with pytest.warns(DeprecationWarning):
        looped = jax.vmap(lambda p: old_apply(spec, p, x, *extra))(ensemble)
    _equal(looped, jax.vmap(lambda p: nets.apply(spec, p, x, *extra))(ensemble))


def test_deprecated_active_path_apply_equals_apply_with_a_layout():
    spec = nets.pathway_net(2, 2, 3, 4, 2)
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    rng = np.random.default_rng(0)
    x = {f"in{i}": rng.standard_normal((6, 3)).astype(np.float32) for i in range(2)}
    gates = {f"in{i}": (np.arange(6) % 2 == i).astype(np.float32) for i in range(2)}
    gates.update({f"out{o}": (np.arange(6) % 3 == o).astype(np.float32) for o in range(2)})
    layout = nets.active_paths(spec, gates, 6)
    new = nets.apply(spec, params, x, gates, layout=layout)
    _equal(_call_deprecated(nets.apply_active_paths, spec, params, x, gates, layout), new)
    _equal(_call_deprecated(nets.apply_active_paths, spec, params, x, gates), new)  # builds the layout itself
    dense = nets.apply(spec, params, x, gates)
    for node in dense:
        np.testing.assert_allclose(new[node], dense[node], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="layout was built for 6"):
        nets.apply(spec, params, {k: v[:4] for k, v in x.items()}, {k: v[:4] for k, v in gates.items()}, layout=layout)


def test_one_argument_is_ensemble_keeps_the_mlp_rank_rule_and_warns():
    spec = nets.mlp([2, 3, 1])
    one, many = nets.init(spec, key=jax.random.key(0)), nets.init(spec, key=jax.random.key(0), n_networks=4)
    assert _call_deprecated(nets.is_ensemble, many) and not _call_deprecated(nets.is_ensemble, one)
    assert _call_deprecated(nets.ensemble_size, many) == 4 and _call_deprecated(nets.ensemble_size, one) is None


def test_ensemble_is_read_from_the_spec_not_the_rank():
    # a transformer leaf of one network can have rank 2 or 1; an MLP whose ensemble size equals
    # d_in is still told apart, because the spec knows one network's shapes
    spec = nets.mlp([3, 3, 3])
    square = nets.init(spec, key=jax.random.key(0), n_networks=3)
    assert nets.is_ensemble(spec, square) and not nets.is_ensemble(spec, nets.ensemble_member(square, 0))
    wide = nets.mlp([3, 3, 3, 3])  # the (E, 3, 3) weights of a 2-layer ensemble do not fit a 3-layer net
    with pytest.raises(ValueError, match="have 4 arrays.*has 6"):
        nets.is_ensemble(wide, square)
    params = nets.init(TRANSFORMER, key=jax.random.key(0))
    assert nets.leading_axes(TRANSFORMER, params) == ()
    assert nets.leading_axes(TRANSFORMER, jax.tree_util.tree_map(lambda a: a[None], params)) == (1,)


def test_a_spec_that_is_not_a_network_is_refused_by_every_verb():
    for verb in (lambda: nets.init("mlp", key=jax.random.key(0)), lambda: nets.apply((2, 3), {}, np.ones(2)),
                 lambda: nets.activations(None, {}, np.ones(2)), lambda: nets.param_shapes([2, 3])):
        with pytest.raises(TypeError, match="not a network spec"):
            verb()


@pytest.mark.parametrize("spec, names", [
    (nets.mlp([2, 3, 1], bias=[True, False]), ["layer0.bias", "layer0.weight", "layer1.weight"]),
    (LAYERED, ["input_order", "layer0.bias", "layer0.weight", "layer1.bias", "layer1.weight", "output_order"]),
    (TOKENS, ["embedding", "layer0.bias", "layer0.weight", "layer1.bias", "layer1.weight", "output_order"]),
    (GATED, ["a->h", "h->y"]),
    (TRANSFORMER, [f"blocks.0.{lin}.{p}" for lin in ("attn_out", "key", "mlp_in", "mlp_out", "query", "value") for p in ("bias", "weight")]
     + ["embed.bias", "embed.weight", "input_order", "output_order", "unembed.bias", "unembed.weight"]),
], ids=["mlp", "layered", "layered-tokens", "gated", "transformer"])
def test_tensor_names_are_the_names_the_studies_save(spec, names):
    """The names match what the studies wrote by hand (xor-basins / update-attribution
    ``layer{i}.weight``, bimt ``layer{i}.*`` + orders, neural-race edge names, the in-context
    study's tree paths), and each name holds the leaf it says."""
    params = nets.init(spec, key=jax.random.key(0), n_networks=2)
    named = nets.named_tensors(spec, params)
    assert sorted(named) == sorted(names)
    for name, value in named.items():
        parts = name.split(".")
        if isinstance(spec, nets.GatedLinearNet):
            leaf = params[name]
        elif parts[0].startswith("layer"):
            layers = params if isinstance(spec, nets.MLP) else params["layers"]
            leaf = layers[int(parts[0][len("layer"):])][parts[1]]
        else:
            leaf = params
            for part in parts:
                leaf = leaf[int(part)] if part.isdigit() else leaf[part]
        assert value is leaf


def test_from_named_tensors_names_what_is_missing():
    spec = nets.mlp([2, 3, 1])
    named = nets.named_tensors(spec, nets.init(spec, key=jax.random.key(0)), prefix="init")
    del named["init.layer1.bias"]
    with pytest.raises(ValueError, match=r"lack \['init.layer1.bias'\]"):
        nets.from_named_tensors(spec, named, prefix="init")
    with pytest.raises(ValueError, match="has shape"):
        nets.from_named_tensors(spec, {**named, "init.layer1.bias": np.zeros((2,))}, prefix="init")
    params = nets.from_named_tensors(spec, {**named, "init.layer1.bias": jnp.zeros((1,))}, prefix="init")
    assert params[1]["bias"].shape == (1,)
