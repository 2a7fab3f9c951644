"""deepgrad.parallel: the thread pool, and the ops it splits giving the same bits as one thread."""
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import parallel, runtime
from deepgrad.ops.conv import sum_batch
from threads import set_threads as _set_threads


@pytest.fixture
def two_threads(monkeypatch):
    """Two threads, every size split; counts the parallel regions that ran."""
    before = dg.get_num_threads()
    _set_threads(2)
    monkeypatch.setattr(parallel, "MIN_WORK", 0)
    monkeypatch.setattr(parallel, "MIN_ELEMENTWISE", 0)
    monkeypatch.setattr(parallel, "GEMM_MIN_WORK", 1 << 20)
    jobs = []
    job = parallel._Job

    class Counted(job):
        __slots__ = ()

        def __init__(self, fn, bounds, *static):
            super().__init__(fn, bounds, *static)
            jobs.append(len(bounds) - 1)

    monkeypatch.setattr(parallel, "_Job", Counted)
    yield jobs
    _set_threads(before)


# ---------------------------------------------------------------------------- the pool
def test_chunks_cover_the_range_once_and_run_on_two_threads(two_threads):
    seen, ran_on = [], set()
    other = threading.Event()

    def fn(a, z):
        seen.extend(range(a, z))
        ran_on.add(threading.get_ident())
        if a == 0:                     # the caller's first chunk waits for another thread
            assert other.wait(30), "no pool thread took the second chunk"
        else:
            other.set()

    parallel.parallel_for(7, fn)
    assert sorted(seen) == list(range(7)) and len(ran_on) == 2 and two_threads == [2]


def test_static_regions_give_each_chunk_the_same_thread_every_time(two_threads):
    me, owners = threading.get_ident(), []

    def fn(a, z):
        owners.append((a, threading.get_ident()))

    for _ in range(20):
        parallel.parallel_for(2, fn, static=True)
    first = {ident for a, ident in owners if a == 0}
    second = {ident for a, ident in owners if a == 1}
    assert len(owners) == 40 and first == {me} and len(second) == 1 and me not in second
    assert two_threads == [2] * 20


def test_static_region_errors_reach_the_caller(two_threads):
    def fn(a, z):
        if a == 1:
            raise ValueError("second chunk failed")

    with pytest.raises(ValueError, match="second chunk failed"):
        parallel.parallel_for(2, fn, static=True)
    out = np.zeros(4)
    parallel.parallel_for(4, lambda a, z: out.__setitem__(slice(a, z), 1), static=True)
    assert out.tolist() == [1] * 4


def test_one_thread_and_small_work_stay_on_the_caller(two_threads, monkeypatch):
    me = threading.get_ident()
    calls = []
    parallel.parallel_for(100, lambda a, z: calls.append((a, z, threading.get_ident())),
                          work=10, min_work=11)
    _set_threads(1)
    parallel.parallel_for(100, lambda a, z: calls.append((a, z, threading.get_ident())))
    assert calls == [(0, 100, me), (0, 100, me)] and two_threads == []


def test_error_in_a_worker_reaches_the_caller_and_the_pool_still_works(two_threads):
    def fn(a, z):
        if a > 0:
            raise ValueError(f"chunk {a}:{z} failed")

    with pytest.raises(ValueError, match="chunk 3:6 failed"):
        parallel.parallel_for(6, fn)
    out = np.zeros(6)
    parallel.parallel_for(6, lambda a, z: out.__setitem__(slice(a, z), 1))
    assert out.tolist() == [1] * 6


