"""Adam's moments do not stay subnormal: every ``rules.FLUSH_EVERY`` steps their
subnormal entries become 0 (the moments of a dead unit otherwise decay into the
subnormal range and stay there, and every later step runs on slow subnormal arithmetic)."""
import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.keras import optimizers as keras_optimizers
from deepgrad.nn.parameter import Parameter
from deepgrad.optim import rules


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flush_subnormal_zeroes_only_subnormals(dtype):
    tiny = np.finfo(dtype).tiny
    a = np.array([tiny / 4, -tiny / 8, tiny, -tiny, 1.0, -3e-30, 0.0, np.inf], dtype)
    rules.flush_subnormal_(a, None)
    np.testing.assert_array_equal(a, np.array([0, 0, tiny, -tiny, 1.0, -3e-30, 0, np.inf],
                                              dtype))
    assert a.dtype == dtype


def _adam_step(step, m, v, v_max=None, epsilon_hat=False):
    param, grad = np.ones(4, np.float32), np.zeros(4, np.float32)
    rules.adam(param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, step, v_max=v_max,
               epsilon_hat=epsilon_hat)
    return param


@pytest.mark.parametrize("epsilon_hat", [False, True])
def test_adam_moments_leave_the_subnormal_range(epsilon_hat):
    sub = np.finfo(np.float32).smallest_subnormal
    m = np.array([sub, -sub, 1e-3, 0], np.float32)
    v = np.array([sub, 4 * sub, 1e-6, 0], np.float32)
    _adam_step(rules.FLUSH_EVERY - 1, m, v, epsilon_hat=epsilon_hat)
    assert m[0] == sub and m[1] == -sub          # stuck: 0.9 * sub rounds back to sub
    _adam_step(rules.FLUSH_EVERY, m, v, epsilon_hat=epsilon_hat)
    assert m[0] == 0 and m[1] == 0 and v[0] == 0 and v[1] == 0
    assert m[2] == pytest.approx(0.9 ** 2 * 1e-3) and v[2] == pytest.approx(0.999 ** 2 * 1e-6)


def test_amsgrad_max_is_flushed_too():
    sub = np.finfo(np.float32).smallest_subnormal
    m, v = np.zeros(4, np.float32), np.full(4, sub, np.float32)
    v_max = np.full(4, 2 * sub, np.float32)
    _adam_step(2 * rules.FLUSH_EVERY, m, v, v_max=v_max)
    np.testing.assert_array_equal(v_max, 0)


def _dead_unit_run(make_opt, steps):
    """A parameter whose second row gets a gradient once, then zeros (a unit that died)."""
    p = Parameter(np.ones((2, 3), np.float32))
    opt = make_opt(p)
    for t in range(steps):
        g = np.full((2, 3), 0.5, np.float32)
        if t > 0:
            g[1] = 0
        p.grad = deepgrad.tensor(g)
        opt.step()
    return p, opt


def _built(opt, p):
    opt.build([p])
    return opt


def test_both_fronts_end_without_subnormal_moments():
    tiny = np.finfo(np.float32).tiny
    steps = 2 * rules.FLUSH_EVERY + 5
    p, opt = _dead_unit_run(lambda p: optim.Adam([p], lr=1e-3), steps)
    m = opt.state[p]["exp_avg"]
    assert not np.any((m != 0) & (np.abs(m) < tiny))
    p, opt = _dead_unit_run(lambda p: _built(keras_optimizers.Adam(learning_rate=1e-3), p),
                            steps)
    m = opt.state[p]["momentum"]
    assert not np.any((m != 0) & (np.abs(m) < tiny))
    assert np.all(np.isfinite(p.array))
