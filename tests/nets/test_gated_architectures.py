"""The Neural Race GDLNs: the XOR path net (Fig. 3b) and the shared-pathway routing net (Fig. 4a/5a)."""

import jax
import numpy as np
import pytest

from toyscope import nets, tasks


def test_xor_path_net_gives_each_example_its_own_path():
    """With the task's gates, example p's output is x_p W_{x->h_p} W_{h_p->y} and nothing else."""
    spec = nets.xor_path_net(3)
    assert spec.widths == {"x": 2, "h0": 3, "h1": 3, "h2": 3, "h3": 3, "y": 1}
    assert sorted(spec.paths()) == sorted((f"x->h{p}", f"h{p}->y") for p in range(4))
    data = tasks.xor_path_task()
    params = nets.init(spec, key=jax.random.key(0), scale=0.8)
    out = np.asarray(nets.apply(spec, params, data["x"], data["gates"])["y"])
    for p in range(4):
        by_hand = data["x"]["x"][p] @ np.asarray(params[f"x->h{p}"]) @ np.asarray(params[f"h{p}->y"])
        np.testing.assert_allclose(out[p], by_hand, rtol=1e-5)
    with pytest.raises(ValueError, match="n_hidden_per_path must be >= 1"):
        nets.xor_path_net(0)


@pytest.mark.parametrize("n_domains, group_size", [(2, None), (4, 2), (4, 1)])
def test_pathway_net_shares_each_pathway_between_group_size_squared_routes(n_domains, group_size):
    spec = nets.pathway_net(n_domains, n_domains, 3, 5, 2, group_size=group_size)
    group = n_domains if group_size is None else group_size
    n_pathways = (n_domains // group) ** 2
    hidden = [n for n, _ in spec.nodes if n.startswith("h1_")]
    assert len(hidden) == n_pathways
    routes_through = {h: set() for h in hidden}
    for path in spec.paths():
        nodes = spec.path_nodes(path)
        assert len(nodes) == 4 and nodes[2] == nodes[1].replace("h1_", "h2_")  # in -> h1 -> h2 -> out
        routes_through[nodes[1]].add((nodes[0], nodes[3]))
    assert all(len(routes) == group ** 2 for routes in routes_through.values())
    assert len(spec.paths()) == n_domains ** 2  # every (input, output) pair has exactly one route


def test_pathway_net_validation():
    with pytest.raises(ValueError, match="group_size must divide"):
        nets.pathway_net(4, 4, 2, 2, 2, group_size=3)
    with pytest.raises(ValueError, match="d_hidden must be >= 1"):
        nets.pathway_net(2, 2, 2, 0, 2)


def test_parallel_pathway_net_sums_one_path_per_grouping_like_a_loop():
    """Each route's output is the sum over groupings g of x_i W_in W_h W_out through h1_g{g}_{i//g}_{o//g}."""
    m, groups = 4, (2, 4)
    spec = nets.parallel_pathway_net(m, 4, 3, 7, groups)
    assert len(spec.paths()) == m * m * len(groups)
    codes, y = tasks.orthogonal_encodings(m, 4, 4, seed=0), tasks.hierarchical_targets()
    data = tasks.routing_task(np.ones((m, m), bool), codes, y, group_size=groups)
    params = {k: np.asarray(v) for k, v in nets.init(spec, key=jax.random.key(1), scale=0.6).items()}
    out = nets.apply(spec, params, data["x"], data["gates"])
    for n in range(0, len(data["item"]), 5):
        i, o, item = data["input_domain"][n], data["output_domain"][n], data["item"][n]
        by_hand = sum(codes[i, item].astype(np.float64) @ params[f"in{i}->h1_g{g}_{i // g}_{o // g}"]
                      @ params[f"h1_g{g}_{i // g}_{o // g}->h2_g{g}_{i // g}_{o // g}"]
                      @ params[f"h2_g{g}_{i // g}_{o // g}->out{o}"] for g in groups)
        np.testing.assert_allclose(np.asarray(out[f"out{o}"])[n], by_hand, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="group_sizes must be distinct divisors"):
        nets.parallel_pathway_net(4, 2, 2, 2, (1, 3))
