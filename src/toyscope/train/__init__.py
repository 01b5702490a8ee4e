"""Training: one entry point, :func:`train`, that picks its fast path itself (tiny-ensemble full-batch
SGD, blocked per-sample SGD) and always returns a :class:`TrainResult`; :func:`fork` to continue
networks on data subsets; :func:`converge` to take an ensemble to stationary points (gradient
flow, Newton refinement, saddle escapes). Options travel in small typed objects
(:class:`Optimizer`, :class:`FullBatch` / :class:`Minibatch` / :class:`Online`, :class:`Record`,
:class:`Regularizer`, :class:`PeriodicHook`, :class:`DivergenceRule` with :func:`keep_members`;
:class:`GradientFlow`, :class:`FlowContinuation`, :class:`NewtonRefinement`, :class:`SaddleEscape`).

Deprecated for one release (thin wrappers returning what they always did): ``fit``,
``fit_small_ensemble``, ``blocked_online_sgd``, ``blocked_forks``, ``train_forks``,
``online_sgd_with_tallies``, ``converge_ensemble``, ``mlp_loss``, ``ForkResult``, and the flat
keywords of ``train``.
"""

from ._converge import converge, ConvergeRecord, FlowContinuation, GradientFlow, NewtonRefinement, SaddleEscape
from ._divergence import DivergenceRule, keep_members
from ._engine import MODES, NAN_POLICIES, Checkpointer, TrainingDiverged, TrainResult, TrainState
from ._gradient_flow import SOLVERS, FlowResult, make_flow_stage, make_gradient_flow
from ._hooks import map_param_shaped
from ._legacy import (blocked_forks, blocked_online_sgd, converge_ensemble, fit, fit_small_ensemble, ForkResult, mlp_loss,
                      online_sgd_with_tallies, train_forks)
from ._losses import (LOSSES, bce_with_logits_closed_form_loss, bce_with_logits_loss, loss_function, mse_loss,
                      softmax_cross_entropy_loss, softplus_sigmoid_gradient)
from ._objective import MLPObjective, mlp_objective
from ._optim import OPTIMIZERS, make_optimizer, piecewise_constant
from ._options import FullBatch, Minibatch, Online, Optimizer, PeriodicHook, Record, Regularizer
from ._second_order import FlatObjective, refine_stationary, RefineResult, smallest_hessian_eigen, SmallestEigen
from ._small import MAX_UNROLLED
from ._train import fork, MIN_SMALL_ENSEMBLE, train
from ._update_tallies import group_tally_observer, GroupTallyObserver

__all__ = [
    "bce_with_logits_closed_form_loss", "bce_with_logits_loss", "blocked_forks", "blocked_online_sgd", "Checkpointer",
    "converge", "converge_ensemble",
    "ConvergeRecord", "DivergenceRule", "keep_members", "fit", "fit_small_ensemble", "FlatObjective", "FlowContinuation", "FlowResult",
    "fork", "ForkResult", "FullBatch",
    "GradientFlow", "group_tally_observer", "GroupTallyObserver", "loss_function", "LOSSES", "make_flow_stage", "make_gradient_flow",
    "make_optimizer", "map_param_shaped", "MAX_UNROLLED", "MIN_SMALL_ENSEMBLE", "Minibatch", "mlp_loss",
    "mlp_objective", "MLPObjective", "MODES", "mse_loss", "NAN_POLICIES", "NewtonRefinement", "Online",
    "online_sgd_with_tallies", "Optimizer", "OPTIMIZERS", "PeriodicHook", "piecewise_constant", "Record",
    "refine_stationary", "RefineResult", "Regularizer", "SaddleEscape", "smallest_hessian_eigen", "SmallestEigen",
    "softmax_cross_entropy_loss", "softplus_sigmoid_gradient", "SOLVERS", "train", "train_forks", "TrainingDiverged",
    "TrainResult", "TrainState",
]
