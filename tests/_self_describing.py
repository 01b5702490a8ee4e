"""The check every study's smoke test runs on its run folder: ``params.safetensors`` documents
every tensor, and every network its header declares loads with ``nets.load`` and reproduces the
stored tensors bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors import safe_open

from toyscope import nets


def assert_self_describing(folder: Path, *, not_networks: tuple[str, ...] = ()) -> dict:
    """Check ``folder/params.safetensors`` (and each sweep cell's under ``folder/cells``); return
    ``{prefix: spec}`` of the declared networks of the top folder.

    ``not_networks``: prefixes whose tensors have network names but are not networks (e.g.
    update tallies shaped like the params); every other network-like prefix must be declared.
    """
    path = Path(folder) / "params.safetensors"
    with safe_open(str(path), framework="np") as handle:
        metadata = handle.metadata() or {}
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    undocumented = sorted(name for name in tensors if not metadata.get(f"doc.{name}"))
    assert not undocumented, f"{path}: tensors without a doc: {undocumented}"
    declared = nets.read_networks(metadata, where=str(path))
    undeclared = set(nets.infer_networks(tensors)) - set(declared) - set(not_networks)
    assert not undeclared, f"{path}: networks by their names, not declared in the header: {sorted(undeclared)}"
    specs = {}
    for prefix, entry in declared.items():
        spec, params = nets.load(path, prefix=prefix)
        assert spec == entry["spec"]
        for name, array in nets.named_tensors(spec, params, prefix).items():
            stored = tensors[name]
            assert array.dtype == stored.dtype and array.shape == stored.shape
            assert np.asarray(array).tobytes() == stored.tobytes(), name
        specs[prefix] = spec
    for cell in sorted((Path(folder) / "cells").glob("*/params.safetensors")):
        assert_self_describing(cell.parent, not_networks=not_networks)
    return specs
