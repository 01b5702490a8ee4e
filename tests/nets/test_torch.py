"""PyTorch in and out, against real torch modules: outputs equal (float32: atol 1e-6 + rtol 1e-5),
state dicts load with strict=True, ensembles through torch.func.stack_module_state, .pt files
read with weights_only=True, unsupported layers and a missing torch refused in one line."""

import sys

import jax
import numpy as np
import pytest

from toyscope import nets

try:
    import torch
except ImportError:  # pragma: no cover - CI installs torch; a machine without it skips
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (pip install toyscope[torch])")
TOL = {"rtol": 1e-5, "atol": 1e-6}


def _params(spec, n_networks=None, seed=0):
    """Random params drawn with numpy (nets.init would compile an initialiser for every shape)."""
    rng = np.random.default_rng(seed)
    lead = () if n_networks is None else (n_networks,)
    return jax.tree_util.tree_map(lambda leaf: rng.standard_normal((*lead, *leaf.shape)).astype(np.float32),
                                  nets.param_shapes(spec))


def _x(d_in, n=9, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d_in)).astype(np.float32)


def _torch_out(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


ACTIVATION_MODULES = {
    "relu": lambda: torch.nn.ReLU(), "sigmoid": lambda: torch.nn.Sigmoid(), "tanh": lambda: torch.nn.Tanh(),
    "silu": lambda: torch.nn.SiLU(), "softplus": lambda: torch.nn.Softplus(), "gelu": lambda: torch.nn.GELU(),
    "gelu_tanh": lambda: torch.nn.GELU(approximate="tanh"),
}


@needs_torch
@pytest.mark.parametrize("name", list(ACTIVATION_MODULES))
def test_from_torch_gives_the_modules_outputs(name):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), ACTIVATION_MODULES[name](), torch.nn.Linear(5, 4, bias=False),
                                torch.nn.Sequential(torch.nn.Dropout(0.0), torch.nn.Sigmoid()), torch.nn.Linear(4, 2),
                                torch.nn.Identity())
    spec, params = nets.from_torch(model)
    assert spec == nets.mlp([3, 5, 4, 2], [name, "sigmoid", "linear"], bias=[True, False, True])
    x = _x(3) * 3
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, x)), _torch_out(model, x), **TOL)


@needs_torch
@pytest.mark.parametrize("activations", [["sigmoid", "sigmoid"], ["tanh", "linear"], ["gelu", "relu"]])
def test_to_torch_loads_strictly_and_gives_toyscopes_outputs(activations):
    spec = nets.mlp([2, 3, 1], activations)
    params = _params(spec, seed=3)
    model = nets.to_torch(spec, params)
    fresh = torch.nn.Sequential(torch.nn.Linear(2, 3), ACTIVATION_MODULES.get(activations[0], torch.nn.Identity)(),
                                torch.nn.Linear(3, 1), ACTIVATION_MODULES.get(activations[1], torch.nn.Identity)())
    fresh.load_state_dict(model.state_dict(), strict=True)
    x = _x(2)
    expected = np.asarray(nets.apply(spec, params, x))
    np.testing.assert_allclose(_torch_out(model, x), expected, **TOL)
    np.testing.assert_allclose(_torch_out(fresh, x), expected, **TOL)
    back_spec, back = nets.from_torch(model)  # and back again: the very numbers
    assert back_spec == spec
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(back)):
        np.testing.assert_array_equal(np.asarray(a), b)


def _members(n, seed=0):
    torch.manual_seed(seed)
    return [torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 1)) for _ in range(n)]


