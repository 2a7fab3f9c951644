"""The compiled Adam update equals the NumPy path bit for bit: PyTorch's and Keras's forms,
AMSGrad, float32 and float64, small tensors and blocked large ones, 1 and 2 threads."""
import numpy as np
import pytest

pytest.importorskip("numba")

from deepgrad import kernels  # noqa: E402
from deepgrad.optim import rules  # noqa: E402
from threads import threads  # noqa: E402


def run(flag, size, dtype, amsgrad, epsilon_hat, steps=3, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(size).astype(dtype)
    m, v = np.zeros_like(p), np.zeros_like(p)
    vmax = np.zeros_like(p) if amsgrad else None
    with kernels.use(flag):
        for t in range(1, steps + 1):
            g = rng.standard_normal(size).astype(dtype) * 10.0 ** rng.integers(-6, 3, size)
            g[::97] = 0.0
            rules.adam(p, g.astype(dtype), m, v, 1e-3, 0.9, 0.999, 1e-8, t, vmax,
                       epsilon_hat)
    return p, m, v, vmax


@pytest.mark.parametrize("size", [1, 1000, (3, 70001)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("epsilon_hat", [False, True])
def test_equal_to_numpy_path(size, dtype, amsgrad, epsilon_hat):
    a, b = run(False, size, dtype, amsgrad, epsilon_hat), run(True, size, dtype, amsgrad,
                                                              epsilon_hat)
    for x, y in zip(a, b):
        if x is not None:
            assert y.dtype == dtype
            np.testing.assert_array_equal(y, x)


def test_nan_and_inf_gradients_propagate_as_numpy():
    res = []
    for flag in (False, True):
        p = np.ones(8, np.float32)
        m, v, vmax = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
        g = np.array([np.nan, np.inf, -np.inf, 0, 1, -1, 1e30, 1e-30], np.float32)
        with kernels.use(flag), np.errstate(all="ignore"):
            rules.adam(p, g, m, v, 0.1, 0.9, 0.999, 1e-7, 1, vmax, True)
        res.append((p, m, v, vmax))
    for x, y in zip(*res):
        np.testing.assert_array_equal(y, x)


def test_same_bits_at_one_and_two_threads():
    runs = []
    for n in (1, 2):
        with threads(n):
            runs.append(run(True, 300_000, np.float32, True, False))
    for x, y in zip(*runs):
        np.testing.assert_array_equal(x, y)


def test_non_contiguous_or_mixed_dtype_falls_back_to_numpy():
    p = np.ones((4, 6), np.float32)[:, ::2]
    m, v = np.zeros_like(p), np.zeros_like(p)
    g = np.full(p.shape, 0.5, np.float32)
    with kernels.use(True):
        rules.adam(p, g, m, v, 0.1, 0.9, 0.999, 1e-8, 1)
    q = np.ones((4, 3), np.float32)
    with kernels.use(False):
        rules.adam(q, g, np.zeros_like(q), np.zeros_like(q), 0.1, 0.9, 0.999, 1e-8, 1)
    np.testing.assert_array_equal(p, q)


def test_interleaved_updates_with_other_constants_and_dtypes_are_each_their_own():
    """The compiled call keeps the last step's constants for the next tensor; updates
    that alternate between learning rates, forms, steps and dtypes (two optimizers, or
    threads) must each get their own: every one equals the NumPy path run alone."""
    configs = [(np.float32, 1e-3, False, 1), (np.float64, 1e-3, False, 1),
               (np.float32, 5e-2, False, 1), (np.float32, 1e-3, True, 1),
               (np.float32, 1e-3, False, 2), (np.float64, 5e-2, True, 3)]

    def states():
        rng = np.random.default_rng(7)
        return [[rng.standard_normal((4, 33)).astype(d), None, None] for d, *_ in configs]

    def step(state, config, grad):
        dtype, lr, epsilon_hat, t = config
        p, m, v = state
        state[1] = m = np.zeros_like(p) if m is None else m
        state[2] = v = np.zeros_like(p) if v is None else v
        rules.adam(p, grad.astype(dtype), m, v, lr, 0.9, 0.999, 1e-8, t, None, epsilon_hat)

    grads = [np.random.default_rng(k).standard_normal((4, 33)) for k in range(len(configs))]
    alone = states()
    with kernels.use(False):
        for s, c, g in zip(alone, configs, grads):
            step(s, c, g)
    mixed = states()
    with kernels.use(True):
        for s, c, g in zip(mixed, configs, grads):       # a new constants key every call
            step(s, c, g)
    for a, b in zip(alone, mixed):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(y, x)
