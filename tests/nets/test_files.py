"""Self-describing weight files: every network type, one network or an ensemble, round-trips bit
for bit through nets.save / nets.load with equal outputs; bad headers are refused in one line;
files without a spec (older toyscope, PyTorch names) load with the caller's or an inferred spec."""

import json
import warnings

import jax
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file
from safetensors.numpy import save as save_bytes

from toyscope import nets

RNG = np.random.default_rng(0)


def _x(spec):
    """Inputs of 5 examples for each network type (independent of the code under test)."""
    if isinstance(spec, nets.MLP):
        return RNG.standard_normal((5, spec.widths[0])).astype(np.float32)
    if isinstance(spec, nets.LayeredNetwork):
        if spec.n_tokens:
            return RNG.integers(0, spec.vocab_size, (5, spec.n_tokens))
        return RNG.standard_normal((5, spec.neuron_widths[0])).astype(np.float32)
    if isinstance(spec, nets.GatedLinearNet):
        return {name: RNG.standard_normal((5, spec.widths[name])).astype(np.float32) for name in spec.input_nodes}
    return RNG.standard_normal((5, 4, spec.d_in)).astype(np.float32)


def _params(spec, n_networks=None, seed=0):
    """Random params of ``spec`` drawn with numpy (no compile: the files do not care how params were
    made); orders are permutations, as swaps leave them."""
    rng = np.random.default_rng(seed)
    lead = () if n_networks is None else (n_networks,)

    def draw(path, leaf):
        name = str(getattr(path[-1], "key", ""))
        if name.endswith("order"):
            return np.stack([rng.permutation(leaf.shape[0]) for _ in range(n_networks or 1)]).reshape(
                *lead, *leaf.shape).astype(np.float32)
        return rng.standard_normal((*lead, *leaf.shape)).astype(np.float32)

    return jax.tree_util.tree_map_with_path(draw, nets.param_shapes(spec))


SPECS = [
    nets.mlp([2, 3, 1], "sigmoid", "sigmoid"),
    nets.mlp([3, 5, 4, 2], ["relu", "gelu_tanh", "erf"], bias=[True, False, True]),
    nets.layered_network([4, 6, 2], "silu"),
    nets.layered_network([4, 6, 5], "tanh", n_tokens=2, vocab_size=5),
    nets.xor_path_net(3),
    nets.pathway_net(2, 2, 3, 4, 2, group_size=1),
    nets.tiny_transformer(3, 2, d_model=4, n_layers=1, n_heads=2, d_mlp=3, activation="relu"),
]
IDS = ["mlp", "mlp-mixed", "layered", "layered-tokens", "xor-path", "pathway", "transformer"]