@needs_torch
def test_ensembles_in_and_out_as_module_lists_and_stacked_state():
    members = _members(6)
    x = _x(2)
    expected = np.stack([_torch_out(m, x) for m in members])
    spec, params = nets.from_torch(members)
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, x)), expected, **TOL)
    stacked_params, buffers = torch.func.stack_module_state(members)
    spec2, params2 = nets.from_torch((stacked_params, buffers), activations="sigmoid")
    assert spec2 == spec
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(params2)):
        np.testing.assert_array_equal(a, b)
    models = nets.to_torch(spec, params)
    assert len(models) == 6
    for model, member in zip(models, members):
        np.testing.assert_allclose(_torch_out(model, x), _torch_out(member, x), **TOL)
    template, state, bufs = nets.to_torch(spec, params, stacked=True)
    outputs = torch.vmap(lambda p, b: torch.func.functional_call(template, (p, b), (torch.from_numpy(x),)))(state, bufs)
    np.testing.assert_allclose(outputs.detach().numpy(), expected, **TOL)
    for name, value in stacked_params.items():  # PyTorch -> toyscope -> PyTorch: bit for bit
        assert torch.equal(state[name], value)


@needs_torch
@pytest.mark.parametrize("activations, bias", [(["gelu_tanh", "softplus"], False), (["relu", "linear"], [False, True])])
def test_ensemble_members_hold_their_own_weights_and_load_strictly(activations, bias):
    spec = nets.mlp([3, 4, 2], activations, bias=bias)
    params = _params(spec, 3, seed=5)
    models = nets.to_torch(spec, params)
    x = _x(3)
    expected = np.asarray(nets.apply(spec, params, x))
    fresh = nets.to_torch(spec, nets.ensemble_member(params, 0))  # one network: the ordinary constructors
    for member, model in enumerate(models):
        assert repr(model) == repr(fresh)
        fresh.load_state_dict(model.state_dict(), strict=True)
        np.testing.assert_allclose(_torch_out(model, x), expected[member], **TOL)
        np.testing.assert_allclose(_torch_out(fresh, x), expected[member], **TOL)
    models[1][0].weight.data.zero_()  # each member holds its own weights
    np.testing.assert_allclose(_torch_out(models[2], x), expected[2], **TOL)


@needs_torch
def test_state_dicts_need_their_activations():
    model = _members(1)[0]
    with pytest.raises(ValueError, match="activations="):
        nets.from_torch(model.state_dict())
    spec, params = nets.from_torch(model.state_dict(), activations=["sigmoid", "linear"])
    x = _x(2)
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, x)), _torch_out(model, x), **TOL)
    with pytest.raises(ValueError, match="disagree"):
        nets.from_torch(model, activations="tanh")


@needs_torch
@pytest.mark.parametrize("layer, words", [
    (lambda: torch.nn.Conv2d(1, 1, 1), ["Conv2d", "position 1", "nn.Linear"]),
    (lambda: torch.nn.LayerNorm(3), ["LayerNorm", "position 1", "supported"]),
    (lambda: torch.nn.Dropout(0.5), ["Dropout in train mode", "position 1"]),
    (lambda: torch.nn.Softplus(beta=2), ["Softplus", "beta=1"]),
    (lambda: torch.nn.ReLU(), ["second activation", "position 2"]),
])
def test_unsupported_layers_are_refused_naming_the_layer_and_its_position(layer, words):
    modules = [torch.nn.Linear(2, 3), layer(), torch.nn.Linear(3, 1)]
    if words[0] == "second activation":
        modules = [torch.nn.Linear(2, 3), torch.nn.Tanh(), layer(), torch.nn.Linear(3, 1)]
    with pytest.raises(ValueError) as info:
        nets.from_torch(torch.nn.Sequential(*modules))
    assert "\n" not in str(info.value)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(ValueError, match="takes an nn.Sequential"):
        nets.from_torch(torch.nn.Linear(2, 3))


@needs_torch
def test_dropout_in_eval_mode_is_the_identity():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    model.eval()
    spec, params = nets.from_torch(model)
    assert spec.activations == ("tanh", "linear")
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, _x(2))), _torch_out(model, _x(2)), **TOL)


