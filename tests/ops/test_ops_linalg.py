"""matmul (NumPy's rules: 1-D operands, batch broadcasting) and linear (x W^T + b)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op

MATMUL = [
    ((3,), (3,)),                  # dot product -> scalar
    ((1,), (1,)),
    ((2, 3), (3,)),                # matrix @ vector
    ((3,), (3, 4)),                # vector @ matrix
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((2, 2, 3), (3, 4)),           # batch @ matrix (batch summed into dB)
    ((2, 3), (5, 3, 4)),           # matrix @ batch (summed into dA)
    ((2, 2, 3), (2, 3, 1)),        # batch @ batch
    ((2, 1, 2, 3), (4, 3, 2)),     # broadcast batch dims on both sides
    ((3,), (2, 3, 4)),             # vector @ batch
    ((2, 4, 3), (3,)),             # batch @ vector
]


@pytest.mark.parametrize("case", MATMUL, ids=str)
def test_matmul(case):
    check_op(ops.matmul, np.matmul, [case], rtol32=1e-5, atol32=1e-5)
    check_op(lambda a, b: a @ b, np.matmul, [case], rtol32=1e-5, atol32=1e-5)


def test_matmul_methods_and_aliases():
    case = [((2, 3), (3, 4))]
    check_op(lambda a, b: a.matmul(b), np.matmul, case)
    check_op(lambda a, b: a.mm(b), np.matmul, case)
    check_op(lambda a, b: dg.mm(a, b), np.matmul, case)
    check_op(lambda a, b: dg.matmul(a, b), np.matmul, case)


def test_matmul_with_an_ndarray_on_either_side():
    w = np.arange(12.0).reshape(3, 4) / 10
    check_op(lambda x: x @ w.astype(x.dtype), lambda a: a @ w, [(2, 3)])
    check_op(lambda x: w.T.astype(x.dtype) @ x, lambda a: w.T @ a, [(3, 2)])


@pytest.mark.parametrize("a, b", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)),
                                  ((2, 2, 3), (2, 4, 3))])
def test_matmul_shape_mismatch_is_a_clear_error(a, b):
    with pytest.raises(RuntimeError, match=r"matmul: shapes .* cannot be multiplied"):
        ops.matmul(dg.zeros(*a), dg.zeros(*b))


def test_matmul_needs_at_least_one_dimension():
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        ops.matmul(dg.tensor(2.0), dg.zeros(3))


def test_matmul_refuses_mixed_float_dtypes():
    with pytest.raises(TypeError, match="float32 and float64"):
        dg.zeros(2, 3) @ dg.zeros(3, 2, dtype=np.float64)


# ----------------------------------------------------------------- linear
LINEAR = [((3,), (4, 3)), ((2, 3), (4, 3)), ((2, 5, 3), (4, 3)), ((1, 1), (1, 1)),
          ((2, 3), (1, 3))]


@pytest.mark.parametrize("x, w", LINEAR, ids=str)
def test_linear_with_and_without_bias(x, w):
    check_op(ops.linear, lambda a, W: a @ W.T, [(x, w)], rtol32=1e-5, atol32=1e-5)
    check_op(ops.linear, lambda a, W, b: a @ W.T + b, [(x, w, w[:1])],
             rtol32=1e-5, atol32=1e-5)


def test_linear_with_constant_weight_or_bias():
    w = dg.tensor(np.linspace(-1, 1, 12).reshape(4, 3), dtype=np.float64)
    b = dg.tensor(np.linspace(0, 1, 4), dtype=np.float64)
    check_op(lambda x: ops.linear(x, w.type(x.dtype), b.type(x.dtype)),
             lambda a: a @ w.array.T + b.array, [(2, 3)],
             rtol32=1e-5, atol32=1e-5)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch")
    check_op(ops.linear, None, [((2, 5, 3), (4, 3), (4,)), ((3,), (2, 3), (2,))],
             torch_fn=torch.nn.functional.linear)
    check_op(ops.matmul, None, MATMUL, torch_fn=torch.matmul)


@pytest.mark.parametrize("x, w, b, match", [
    ((2, 5), (4, 3), None, r"linear: input of shape \(2, 5\) does not match weight of shape "
                           r"\(4, 3\) \(expected input \(\*, 3\)\)"),
    ((2, 3), (3,), None, "does not match weight"),
    ((), (4, 3), None, "does not match weight"),
    ((2, 3), (4, 3), (3,), r"bias of shape \(3,\) does not match weight of shape \(4, 3\)"),
    ((2, 3), (4, 3), (1, 4), r"bias of shape \(1, 4\)"),
])
def test_linear_shape_mismatch_is_a_clear_error(x, w, b, match):
    with pytest.raises(RuntimeError, match=match):
        ops.linear(dg.zeros(*x), dg.zeros(*w), None if b is None else dg.zeros(*b))


def test_linear_refuses_a_bias_of_another_float_dtype():
    with pytest.raises(TypeError, match="float32 and float64"):
        ops.linear(dg.zeros(2, 3), dg.zeros(4, 3, requires_grad=True),
                   dg.zeros(4, dtype=np.float64, requires_grad=True))


# ----------------------------------------------------------------- dense (Keras layout)
@pytest.mark.parametrize("x, w", LINEAR, ids=str)
def test_dense_is_linear_with_the_kernel_transposed(x, w):
    k = (w[1], w[0])
    check_op(ops.dense, lambda a, K: a @ K, [(x, k)], rtol32=1e-5, atol32=1e-5)
    check_op(ops.dense, lambda a, K, b: a @ K + b, [(x, k, (k[1],))], rtol32=1e-5, atol32=1e-5)


def test_dense_bad_shapes():
    with pytest.raises(ValueError, match=r"dense: input of shape \(2, 5\) does not match kernel of shape \(3, 4\)"):
        ops.dense(dg.randn(2, 5), dg.randn(3, 4))
    with pytest.raises(ValueError, match=r"bias of shape \(3,\)"):
        ops.dense(dg.randn(2, 3), dg.randn(3, 4), dg.randn(3))


@pytest.mark.parametrize("x, w", LINEAR, ids=str)
def test_dense_with_relu_is_relu_of_dense(x, w):
    k = (w[1], w[0])
    check_op(lambda a, K, b: ops.dense(a, K, b, activation="relu"),
             lambda a, K, b: np.maximum(a @ K + b, 0), [(x, k, (k[1],))],
             rtol32=1e-5, atol32=1e-5)


@pytest.mark.parametrize("x, w", LINEAR, ids=str)
def test_dense_with_sigmoid_is_sigmoid_of_dense(x, w):
    k = (w[1], w[0])
    check_op(lambda a, K, b: ops.dense(a, K, b, activation="sigmoid"),
             lambda a, K, b: 1 / (1 + np.exp(-(a @ K + b))), [(x, k, (k[1],))],
             rtol32=1e-5, atol32=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(32, 784, 64), (256, 32, 784), (2048, 96, 160),
                                   (3, 4, 6, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_activation_has_the_bits_of_the_ops(shape, dtype, bias, activation, threads):
    """One node, the same values and gradients as ``relu(dense(x, K, b))`` (or sigmoid)
    bit for bit: the bias and the activation in one pass (large outputs split over the
    threads), batched inputs through one GEMM."""
    rng = np.random.default_rng(sum(shape))
    x0 = rng.standard_normal(shape[:-1]).astype(dtype)
    k0 = rng.standard_normal(shape[-2:]).astype(dtype)
    b0 = rng.standard_normal(shape[-1]).astype(dtype)
    g0 = rng.standard_normal(shape[:-2] + (shape[-1],)).astype(dtype)
    act = getattr(ops, activation)
    results = []
    before = dg.get_num_threads()
    dg.set_num_threads(threads)
    try:
        for fused in (True, False):
            x, k, b = (dg.tensor(a, requires_grad=True) for a in (x0, k0, b0))
            bb = b if bias else None
            y = (ops.dense(x, k, bb, activation=activation) if fused
                 else act(ops.dense(x, k, bb)))
            y.backward(dg.tensor(g0))
            results.append([y.numpy(), x.grad.numpy(), k.grad.numpy()]
                           + ([b.grad.numpy()] if bias else []))
            if fused:                                   # one node: the output is Linear's
                assert type(y.grad_fn).__name__ == "Linear"
    finally:
        dg.set_num_threads(before)
    for a, c in zip(*results):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, c)


def test_dense_activation_other_than_relu_or_sigmoid_is_refused():
    with pytest.raises(ValueError, match="activation must be None, 'relu' or 'sigmoid', "
                                         "received 'tanh'"):
        ops.dense(dg.randn(2, 3), dg.randn(3, 4), activation="tanh")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_sigmoid_hands_on_logits_made_from_the_same_product(dtype, monkeypatch):
    """``dense_sigmoid`` returns sigmoid(x K + b) and a function making z = x K + b:
    the bits of ``dense(x, K, b)`` with no second GEMM, and z's gradient reaches x, K and
    b as a plain dense's does (values, gradients, and the product left unwritten)."""
    from deepgrad.ops import linalg
    rng = np.random.default_rng(1)
    x0, k0, b0 = (rng.standard_normal(s).astype(dtype) for s in ((64, 20), (20, 160), (160,)))
    g0 = rng.standard_normal((64, 160)).astype(dtype)
    gemms = []
    real = linalg._gemm
    monkeypatch.setattr(linalg, "_gemm", lambda *a, **k: gemms.append(1) or real(*a, **k))
    x, k, b = (dg.tensor(a, requires_grad=True) for a in (x0, k0, b0))
    s, logits = ops.dense_sigmoid(x, k, b)
    z = logits()
    assert len(gemms) == 1                            # the forward's one product
    z2 = logits()                                     # asked twice: the product unchanged
    z.backward(dg.tensor(g0))
    got = [z.numpy(), z2.numpy(), s.numpy(), x.grad.numpy(), k.grad.numpy(), b.grad.numpy()]
    xr, kr, br = (dg.tensor(a, requires_grad=True) for a in (x0, k0, b0))
    zr = ops.dense(xr, kr, br)
    zr.backward(dg.tensor(g0))
    want = [zr.numpy(), zr.numpy(), ops.sigmoid(zr).numpy(), xr.grad.numpy(),
            kr.grad.numpy(), br.grad.numpy()]
    for a, c in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, c)
    with dg.no_grad():                                # outside a graph too
        s, logits = ops.dense_sigmoid(x, k, b)
        np.testing.assert_array_equal(logits().numpy(), want[0])


