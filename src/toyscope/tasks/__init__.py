"""Tasks and data: image datasets from the data directory (checksummed), Boolean tasks, class
groups, routing, symbolic regression, two moons, group operations, in-context regression."""

from ._boolean import binary_inputs, boolean_task, xor_task
from ._class_groups import check_class_groups, class_group_task, scale_pixels, split_group
from ._datasets import DATA_ENV, DATASETS, SPLITS, CorruptDataError, data_dir, Dataset, DataUnavailable, load_dataset
from ._group_ops import modular_addition_task, permutation_sign, permutation_task, permutations_of
from ._in_context import in_context_regression_task
from ._mnist_split import mnist_split_task
from ._routing import band_routes, check_routes, hierarchical_targets, orthogonal_encodings, routing_task
from ._symbolic import SYMBOLIC_FORMULAS, symbolic_task
from ._transformed_routes import label_permutations, rotated_copies, transformed_routing_task
from ._two_moons import two_moons_task
from ._xor_paths import XOR_SIGNED_INPUTS, xor_path_net, xor_path_task

__all__ = [
    "band_routes", "binary_inputs", "boolean_task", "check_class_groups", "check_routes", "class_group_task",
    "CorruptDataError", "data_dir", "DATA_ENV", "Dataset", "DATASETS", "DataUnavailable", "hierarchical_targets",
    "in_context_regression_task", "label_permutations", "load_dataset", "mnist_split_task", "modular_addition_task",
    "orthogonal_encodings", "permutation_sign", "permutation_task", "permutations_of", "rotated_copies",
    "routing_task", "scale_pixels", "split_group", "SPLITS", "SYMBOLIC_FORMULAS", "symbolic_task",
    "transformed_routing_task", "two_moons_task", "xor_path_net", "xor_path_task", "XOR_SIGNED_INPUTS", "xor_task",
]
