"""Adadelta, Keras's formulation (``keras.optimizers.Adadelta``; Zeiler, 2012)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer


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
        **kwargs: weight_decay, clipnorm, clipvalue, global_clipnorm, name, lr, decay.

    Slots: ``accumulated_grad`` (E[g^2]), ``accumulated_delta_var`` (E[dx^2]).
    """

    slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def init_state(self, param, group):
        return {"accumulated_grad": np.zeros_like(param),
                "accumulated_delta_var": np.zeros_like(param)}

    def hyperparameters(self, lr):
        return lr, float(self.rho), float(self.epsilon)

    def update_step(self, param, grad, state, hp):
        lr, rho, eps = hp
        acc_g, acc_dx = state["accumulated_grad"], state["accumulated_delta_var"]
        tmp, step = np.empty_like(param), np.empty_like(param)
        np.multiply(grad, grad, out=tmp)          # E[g^2] <- rho E[g^2] + (1 - rho) g^2
        tmp *= 1.0 - rho
        acc_g *= rho
        acc_g += tmp
        np.add(acc_dx, eps, out=step)             # step = -delta = sqrt(E[dx^2] + eps) g / ...
        np.sqrt(step, out=step)
        step *= grad
        np.add(acc_g, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        step /= tmp
        np.multiply(step, step, out=tmp)          # E[dx^2] <- rho E[dx^2] + (1 - rho) delta^2
        tmp *= 1.0 - rho
        acc_dx *= rho
        acc_dx += tmp
        step *= lr                                # theta <- theta + lr delta
        param -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
