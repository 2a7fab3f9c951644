"""Muon: momentum orthogonalised by Newton-Schulz iterations (``torch.optim.Muon``)."""
import math

import numpy as np

from deepgrad.optim.optimizer import Optimizer, NON_NEGATIVE
from deepgrad.optim.rules import lerp_

ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    r"""Approximately orthogonalise a matrix: ``U S' V^T`` for ``G = U S V^T``, ``S' ~ 1``.

    With ``(a, b, c) = ns_coefficients`` and ``X`` the matrix (transposed if it has more
    rows than columns, so ``X X^T`` is the smaller Gram matrix):

        X_0 = X / max(||X||_F, eps)                 spectral norm <= 1
        A_k = X_k X_k^T
        X_{k+1} = a X_k + (b A_k + c A_k A_k) X_k   k = 0 .. ns_steps - 1

    a quintic polynomial in the singular values, which drives them towards 1 (Keller
    Jordan's coefficients push them into about [0.7, 1.2] in five steps).

    Computed in the matrix's own dtype. PyTorch rounds ``X`` to bfloat16 first and
    iterates in bfloat16 (a GPU speed choice); NumPy has no bfloat16, so deepgrad's
    result is the same map without that rounding (differences ~1e-2 relative).

    Args:
        grad (ndarray): a 2-D matrix.
        ns_coefficients (tuple[float, float, float]): ``(a, b, c)``.
        ns_steps (int): number of iterations.
        eps (float): floor of the Frobenius norm.

    Returns:
        ndarray: same shape and dtype as ``grad``.
    """
    a, b, c = ns_coefficients
    x = grad.T if grad.shape[0] > grad.shape[1] else grad
    x = x / max(float(np.sqrt(np.vdot(x, x))), eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if grad.shape[0] > grad.shape[1] else x


def adjust_lr(lr, adjust_lr_fn, shape):
    """Muon's rate for an ``A x B`` matrix: ``lr sqrt(max(1, A / B))`` ("original", the
    default) or ``0.2 lr sqrt(max(A, B))`` ("match_rms_adamw", Moonshot's AdamW match)."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    return lr * 0.2 * math.sqrt(max(rows, cols))


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024): momentum SGD whose update is orthogonalised, for the
    2-D weight matrices of hidden layers (optimise biases, embeddings and other parameters
    with another optimizer, e.g. :class:`AdamW`).

    With learning rate ``gamma``, weight decay ``lambda``, momentum ``mu``, Newton-Schulz
    coefficients ``(a, b, c)`` and ``k`` steps, at step ``t`` (PyTorch's formulation):

        g_t = grad f(theta_{t-1})
        B_t = mu B_{t-1} + (1 - mu) g_t                 (a lerp towards g_t)
        B~_t = (1 - mu) g_t + mu B_t   if nesterov,   B_t otherwise
        O_t = NS_k^{(a,b,c)}(B~_t; eps)                 :func:`zeropower_via_newtonschulz`
        theta_t = (1 - gamma lambda) theta_{t-1} - AdjustLR(gamma, shape) O_t

    with ``B_0 = 0`` and ``AdjustLR`` from :func:`adjust_lr`. The Newton-Schulz iteration
    runs in the parameter's dtype, where PyTorch's runs in bfloat16 (see
    :func:`zeropower_via_newtonschulz`).

    Args:
        params (iterable): 2-D parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate ``gamma``. Default 1e-3.
        weight_decay (float): decoupled decay ``lambda``. Default 0.1.
        momentum (float): ``mu``. Default 0.95.
        nesterov (bool): Nesterov-style look-ahead. Default True.
        ns_coefficients (tuple[float, float, float]): ``(a, b, c)``.
            Default (3.4445, -4.775, 2.0315).
        eps (float): floor of the Frobenius norm in the iteration. Default 1e-7.
        ns_steps (int): Newton-Schulz steps, in [0, 100). Default 5.
        adjust_lr_fn (str, optional): ``None``/``"original"`` or ``"match_rms_adamw"``.

    State per parameter: ``momentum_buffer`` (``B_t``).

    Example:
        >>> hidden = [p for p in model.parameters() if p.ndim == 2]
        >>> opt = Muon(hidden, lr=0.02, momentum=0.95)
    """

    checks = {"lr": NON_NEGATIVE, "momentum": NON_NEGATIVE, "weight_decay": NON_NEGATIVE,
              "adjust_lr_fn": (lambda v: v in ADJUST_LR_FNS,
                               "None, 'original' or 'match_rms_adamw'"),
              "ns_steps": (lambda v: int(v) == v and 0 <= v < 100, "an int in [0, 100)"),
              "ns_coefficients": (lambda v: len(v) == 3, "a tuple (a, b, c) of 3 numbers"),
              "eps": NON_NEGATIVE}

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5,
                 adjust_lr_fn=None):
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                        nesterov=nesterov, ns_coefficients=tuple(ns_coefficients), eps=eps,
                        ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)

    def _check_params(self, params):
        super()._check_params(params)
        for p in params:
            if p.ndim != 2:
                raise ValueError(f"Muon only supports 2D parameters, but got a parameter of "
                                 f"shape {tuple(p.shape)}; optimize it with another "
                                 f"optimizer (e.g. AdamW)")

    def hyperparameters(self, group):
        return (float(group["lr"]), float(group["weight_decay"]), float(group["momentum"]),
                bool(group["nesterov"]), tuple(float(c) for c in group["ns_coefficients"]),
                float(group["eps"]), int(group["ns_steps"]), group["adjust_lr_fn"])

    def init_state(self, param, group):
        return {"momentum_buffer": np.zeros_like(param)}

    def update_step(self, param, grad, state, hp):
        lr, weight_decay, momentum, nesterov, coefficients, eps, ns_steps, adjust = hp
        buf = state["momentum_buffer"]
        lerp_(buf, grad, 1 - momentum)           # B = mu B + (1 - mu) g
        update = lerp_(np.array(grad, copy=True), buf, momentum) if nesterov else buf
        ortho = zeropower_via_newtonschulz(update, coefficients, ns_steps, eps)
        param *= 1 - lr * weight_decay
        param += -adjust_lr(lr, adjust, param.shape) * ortho
