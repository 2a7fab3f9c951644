"""Adadelta, Keras's formulation (``keras.optimizers.Adadelta``; Zeiler, 2012)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Adadelta(Optimizer):
    r"""Steps scaled by the ratio of running RMS of past updates to that of gradients:

        E[g^2]  <- rho E[g^2] + (1 - rho) g^2
        delta    = -sqrt(E[dx^2] + eps) g / sqrt(E[g^2] + eps)
        E[dx^2] <- rho E[dx^2] + (1 - rho) delta^2
        theta   <- theta + lr delta

    Args:
        learning_rate (float or schedule): Default 0.001 (Keras's; the paper uses 1.0).
        rho (float): decay rate. Default 0.95.
        epsilon (float): Default 1e-7.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``accumulated_grad`` (E[g^2]), ``accumulated_delta_var`` (E[dx^2]).
    """

    slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _slots_for(self, param):
        return {"accumulated_grad": np.zeros_like(param),
                "accumulated_delta_var": np.zeros_like(param)}

    def _constants(self, lr, t):
        return lr, float(self.rho), float(self.epsilon)

    def _update(self, param, grad, slots, constants):
        lr, rho, epsilon = constants
        rules.adadelta(param, grad, slots["accumulated_grad"], slots["accumulated_delta_var"],
                       lr, rho, epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
