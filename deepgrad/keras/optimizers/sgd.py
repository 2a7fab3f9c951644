"""SGD with optional (Nesterov) momentum, Keras's formulation (``keras.optimizers.SGD``)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    r"""Gradient descent with momentum, as Keras writes it (the velocity carries ``lr``):

        no momentum:   theta <- theta - lr g
        momentum mu:   v <- mu v - lr g;   theta <- theta + v
        nesterov:      v <- mu v - lr g;   theta <- theta + mu v - lr g

    (PyTorch keeps ``lr`` outside the buffer, ``b <- mu b + g; theta <- theta - lr b``;
    the two agree while ``lr`` is constant.)

    Args:
        learning_rate (float or schedule): Default 0.01.
        momentum (float): ``mu`` in [0, 1]. Default 0.
        nesterov (bool): Nesterov momentum. Default False.
        **kwargs: weight_decay, clipnorm, clipvalue, global_clipnorm, name, lr, decay
            (see :class:`~deepgrad.keras.optimizers.optimizer.Optimizer`).

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

    def init_state(self, param, group):
        return {"momentum": np.zeros_like(param)} if self.momentum else {}

    def hyperparameters(self, lr):
        return lr, self.momentum, self.nesterov

    def update_step(self, param, grad, state, hp):
        lr, momentum, nesterov = hp
        step = np.empty_like(param)                   # lr g (the one temporary)
        np.multiply(grad, lr, out=step)
        if not momentum:
            param -= step
            return
        v = state["momentum"]
        v *= momentum                                 # v <- mu v - lr g
        v -= step
        if nesterov:                                  # theta += mu v - lr g
            param -= step
            np.multiply(v, momentum, out=step)
            param += step
        else:
            param += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