def test_batched_input_against_one_matrix_is_one_gemm_with_the_same_values():
    """(B, T, k) @ (k, m) runs as one (B*T, k) @ (k, m) product: values and gradients as
    the per-batch products."""
    import deepgrad as dg
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(6)
    cases = [(lambda X, W: dg.nn.functional.linear(X, W, dg.tensor(b)), b),
             (lambda X, W: dg.matmul(X, W.T), 0.0),
             (lambda X, W: dg.ops.dense(X, W.T, dg.tensor(b)), b)]
    for make, bias in cases:
        X = dg.tensor(x, requires_grad=True)
        W = dg.tensor(w, requires_grad=True)
        out = make(X, W)
        np.testing.assert_allclose(out.numpy(), np.stack([xi @ w.T for xi in x]) + bias,
                                   rtol=1e-12)
        g = rng.standard_normal(out.shape)
        out.backward(dg.tensor(g))
        np.testing.assert_allclose(X.grad.numpy(), np.stack([gi @ w for gi in g]), rtol=1e-12)
        np.testing.assert_allclose(W.grad.numpy(), sum(gi.T @ xi for gi, xi in zip(g, x)),
                                   rtol=1e-12)


# ------------------------------------ a few rows times a large transposed float32 weight
@pytest.mark.parametrize("rows", [1, 32, 64, 65])
@pytest.mark.parametrize("k, n", [(2304, 128), (128, 2304), (64, 2048), (32, 4096)])
def test_transposed_weight_products_are_the_direct_products(rows, k, n):
    """_gemm computes a @ b^T-view as (b a^T)^T for at most SWAP_MAX_ROWS rows and a
    weight of SWAP_MIN_SIZE elements or more: the values of the direct product (float64
    reference), an op's output in C order, a gradient's possibly transposed."""
    from deepgrad.ops import linalg
    rng = np.random.default_rng(rows + k)
    a = rng.standard_normal((rows, k)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)        # b = w.T, a transposed view
    ref = a.astype(np.float64) @ w.T.astype(np.float64)
    swapped = linalg._swapped(a, w.T)
    assert swapped == (rows <= linalg.SWAP_MAX_ROWS)
    for c_order in (True, False):
        out = linalg._gemm(a, w.T, c_order=c_order)
        assert out.shape == (rows, n) and out.dtype == np.float32
        np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4 * np.sqrt(k))
        if c_order:
            assert out.flags.c_contiguous
        else:                   # the transpose of a C-contiguous array when swapped
            assert (out.T if swapped else out).flags.c_contiguous
    assert not linalg._swapped(a.astype(np.float64), w.T.astype(np.float64))
    assert not linalg._swapped(a, np.ascontiguousarray(w.T))       # stored as multiplied


