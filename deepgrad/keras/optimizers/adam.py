"""Adam, Keras's formulation (``keras.optimizers.Adam``; Kingma & Ba, 2015)."""
import math

import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer


def adam_step_size(lr, beta_1, beta_2, t):
    """``alpha_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)``: both bias corrections folded
    into one scalar (Keras's form; ``eps`` is then added to the uncorrected ``sqrt(v)``)."""
    return lr * math.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)


def update_moments(grad, m, v, tmp, beta_1, beta_2):
    """The two moment updates, in place (``tmp``, shaped like ``grad``, is scratch space):

        m <- m + (g - m)(1 - beta_1)
        v <- v + (g^2 - v)(1 - beta_2)
    """
    np.subtract(grad, m, out=tmp)
    tmp *= 1.0 - beta_1
    m += tmp
    np.multiply(grad, grad, out=tmp)
    tmp -= v
    tmp *= 1.0 - beta_2
    v += tmp


def adam_update(param, grad, state, alpha, beta_1, beta_2, epsilon, amsgrad):
    """The Adam moment updates and step, in place, with one temporary array."""
    m, v = state["momentum"], state["velocity"]
    tmp = np.empty_like(param)
    update_moments(grad, m, v, tmp, beta_1, beta_2)
    if amsgrad:
        v = np.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
    np.sqrt(v, out=tmp)                           # theta <- theta - alpha m / (sqrt(v) + eps)
    tmp += epsilon
    np.divide(m, tmp, out=tmp)
    tmp *= alpha
    param -= tmp


def adam_slots(param, amsgrad):
    slots = {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}
    if amsgrad:
        slots["velocity_hat"] = np.zeros_like(param)
    return slots


class Adam(Optimizer):
    r"""Adam with Keras's update, at step ``t = iterations + 1``:

        m <- m + (g - m)(1 - beta_1)
        v <- v + (g^2 - v)(1 - beta_2)            (v_hat = max(v_hat, v) if amsgrad)
        alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
        theta <- theta - alpha m / (sqrt(v) + epsilon)

    The only difference from PyTorch's Adam is where ``epsilon`` sits (here it is added
    before the bias correction), and its default (1e-7 here, 1e-8 there).

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1, beta_2 (float): moment decay rates. Defaults 0.9, 0.999.
        epsilon (float): Default 1e-7.
        amsgrad (bool): keep the running maximum of ``v``. Default False.
        **kwargs: weight_decay, clipnorm, clipvalue, global_clipnorm, name, lr, decay.

    Slots: ``momentum`` (m), ``velocity`` (v), ``velocity_hat`` (amsgrad).
    """

    slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def init_state(self, param, group):
        return adam_slots(param, self.amsgrad)

    def hyperparameters(self, lr):
        t = self.iterations + 1
        return (adam_step_size(lr, self.beta_1, self.beta_2, t), float(self.beta_1),
                float(self.beta_2), float(self.epsilon), bool(self.amsgrad))

    def update_step(self, param, grad, state, hp):
        adam_update(param, grad, state, *hp)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
