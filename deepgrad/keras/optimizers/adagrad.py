"""Adagrad, Keras's formulation (``keras.optimizers.Adagrad``; Duchi et al., 2011)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Adagrad(Optimizer):
    r"""Per-coordinate steps shrinking with the sum of all past squared gradients:

        acc <- acc + g^2                      (acc starts at initial_accumulator_value)
        theta <- theta - lr g / sqrt(acc + eps)

    Args:
        learning_rate (float or schedule): Default 0.001.
        initial_accumulator_value (float): Default 0.1.
        epsilon (float): Default 1e-7 (inside the square root).
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``accumulator``.
    """

    slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _slots_for(self, param):
        return {"accumulator": np.full_like(param, self.initial_accumulator_value)}

    def _constants(self, lr, t):
        return lr, float(self.epsilon)

    def _update(self, param, grad, slots, constants):
        lr, epsilon = constants
        rules.adagrad(param, grad, slots["accumulator"], lr, epsilon, eps_in_sqrt=True)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
