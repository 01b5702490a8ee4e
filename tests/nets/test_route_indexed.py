"""The route-indexed (compact) pathway net against the dense gated network: same loss, gradient
and outputs on the same examples."""

import doctest

import jax
import numpy as np
import pytest

from toyscope import nets, tasks
from toyscope.nets import _route_indexed

M = 3


def test_loss_gradient_and_outputs_equal_the_dense_network():
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(M, 12, 5)).astype(np.float32), rng.integers(0, 4, 12)
    args = (features, labels, tasks.label_permutations(M, 4, seed=1), tasks.band_routes(M, 2), 3)
    compact, dense = tasks.transformed_route_examples(*args, seed=4), tasks.transformed_routing_task(*args, seed=4)
    spec = nets.pathway_net(M, M, 5, 6, 4)
    params = {name: rng.normal(0, 0.5, (2, *shape.shape)).astype(np.float32)  # an ensemble of E = 2
              for name, shape in nets.param_shapes(spec).items()}
    one = nets.ensemble_member(params, 1)
    batch = {k: compact[k] for k in ("x", "y", "input_domain", "output_domain", "weight")}
    both = jax.jit(lambda p: (jax.value_and_grad(nets.route_indexed_loss(spec))(p, batch),
                              jax.value_and_grad(nets.gated_linear_loss(spec))(p, tasks.gated_batch(dense))))
    (loss, grad), (loss_dense, grad_dense) = both(one)
    assert float(loss) == pytest.approx(float(loss_dense), rel=1e-5)
    for name in spec.edge_names:
        np.testing.assert_allclose(grad[name], grad_dense[name], rtol=1e-4, atol=1e-6)
    # outputs of an ensemble, example by example, against the dense network's output node
    out = nets.route_indexed_apply(spec, params, compact["x"], compact["input_domain"], compact["output_domain"])
    full = nets.apply(spec, params, dense["x"], dense["gates"])
    for n, o in enumerate(dense["output_domain"]):
        np.testing.assert_allclose(out[:, n], np.asarray(full[f"out{o}"])[:, n], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="input_domain must lie in 0..2"):
        nets.route_indexed_apply(spec, params, compact["x"], compact["input_domain"] + 5, compact["output_domain"])
    with pytest.raises(ValueError, match="one shared pathway"):
        nets.route_indexed_loss(nets.pathway_net(4, 4, 2, 2, 2, group_size=2))


def test_examples_run():
    assert doctest.testmod(_route_indexed).failed == 0
