"""The compiled GRU steps equal the NumPy path bit for bit (output, state and every
gradient), in both weight layouts, float32 and float64, with and without initial state
and biases, forward and reverse; and the op passes a float64 gradcheck with them."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels, ops  # noqa: E402
from deepgrad.autograd import gradcheck  # noqa: E402
from threads import threads  # noqa: E402


def make_inputs(dtype, layout, init, bias, T=6, B=5, I=7, H=4, seed=0):
    rng = np.random.default_rng(seed)

    def p(*shape):
        return dg.tensor(rng.uniform(-1.5, 1.5, shape).astype(dtype), requires_grad=True)

    x = p(T, B, I)
    w = [p(3 * H, I), p(3 * H, H)] if layout == "pytorch" else [p(I, 3 * H), p(H, 3 * H)]
    b = [p(3 * H), p(3 * H)] if bias else [None, None]
    seeds = [rng.standard_normal(s).astype(dtype) for s in ((T, B, H), (B, H))]
    return [x, p(B, H) if init else None, *w, *b], seeds


def run(inputs, seeds, flag, reverse=False, layout="pytorch", twice=False):
    with kernels.use(flag):
        for t in inputs:
            if t is not None:
                t.grad = None
        out, h = ops.gru_layer(*inputs, reverse=reverse, layout=layout)
        loss = (out * dg.tensor(seeds[0])).sum() + (h * dg.tensor(seeds[1])).sum()
        loss.backward(retain_graph=twice)
        if twice:
            loss.backward()
        return ([out.numpy().copy(), h.numpy().copy()]
                + [t.grad.numpy().copy() for t in inputs if t is not None and t.requires_grad])


def assert_same_bits(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["pytorch", "keras"])
@pytest.mark.parametrize("init", [False, True], ids=["zero_state", "initial_state"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [False, True], ids=["no_bias", "bias"])
def test_equal_to_numpy_path(dtype, layout, init, reverse, bias):
    inputs, seeds = make_inputs(dtype, layout, init, bias)
    assert_same_bits(run(inputs, seeds, True, reverse, layout),
                     run(inputs, seeds, False, reverse, layout))


@pytest.mark.parametrize("T, B, H", [(1, 3, 2), (5, 1, 1), (9, 33, 17)])
def test_equal_to_numpy_path_odd_sizes(T, B, H):
    inputs, seeds = make_inputs(np.float32, "pytorch", True, True, T=T, B=B, H=H, seed=T)
    assert_same_bits(run(inputs, seeds, True), run(inputs, seeds, False))


def test_backward_twice_and_threads():
    inputs, seeds = make_inputs(np.float64, "keras", True, True)
    with threads(1):
        one = run(inputs, seeds, True, layout="keras", twice=True)
    with threads(2):
        two = run(inputs, seeds, True, layout="keras", twice=True)
    assert_same_bits(one, two)
    assert_same_bits(one, run(inputs, seeds, False, layout="keras", twice=True))


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_gradcheck_with_kernels(layout):
    inputs, _ = make_inputs(np.float64, layout, True, True, T=3, B=2, I=3, H=2)

    def f(*a):
        out, h = ops.gru_layer(*a, layout=layout)
        return out.sum() + (h * h).sum()

    with kernels.use(True):
        assert gradcheck(f, inputs)
