"""SGD with optional (Nesterov) momentum, Keras's formulation (``keras.optimizers.SGD``)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class SGD(Optimizer):
    r"""Gradient descent with momentum, as Keras writes it (the velocity carries ``lr``):

        no momentum:   theta <- theta - lr g
        momentum mu:   v <- mu v - lr g;   theta <- theta + v
        nesterov:      v <- mu v - lr g;   theta <- theta + mu v - lr g

    (:func:`deepgrad.optim.rules.sgd` with ``lr_in_velocity``; PyTorch keeps ``lr``
    outside the buffer, ``b <- mu b + g; theta <- theta - lr b``; the two agree while
    ``lr`` is constant.)

    Args:
        learning_rate (float or schedule): Default 0.01.
        momentum (float): ``mu`` in [0, 1]. Default 0.
        nesterov (bool): Nesterov momentum. Default False.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...; see
            :class:`~deepgrad.keras.optimizers.optimizer.Optimizer`).

    Slots: ``momentum`` (``v``), only when ``mu > 0``.
    """

    slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or \
                not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]; received "
                             f"momentum={momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param)} if self.momentum else {}

    def _constants(self, lr, t):
        return lr, self.momentum, self.nesterov

    def _update(self, param, grad, slots, constants):
        lr, momentum, nesterov = constants
        rules.sgd(param, grad, slots.get("momentum"), lr, momentum, nesterov=nesterov,
                  lr_in_velocity=True)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