@needs_torch
def test_pt_files_load_as_state_dicts_and_pickled_modules_are_refused(tmp_path):
    model = _members(1, seed=4)[0]
    torch.save(model.state_dict(), tmp_path / "model.pt")
    spec = nets.parse_architecture("2-3-1", "sigmoid")
    loaded_spec, params = nets.load_model(tmp_path / "model.pt", spec=spec)
    assert loaded_spec == spec
    np.testing.assert_allclose(np.asarray(nets.apply(spec, params, _x(2))), _torch_out(model, _x(2)), **TOL)
    torch.save({"epoch": 3, "model_state_dict": model.state_dict()}, tmp_path / "checkpoint.pth")
    assert nets.load_model(tmp_path / "checkpoint.pth", spec=spec)[0] == spec
    with pytest.raises(ValueError, match="--arch 2-3-1"):
        nets.load_model(tmp_path / "model.pt")
    torch.save(model, tmp_path / "module.pt")
    with pytest.raises(ValueError) as info:
        nets.load_model(tmp_path / "module.pt", spec=spec)
    message = str(info.value)
    assert "unsafe to load" in message and "torch.save(model.state_dict(), path)" in message and "\n" not in message


@needs_torch
def test_a_stacked_ensemble_loads_from_pt_and_safetensors_files(tmp_path):
    from safetensors.torch import save_file

    members = _members(4, seed=6)
    stacked, _ = torch.func.stack_module_state(members)
    stacked = {k: v.detach() for k, v in stacked.items()}
    torch.save(stacked, tmp_path / "ensemble.pt")
    save_file(stacked, str(tmp_path / "ensemble.safetensors"))
    spec = nets.parse_architecture("2-3-1", "sigmoid")
    expected = np.stack([_torch_out(m, _x(2)) for m in members])
    for name in ("ensemble.pt", "ensemble.safetensors"):
        loaded_spec, params = nets.load_model(tmp_path / name, spec=spec)
        assert loaded_spec == spec and params[0]["weight"].shape == (4, 2, 3)
        np.testing.assert_allclose(np.asarray(nets.apply(spec, params, _x(2))), expected, **TOL)


@needs_torch
def test_pytorch_safetensors_round_trip(tmp_path):
    from safetensors.torch import save_file

    model = _members(1, seed=5)[0]
    save_file(model.state_dict(), str(tmp_path / "model.safetensors"))
    spec, params = nets.load_model(tmp_path / "model.safetensors", spec=nets.parse_architecture("2-3-1", "sigmoid"))
    back = nets.to_torch(spec, params)
    for name, value in model.state_dict().items():
        assert torch.equal(back.state_dict()[name], value)


def test_to_torch_refuses_what_pytorch_cannot_hold():
    with pytest.raises(ValueError, match="takes an MLP spec"):
        nets.to_torch(nets.xor_path_net(2), _params(nets.xor_path_net(2)))
    spec = nets.mlp([2, 3, 1], "erf")
    if torch is not None:
        with pytest.raises(ValueError, match="'erf' has no PyTorch module"):
            nets.to_torch(spec, _params(spec))
    with pytest.raises(ValueError, match="stacked=True needs an ensemble"):
        nets.to_torch(nets.mlp([2, 1]), _params(nets.mlp([2, 1])), stacked=True)


def test_a_missing_torch_is_one_line_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    spec = nets.mlp([2, 1])
    with pytest.raises(nets.TorchMissing) as info:
        nets.to_torch(spec, _params(spec))
    assert "pip install toyscope[torch]" in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)  # the CLI prints it as error: ... and exits 2
    (tmp_path / "m.pt").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(nets.TorchMissing):
        nets.load_model(tmp_path / "m.pt", spec=spec)
    # numpy state dicts need no torch
    spec_back, _ = nets.from_torch({"0.weight": np.ones((1, 2), np.float32)}, activations=["linear"])
    assert spec_back == nets.mlp([2, 1], "linear", bias=False)


@needs_torch
def test_docstring_examples_run():
    import doctest

    from toyscope.nets import _torch

    assert doctest.testmod(_torch).failed == 0
