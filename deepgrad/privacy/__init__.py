"""deepgrad.privacy: differentially private training, with Opacus's names on the PyTorch
front and TensorFlow Privacy's on the Keras front.

DP-SGD (Abadi et al. 2016) replaces each step's gradient by

    g = (sum_{n in batch} clip(g_n) + N(0, sigma^2 C^2 I)) / E[batch size],
    clip(g_n) = g_n min(1, C / ||g_n||_2),

with g_n the gradient of sample n's loss (per-sample gradients), C the clipping norm
(``max_grad_norm``, ``l2_norm_clip``) and sigma the noise multiplier; batches are drawn by
Poisson sampling (each example independently with probability q). An accountant turns
(q, sigma, steps) into the (epsilon, delta) spent.

Where things live:

* ``grad_sample/``: per-sample gradients (``GradSampleModule``; a closed form per layer
  type and a generic fallback);
* ``optimizers/``: ``DPOptimizer`` (clip, noise, average; wraps any optimizer);
* ``data_loader.py``: ``DPDataLoader`` (Poisson sampling); ``utils/``:
  ``BatchMemoryManager`` (large logical batches in small physical ones);
* ``accountants/``: RDP, PRV and GDP accountants, ``get_noise_multiplier``;
* ``privacy_engine.py``: ``PrivacyEngine`` (``make_private``, ``make_private_with_epsilon``,
  ``get_epsilon``);
* ``keras/``: TF Privacy's ``DPKerasSGDOptimizer``, ``DPKerasAdamOptimizer``...,
  ``compute_dp_sgd_privacy``.

Nothing here is imported by ``import deepgrad``; names load on first use.
"""
import importlib

_LAZY = {
    "PrivacyEngine": "deepgrad.privacy.privacy_engine",
    "GradSampleModule": "deepgrad.privacy.grad_sample",
    "register_grad_sampler": "deepgrad.privacy.grad_sample",
    "DPOptimizer": "deepgrad.privacy.optimizers",
    "DPDataLoader": "deepgrad.privacy.data_loader",
    "BatchMemoryManager": "deepgrad.privacy.utils.batch_memory_manager",
    "ModuleValidator": "deepgrad.privacy.validators",
    "RDPAccountant": "deepgrad.privacy.accountants",
    "PRVAccountant": "deepgrad.privacy.accountants",
    "GaussianAccountant": "deepgrad.privacy.accountants",
    "get_noise_multiplier": "deepgrad.privacy.accountants",
    "DPKerasSGDOptimizer": "deepgrad.privacy.keras",
    "DPKerasAdamOptimizer": "deepgrad.privacy.keras",
    "DPKerasAdagradOptimizer": "deepgrad.privacy.keras",
    "compute_dp_sgd_privacy": "deepgrad.privacy.keras",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'deepgrad.privacy' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
