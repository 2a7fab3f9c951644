"""The whole-loop LSTM kernels (deepgrad/kernels/lstm_loop.py), float32.

They are not the NumPy path bit for bit (their tanh is a rational approximation, and a
part's GEMM is a product on fewer columns), so each result is compared with a float64
run of the NumPy path: its error must stay within a small factor of the float32 NumPy
path's own error. Their bits do not depend on the thread count.
"""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels, ops  # noqa: E402
from deepgrad.ops import rnn_lstm  # noqa: E402
from recurrent_cases import assert_same_bits  # noqa: E402
from recurrent_cases import lstm_inputs as make_inputs  # noqa: E402
from recurrent_cases import run_lstm as run  # noqa: E402
from threads import threads  # noqa: E402

lstm_loop = pytest.importorskip("deepgrad.kernels.lstm_loop")
if rnn_lstm._loop_kernels(np.dtype(np.float32)) is None:           # pragma: no cover
    pytest.skip("no CBLAS GEMM found in NumPy's BLAS", allow_module_level=True)


def relative_errors(result, reference):
    return [float(np.abs(a - r).max() / max(np.abs(r).max(), 1e-30))
            for a, r in zip(result, reference)]


def check_accuracy(layout, init, reverse, T, B, H, I=8, n_bias=None, x_grad=True,
                   seed=0):
    """The loop's float32 results (outputs, states, every gradient) against a float64
    NumPy-path run: each within 4x the float32 NumPy path's error, or 2e-6."""
    n_bias = (2 if layout == "pytorch" else 1) if n_bias is None else n_bias
    runs = {}
    for dtype, flag in ((np.float64, False), (np.float32, False), (np.float32, True)):
        inputs, seeds = make_inputs(dtype, layout, init, n_bias, T=T, B=B, H=H, I=I,
                                    seed=seed)
        inputs[0].requires_grad = x_grad
        runs[dtype, flag] = run(inputs, seeds, flag, reverse, layout)
    reference = runs[np.float64, False]
    loop = relative_errors(runs[np.float32, True], reference)
    numpy_path = relative_errors(runs[np.float32, False], reference)
    for k, (a, b) in enumerate(zip(loop, numpy_path)):
        assert a <= max(4 * b, 2e-6), (k, a, b)


def test_the_loop_runs_for_float32_only(monkeypatch):
    calls = []
    real = rnn_lstm._in_parts
    monkeypatch.setattr(rnn_lstm, "_in_parts", lambda *a: calls.append(1) or real(*a))
    for dtype in (np.float32, np.float64):
        inputs, seeds = make_inputs(dtype, "pytorch", True, 2)
        run(inputs, seeds, True)
    assert len(calls) == 2                      # float32's forward and backward


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
@pytest.mark.parametrize("init", [False, True], ids=["zero_state", "initial_state"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_as_accurate_as_the_numpy_path(layout, init, reverse):
    check_accuracy(layout, init, reverse, T=12, B=32, H=20)


@pytest.mark.parametrize("T, B, H, n_bias, layout", [
    (1, 3, 2, 2, "pytorch"), (5, 1, 1, 0, "pytorch"), (9, 33, 17, 1, "keras"),
    (7, 40, 6, 2, "pytorch"), (4, 128, 5, 0, "keras"), (6, 100, 3, 2, "pytorch")])
def test_sizes_parts_and_biases(T, B, H, n_bias, layout):
    # 1 part below 32 columns; 2 with a 16-column boundary; 4 parts at 128
    check_accuracy(layout, True, False, T=T, B=B, H=H, n_bias=n_bias, seed=T)


def test_only_weights_need_gradients():
    check_accuracy("keras", False, False, T=8, B=32, H=6, x_grad=False)


def test_no_weight_needs_a_gradient():
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, T=6, B=32, H=5)
    for t in inputs[3:]:
        t.requires_grad = False
    a = run(inputs, seeds, True)
    b = run(inputs, seeds, False)
    assert len(a) == 3 + 3                      # out, h, c; dx, dh0, dc0
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_backward_twice_gives_the_same_gradients():
    inputs, seeds = make_inputs(np.float32, "keras", True, 1, T=5, B=32, H=4)
    once = run(inputs, seeds, True, layout="keras")
    twice = run(inputs, seeds, True, layout="keras", twice=True)
    for a, b in zip(once[3:], twice[3:]):                   # gradients accumulate
        np.testing.assert_allclose(b, 2 * a, rtol=1e-6, atol=1e-7)


def test_backward_follows_the_path_forward_took():
    # kernels switched off between forward and backward: the loop's backward still runs
    # (the workspace forward took is the loop's), with the same bits as all-on
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, T=6, B=32, H=5)
    expected = run(inputs, seeds, True)
    for t in inputs:
        if t is not None:
            t.grad = None
    with kernels.use(True):
        out, h, c = ops.lstm_layer(*inputs)
    loss = sum(((y * dg.tensor(s)).sum() for y, s in zip((out, h, c), seeds)),
               dg.tensor(np.float32(0)))
    with kernels.use(False):
        loss.backward()
    got = [y.numpy() for y in (out, h, c)] + [t.grad.numpy() for t in inputs
                                              if t is not None]
    assert_same_bits(got, expected)


