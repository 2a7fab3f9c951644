"""LSTM layer cases for comparing the op's paths (tests/kernels/test_kernels_lstm*.py)."""
import numpy as np

import deepgrad as dg
from deepgrad import kernels, ops


def make_inputs(dtype, layout, init, n_bias, T=6, B=5, I=7, H=4, seed=0):
    rng = np.random.default_rng(seed)

    def p(*shape):
        return dg.tensor(rng.uniform(-1.5, 1.5, shape).astype(dtype), requires_grad=True)

    x = p(T, B, I)
    w = [p(4 * H, I), p(4 * H, H)] if layout == "pytorch" else [p(I, 4 * H), p(H, 4 * H)]
    b = [p(4 * H) for _ in range(n_bias)] + [None] * (2 - n_bias)
    h0, c0 = (p(B, H), p(B, H)) if init else (None, None)
    seeds = [rng.standard_normal(s).astype(dtype) for s in ((T, B, H), (B, H), (B, H))]
    return [x, h0, c0, *w, *b], seeds


def run(inputs, seeds, flag, reverse=False, layout="pytorch", twice=False):
    """(out, h_n, c_n, grads of every input) on one path; ``twice``: backward twice."""
    with kernels.use(flag):
        for t in inputs:
            if t is not None:
                t.grad = None
        out, h, c = ops.lstm_layer(*inputs, reverse=reverse, layout=layout)
        loss = sum(((y * dg.tensor(s)).sum() for y, s in zip((out, h, c), seeds)),
                   dg.tensor(np.zeros((), out.dtype)))
        loss.backward(retain_graph=twice)
        if twice:
            loss.backward()
        return ([y.numpy().copy() for y in (out, h, c)]
                + [t.grad.numpy().copy() for t in inputs if t is not None and t.requires_grad])


def assert_same_bits(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)