def test_dense_gradient_from_the_transposed_product_matches_torch():
    """Keras's Dense after Flatten (cnn_mnist's shapes): forward, dx (the transposed
    product, read by a reshape and a pooling) and dK against PyTorch in float32."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.standard_normal((32, 13, 13, 32)).astype(np.float32)
    k = (rng.standard_normal((5408, 128)) * 0.02).astype(np.float32)
    X, K = dg.tensor(x, requires_grad=True), dg.tensor(k, requires_grad=True)
    p = dg.nn.functional.max_pool2d(X.permute(0, 3, 1, 2), 1)   # a pooling reads dx
    y = ops.dense(p.permute(0, 2, 3, 1).reshape(32, -1), K)
    (y * y).sum().backward()
    tx, tk = torch.tensor(x, requires_grad=True), torch.tensor(k, requires_grad=True)
    ty = tx.reshape(32, -1) @ tk
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(X.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.grad.numpy(), tk.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel", [False, True], ids=["linear", "dense"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("rows", [3, 32, 100])
def test_weight_gradient_takes_the_weights_memory_order(dtype, kernel, order, rows):
    """dW (dK) comes out in the weight's own memory order, C or Fortran, with the values
    of the float64 formulas; the input gradient and the output are unchanged by it."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((rows, 300)).astype(dtype)
    w = rng.standard_normal((40, 300)).astype(dtype)         # (out, in)
    g = rng.standard_normal((rows, 40)).astype(dtype)
    stored = w.T if kernel else w
    stored = np.asfortranarray(stored) if order == "F" else np.ascontiguousarray(stored)
    X, W = dg.tensor(x, requires_grad=True), dg.tensor(stored, requires_grad=True)
    y = ops.dense(X, W) if kernel else ops.linear(X, W)
    y.backward(dg.tensor(g))
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    want_w = g64.T @ x64
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.numpy(), x64 @ w64.T, **tol)
    np.testing.assert_allclose(X.grad.numpy(), g64 @ w64, **tol)
    np.testing.assert_allclose(W.grad.numpy(), want_w.T if kernel else want_w, **tol)
    gw = W.grad.numpy()
    assert gw.dtype == dtype
    assert (gw.flags.f_contiguous and not gw.flags.c_contiguous) == (order == "F")
    assert gw.flags.c_contiguous == (order == "C")


