"""Tasks and data: image datasets from the data directory (checksummed), and synthetic tasks."""

from ._datasets import (
    DATA_ENV,
    DATASETS,
    SPLITS,
    CorruptDataError,
    Dataset,
    DataUnavailable,
    data_dir,
    load_dataset,
)
from ._boolean import binary_inputs, boolean_task, xor_task
from ._class_groups import check_class_groups, class_group_task, scale_pixels, split_group

__all__ = [
    "DATASETS", "DATA_ENV", "SPLITS", "CorruptDataError", "DataUnavailable", "Dataset", "binary_inputs",
    "boolean_task", "check_class_groups", "class_group_task", "data_dir", "load_dataset", "scale_pixels",
    "split_group", "xor_task",
]

from ._routing import band_routes, check_routes, hierarchical_targets, orthogonal_encodings, routing_task  # noqa: E402
from ._transformed_routes import label_permutations, rotated_copies, transformed_routing_task  # noqa: E402
from ._xor_paths import XOR_SIGNED_INPUTS, xor_path_net, xor_path_task  # noqa: E402

__all__ += ["XOR_SIGNED_INPUTS", "band_routes", "check_routes", "hierarchical_targets", "label_permutations",
            "orthogonal_encodings", "rotated_copies", "routing_task", "transformed_routing_task", "xor_path_net",
            "xor_path_task"]
