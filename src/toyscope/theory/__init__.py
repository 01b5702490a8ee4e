"""Exact theory: closed-form teacher-student losses for Gaussian inputs, copy/average
configurations and classes, reduced dynamics of gated deep linear networks."""

from ._classify import class_counts, classify_network, classify_neurons, NETWORK_CLASSES, NEURON_CLASSES, NeuronLabel
from ._copy_average import (
    best_copy_average_partition,
    COPY_AVERAGE_ACTIVATIONS,
    copy_average_configuration,
    copy_average_loss,
    one_neuron_fit,
    one_neuron_losses,
    OneNeuronFit,
    optimal_copy_average_loss,
    second_differences,
)
from ._copy_average_checks import (
    Concavity,
    copy_average_critical_points,
    CriticalPointCheck,
    discrete_concavity,
    one_neuron_fit_error,
    random_partition,
)
from ._gaussian_kernels import (
    ACTIVATIONS,
    erf_gaussian_cross_kernel,
    erf_gaussian_kernel,
    gaussian_cross_kernel,
    gaussian_kernel,
    pair_expectation,
    relu_gaussian_cross_kernel,
    relu_gaussian_kernel,
)
from ._gdln import (
    decoupled_params,
    edge_mode_strengths,
    node_imbalance,
    path_mode_projections,
    pathway_correlations,
    pathway_modes,
    PathwayModes,
    reduced_dynamics,
    reduced_loss,
    reduced_objective,
    routing_fixed_point,
    two_layer_path_strength,
)
from ._pathway_race import path_strengths, pathway_share_metrics, pathway_shares
from ._relu_copy_average import (
    relu_copy_average_gradient,
    relu_copy_average_loss,
    relu_one_neuron_fit,
    ReluOneNeuronFit,
)
from ._student_classes import (
    classify_student,
    classify_students,
    merge_tolerance_sensitivity,
    scaled_tolerances,
    StudentClass,
    tolerance_sensitivity,
    TOLERANCE_VARIANTS,
)
from ._symmetric_copy_average import symmetric_copy_average_point, SymmetricCopyAveragePoint
from ._teacher_student import (
    glorot_normal_student,
    glorot_normal_students,
    orthonormal_teacher,
    population_loss,
    population_loss_grad,
    TwoLayerStudent,
)
from ._xor_gdln import xor_path_initial_strengths, xor_path_loss, xor_path_modes, XorPathModes

__all__ = [
    "ACTIVATIONS", "best_copy_average_partition", "class_counts", "classify_network", "classify_neurons",
    "classify_student", "classify_students", "Concavity", "COPY_AVERAGE_ACTIVATIONS", "copy_average_configuration",
    "copy_average_critical_points", "copy_average_loss", "CriticalPointCheck", "decoupled_params",
    "discrete_concavity", "edge_mode_strengths", "erf_gaussian_cross_kernel", "erf_gaussian_kernel",
    "gaussian_cross_kernel", "gaussian_kernel", "glorot_normal_student", "glorot_normal_students",
    "merge_tolerance_sensitivity", "NETWORK_CLASSES", "NEURON_CLASSES", "NeuronLabel", "node_imbalance",
    "one_neuron_fit", "one_neuron_fit_error", "one_neuron_losses", "OneNeuronFit", "optimal_copy_average_loss",
    "orthonormal_teacher", "pair_expectation", "path_mode_projections", "path_strengths", "pathway_correlations",
    "pathway_modes", "pathway_share_metrics", "pathway_shares", "PathwayModes", "population_loss",
    "population_loss_grad", "random_partition", "reduced_dynamics", "reduced_loss", "reduced_objective",
    "relu_copy_average_gradient", "relu_copy_average_loss", "relu_gaussian_cross_kernel", "relu_gaussian_kernel",
    "relu_one_neuron_fit", "ReluOneNeuronFit", "routing_fixed_point", "scaled_tolerances", "second_differences",
    "StudentClass", "symmetric_copy_average_point", "SymmetricCopyAveragePoint", "tolerance_sensitivity",
    "TOLERANCE_VARIANTS", "two_layer_path_strength", "TwoLayerStudent", "xor_path_initial_strengths",
    "xor_path_loss", "xor_path_modes", "XorPathModes"
]