def test_same_bits_at_one_two_and_three_threads():
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, T=12, B=128, H=20, I=8)
    results = []
    for n in (1, 2, 3):
        with threads(n):
            results.append(run(inputs, seeds, True))
    assert_same_bits(results[0], results[1])
    assert_same_bits(results[0], results[2])


def test_no_grad_forward():
    inputs, _ = make_inputs(np.float32, "keras", True, 1, T=7, B=32, H=6)
    res = []
    for flag in (False, True):
        with kernels.use(flag), dg.no_grad():
            res.append([y.numpy().copy() for y in ops.lstm_layer(*inputs, layout="keras")])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")       # NaN through the GEMMs
def test_nonfinite_inputs_as_the_numpy_path():
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, B=32, seed=3)
    x = inputs[0].numpy()
    x[0, 0, 0], x[1, 1, 1], x[2, 2, :] = np.inf, np.nan, 1e30     # saturated gates, NaN
    a, b = run(inputs, seeds, True), run(inputs, seeds, False)
    assert np.isnan(a[0]).any()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(np.isnan(u), np.isnan(v))
        ok = np.isfinite(v)
        np.testing.assert_allclose(u[ok], v[ok], rtol=1e-4, atol=1e-5)


def test_tanh32_within_6_ulp_and_exact_at_the_ends():
    x = np.concatenate([np.linspace(-12, 12, 400_001), np.geomspace(1e-8, 12, 200_000),
                        -np.geomspace(1e-8, 12, 200_000)]).astype(np.float32)
    got = np.array([lstm_loop.tanh32(v) for v in x[::50]], np.float32)    # scalar calls
    exact = np.tanh(x[::50].astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(got - exact) / ulp).max() <= 6
    for v, want in ((np.inf, 1.0), (-np.inf, -1.0), (20.0, 1.0), (-9.5, -1.0),
                    (1e-5, 1e-5), (0.0, 0.0)):
        assert lstm_loop.tanh32(np.float32(v)) == np.float32(want)
    assert np.isnan(lstm_loop.tanh32(np.float32(np.nan)))
    assert np.signbit(lstm_loop.tanh32(np.float32(-0.0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_gemm_is_numpys_product(dtype):
    from deepgrad.kernels import blas
    gemm = blas.gemm(dtype)
    assert gemm is not None
    rng = np.random.default_rng(0)
    a = rng.standard_normal((37, 23)).astype(dtype)
    b = rng.standard_normal((23, 29)).astype(dtype)
    c = np.empty((37, 29), dtype)
    gemm(blas.ROW_MAJOR, blas.NO_TRANS, blas.NO_TRANS, 37, 29, 23, 1.0, a.ctypes.data, 23,
         b.ctypes.data, 29, 0.0, c.ctypes.data, 29)
    np.testing.assert_array_equal(c, a @ b)
    assert blas.gemm(np.int32) is None


def test_parts_depend_on_the_batch_only():
    assert rnn_lstm._bounds(31).tolist() == [0, 31]
    assert rnn_lstm._bounds(32).tolist() == [0, 16, 32]
    assert rnn_lstm._bounds(40).tolist() == [0, 16, 40]
    assert rnn_lstm._bounds(128).tolist() == [0, 32, 64, 96, 128]
    assert len(rnn_lstm._bounds(4096)) - 1 == 8
    for B in range(1, 300):
        b = rnn_lstm._bounds(B)
        assert b[0] == 0 and b[-1] == B and (np.diff(b) >= rnn_lstm.MIN_PART).all() \
            or len(b) == 2
