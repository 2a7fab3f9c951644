"""Adam, Keras's formulation (``keras.optimizers.Adam``; Kingma & Ba, 2015)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Adam(Optimizer):
    r"""Adam with Keras's update, at step ``t = iterations + 1``:

        m <- m + (g - m)(1 - beta_1)
        v <- v + (g^2 - v)(1 - beta_2)            (v_hat = max(v_hat, v) if amsgrad)
        alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
        theta <- theta - alpha m / (sqrt(v) + epsilon)

    (:func:`deepgrad.optim.rules.adam` with ``epsilon_hat``.) The only difference from
    PyTorch's Adam is where ``epsilon`` sits (here it is added before the bias
    correction), and its default (1e-7 here, 1e-8 there).

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_1, beta_2 (float): moment decay rates. Defaults 0.9, 0.999.
        epsilon (float): Default 1e-7.
        amsgrad (bool): keep the running maximum of ``v``. Default False.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum`` (m), ``velocity`` (v), ``velocity_hat`` (amsgrad).
    """

    slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def _slots_for(self, param):
        slots = {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}
        if self.amsgrad:
            slots["velocity_hat"] = np.zeros_like(param)
        return slots

    def _constants(self, lr, t):
        return lr, float(self.beta_1), float(self.beta_2), float(self.epsilon), t

    def _update(self, param, grad, slots, constants):
        lr, beta_1, beta_2, epsilon, t = constants
        rules.adam(param, grad, slots["momentum"], slots["velocity"], lr, beta_1, beta_2,
                   epsilon, t, v_max=slots.get("velocity_hat"), epsilon_hat=True)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
