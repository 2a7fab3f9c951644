"""Adafactor, Keras's formulation (``keras.optimizers.Adafactor``; Shazeer & Stern, 2018)."""
import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class Adafactor(Optimizer):
    r"""Adam-like steps with a factored second moment, at step ``t = iterations + 1``
    (:func:`deepgrad.optim.rules.adafactor` with ``eps1_added``):

        rho = min(lr, 1 / sqrt(t));   alpha = max(epsilon_2, RMS(theta)) rho
        s = g^2 + epsilon_1;   w = t^beta_2_decay
        >= 2-D theta:  r <- r + w (mean_{-1} s - r);   c <- c + w (mean_{-2} s - c)
                       v = (r / mean(r)) c             (outer product over the last two axes)
        otherwise:     v <- v + w (s - v)
        u = g / sqrt(v);   theta <- theta - alpha u / max(1, RMS(u) / clip_threshold)

    Args:
        learning_rate (float or schedule): Default 0.001.
        beta_2_decay (float): Default -0.8.
        epsilon_1 (float): Default 1e-30.
        epsilon_2 (float): Default 1e-3.
        clip_threshold (float): Default 1.0.
        relative_step (bool): Keras's ``lr = min(lr, 1 / sqrt(t))``; ``rho`` takes that
            minimum in either case, so both values give the same steps. Default True.
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots per variable, in Keras's order: ``r`` (``shape[:-1]``), ``c``
    (``shape[:-2] + shape[-1:]``), ``velocity`` (v); a variable of fewer than two
    dimensions has 0-d placeholders for ``r`` and ``c``, as in Keras.
    """

    slot_groups = (("r", "c", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _slots_for(self, param):
        if param.ndim < 2:
            r = c = None
        else:
            r = np.zeros(param.shape[:-1], param.dtype)
            c = np.zeros(param.shape[:-2] + param.shape[-1:], param.dtype)
        return {"r": np.zeros((), param.dtype) if r is None else r,
                "c": np.zeros((), param.dtype) if c is None else c,
                "velocity": np.zeros_like(param)}

    def _constants(self, lr, t):
        return (lr, t, float(self.beta_2_decay), float(self.epsilon_1), float(self.epsilon_2),
                float(self.clip_threshold))

    def _update(self, param, grad, slots, constants):
        lr, t, decay, eps1, eps2, clip = constants
        factored = param.ndim >= 2
        row = slots["r"][..., None] if factored else None        # views: (..., m, 1)
        col = slots["c"][..., None, :] if factored else None     # and (..., 1, n)
        rules.adafactor(param, grad, row, col, slots["velocity"], lr, t, decay, eps1, eps2,
                        clip, eps1_added=True)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
