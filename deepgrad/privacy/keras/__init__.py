"""TF Privacy's names on ``deepgrad.keras``: the DP Keras optimizers and
``compute_dp_sgd_privacy``."""
from deepgrad.privacy.compute_dp_sgd_privacy_lib import compute_dp_sgd_privacy
from deepgrad.privacy.keras.optimizers import (
    DPKerasAdagradOptimizer, DPKerasAdamOptimizer, DPKerasSGDOptimizer,
    make_keras_optimizer_class)

__all__ = ["DPKerasSGDOptimizer", "DPKerasAdamOptimizer", "DPKerasAdagradOptimizer",
           "make_keras_optimizer_class", "compute_dp_sgd_privacy"]
