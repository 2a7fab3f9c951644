"""Nadam: Adam with Nesterov momentum, Keras's formulation (``keras.optimizers.Nadam``;
Dozat, 2016)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


def _mu(beta_1, t):
    """Keras's momentum schedule ``mu_t = beta_1 (1 - 0.5 * 0.96^t)`` (PyTorch's with
    ``momentum_decay = 1``)."""
    return rules.nadam_momentum(beta_1, t, 1.0)


class Nadam(Optimizer):
    r"""Nadam with Keras's momentum schedule, at step ``t = iterations + 1``:

        mu_t = beta_1 (1 - 0.5 * 0.96^t),   P_t = mu_1 mu_2 ... mu_t
        m <- m + (g - m)(1 - beta_1)
        v <- v + (g^2 - v)(1 - beta_2)
        m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t)
        v_hat = v / (1 - beta_2^t)
        theta <- theta - lr m_hat / (sqrt(v_hat) + epsilon)

    (:func:`deepgrad.optim.rules.nadam`, the rule PyTorch's NAdam uses too.)

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1, beta_2 (float): Defaults 0.9, 0.999.
        epsilon (float): Default 1e-7.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum``, ``velocity``. The product ``P_t`` is recomputed from
    ``iterations``, so restoring a state restores it too.
    """

    slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._u_product = (0, 1.0)                # (t, P_t)

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}

    def _extra_variables(self):
        """Keras keeps the product ``P_t`` as a variable after the slots."""
        t = self.iterations
        return [np.asarray(self._product(t) if t else 1.0, np.float32)]

    def _set_extra_variables(self, arrays):
        if len(arrays) != 1:
            raise ValueError(f"{self.name}: expected the momentum product after the slots")
        self._pending_product = float(arrays[0])

    def assign_variables(self, arrays):
        super().assign_variables(arrays)
        self._u_product = (self.iterations, self._pending_product)

    def _product(self, t):
        last, value = self._u_product
        if last == t - 1:
            value *= _mu(self.beta_1, t)
        elif last != t:
            value = 1.0
            for s in range(1, t + 1):
                value *= _mu(self.beta_1, s)
        self._u_product = (t, value)
        return value

    def _constants(self, lr, t):
        b1 = float(self.beta_1)
        return (lr, b1, float(self.beta_2), float(self.epsilon), t, _mu(b1, t), _mu(b1, t + 1),
                self._product(t))

    def _update(self, param, grad, slots, constants):
        rules.nadam(param, grad, slots["momentum"], slots["velocity"], *constants)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
