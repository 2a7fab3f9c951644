"""Each optimizer against a plain NumPy transcription of its documented update rule.

The references below are written from the formulas in the class docstrings (PyTorch's
pseudo-code), out of place and without any of the implementation's buffer reuse. Random
parameters of several shapes (a 0-d one included) get random gradients for a few steps.
"""
import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter

SHAPES = [(4, 3), (3,), ()]


# ---------------------------------------------------------------------- references
def ref_sgd(theta, g, st, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
            nesterov=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * theta
    if momentum:
        st["b"] = g if t == 1 else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return theta - lr * g


def ref_adam(theta, g, st, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
             amsgrad=False, maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        theta = theta * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * theta
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    v = st["vmax"] = np.maximum(st.get("vmax", 0), st["v"]) if amsgrad else st["v"]
    m_hat = st["m"] / (1 - b1 ** t)
    return theta - lr * m_hat / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)


def ref_adamw(theta, g, st, t, weight_decay=1e-2, **kw):
    return ref_adam(theta, g, st, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(theta, g, st, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * theta
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g ** 2
    if centered:
        st["a"] = alpha * st.get("a", 0) + (1 - alpha) * g
        r = np.sqrt(st["v"] - st["a"] ** 2) + eps
    else:
        r = np.sqrt(st["v"]) + eps
    if momentum > 0:
        st["b"] = momentum * st.get("b", 0) + g / r
        return theta - lr * st["b"]
    return theta - lr * g / r


def ref_adagrad(theta, g, st, t, lr=1e-2, lr_decay=0, weight_decay=0,
                initial_accumulator_value=0, eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * theta
    clr = lr / (1 + (t - 1) * lr_decay)
    st["s"] = st.get("s", initial_accumulator_value) + g ** 2
    return theta - clr * g / (np.sqrt(st["s"]) + eps)


CASES = [
    ("SGD", ref_sgd, dict(lr=0.1)),
    ("SGD", ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.05)),
    ("SGD", ref_sgd, dict(lr=0.1, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", ref_adam, dict(lr=0.01)),
    ("Adam", ref_adam, dict(lr=0.01, betas=(0.7, 0.9), weight_decay=0.1, amsgrad=True)),
    ("Adam", ref_adam, dict(lr=0.01, eps=1e-3, maximize=True)),
    ("AdamW", ref_adamw, dict(lr=0.01)),
    ("AdamW", ref_adamw, dict(lr=0.01, weight_decay=0.5, amsgrad=True, maximize=True)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.9, weight_decay=0.1)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", ref_adagrad, dict(lr=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1,
                                  initial_accumulator_value=0.3, eps=1e-6, maximize=True)),
]


def _id(case):
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in case[2].items())


def _run(name, kwargs, dtype, steps=5, seed=0):
    """Run deepgrad on random params and gradients; return params, optimizer, inputs."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    params = [Parameter(np.asarray(a, dtype=dtype)) for a in init]
    opt = getattr(optim, name)(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = deepgrad.Tensor(np.asarray(g, dtype=dtype))
        opt.step()
    return params, opt, init, grads


def _reference(ref, kwargs, init, grads):
    thetas, states = [np.array(a) for a in init], [{} for _ in init]
    for t, step_grads in enumerate(grads, start=1):
        thetas = [ref(th, g, st, t, **kwargs) for th, g, st in zip(thetas, step_grads, states)]
    return thetas


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_reference_float64(case):
    name, ref, kwargs = case
    params, _, init, grads = _run(name, kwargs, np.float64)
    for p, expected in zip(params, _reference(ref, kwargs, init, grads)):
        assert p.array.dtype == np.float64
        np.testing.assert_allclose(p.array, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_float32_stays_float32(case):
    """float32 parameters keep float32 values and float32 state, close to the reference."""
    name, ref, kwargs = case
    params, opt, init, grads = _run(name, kwargs, np.float32)
    init32 = [np.asarray(a, np.float32).astype(np.float64) for a in init]
    grads32 = [[np.asarray(g, np.float32).astype(np.float64) for g in gs] for gs in grads]
    for p, expected in zip(params, _reference(ref, kwargs, init32, grads32)):
        assert p.array.dtype == np.float32
        np.testing.assert_allclose(p.array, expected, rtol=1e-5, atol=1e-6)
    for p in params:
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key
                assert value.shape == p.shape, key


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_numpy_float64_hyperparameters_keep_float32(name):
    """Hyperparameters given as NumPy float64 scalars do not upcast float32 updates."""
    kwargs = {"lr": np.float64(0.01)}
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = np.float64(0.9)
    if name in ("Adam", "AdamW"):
        kwargs["betas"] = (np.float64(0.9), np.float64(0.99))
    params, opt, _, _ = _run(name, kwargs, np.float32, steps=2)
    assert all(p.array.dtype == np.float32 for p in params)
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values()
               if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_updates_in_place(name):
    """``p.array`` is updated in place (same buffer); ``p.grad`` is left untouched."""
    kwargs = {"SGD": dict(momentum=0.9, weight_decay=0.1)}.get(name, {})
    p = Parameter(np.ones((3, 2)))
    buffer = p.array
    g = np.full((3, 2), 0.5)
    p.grad = deepgrad.Tensor(g.copy())
    opt = getattr(optim, name)([p], **kwargs)
    opt.step()
    assert p.array is buffer
    assert not np.allclose(p.array, 1.0)
    np.testing.assert_array_equal(p.grad.array, g)
