"""RMSprop, Keras's formulation (``keras.optimizers.RMSprop``; Hinton, lecture 6e)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer


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
        **kwargs: weight_decay, clipnorm, clipvalue, global_clipnorm, name, lr, decay.

    Slots: ``velocity`` (v), ``momentum`` (b, if mu > 0), ``average_gradient`` (a, centered).
    """

    slot_groups = (("velocity",), ("momentum",), ("average_gradient",))

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def init_state(self, param, group):
        slots = {"velocity": np.zeros_like(param)}
        if self.momentum > 0:
            slots["momentum"] = np.zeros_like(param)
        if self.centered:
            slots["average_gradient"] = np.zeros_like(param)
        return slots

    def hyperparameters(self, lr):
        return lr, float(self.rho), float(self.momentum), float(self.epsilon), bool(self.centered)

    def update_step(self, param, grad, state, hp):
        lr, rho, momentum, eps, centered = hp
        v = state["velocity"]
        tmp = np.empty_like(param)
        np.multiply(grad, grad, out=tmp)          # v <- rho v + (1 - rho) g^2
        tmp *= 1.0 - rho
        v *= rho
        v += tmp
        if centered:
            a = state["average_gradient"]         # a <- rho a + (1 - rho) g
            np.multiply(grad, 1.0 - rho, out=tmp)
            a *= rho
            a += tmp
            np.multiply(a, a, out=tmp)            # d^2 = v - a^2 + eps
            np.subtract(v, tmp, out=tmp)
            tmp += eps
        else:
            np.add(v, eps, out=tmp)               # d^2 = v + eps
        np.sqrt(tmp, out=tmp)
        np.divide(grad, tmp, out=tmp)             # increment = lr g / d
        tmp *= lr
        if momentum > 0:
            b = state["momentum"]
            b *= momentum
            b += tmp
            param -= b
        else:
            param -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
