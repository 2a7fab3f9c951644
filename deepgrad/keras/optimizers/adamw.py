"""AdamW: Adam with decoupled weight decay (``keras.optimizers.AdamW``; Loshchilov &
Hutter, 2019)."""
from deepgrad.keras.optimizers.adam import adam_slots, adam_step_size, adam_update
from deepgrad.keras.optimizers.optimizer import Optimizer


class AdamW(Optimizer):
    r"""Adam whose weight decay acts on the weights, not through the gradient:

        theta <- theta - lr * weight_decay * theta          (the base class, every step)
        theta <- Adam's update of theta                      (see :class:`Adam`)

    Args:
        learning_rate (float or schedule): Default 0.001.
        weight_decay (float): Default 0.004 (Keras's; required).
        beta_1, beta_2, epsilon, amsgrad: as :class:`Adam` (0.9, 0.999, 1e-7, False).
        **kwargs: clipnorm, clipvalue, global_clipnorm, name, lr, decay.

    Slots: ``momentum``, ``velocity``, ``velocity_hat`` (amsgrad).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float; received "
                             "weight_decay=None")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
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
