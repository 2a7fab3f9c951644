"""LAMB, Keras's formulation (``keras.optimizers.Lamb``; You et al., 2019)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Lamb(Optimizer):
    r"""Adam steps rescaled per variable by ``||theta|| / ||step||``, at ``t = iterations + 1``:

        m <- m + (g - m)(1 - beta_1);   v <- v + (g^2 - v)(1 - beta_2)
        r = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)
        theta <- theta - lr ||theta|| / ||r|| r        (ratio 1 when a norm is 0)

    (:func:`deepgrad.optim.rules.lamb`.)

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1, beta_2 (float): Defaults 0.9, 0.999.
        epsilon (float): Default 1e-7.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum`` (m), ``velocity`` (v).
    """

    slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}

    def _constants(self, lr, t):
        return lr, float(self.beta_1), float(self.beta_2), float(self.epsilon), t

    def _update(self, param, grad, slots, constants):
        rules.lamb(param, grad, slots["momentum"], slots["velocity"], *constants)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
