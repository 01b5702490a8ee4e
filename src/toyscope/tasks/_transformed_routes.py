r"""The naturalistic routing task (neural-race Fig. 7): input domains are fixed transformations
of images, output domains fixed permutations of the labels.

Route (i, o) asks for the one-hot label of an image, permuted by output domain o's permutation,
from the image transformed by input domain i. Examples use the node names of
:func:`toyscope.nets.pathway_net` with one shared pathway (``h1_0_0``, ``h2_0_0``).

Reference: Saxe, Sodhani & Lewallen, *The Neural Race Reduction* (ICML 2022), Fig. 7a.
"""

from __future__ import annotations

import numpy as np


def rotated_copies(images: np.ndarray, n_domains: int) -> np.ndarray:
    """Domain i holds the images rotated by ``360 i / M`` degrees (bilinear, same size).

    Args:
        images: ``(N, H, W)`` floats.

    Returns:
        ``(M, N, H * W)``.
    """
    from scipy import ndimage

    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {images.shape}")
    out = []
    for i in range(int(n_domains)):
        angle = 360.0 * i / n_domains
        rotated = images if i == 0 else ndimage.rotate(images, angle, axes=(1, 2), reshape=False, order=1)
        out.append(rotated.reshape(len(images), -1))
    return np.stack(out).astype(np.float32)


def label_permutations(n_domains: int, n_classes: int, *, seed: int) -> np.ndarray:
    """Domain 0 keeps the labels, the others permute them at random: ``(M, n_classes)`` int."""
    rng = np.random.default_rng(seed)
    perms = [np.arange(n_classes)] + [rng.permutation(n_classes) for _ in range(int(n_domains) - 1)]
    return np.stack(perms)


def transformed_route_examples(features: np.ndarray, labels: np.ndarray, permutations: np.ndarray,
                               routes: np.ndarray, n_per_route: int, *, seed: int, dtype=np.float32) -> dict:
    """The examples of :func:`transformed_routing_task` in a compact layout: one feature row per
    example and its route's domain indices, instead of one input array per domain (so the size
    grows with the number of examples, not with examples x M).

    Args: as :func:`transformed_routing_task`.

    Returns:
        ``{"x": (R, d), "y": (R, C) one-hot permuted labels, "input_domain": (R,), "output_domain": (R,),
        "weight": (R,) = 1/R, "label": (R,), "image": (R,) index into the N images}`` (the examples, in
        the order, of :func:`transformed_routing_task`).

    Raises:
        ValueError: shapes that disagree or n_per_route out of range.

    Example:
        >>> import numpy as np
        >>> from toyscope import tasks
        >>> feats, labels = np.ones((3, 5, 2)), np.arange(5) % 2
        >>> data = tasks.transformed_route_examples(feats, labels, tasks.label_permutations(3, 2, seed=0),
        ...                                         np.eye(3, dtype=bool), 4, seed=0)
        >>> data["x"].shape, data["input_domain"].tolist()[:5]
        ((12, 2), [0, 0, 0, 0, 1])
    """
    routes = np.asarray(routes, bool)
    n_domains, n_images, dim = features.shape
    n_classes = permutations.shape[1]
    if routes.shape != (n_domains, n_domains) or permutations.shape[0] != n_domains or len(labels) != n_images:
        raise ValueError(f"features {features.shape}, labels {labels.shape}, permutations {permutations.shape} "
                         f"and routes {routes.shape} disagree")
    if not 1 <= n_per_route <= n_images:
        raise ValueError(f"n_per_route must lie in 1..{n_images}, got {n_per_route}")
    rng = np.random.default_rng(seed)
    pairs = np.argwhere(routes)
    image = np.concatenate([rng.choice(n_images, n_per_route, replace=False) for _ in pairs])
    i_dom = np.repeat(pairs[:, 0], n_per_route)
    o_dom = np.repeat(pairs[:, 1], n_per_route)
    n = len(image)
    target = np.eye(n_classes, dtype=dtype)[permutations[o_dom, labels[image]]]
    return {"x": features[i_dom, image].astype(dtype), "y": target, "input_domain": i_dom, "output_domain": o_dom,
            "weight": np.full((n,), 1.0 / n, dtype), "label": labels[image], "image": image}


def transformed_routing_task(features: np.ndarray, labels: np.ndarray, permutations: np.ndarray,
                             routes: np.ndarray, n_per_route: int, *, seed: int, dtype=np.float32) -> dict:
    """Examples for every true route: ``n_per_route`` images drawn (without replacement) per route.

    Args:
        features: ``(M, N, d)`` per-domain inputs of the same N images.
        labels: ``(N,)`` class indices.
        permutations: ``(M, n_classes)``; output domain o's target is ``one_hot(permutations[o][label])``.
        routes: ``(M, M)`` bool.
        n_per_route: images per route (<= N).
        seed: which images each route draws.

    Returns:
        ``{"x": {"in{i}": (R, d)}, "y": {"out{o}": (R, C)}, "gates": {node: (R,)}, "weight": (R,) = 1/R,
        "input_domain", "output_domain", "label": (R,) int}``.

    Raises:
        ValueError: shapes that disagree or n_per_route out of range.
    """
    compact = transformed_route_examples(features, labels, permutations, routes, n_per_route, seed=seed, dtype=dtype)
    n_domains = features.shape[0]
    i_dom, o_dom, image, target = compact["input_domain"], compact["output_domain"], compact["image"], compact["y"]
    x = {f"in{i}": np.where((i_dom == i)[:, None], features[i][image], 0).astype(dtype) for i in range(n_domains)}
    y = {f"out{o}": np.where((o_dom == o)[:, None], target, 0).astype(dtype) for o in range(n_domains)}
    gates = {f"in{i}": (i_dom == i).astype(dtype) for i in range(n_domains)}
    gates |= {f"out{o}": (o_dom == o).astype(dtype) for o in range(n_domains)}
    return {"x": x, "y": y, "gates": gates, "weight": compact["weight"],
            "input_domain": i_dom, "output_domain": o_dom, "label": compact["label"]}
