"""Exact theory: closed-form teacher-student losses for Gaussian inputs, copy/average
configurations and classes, reduced dynamics of gated deep linear networks."""

from ._classify import NETWORK_CLASSES, NEURON_CLASSES, class_counts, classify_network, classify_neurons, NeuronLabel
from ._copy_average import (
    copy_average_configuration,
    copy_average_loss,
    one_neuron_fit,
    one_neuron_losses,
    OneNeuronFit,
    optimal_copy_average_loss,
    second_differences,
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
    pathway_correlations,
    pathway_modes,
    PathwayModes,
    reduced_dynamics,
    reduced_loss,
    reduced_objective,
    routing_fixed_point,
    two_layer_path_strength,
)
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
    "ACTIVATIONS", "class_counts", "classify_network", "classify_neurons", "copy_average_configuration",
    "copy_average_loss", "decoupled_params", "edge_mode_strengths", "erf_gaussian_cross_kernel",
    "erf_gaussian_kernel", "gaussian_cross_kernel", "gaussian_kernel", "glorot_normal_student",
    "glorot_normal_students", "NETWORK_CLASSES", "NEURON_CLASSES", "NeuronLabel", "node_imbalance",
    "one_neuron_fit", "one_neuron_losses", "OneNeuronFit", "optimal_copy_average_loss", "orthonormal_teacher",
    "pair_expectation", "pathway_correlations", "pathway_modes", "PathwayModes", "population_loss",
    "population_loss_grad", "reduced_dynamics", "reduced_loss", "reduced_objective", "relu_gaussian_cross_kernel",
    "relu_gaussian_kernel", "routing_fixed_point", "second_differences", "two_layer_path_strength",
    "TwoLayerStudent", "xor_path_initial_strengths", "xor_path_loss", "xor_path_modes", "XorPathModes",
]
