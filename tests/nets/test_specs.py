"""Specs as versioned dicts (every network type round-trips; bad fields refused in one line) and
the command line's architecture strings."""

import json

import pytest

from toyscope import nets

SPECS = [
    nets.mlp([2, 3, 1], "sigmoid", "sigmoid"),
    nets.mlp([4, 2], "tanh", bias=False),
    nets.mlp([3, 5, 4, 2], ["relu", "gelu_tanh", "erf"], bias=[True, False, True]),
    nets.layered_network([4, 6, 2], "silu"),
    nets.layered_network([4, 6, 5], "tanh", n_tokens=2, vocab_size=5),
    nets.xor_path_net(3),
    nets.pathway_net(2, 2, 3, 4, 2, group_size=1),
    nets.tiny_transformer(3, 2, d_model=8, n_layers=2, n_heads=2, d_mlp=6, activation="relu"),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_spec_round_trips_through_json(spec):
    data = json.loads(json.dumps(nets.spec_to_dict(spec)))
    assert data["version"] == nets.SPEC_VERSION
    assert nets.spec_from_dict(data) == spec


def _one_line_error(data, *words):
    with pytest.raises(ValueError) as info:
        nets.spec_from_dict(data)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    return message


def test_bad_spec_dicts_are_refused_naming_the_field():
    good = nets.spec_to_dict(nets.mlp([2, 3, 1]))
    _one_line_error({**good, "version": nets.SPEC_VERSION + 1}, "'version'", "newer")
    _one_line_error({**good, "type": "cnn"}, "'type'", "mlp")
    _one_line_error({k: v for k, v in good.items() if k != "biases"}, "'biases'")
    _one_line_error({**good, "dropout": 0.1}, "'dropout'")
    _one_line_error({**good, "widths": [2, 0, 1]}, "width")
    _one_line_error({**good, "activations": ["relu", "swish"]}, "swish")
    _one_line_error("not a dict", "object")
    _one_line_error({**good, "biases": ["no", True]}, "'biases'", "true/false")
    _one_line_error({**good, "widths": [2, 3.5, 1]}, "'widths'", "integers")
    _one_line_error({**good, "version": True}, "'version'")
    _one_line_error({**nets.spec_to_dict(nets.tiny_transformer()), "d_model": "32"}, "tiny_transformer")


def test_parse_architecture_single_name_is_hidden_layers_then_linear_output():
    spec = nets.parse_architecture("2-3-1", activation="sigmoid")
    assert spec == nets.mlp([2, 3, 1], "sigmoid")
    assert spec.activations == ("sigmoid", "linear")
    assert nets.parse_architecture(" 2-1 ", "tanh").activations == ("tanh",)


def test_parse_architecture_per_layer_activations():
    spec = nets.parse_architecture("2-3-4-1", "tanh, relu,sigmoid", bias=False)
    assert spec.widths == (2, 3, 4, 1)
    assert spec.activations == ("tanh", "relu", "sigmoid")
    assert spec.biases == (False, False, False)
    assert nets.parse_architecture("2-3-1", ["gelu", "linear"]).activations == ("gelu", "linear")


@pytest.mark.parametrize("arch, activation, word", [
    ("2x3x1", "relu", "'2x3x1'"), ("2", "relu", "at least two"), ("2-0-1", "relu", ">= 1"),
    ("2-3-1", "swish", "'swish'"), ("2-3-1", "tanh,relu,sigmoid", "3 activations"),
])
def test_parse_architecture_refuses_bad_input_in_one_line(arch, activation, word):
    with pytest.raises(ValueError) as info:
        nets.parse_architecture(arch, activation)
    assert word in str(info.value) and "\n" not in str(info.value)


def test_docstring_examples_run():
    import doctest

    from toyscope.nets import _specs

    assert doctest.testmod(_specs).failed == 0
