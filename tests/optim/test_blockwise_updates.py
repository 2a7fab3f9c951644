"""Optimizer updates of large tensors run block by block
(``deepgrad.parallel.blockwise``): the same bits as one whole-array update, at one and at
two threads."""

import numpy as np
import pytest

from deepgrad import parallel
from deepgrad.optim import rules
from threads import threads as use_threads


def _adam_state(rng, shape, dtype, amsgrad):
    p, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    m, v = rng.standard_normal(shape).astype(dtype) * 0.1, rng.random(shape).astype(dtype)
    vmax = np.maximum(v, rng.random(shape).astype(dtype)) if amsgrad else None
    return p, g, m, v, vmax


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad,epsilon_hat", [(False, False), (True, False), (False, True)])
def test_blocked_adam_is_the_whole_array_update(monkeypatch, threads, dtype, amsgrad,
                                                epsilon_hat):
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    with use_threads(threads):
        rng = np.random.default_rng(0)
        whole = _adam_state(rng, (37, 101), dtype, amsgrad)
        blocked = [None if a is None else a.copy() for a in whole]
        calls = []
        real = parallel.blockwise

        def counted(update, *arrays, block):
            calls.append(arrays[0].size)
            return real(update, *arrays, block=block)

        monkeypatch.setattr(rules, "BLOCK", 1 << 40)               # one whole-array call
        rules.adam(*whole[:4], 1e-3, 0.9, 0.999, 1e-8, 7, v_max=whole[4],
                   epsilon_hat=epsilon_hat)
        monkeypatch.setattr(rules, "BLOCK", 256)                    # 15 blocks, the last short
        monkeypatch.setattr(parallel, "blockwise", counted)
        rules.adam(*blocked[:4], 1e-3, 0.9, 0.999, 1e-8, 7, v_max=blocked[4],
                   epsilon_hat=epsilon_hat)
        assert calls == [37 * 101]
        for a, b in zip(whole, blocked):
            if a is not None:
                assert a.dtype == b.dtype == dtype and np.array_equal(a, b)


def test_blockwise_leaves_small_or_strided_arrays_whole():
    seen = []
    a = np.zeros((6, 5))
    parallel.blockwise(lambda x, y: seen.append(x.shape), a, np.zeros((6, 5)).T.T, block=4)
    parallel.blockwise(lambda x, y: seen.append(x.shape), a, np.zeros((5, 6)).T,  # strided
                       block=4)
    parallel.blockwise(lambda x, y: seen.append(x.shape), np.zeros(7), np.zeros(7),  # small
                       block=4)
    assert seen[:8] == [(4,)] * 7 + [(2,)] and seen[8:] == [(6, 5), (7,)]
