"""FTRL-proximal, Keras's formulation (``keras.optimizers.Ftrl``; McMahan et al., 2013)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Ftrl(Optimizer):
    r"""Follow The Regularized Leader (:func:`deepgrad.optim.rules.ftrl`), with
    ``p = learning_rate_power``, ``l1``, ``l2`` and ``l2_shrinkage`` the three strengths:

        g' = g + 2 l2_shrinkage theta;   n' = n + g^2
        z <- z + g' - (n'^(-p) - n^(-p)) / lr * theta
        theta <- (clip(z, -l1, l1) - z) / (n'^(-p) / lr + 2 (l2 + beta / (2 lr)));   n <- n'

    Args:
        learning_rate (float or schedule): Default 0.001.
        learning_rate_power (float): ``p <= 0``. Default -0.5.
        initial_accumulator_value (float): ``n`` at the start, >= 0. Default 0.1.
        l1_regularization_strength, l2_regularization_strength,
        l2_shrinkage_regularization_strength (float): >= 0. Defaults 0.
        beta (float): Default 0.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``accumulator`` (n), ``linear`` (z).
    """

    slot_groups = (("accumulator", "linear"),)

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for name, value in (("initial_accumulator_value", initial_accumulator_value),
                            ("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength",
                             l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{name}` needs to be positive or zero. Received: "
                                 f"{name}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slots_for(self, param):
        return {"accumulator": np.full_like(param, self.initial_accumulator_value),
                "linear": np.zeros_like(param)}

    def _constants(self, lr, t):
        return (lr, float(self.learning_rate_power), float(self.l1_regularization_strength),
                float(self.l2_regularization_strength),
                float(self.l2_shrinkage_regularization_strength), float(self.beta))

    def _update(self, param, grad, slots, constants):
        rules.ftrl(param, grad, slots["accumulator"], slots["linear"], *constants)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
