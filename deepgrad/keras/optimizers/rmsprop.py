"""RMSprop, Keras's formulation (``keras.optimizers.RMSprop``; Hinton, lecture 6e)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class RMSprop(Optimizer):
    r"""Divide the gradient by a running root-mean-square of its recent values:

        v <- rho v + (1 - rho) g^2
        a <- rho a + (1 - rho) g                    (centered only)
        d  = sqrt(v + eps),  or  sqrt(v - a^2 + eps) if centered
        theta <- theta - lr g / d,   or with momentum mu:
        b <- mu b + lr g / d;  theta <- theta - b

    Note ``eps`` sits inside the square root (PyTorch adds it outside), default 1e-7.

    Args:
        learning_rate (float or schedule): Default 0.001.
        rho (float): decay of the running mean square. Default 0.9.
        momentum (float): Default 0.
        epsilon (float): Default 1e-7.
        centered (bool): subtract the squared running mean of the gradient. Default False.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``velocity`` (v), ``momentum`` (b, if mu > 0), ``average_gradient`` (a, centered).
    """

    slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _slots_for(self, param):
        slots = {"velocity": np.zeros_like(param)}
        if self.momentum > 0:
            slots["momentum"] = np.zeros_like(param)
        if self.centered:
            slots["average_gradient"] = np.zeros_like(param)
        return slots

    def _constants(self, lr, t):
        return lr, float(self.rho), float(self.epsilon), float(self.momentum)

    def _update(self, param, grad, slots, constants):
        lr, rho, epsilon, momentum = constants
        rules.rmsprop(param, grad, slots["velocity"], lr, rho, epsilon,
                      buf=slots.get("momentum"), momentum=momentum,
                      avg=slots.get("average_gradient"), eps_in_sqrt=True, lr_in_velocity=True)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
