"""ScheduleFreeAdamW and Muon (Keras 3.15's newer optimizers), on the shared rules of
:mod:`deepgrad.optim.rules`."""
import re

import numpy as np

from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.optim import rules


class ScheduleFreeAdamW(Optimizer):
    r"""Schedule-free AdamW (:func:`deepgrad.optim.rules.schedule_free_adamw`): no
    learning-rate schedule needed; the weights hold the interpolation y between the base
    sequence z and its running average x.

    Args:
        learning_rate (0.0025), beta_1 (0.9), beta_2 (0.999), epsilon (1e-8),
        warmup_steps (0: none; else lr grows linearly over that many steps),
        **kwargs: the base arguments (weight_decay, clipping, EMA, ...).

    Slots: ``momentum`` (z, starting at the weights), ``velocity`` (v).

    Keras 3.15 on its torch backend differs after the first step: there
    ``momentum_old = momentum.value`` aliases the slot, so x is recovered from the new z;
    deepgrad follows the published rule (and Keras's TensorFlow/JAX backends), where x is
    recovered from the old z.
    """

    slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, **kwargs):
        if not 0 < beta_1 <= 1:
            raise ValueError(f"`beta_1` must be in (0, 1]; received beta_1={beta_1}")
        if warmup_steps < 0:
            raise ValueError(f"`warmup_steps` must be >= 0; received {warmup_steps}")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps

    def _slots_for(self, param):
        return {"momentum": param.copy(), "velocity": np.zeros_like(param)}

    def _constants(self, lr, t):
        if self.warmup_steps > 0:
            lr = lr * min(t / self.warmup_steps, 1.0)
        return lr, float(self.beta_1), float(self.beta_2), float(self.epsilon), t

    def _update(self, param, grad, slots, constants):
        rules.schedule_free_adamw(param, grad, slots["momentum"], slots["velocity"],
                                  *constants)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024) for 2-D weights, AdamW for the rest, as Keras 3:

        2-D (not embeddings, not ``exclude_layers``): :func:`deepgrad.optim.rules.muon`
                                                       with decoupled ``weight_decay``
        others: Keras's Adam step (epsilon hat) at ``lr * adam_lr_ratio`` with decoupled
                ``adam_weight_decay``

    A variable counts as an embedding when ``"embedding"`` is in its path
    (``exclude_embeddings``); ``exclude_layers`` are regular expressions on the path.

    Slots: ``momentum``; ``velocity`` for the AdamW variables.
    """

    slot_groups = (("momentum",), ("velocity",))

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.775,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True,
                 rms_rate=0.2, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=None, **kwargs)
        self.adam_beta_1, self.adam_beta_2 = adam_beta_1, adam_beta_2
        self.adam_weight_decay, self.muon_weight_decay = adam_weight_decay, weight_decay
        self.epsilon, self.exclude_layers = epsilon, list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.rms_rate = nesterov, rms_rate

    def _uses_adam(self, var):
        if var.ndim != 2:
            return True
        path = str(getattr(var, "path", None) or getattr(var, "name", None) or "")
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in self.exclude_layers)

    def build(self, var_list):
        new = [v for v in var_list if v not in self.state]
        super().build(var_list)
        for v in new:
            if not self._uses_adam(v):
                del self.state[v]["velocity"]

    def _slots_for(self, param):
        return {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}

    def _constants(self, lr, t):
        return lr, t

    def _update(self, param, grad, slots, constants):
        lr, t = constants
        if "velocity" in slots:
            adam_lr = lr * self.adam_lr_ratio
            if self.adam_weight_decay:
                param *= 1.0 - adam_lr * self.adam_weight_decay
            rules.adam(param, grad, slots["momentum"], slots["velocity"], adam_lr,
                       self.adam_beta_1, self.adam_beta_2, self.epsilon, t,
                       epsilon_hat=True)
        else:
            if self.muon_weight_decay:
                param *= 1.0 - lr * self.muon_weight_decay
            rules.muon(param, grad, slots["momentum"], lr, self.momentum, self.nesterov,
                       self.ns_steps, (self.muon_a, self.muon_b, self.muon_c), self.rms_rate)

    def get_config(self):
        config = super().get_config()
        config["weight_decay"] = self.muon_weight_decay
        return {**config, "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "adam_weight_decay": self.adam_weight_decay, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "exclude_embeddings": self.exclude_embeddings, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "rms_rate": self.rms_rate}