@pytest.mark.parametrize("n_networks", [None, 3], ids=["one", "ensemble"])
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_save_load_round_trips_bit_for_bit_with_equal_outputs(tmp_path, spec, n_networks):
    params = _params(spec, n_networks)
    path = tmp_path / "net.safetensors"
    nets.save(path, spec, params, names={"inputs": ["a", "b"], "outputs": ["y"]})
    loaded_spec, loaded = nets.load(path)
    assert loaded_spec == spec
    before, after = jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(loaded)
    assert jax.tree_util.tree_structure(params) == jax.tree_util.tree_structure(loaded)
    for a, b in zip(before, after):
        assert np.asarray(a).dtype == b.dtype and np.asarray(a).tobytes() == b.tobytes()
    x = _x(spec)
    for a, b in zip(jax.tree_util.tree_leaves(nets.apply(spec, params, x)),
                    jax.tree_util.tree_leaves(nets.apply(loaded_spec, loaded, x))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the header says what the file holds, with a doc for every tensor
    header = nets.read_networks(_metadata(path))
    assert header[""]["leading_axes"] == ([] if n_networks is None else [3])
    assert header[""]["inputs"] == ["a", "b"] and header[""]["outputs"] == ["y"]
    docs = {k[4:]: v for k, v in _metadata(path).items() if k.startswith("doc.")}
    assert set(docs) == set(load_file(str(path)))


def _metadata(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as handle:
        return handle.metadata()


def test_docs_name_the_axes_and_the_callers_docs_win(tmp_path):
    spec = nets.mlp([2, 3, 1])
    path = tmp_path / "net.safetensors"
    nets.save(path, spec, _params(spec, 4), docs={"layer1.bias": "mine"})
    meta = _metadata(path)
    assert meta["doc.layer1.bias"] == "mine"
    assert "member=4, d_in=2, d_out=3" in meta["doc.layer0.weight"]


def _several(tmp_path):
    """A file with two networks, a table and a tally, as the studies write them."""
    mlp, gated = nets.mlp([2, 3, 1], "tanh"), nets.xor_path_net(2)
    tensors = {**nets.named_tensors(mlp, _params(mlp, 2), "final"),
               **nets.named_tensors(gated, _params(gated, seed=1), "paths"),
               "table.counts": np.arange(6, dtype=np.int64).reshape(2, 3)}
    tensors = {k: np.asarray(v) for k, v in tensors.items()}
    metadata = nets.header_metadata(tensors, {"final": mlp, "paths": nets.StoredNetwork(gated, inputs=("x",))},
                                    {"table.counts": "counts (member, cell)"})
    path = tmp_path / "several.safetensors"
    path.write_bytes(save_bytes(tensors, metadata=metadata))
    return path, tensors, mlp, gated


def test_a_file_of_several_networks_loads_each_by_prefix(tmp_path):
    path, tensors, mlp, gated = _several(tmp_path)
    spec, params = nets.load(path, prefix="final")
    assert spec == mlp and params[0]["weight"].tobytes() == tensors["final.layer0.weight"].tobytes()
    spec, params = nets.load(path, prefix="paths")
    assert spec == gated and params["x->h0"].tobytes() == tensors["paths.x->h0"].tobytes()
    with pytest.raises(ValueError, match="holds 2 networks"):
        nets.load(path)
    with pytest.raises(ValueError, match="no network 'table'"):
        nets.load(path, prefix="table")


def test_header_metadata_refuses_undocumented_and_misfit_tensors():
    spec = nets.mlp([2, 3, 1])
    tensors = {k: np.asarray(v) for k, v in nets.named_tensors(spec, _params(spec), "n").items()}
    with pytest.raises(ValueError, match="'extra' has no doc"):
        nets.header_metadata({**tensors, "extra": np.zeros(2)}, {"n": spec})
    with pytest.raises(ValueError, match="'ghost'"):
        nets.header_metadata(tensors, {"n": spec}, {"ghost": "?"})
    with pytest.raises(ValueError, match="network 'n': params leaf 'layer0.bias'"):
        nets.header_metadata(tensors, {"n": nets.mlp([2, 4, 1])})


def _rewrite_header(path, edit):
    tensors, meta = load_file(str(path)), dict(_metadata(path))
    header = json.loads(meta["toyscope.networks"])
    edit(header)
    meta["toyscope.networks"] = json.dumps(header)
    path.write_bytes(save_bytes(tensors, metadata=meta))


@pytest.mark.parametrize("edit, words", [
    (lambda h: h["networks"][""]["spec"].update(widths=[2, 4, 1]), ["disagrees", "'layer0.bias'", "(5, 3)"]),
    (lambda h: h["networks"][""].update(leading_axes=[7]), ["'leading_axes'"]),
    (lambda h: h["networks"][""]["spec"].update(version=nets.SPEC_VERSION + 1), ["'version'", "newer"]),
    (lambda h: h.update(version=99), ["version is 99", "newer"]),
    (lambda h: h["networks"][""]["spec"].update(type="cnn"), ["'type'"]),
    (lambda h: h["networks"][""].update(colour="red"), ["'colour'"]),
])
def test_a_header_that_disagrees_is_refused_in_one_line(tmp_path, edit, words):
    spec = nets.mlp([2, 3, 1])
    path = tmp_path / "net.safetensors"
    nets.save(path, spec, _params(spec, 5))
    _rewrite_header(path, edit)
    with pytest.raises(ValueError) as info:
        nets.load(path)
    assert "\n" not in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_a_given_spec_must_agree_with_the_files(tmp_path):
    spec = nets.mlp([2, 3, 1])
    path = tmp_path / "net.safetensors"
    nets.save(path, spec, _params(spec))
    assert nets.load(path, spec=spec)[0] == spec
    with pytest.raises(ValueError, match="not the given spec"):
        nets.load(path, spec=nets.mlp([2, 3, 1], "tanh"))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_files_written_before_specs_load_with_an_inferred_spec_and_a_notice(tmp_path, spec):
    params = _params(spec, 2, seed=2)
    path = tmp_path / "old.safetensors"
    save_file({k: np.asarray(v) for k, v in nets.named_tensors(spec, params, "final").items()}, str(path),
              metadata={"doc.final.layer0.weight": "old doc"} if isinstance(spec, nets.MLP) else None)
    with pytest.warns(UserWarning, match="no toyscope spec") as record:
        inferred, loaded = nets.load(path)
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert nets.param_shapes(inferred) == nets.param_shapes(spec)  # widths, biases, nodes, edges
    if isinstance(spec, nets.GatedLinearNet):  # no activations to guess: the very network
        assert set(inferred.edges) == set(spec.edges) and dict(inferred.nodes) == dict(spec.nodes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given, loaded = nets.load(path, spec=spec)  # the caller's spec: no notice, exact
    assert given == spec
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(loaded)):
        assert np.asarray(a).tobytes() == b.tobytes()


def test_pytorch_named_safetensors_load_without_torch_given_the_architecture(tmp_path):
    weight0, bias0 = RNG.standard_normal((3, 2)).astype(np.float32), RNG.standard_normal(3).astype(np.float32)
    weight1, bias1 = RNG.standard_normal((1, 3)).astype(np.float32), RNG.standard_normal(1).astype(np.float32)
    path = tmp_path / "torch.safetensors"
    save_file({"0.weight": weight0, "0.bias": bias0, "2.weight": weight1, "2.bias": bias1}, str(path))
    with pytest.raises(ValueError, match="--arch 2-3-1"):
        nets.load_model(path)
    spec, params = nets.load_model(path, spec=nets.parse_architecture("2-3-1", "tanh"))
    x = RNG.standard_normal((7, 2)).astype(np.float32)
    expected = np.tanh(x @ weight0.T + bias0) @ weight1.T + bias1  # PyTorch's y = x W^T + b
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, x)), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="not the given spec"):
        nets.load_model(path, spec=nets.parse_architecture("2-3-1", "tanh", bias=False))


