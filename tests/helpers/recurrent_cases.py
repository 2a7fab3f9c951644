"""Recurrent layer cases for comparing an op's paths (tests/kernels/test_kernels_lstm.py,
test_kernels_lstm_loop.py, test_kernels_gru.py)."""
import functools

import numpy as np

import deepgrad as dg
from deepgrad import kernels, ops


def make_inputs(gates, states, dtype, layout, init, n_bias, T=6, B=5, I=7, H=4, seed=0):
    """[x, *initial states, w_ih, w_hh, b_ih, b_hh] (absent biases and states None) for a
    layer of ``gates`` gates and ``states`` states, uniform in [-1.5, 1.5], and one seed
    array per output (the sequence, then each final state) to weigh the loss with."""
    rng = np.random.default_rng(seed)

    def p(*shape):
        return dg.tensor(rng.uniform(-1.5, 1.5, shape).astype(dtype), requires_grad=True)

    G = gates * H
    x = p(T, B, I)
    w = [p(G, I), p(G, H)] if layout == "pytorch" else [p(I, G), p(H, G)]
    b = [p(G) for _ in range(n_bias)] + [None] * (2 - n_bias)
    s0 = [p(B, H) if init else None for _ in range(states)]
    seeds = [rng.standard_normal(s).astype(dtype) for s in [(T, B, H)] + [(B, H)] * states]
    return [x, *s0, *w, *b], seeds


def run(op, inputs, seeds, flag, reverse=False, layout="pytorch", twice=False):
    """(outputs of ``op``, grads of every input) on one path (kernels on: ``flag``);
    ``twice``: backward twice."""
    with kernels.use(flag):
        for t in inputs:
            if t is not None:
                t.grad = None
        outs = op(*inputs, reverse=reverse, layout=layout)
        loss = sum(((y * dg.tensor(s)).sum() for y, s in zip(outs, seeds)),
                   dg.tensor(np.zeros((), outs[0].dtype)))
        loss.backward(retain_graph=twice)
        if twice:
            loss.backward()
        return ([y.numpy().copy() for y in outs]
                + [t.grad.numpy().copy() for t in inputs if t is not None and t.requires_grad])


def assert_same_bits(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)


lstm_inputs = functools.partial(make_inputs, 4, 2)
run_lstm = functools.partial(run, ops.lstm_layer)
run_gru = functools.partial(run, ops.gru_layer)


def gru_inputs(dtype, layout, init, bias, **sizes):
    return make_inputs(3, 1, dtype, layout, init, 2 if bias else 0, **sizes)
