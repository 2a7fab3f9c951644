"""Adagrad, Keras's formulation (``keras.optimizers.Adagrad``; Duchi et al., 2011)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Per-coordinate steps shrinking with the sum of all past squared gradients:

        acc <- acc + g^2                      (acc starts at initial_accumulator_value)
        theta <- theta - lr g / sqrt(acc + eps)

    Args:
        learning_rate (float or schedule): Default 0.001.
        initial_accumulator_value (float): Default 0.1.
        epsilon (float): Default 1e-7 (inside the square root).
        **kwargs: weight_decay, clipnorm, clipvalue, global_clipnorm, name, lr, decay.

    Slots: ``accumulator``.
    """

    slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def init_state(self, param, group):
        return {"accumulator": np.full_like(param, self.initial_accumulator_value)}

    def hyperparameters(self, lr):
        return lr, float(self.epsilon)

    def update_step(self, param, grad, state, hp):
        lr, eps = hp
        acc = state["accumulator"]
        tmp = np.empty_like(param)
        np.multiply(grad, grad, out=tmp)          # acc <- acc + g^2
        acc += tmp
        np.add(acc, eps, out=tmp)                 # theta <- theta - lr g / sqrt(acc + eps)
        np.sqrt(tmp, out=tmp)
        np.divide(grad, tmp, out=tmp)
        tmp *= lr
        param -= tmp

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