def test_load_model_dispatches_on_what_the_path_is(tmp_path):
    path, tensors, mlp, _ = _several(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "params.safetensors").write_bytes(path.read_bytes())
    spec, params = nets.load_model(folder, network="final")
    assert spec == mlp and params[1]["bias"].tobytes() == tensors["final.layer1.bias"].tobytes()
    assert nets.load_model(path, network="paths")[0] == nets.xor_path_net(2)


@pytest.mark.parametrize("name, content, words", [
    ("fake.safetensors", b"hello, not tensors", ["not a safetensors file"]),
    ("fake.pt", b"hello, not torch", ["not a PyTorch file", "state_dict()"]),
    ("net.onnx", b"", ["unsupported model file", ".safetensors"]),
    ("zip.safetensors", b"PK\x03\x04 a zip", ["not a safetensors file", "name it .pt"]),
    ("tensors.pt", b"\x10\x00\x00\x00\x00\x00\x00\x00{}", ["not a PyTorch file", "name it .safetensors"]),
    ("missing.safetensors", None, ["no model at"]),
])
def test_load_model_refuses_files_that_are_not_what_they_claim(tmp_path, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        nets.load_model(path)
    assert "\n" not in str(info.value)
    for word in words:
        assert word in str(info.value)
    empty = tmp_path / "empty_folder"
    empty.mkdir(exist_ok=True)
    with pytest.raises(ValueError, match="not a toyscope run folder"):
        nets.load_model(empty)


def test_docstring_examples_run():
    import doctest

    from toyscope.nets import _files

    assert doctest.testmod(_files).failed == 0


def test_a_run_folder_written_before_specs_loads_with_a_notice(tmp_path):
    spec = nets.mlp([2, 2, 1], "sigmoid")
    params = _params(spec, 6)
    folder = tmp_path / "old-run"
    folder.mkdir()
    tensors = {**nets.named_tensors(spec, params, "final"), "trajectory.steps": np.arange(3)}
    save_file({k: np.asarray(v) for k, v in tensors.items()}, str(folder / "params.safetensors"))
    with pytest.warns(UserWarning, match="network 'final' inferred .* MLP 2-2-1 .*pass spec="):
        inferred, _ = nets.load_model(folder)  # the one network among the tensors
    assert inferred.widths == (2, 2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given, loaded = nets.load_model(folder, spec=spec, network="final")
    assert given == spec and loaded[0]["weight"].tobytes() == np.asarray(params[0]["weight"]).tobytes()
