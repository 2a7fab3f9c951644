"""Lion, Keras's formulation (``keras.optimizers.Lion``; Chen et al., 2023)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Lion(Optimizer):
    r"""Signed momentum steps (:func:`deepgrad.optim.rules.lion`):

        theta <- theta - lr sign(beta_1 m + (1 - beta_1) g)
        m <- beta_2 m + (1 - beta_2) g

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1 (float): in (0, 1]. Default 0.9.
        beta_2 (float): Default 0.99.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum`` (m).
    """

    slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                             f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param)}

    def _constants(self, lr, t):
        return lr, float(self.beta_1), float(self.beta_2)

    def _update(self, param, grad, slots, constants):
        rules.lion(param, grad, slots["momentum"], *constants)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
