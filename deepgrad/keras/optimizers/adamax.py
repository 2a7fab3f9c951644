"""Adamax, Keras's formulation (``keras.optimizers.Adamax``; Kingma & Ba, 2015, sec. 7)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Adamax(Optimizer):
    r"""Adam with the infinity norm, at step ``t = iterations + 1``:

        m <- m + (g - m)(1 - beta_1)
        u <- max(beta_2 u, |g|)
        theta <- theta - lr m / ((1 - beta_1^t)(u + epsilon))

    (:func:`deepgrad.optim.rules.adamax`; PyTorch puts ``epsilon`` inside the max.)

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1, beta_2 (float): Defaults 0.9, 0.999.
        epsilon (float): Default 1e-7.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum`` (m), ``norm`` (u).
    """

    slot_groups = (("momentum", "norm"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param), "norm": np.zeros_like(param)}

    def _constants(self, lr, t):
        return lr, float(self.beta_1), float(self.beta_2), float(self.epsilon), t

    def _update(self, param, grad, slots, constants):
        rules.adamax(param, grad, slots["momentum"], slots["norm"], *constants)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
