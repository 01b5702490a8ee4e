"""Tasks and data: your own arrays (.npz) and typed formulas, image datasets from the data directory (checksummed), Boolean tasks, class
groups, routing, symbolic regression, two moons, group operations, in-context regression."""

from ._array_file import array_task, load_arrays
from ._boolean import binary_inputs, boolean_task, xor_task
from ._class_groups import check_class_groups, class_group_task, scale_pixels, split_group
from ._formula import Formula, FORMULA_FUNCTIONS, formula_task, parse_formula
from ._datasets import CorruptDataError, data_dir, DATA_ENV, Dataset, DATASETS, DataUnavailable, load_dataset, SPLITS
from ._group_forks import group_forks, GroupForks, load_split, scaled_window
from ._group_ops import modular_addition_task, permutation_sign, permutation_task, permutations_of
from ._in_context import in_context_regression_task
from ._mnist_split import mnist_split_task, mnist_standard_task
from ._pair_xor import pair_xor_task
from ._rotated_features import rotated_pca_features
from ._route_patterns import gated_batch, N_ROUTING_ITEMS, parse_routes, routing_problem, RoutingProblem
from ._routing import band_routes, check_routes, hierarchical_targets, orthogonal_encodings, routing_task
from ._symbolic import SYMBOLIC_FORMULAS, symbolic_task
from ._transformed_routes import (
    label_permutations,
    rotated_copies,
    transformed_route_examples,
    transformed_routing_task,
)
from ._two_moons import two_moons_task
from ._xor_paths import xor_path_net, xor_path_task, XOR_SIGNED_INPUTS

__all__ = [
    "array_task", "band_routes", "binary_inputs", "boolean_task", "check_class_groups", "check_routes", "class_group_task",
    "CorruptDataError", "data_dir", "DATA_ENV", "Dataset", "DATASETS", "DataUnavailable", "Formula", "FORMULA_FUNCTIONS",
    "formula_task", "gated_batch",
    "group_forks", "GroupForks", "hierarchical_targets", "in_context_regression_task", "label_permutations",
    "load_arrays", "load_dataset", "load_split", "mnist_split_task", "mnist_standard_task", "modular_addition_task", "N_ROUTING_ITEMS",
    "orthogonal_encodings", "pair_xor_task", "parse_formula", "parse_routes", "permutation_sign", "permutation_task",
    "permutations_of", "rotated_copies", "rotated_pca_features", "routing_problem", "routing_task",
    "RoutingProblem", "scale_pixels", "scaled_window", "split_group", "SPLITS", "SYMBOLIC_FORMULAS",
    "symbolic_task", "transformed_route_examples", "transformed_routing_task", "two_moons_task", "xor_path_net", "xor_path_task",
    "XOR_SIGNED_INPUTS", "xor_task"
]
