"""The training engine: jit + lax.scan over steps, vmap over an ensemble, hooks and recording."""

from ._engine import MODES, NAN_POLICIES, Checkpointer, TrainingDiverged, TrainResult, TrainState, train
from ._fit import fit, mlp_loss
from ._hooks import map_param_shaped
from ._losses import LOSSES, bce_with_logits_loss, loss_function, mse_loss, softmax_cross_entropy_loss
from ._small import fit_small_ensemble
from ._optim import OPTIMIZERS, make_optimizer, piecewise_constant

__all__ = [
    "LOSSES", "MODES", "NAN_POLICIES", "OPTIMIZERS", "Checkpointer", "TrainResult", "TrainState",
    "TrainingDiverged", "bce_with_logits_loss", "fit", "fit_small_ensemble", "loss_function", "make_optimizer",
    "map_param_shaped", "mlp_loss", "mse_loss", "piecewise_constant", "softmax_cross_entropy_loss", "train",
]

from ._online_fast import blocked_forks, blocked_online_sgd  # per-sample SGD with update tallies
from ._update_tallies import ForkResult, group_tally_observer, online_sgd_with_tallies, train_forks

__all__ += ["ForkResult", "blocked_forks", "blocked_online_sgd", "group_tally_observer", "online_sgd_with_tallies",
            "train_forks"]
