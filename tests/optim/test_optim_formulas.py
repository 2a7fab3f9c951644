"""The new optimizers against their docstring formulas, written out in NumPy (no torch
needed): eight steps with fixed gradients, every option that changes the formula."""
import math

import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter

RNG = np.random.default_rng(0)
THETA0 = {"matrix": RNG.standard_normal((4, 3)), "vector": RNG.standard_normal(5)}
GRADS = {k: [RNG.standard_normal(v.shape) for _ in range(8)] for k, v in THETA0.items()}


def _run(name, kwargs, key):
    p = Parameter(THETA0[key].copy())
    opt = getattr(optim, name)([p], **kwargs)
    for g in GRADS[key]:
        p.grad = deepgrad.tensor(g)
        opt.step()
    return p.array


def _grad(theta, g, wd, maximize):
    g = -g if maximize else g
    return g + wd * theta


# ---------------------------------------------------------------------- references
def adadelta(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    v, u = np.zeros_like(theta), np.zeros_like(theta)
    for g in grads:
        g = _grad(theta, g, weight_decay, maximize)
        v = rho * v + (1 - rho) * g ** 2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta ** 2
        theta = theta - lr * delta
    return theta


def adamax(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
           maximize=False):
    (b1, b2), m, u = betas, np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        g = _grad(theta, g, weight_decay, maximize)
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        theta = theta - lr / (1 - b1 ** t) * m / u
    return theta


def nadam(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
          momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    (b1, b2), m, v, prod = betas, np.zeros_like(theta), np.zeros_like(theta), 1.0
    for t, g in enumerate(grads, 1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
            g = _grad(theta, g, 0, maximize)
        else:
            g = _grad(theta, g, weight_decay, maximize)
        mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        d = np.sqrt(v / (1 - b2 ** t)) + eps
        theta = (theta - lr * (1 - mu) / (1 - prod) * g / d
                 - lr * mu_next / (1 - prod * mu_next) * m / d)
    return theta


def radam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
          decoupled_weight_decay=False, maximize=False):
    (b1, b2), m, v = betas, np.zeros_like(theta), np.zeros_like(theta)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, 1):
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
            g = _grad(theta, g, 0, maximize)
        else:
            g = _grad(theta, g, weight_decay, maximize)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho > 5:
            l = math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            theta = theta - lr * m_hat * l * r
        else:
            theta = theta - lr * m_hat
    return theta


def asgd(theta, grads, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
         maximize=False):
    eta, mu, ax = lr, 1.0, np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        g = _grad(theta, g, weight_decay, maximize)
        theta = (1 - lambd * eta) * theta - eta * g
        ax = theta.copy() if mu == 1 else ax + mu * (theta - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return theta, ax


def rprop(theta, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    (eta_minus, eta_plus), (s_min, s_max) = etas, step_sizes
    prev, s = np.zeros_like(theta), np.full_like(theta, lr)
    for g in grads:
        g = -g if maximize else g.copy()
        k = np.where(g * prev > 0, eta_plus, np.where(g * prev < 0, eta_minus, 1.0))
        s = np.clip(k * s, s_min, s_max)
        g[k == eta_minus] = 0
        theta = theta - np.sign(g) * s
        prev = g
    return theta


def adafactor(theta, grads, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
              weight_decay=0.0, maximize=False):
    eps1 = np.finfo(theta.dtype).eps if eps[0] is None else eps[0]
    rms = lambda x: np.sqrt(np.mean(x ** 2))       # noqa: E731
    R = C = V = 0.0
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        beta2 = 1 - t ** beta2_decay
        alpha = max(eps[1], rms(theta)) * min(lr, 1 / math.sqrt(t))
        theta = theta * (1 - lr * weight_decay)
        if g.ndim > 1:
            R = beta2 * R + (1 - beta2) * np.mean(g ** 2, axis=-1, keepdims=True)
            C = beta2 * C + (1 - beta2) * np.mean(g ** 2, axis=-2, keepdims=True)
            var = R @ C / np.maximum(np.mean(R, axis=-2, keepdims=True), eps1)
        else:
            V = beta2 * V + (1 - beta2) * g ** 2
            var = V
        U = g / np.sqrt(np.maximum(var, eps1 ** 2))
        theta = theta - alpha * U / max(1, rms(U) / d)
    return theta


CASES = [
    ("Adadelta", adadelta, dict()),
    ("Adadelta", adadelta, dict(lr=0.5, rho=0.7, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", adamax, dict()),
    ("Adamax", adamax, dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.2, maximize=True)),
    ("NAdam", nadam, dict()),
    ("NAdam", nadam, dict(lr=0.05, momentum_decay=0.1, weight_decay=0.1)),
    ("NAdam", nadam, dict(weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", radam, dict()),                     # plain steps, rectified from t = 6 on
    ("RAdam", radam, dict(betas=(0.5, 0.4), weight_decay=0.1)),
    ("RAdam", radam, dict(betas=(0.8, 0.5), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", rprop, dict()),
    ("Rprop", rprop, dict(lr=0.1, etas=(0.3, 1.7), step_sizes=(0.05, 0.15), maximize=True)),
    ("Adafactor", adafactor, dict()),
    ("Adafactor", adafactor, dict(lr=0.2, beta2_decay=-0.5, eps=(1e-3, 1e-1), d=1.1,
                                  weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("key", ["matrix", "vector"])
@pytest.mark.parametrize("name, reference, kwargs", CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_matches_the_docstring_formula(name, reference, kwargs, key):
    expected = reference(THETA0[key], GRADS[key], **kwargs)
    np.testing.assert_allclose(_run(name, kwargs, key), expected, rtol=1e-12, atol=1e-14)


def test_radam_switches_to_the_rectified_step():
    """With beta2 = 0.9 the SMA length passes 5 at step 6: the first five steps are plain
    momentum steps (no adaptive scaling)."""
    p = Parameter(np.zeros(3))
    opt = optim.RAdam([p], lr=0.1, betas=(0.0, 0.9))
    for t in range(5):
        p.grad = deepgrad.tensor(np.array([1.0, -2.0, 4.0]))
        opt.step()
    np.testing.assert_allclose(p.array, -0.5 * np.array([1.0, -2.0, 4.0]), rtol=1e-14)


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.05, lambd=0.01, alpha=0.5, t0=2,
                                                 weight_decay=0.1, maximize=True)], ids=str)
def test_asgd_parameters_and_average(kwargs):
    p = Parameter(THETA0["matrix"].copy())
    opt = optim.ASGD([p], **kwargs)
    for g in GRADS["matrix"]:
        p.grad = deepgrad.tensor(g)
        opt.step()
    theta, ax = asgd(THETA0["matrix"], GRADS["matrix"], **kwargs)
    np.testing.assert_allclose(p.array, theta, rtol=1e-12)
    np.testing.assert_allclose(opt.state[p]["ax"], ax, rtol=1e-12)


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop",
                                  "Adafactor", "SparseAdam"])
def test_float32_in_float32_out(name):
    p = Parameter(THETA0["matrix"].astype(np.float32))
    opt = getattr(optim, name)([p])
    for g in GRADS["matrix"]:
        p.grad = deepgrad.tensor(g.astype(np.float32))
        opt.step()
    assert p.array.dtype == np.float32
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    expected = _run(name, {}, "matrix")
    np.testing.assert_allclose(p.array, expected, rtol=1e-4, atol=1e-5)