@pytest.mark.parametrize("rows", [4, 32, 100])
def test_fortran_ordered_kernel_computes_the_bits_of_the_pytorch_layout(rows):
    """A Keras kernel K stored as the transpose of a C-contiguous W runs the products of
    ``linear`` with W: the same output, dX and bias gradient, and dK = dW^T, bit for bit
    (seed 004's Dense 5408 -> 128 among them, where the products are swapped)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((rows, 5408)).astype(np.float32)
    w = (rng.standard_normal((128, 5408)) * 0.02).astype(np.float32)
    b = rng.standard_normal(128).astype(np.float32)
    g = rng.standard_normal((rows, 128)).astype(np.float32)
    out = {}
    for name, weight in (("linear", w), ("dense", w.T)):
        X, W, B = (dg.tensor(a, requires_grad=True) for a in (x, weight, b))
        (ops.dense if name == "dense" else ops.linear)(X, W, B).backward(dg.tensor(g))
        out[name] = [X.grad.numpy(), W.grad.numpy(), B.grad.numpy()]
        X2, W2, B2 = (dg.tensor(a) for a in (x, weight, b))
        out[name].append((ops.dense if name == "dense" else ops.linear)(X2, W2, B2).numpy())
    (dx0, dw, db0, y0), (dx1, dk, db1, y1) = out["linear"], out["dense"]
    assert np.array_equal(y0, y1) and np.array_equal(dx0, dx1) and np.array_equal(db0, db1)
    assert np.array_equal(dk, dw.T) and dk.flags.f_contiguous and dw.flags.c_contiguous
