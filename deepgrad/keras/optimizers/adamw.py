"""AdamW: Adam with decoupled weight decay (``keras.optimizers.AdamW``; Loshchilov &
Hutter, 2019)."""
from deepgrad.keras.optimizers.adam import Adam


class AdamW(Adam):
    r"""Adam whose weight decay acts on the weights, not through the gradient:

        theta <- theta - lr * weight_decay * theta          (the base class, every step)
        theta <- Adam's update of theta                      (see :class:`Adam`)

    The decay step is the :class:`Optimizer` base's, so only the defaults differ from
    :class:`Adam`: ``weight_decay`` is required here.

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
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
