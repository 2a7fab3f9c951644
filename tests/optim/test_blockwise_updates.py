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


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("amsgrad,epsilon_hat", [(False, False), (True, False), (False, True)])
def test_adam_of_fortran_ordered_arrays_is_the_c_ordered_update(monkeypatch, compiled,
                                                                amsgrad, epsilon_hat):
    """A weight stored in Fortran order (a Keras Dense kernel) with its gradient and
    moments in the same order: the update runs on the transposes (whole or by blocks, the
    compiled kernel where there is one) and writes the same bits into the same arrays as
    the update of C-ordered copies."""
    from deepgrad import kernels
    if compiled and not kernels.available() and kernels.build() is None:
        pytest.skip("no compiled kernels")
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    took, real = [], rules._compiled_adam
    monkeypatch.setattr(rules, "_compiled_adam", lambda *a: took.append(real(*a)) or took[-1])
    rng = np.random.default_rng(1)
    c_ordered = _adam_state(rng, (37, 101), np.float32, amsgrad)
    for block in (1 << 40, 256):
        monkeypatch.setattr(rules, "BLOCK", block)
        want = [None if a is None else a.copy() for a in c_ordered]
        fortran = [None if a is None else np.asfortranarray(a) for a in c_ordered]
        ids = [None if a is None else id(a) for a in fortran]
        with kernels.use(compiled):
            rules.adam(*want[:4], 1e-3, 0.9, 0.999, 1e-8, 7, v_max=want[4],
                       epsilon_hat=epsilon_hat)
            rules.adam(*fortran[:4], 1e-3, 0.9, 0.999, 1e-8, 7, v_max=fortran[4],
                       epsilon_hat=epsilon_hat)
        for a, b, i in zip(want, fortran, ids):
            if a is not None:
                assert id(b) == i and b.flags.f_contiguous and not b.flags.c_contiguous
                assert np.array_equal(a, b)
        assert not np.array_equal(want[0], c_ordered[0])      # the update did something
    assert took == [compiled] * 4                              # the kernel took both orders


def test_blockwise_runs_fortran_ordered_arrays_as_their_transposes():
    seen = []
    a, b = np.asfortranarray(np.zeros((6, 5))), np.asfortranarray(np.ones((6, 5)))

    def update(x, y):
        seen.append(x.shape)
        x += y
    parallel.blockwise(update, a, b, block=4)
    assert seen == [(4,)] * 7 + [(2,)] and np.array_equal(a, np.ones((6, 5)))
