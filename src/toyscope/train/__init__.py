"""The training engine (jit + lax.scan over steps, vmap over an ensemble, hooks, observers,
recording), its fast paths, update tallies, and gradient flow / Newton refinement to true
convergence."""

from ._converge import converge_ensemble, ConvergeRecord
from ._engine import MODES, NAN_POLICIES, Checkpointer, train, TrainingDiverged, TrainResult, TrainState
from ._fit import fit, mlp_loss
from ._gradient_flow import SOLVERS, FlowResult, make_gradient_flow
from ._hooks import map_param_shaped
from ._losses import LOSSES, bce_with_logits_loss, loss_function, mse_loss, softmax_cross_entropy_loss
from ._online_fast import blocked_forks, blocked_online_sgd
from ._optim import OPTIMIZERS, make_optimizer, piecewise_constant
from ._second_order import FlatObjective, refine_stationary, RefineResult, smallest_hessian_eigen, SmallestEigen
from ._small import fit_small_ensemble
from ._update_tallies import ForkResult, group_tally_observer, online_sgd_with_tallies, train_forks

__all__ = [
    "bce_with_logits_loss", "blocked_forks", "blocked_online_sgd", "Checkpointer", "converge_ensemble",
    "ConvergeRecord", "fit", "fit_small_ensemble", "FlatObjective", "FlowResult", "ForkResult",
    "group_tally_observer", "loss_function", "LOSSES", "make_gradient_flow", "make_optimizer", "map_param_shaped",
    "mlp_loss", "MODES", "mse_loss", "NAN_POLICIES", "online_sgd_with_tallies", "OPTIMIZERS", "piecewise_constant",
    "refine_stationary", "RefineResult", "smallest_hessian_eigen", "SmallestEigen", "softmax_cross_entropy_loss",
    "SOLVERS", "train", "train_forks", "TrainingDiverged", "TrainResult", "TrainState",
]