def test_nested_call_runs_serially_and_blas_threads_come_back(two_threads):
    inner, blas_inside = [], []

    def fn(a, z):
        blas_inside.append(parallel.num_threads())
        parallel.parallel_for(4, lambda b, y: inner.append((b, y)))

    parallel.parallel_for(2, fn)
    assert sorted(inner) == [(0, 4), (0, 4)]
    if runtime.blas_library() is not None:
        assert blas_inside == [1, 1]
    assert dg.get_num_threads() == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pool_works_in_a_forked_child(two_threads):
    parallel.parallel_for(4, lambda a, z: None)              # the pool is running
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:                                              # child: the pool restarts
        code = 1
        try:
            out = np.zeros(8)
            parallel.parallel_for(8, lambda a, z: out.__setitem__(slice(a, z), a + 1))
            code = 0 if len(set(out)) == 2 and 0 not in out else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_interpreter_exits_with_the_pool_running():
    code = ("import deepgrad, warnings; warnings.simplefilter('ignore'); "
            "deepgrad.set_num_threads(2); from deepgrad import parallel; "
            "parallel.parallel_for(4, lambda a, z: None, work=1, min_work=0); "
            "print(len(parallel._threads))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0 and done.stdout.strip() == "1", done.stderr


# ---------------------------------------------------------------------------- same bits
def _run(fn, arrays, threads):
    """(y, grads of every input) at ``threads`` threads."""
    _set_threads(threads)
    ts = [dg.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(y.array.dtype)
    y.backward(dg.tensor(g))
    return [y.array] + [t.grad.array for t in ts]


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


CASES = {
    "conv2d": lambda r, n: (lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1),
                            _f32(r, n, 4, 9, 11), _f32(r, 6, 4, 3, 3), _f32(r, 6)),
    "conv2d_groups": lambda r, n: (lambda x, w: F.conv2d(x, w, groups=2, dilation=2),
                                   _f32(r, n, 4, 9, 9), _f32(r, 6, 2, 3, 2)),
    "conv1d": lambda r, n: (lambda x, w, b: F.conv1d(x, w, b, padding=2),
                            _f32(r, n, 3, 20), _f32(r, 5, 3, 4), _f32(r, 5)),
    "conv2d_last": lambda r, n: (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1,
                                                           channels_last=True),
                                 _f32(r, n, 10, 9, 3), _f32(r, 3, 3, 3, 7), _f32(r, 7)),
    "max_pool2d": lambda r, n: (lambda x: F.max_pool2d(x, 2), _f32(r, n, 3, 10, 9)),
    "max_pool2d_overlap": lambda r, n: (lambda x: F.max_pool2d(x, 3, 2, padding=1),
                                        _f32(r, n, 3, 10, 9)),
    "max_pool2d_last": lambda r, n: (lambda x: F.max_pool2d(x, 3, 2, channels_last=True),
                                     _f32(r, n, 11, 9, 4)),
    "relu": lambda r, n: (lambda x: F.relu(x), _f32(r, n, 3, 5000)),
}


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("op", list(CASES))
def test_split_ops_give_the_same_bits_as_one_thread(two_threads, op, batch):
    fn, *arrays = CASES[op](np.random.default_rng(0), batch)
    one = _run(fn, arrays, 1)
    assert two_threads == []
    two = _run(fn, arrays, 2)
    assert batch == 1 and op != "relu" or two_threads, "nothing was split"
    for a, b in zip(one, two):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_relu_keeps_negative_zero_and_nan_as_one_thread(two_threads):
    x = np.random.default_rng(0).standard_normal((3, 40001)).astype(np.float32)
    x[0, ::7], x[1, ::11], x[2, 4095:4099] = -0.0, np.nan, 0.0
    one, two = _run(F.relu, [x], 1), _run(F.relu, [x], 2)
    for a, b in zip(one, two):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_batch_sum_keeps_the_order_of_the_batch(two_threads):
    a = np.random.default_rng(0).standard_normal((7, 3, 50, 11)).astype(np.float32) * 1e4
    assert np.array_equal(sum_batch(a), a.sum(axis=0)) and two_threads


# ---------------------------------------------------------------------------- GEMMs
GEMM_CASES = {      # op, operand shapes, dtype, the product in NumPy
    "linear_f32": (lambda x, w, b: F.linear(x, w, b), ((256, 300), (160, 300), (160,)),
                   np.float32, lambda x, w, b: x @ w.T + b),
    "linear_f64_3d": (lambda x, w: F.linear(x, w), ((4, 70, 300), (200, 300)), np.float64,
                      lambda x, w: x @ w.T),
    "dense_kernel": (lambda x, k, b: dg.ops.dense(x, k, b), ((256, 300), (300, 96), (96,)),
                     np.float32, lambda x, k, b: x @ k + b),
    "matmul_wide": (lambda a, b: dg.matmul(a, b), ((40, 500), (500, 900)), np.float32,
                    lambda a, b: a @ b),
}


@pytest.mark.parametrize("case", list(GEMM_CASES))
def test_split_gemms_give_the_same_bits_at_two_threads_and_more(two_threads, case):
    fn, shapes, dtype, numpy_fn = GEMM_CASES[case]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    one = _run(fn, arrays, 1)
    assert two_threads == [], "one thread split a GEMM"
    two = _run(fn, arrays, 2)
    assert two_threads, "no GEMM was split"
    three = _run(fn, arrays, 3)
    ref = [numpy_fn(*[a.astype(np.float64) for a in arrays])]
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for a, b, c in zip(one, two, three):
        assert a.dtype == b.dtype == c.dtype == dtype and np.array_equal(b, c)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    np.testing.assert_allclose(two[0], ref[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("m,k,n", [(128, 784, 128), (128, 128, 784), (10, 900, 784),
                                   (3000, 200, 50), (64, 2304, 128), (100, 10, 100)])
def test_parallel_matmul_is_matmul(two_threads, m, k, n):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((n, k)).T   # a transposed b
    grid = parallel.gemm_grid(m, k, n)
    if grid is not None:
        axis, bounds = grid
        assert bounds[0] == 0 and bounds[-1] == (m, n)[axis] and len(bounds) - 1 in (2, 4, 8)
        assert all(hi - lo >= parallel.GEMM_ALIGN for lo, hi in zip(bounds, bounds[1:]))
    for threads in (1, 2):
        _set_threads(threads)
        out = np.full((m, n), np.nan)
        assert parallel.matmul(a, b, out=out) is out
        np.testing.assert_allclose(out, a @ b, rtol=1e-12, atol=1e-12)
        got = parallel.matmul(a.astype(np.float32), b.astype(np.float32))
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, (a @ b).astype(np.float32), rtol=2e-4, atol=2e-4)


def test_batched_products_give_the_same_bits_at_any_thread_count(two_threads):
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((3, 4, 17, 8)).astype(np.float32) for _ in range(3))
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v) * 1.0   # noqa: E731
    one, two = _run(fn, [q, k, v], 1), _run(fn, [q, k, v], 2)
    assert two_threads, "no batched product was split"
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
    a, b = rng.standard_normal((5, 6, 7)), rng.standard_normal((5, 7, 3))
    mm = _run(lambda a, b: dg.matmul(a, b), [a, b], 2)
    np.testing.assert_allclose(mm[0], a @ b, rtol=1e-12)
    c = rng.standard_normal((7, 3))                   # not a stack: np.matmul as it is
    np.testing.assert_array_equal(parallel.bmm(a, c), np.matmul(a, c))
