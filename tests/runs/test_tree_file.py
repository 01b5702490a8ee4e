"""Cached stages and checkpoints without pickles: every type the studies cache comes back equal
(types, dtypes and bits), optimiser states come back on the template's structure, and a crafted
file cannot run code."""

from __future__ import annotations

import dataclasses
import io
import pickle
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toyscope import nets, tasks, train
from toyscope.runs import RunFolderError
from toyscope.runs._tree_file import UnstorableValue, read_tree, write_tree


def assert_same(a, b, where="value"):
    """Equal in type, structure, dtype and bits (NaN equal to NaN)."""
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, (np.ndarray, np.generic, jax.Array)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: values differ"
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def _studies_cached_values():
    """One value of each type the studies pass to ``ctx.cached``, made by the same library calls."""
    spec = nets.mlp([2, 3, 1])
    xor = tasks.xor_task()
    params = nets.init(spec, key=jax.random.PRNGKey(0), n_networks=4)
    objective = train.mlp_objective(spec, "bce")
    # xor-basins main/large/trajectories/splice ensembles: a TrainResult (adam: optax states inside)
    trained = train.train(objective, params, xor, optimizer=train.Optimizer("adam", 0.01), n_steps=20,
                          record=train.Record(every=5, snapshot_every=10, metrics={}), progress=None)
    # update-attribution's forks: a TrainResult with a (K, E) axis
    forks = train.fork(objective, params, xor, [np.arange(2), np.arange(4)], optimizer=train.Optimizer("sgd", 0.1),
                       record=train.Record(every=1, snapshot_every=2), progress=None)
    # copy-average's converge records (floats, None, bools, strings, float64 arrays with inf)
    record = train.ConvergeRecord(
        x=np.linspace(0, 1, 5), loss=1e-30, grad_max=2.5e-9, min_eigenvalue=None, converged=True, saddle_escapes=1,
        flow_steps=120, flow_grad_max=0.1, newton_iterations=3, method="newton+eigh", curve_times=np.arange(3.0),
        curve_losses=np.array([1.0, 0.5, np.inf]), flow_s=0.25, refine_s=0.5, eigen_s=0.0, note="")
    values = {
        "main_ensemble": trained, "forks": forks, "converge": [record, record._replace(min_eigenvalue=-0.5)],
        "tsne": np.random.default_rng(0).normal(size=(7, 2)),
        "init_scales": [[0.5, 3, 10], [np.float64(1.0), np.int64(2), 10]],
        "data (bimt symbolic)": tasks.symbolic_task("a", 16, 8, seed=0),
        "data (bimt mod-add)": tasks.modular_addition_task(59, seed=0),
        "data (bimt two-moons)": tasks.two_moons_task(seed=0),
        "data_in_context": tasks.in_context_regression_task(20, seed=0),
        "jax and numpy scalars": {"j": jnp.float32(1.5), "n": np.float32(-0.0), "i": 3, "b": np.bool_(True),
                                  0: (1, None, "s"), ("k", 1): [float("nan"), float("-inf")]},
    }
    return values


def test_every_type_the_studies_cache_round_trips_exactly(tmp_path):
    for name, value in _studies_cached_values().items():
        write_tree(tmp_path / "v.npz", value)
        assert_same(value, read_tree(tmp_path / "v.npz"), name)


def test_an_optimiser_state_is_rebuilt_on_the_template_never_from_the_file(tmp_path):
    params = {"w": jnp.arange(6.0).reshape(2, 3)}
    opt = train.Optimizer("adam", 0.1).build()
    def train_state(opt_state):  # what the engine checkpoints (and passes as the template, step 0)
        return train.TrainState(jnp.asarray(0, jnp.int32), params, opt_state, None, jnp.zeros(2, bool),
                                jnp.full(2, -1, jnp.int32))

    state = train_state(jax.vmap(opt.init)(params))
    moved = jax.tree_util.tree_map(lambda a: (a + 1).astype(a.dtype), state)
    write_tree(tmp_path / "ckpt.npz", (moved, {"loss": [np.ones(2)]}), leaves_for_unknown_nodes=True)
    back, _history = read_tree(tmp_path / "ckpt.npz", (state, None))
    assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(state)
    for x, y in zip(jax.tree_util.tree_leaves(back), jax.tree_util.tree_leaves(moved)):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(RunFolderError, match="only be rebuilt from a template"):
        read_tree(tmp_path / "ckpt.npz")
    other = train_state(jax.vmap(train.Optimizer("momentum", 0.1, options={"momentum": 0.9}).build().init)(params))
    with pytest.raises(RunFolderError, match="leaves, the template"):
        read_tree(tmp_path / "ckpt.npz", (other, None))
    # cached values (no template) refuse such nodes when written, naming the place
    with pytest.raises(UnstorableValue, match=r"value\[0\] is a .*TrainState"):
        write_tree(tmp_path / "c.npz", [state])


class _Payload:
    """Unpickling this creates a file: the proof that a loader ran code."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_crafted_file_cannot_run_code(tmp_path):
    proof = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(str(proof)))
    pickle.loads(payload)  # the payload works when unpickled ...
    assert proof.exists()
    proof.unlink()
    raw = tmp_path / "raw.npz"
    raw.write_bytes(payload)  # ... a pickle under the expected name,
    buffer = io.BytesIO()
    np.savez(buffer, structure=np.frombuffer(b'{"format": "toyscope-tree-1", "value": {"$array": "a0", "kind": "numpy"}}',
                                             np.uint8), a0=np.array([_Payload(str(proof))], dtype=object))
    inside = tmp_path / "inside.npz"
    inside.write_bytes(buffer.getvalue())  # ... an object array inside a valid archive,
    named = tmp_path / "named.npz"
    with zipfile.ZipFile(named, "w") as archive:  # ... and a structure naming a class outside the registry
        structure = b'{"format": "toyscope-tree-1", "value": {"$type": "builtins.open", "fields": {}}}'
        np.lib.format.write_array(archive.open("structure.npy", "w"), np.frombuffer(structure, np.uint8))
    for path in (raw, inside, named):
        with pytest.raises(RunFolderError, match="is corrupt"):
            read_tree(path)
    assert not proof.exists()
