"""Matrix products: ``matmul``, the dense layer's affine map ``linear``, and the products
built on them (bmm, mv, dot, outer, tensordot, inner, kron, the add* family, trace, cross,
matrix_power, multi_dot).

For Y = X W^T + b (seed 001, section 3.1: y = f(Wx + b)), with G = dL/dY:

    dL/dX = G W        dL/dW = G^T X        dL/db = sum over rows of G
"""
import numpy as np

from deepgrad import parallel
from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function
from deepgrad.ops.activation import relu_backward, sigmoid_backward
from deepgrad.ops.bias_act import bias_add, bias_relu, bias_sigmoid
from deepgrad.ops._util import normalize_axis, operands


#: A float32 product a @ b with at most this many rows in a, and b a transposed view
#: (b.T C-contiguous) of at least :data:`SWAP_MIN_SIZE` elements, is computed as
#: (b^T a^T)^T: the same products, but OpenBLAS's sgemm packs the big operand as it is
#: stored. One thread, (m, k, n): (32, 5408, 128) 773 -> 575 us, (32, 128, 5408) 775 ->
#: 504, (64, 2304, 128) 0.89x, (16, 8192, 256) 0.48x, (32, 2048, 64) 0.83x; two threads
#: 0.62-1.02x. Not for float64 (dgemm: 0.96-1.16x), nor for 128 rows and more (0.86-1.26x).
SWAP_MAX_ROWS = 64
SWAP_MIN_SIZE = 1 << 17


def _swapped(a, b):
    """Whether :func:`_gemm` computes a @ b as (b^T a^T)^T (see :data:`SWAP_MAX_ROWS`)."""
    return (b.size >= SWAP_MIN_SIZE and a.shape[0] <= SWAP_MAX_ROWS     # small b: one test
            and a.dtype == b.dtype == np.float32 and a.flags.c_contiguous
            and b.T.flags.c_contiguous and not b.flags.c_contiguous)


def _gemm(a, b, c_order=True):
    """a @ b for a of shape (..., k) and a 2-D b (k, n), as ONE matrix product.

    NumPy's ``matmul`` runs a 3-D ``a`` against a 2-D ``b`` as one small GEMM per batch
    entry (3.5x slower for (32, 32, 64) @ (64, 192)); folding the leading axes into the rows
    gives BLAS a single (N, k) @ (k, n) product. Same values, same result shape. A large
    product is split over deepgrad's threads (:func:`deepgrad.parallel.matmul`).

    A few rows times a large transposed weight (:data:`SWAP_MAX_ROWS`) is computed
    transposed; the result is then the transpose of a C-contiguous array. ``c_order``
    (an op's output) copies it to C order when the copy is cheap (n <= k: at most the
    size of a) and keeps the direct product otherwise; a gradient (``c_order=False``)
    stays transposed, as its consumer reads it (a reshape, an elementwise op, the next
    GEMM) or copies it once.
    """
    if a.ndim < 2:
        return np.matmul(a, b)
    a2 = a if a.ndim == 2 else a.reshape(-1, a.shape[-1])
    if _swapped(a2, b) and (not c_order or b.shape[1] <= b.shape[0]):
        out = parallel.matmul(b.T, a2.T).T
        if c_order:
            out = np.ascontiguousarray(out)
    else:
        out = parallel.matmul(a2, b)
    return out if a.ndim == 2 else out.reshape(a.shape[:-1] + (b.shape[-1],))


class MatMul(Function):
    _saved_for = {"a": 1, "b": 0}       # a is read only for db, b only for da

    def forward(self, a, b):
        self.a, self.b = a, b
        return _gemm(a, b) if b.ndim == 2 else parallel.bmm(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:                     # dot product
            return (g * b if self.needs_grad[0] else None, g * a if self.needs_grad[1] else None)
        if self.needs_grad[0]:
            if b.ndim == 1:                                 # (.., n, k) @ (k,) -> (.., n)
                ga = np.expand_dims(g, -1) * b
            else:
                ga = (_gemm(g, b.T, c_order=False) if b.ndim == 2 and a.ndim > 1 else
                      parallel.bmm(g if a.ndim > 1 else np.expand_dims(g, -2),
                                   np.swapaxes(b, -1, -2)))
                if a.ndim == 1:
                    ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if self.needs_grad[1]:
            if a.ndim == 1:                                 # (k,) @ (.., k, m) -> (.., m)
                gb = np.expand_dims(a, -1) * np.expand_dims(g, -2)
            elif a.ndim >= 2 and b.ndim == 2:               # batch of a, one b: one GEMM
                gb = parallel.matmul(a.reshape(-1, a.shape[-1]).T, g.reshape(-1, g.shape[-1]))
            else:
                a2 = np.swapaxes(a, -1, -2)
                gb = parallel.bmm(a2, g if b.ndim > 1 else np.expand_dims(g, -1))
                if b.ndim == 1:
                    gb = gb[..., 0]
        return ga, gb


class Linear(Function):
    """The dense layer's affine map, in either front's weight layout (one formula, one op):

        PyTorch  W (out, in):            Y = X W^T + b    dX = G W     dW = G^T X
        Keras    K = W^T (in, out):      Y = X K + b      dX = G K^T   dK = X^T G
        (``kernel=True``)                                 db = sum over rows of G

    Each layout multiplies by the weight as it is stored (a transposed view, no copy), so
    neither front pays a transpose. The weight's gradient is made in the weight's memory
    order (C or Fortran), so that an optimizer's one-pass kernels see one layout: the
    Keras ``Dense`` kernel is stored as the transpose of a C-contiguous (out, in) array
    (:class:`deepgrad.keras.layers.Dense`), and then computes the same three products
    as PyTorch's layout, bit for bit.

    ``activation`` (Keras's ``Dense(activation=...)``, :mod:`deepgrad.ops.bias_act`):
    "relu" applies max(Y, 0), and backward first takes G [Y > 0]; "sigmoid" applies
    S = 1 / (1 + e^-Y), and backward first takes G S (1 - S). The bias and the activation
    are one pass over the product, and the functions are
    :class:`deepgrad.ops.activation.ReLU`'s and ``Sigmoid``'s: the same bits as the ops
    one after another, in one graph node instead of two or three.

    ``product``: X K computed already (:func:`dense_sigmoid`'s logits reuse the product
    of the sigmoid's node); ``keep``: a list the product is appended to.
    """

    _saved_for = {"x": 1, "w": 0}       # x is read only for dW, W only for dx

    def forward(self, x, w, b=None, kernel=False, activation=None, product=None, keep=None):
        self.x, self.w, self.kernel, self.activation = x, w, kernel, activation
        out = _gemm(x, w if kernel else w.T) if product is None else product
        if keep is not None:
            keep.append(out)
        if activation == "relu":
            out = self.out = bias_relu(out, b)
        elif activation == "sigmoid":
            out = self.out = bias_sigmoid(out, b)
        elif b is not None:
            if product is None:
                out = bias_add(out, b)
            else:
                out = out + b                   # the product stays as it is
        return out

    def backward(self, g):
        x, w, kernel = self.x, self.w, self.kernel
        if self.activation == "relu":
            g = relu_backward(g, self.out, self.__dict__.get("grad_free"))
        elif self.activation == "sigmoid":
            g = sigmoid_backward(g, self.out, self.__dict__.get("grad_free"))
        gx = _gemm(g, w.T if kernel else w, c_order=False) if self.needs_grad[0] else None
        gw = None
        g2 = g.reshape(-1, g.shape[-1])
        if self.needs_grad[1]:                          # in the weight's memory order
            x2 = x.reshape(-1, x.shape[-1])
            stored_t = w.flags.f_contiguous and not w.flags.c_contiguous
            gw = parallel.matmul(x2.T, g2) if kernel != stored_t else parallel.matmul(g2.T, x2)
            if stored_t:                                # stored transposed: so is dW
                gw = gw.T
        if len(self.needs_grad) == 3:
            return gx, gw, (g2.sum(axis=0) if self.needs_grad[2] else None)
        return gx, gw


def matmul(a, b):
    """Matrix product with NumPy's rules (1-D operands, batched broadcasting).

    d/dA = G B^T,  d/dB = A^T G (summed over broadcast batch axes).
    """
    a, b = operands("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, received "
                           f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({ka} columns in the first, {kb} rows in the second)")
    return MatMul.apply(a, b)


def _affine(name, input, weight, bias, weight_name, in_axis, out_axis, error, **params):
    """Check the shapes of an affine map and apply :class:`Linear`: ``weight`` is 2-D, its
    axis ``in_axis`` matches the input's last axis (0: a Keras kernel), and ``bias`` is None
    or of shape (``weight.shape[out_axis]``,). Mismatches raise ``error`` naming ``name``.
    ``params``: :class:`Linear`'s (``activation``, ``product``, ``keep``)."""
    x, w = operands(name, input, weight)
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[in_axis]:
        raise error(f"{name}: input of shape {tuple(x.shape)} does not match {weight_name} of "
                    f"shape {tuple(w.shape)} (expected input (*, {w.shape[in_axis]}))")
    if params:
        params = {k: v for k, v in params.items() if v is not None}
    if in_axis == 0:
        params["kernel"] = True                           # PyTorch's layout: the default
    if bias is None:
        return Linear.apply(x, w, **params)
    _, b = operands(name, x, bias)
    if b.shape != (w.shape[out_axis],):
        raise error(f"{name}: bias of shape {tuple(b.shape)} does not match {weight_name} of "
                    f"shape {tuple(w.shape)} (expected ({w.shape[out_axis]},))")
    return Linear.apply(x, w, b, **params)


def linear(input, weight, bias=None):
    """y = x W^T + b, as ``torch.nn.functional.linear``.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.
    Returns:
        (*, out_features).
    """
    return _affine("linear", input, weight, bias, "weight", in_axis=-1, out_axis=0,
                   error=RuntimeError)


def dense(input, kernel, bias=None, activation=None):
    """y = x K + b, the Keras ``Dense`` layout: kernel (in_features, out_features).

    The same affine map and op as :func:`linear` (:class:`Linear` with ``kernel=True``)
    with K = W^T, multiplied as stored: Keras-style models pay no transpose.
    ``activation="relu"`` or ``"sigmoid"``: the activation in the same op (one node, one
    pass for the bias and the activation; the bits of ``relu(dense(x, K, b))``).
    """
    if activation not in (None, "relu", "sigmoid"):
        raise ValueError(f"dense: activation must be None, 'relu' or 'sigmoid', received "
                         f"{activation!r}")
    return _affine("dense", input, kernel, bias, "kernel", in_axis=0, out_axis=1,
                   error=ValueError, activation=activation)


def dense_sigmoid(input, kernel, bias=None):
    """``(sigmoid(x K + b), logits)``: :func:`dense` with ``activation="sigmoid"``, and a
    function ``logits()`` that returns z = x K + b as a tensor of its own graph node.

    A binary cross-entropy of the sigmoid's output runs on z (Keras's ``_keras_logits``,
    :mod:`deepgrad.keras.losses`). The logits reuse the product x K of the sigmoid's
    node -- no second GEMM -- and add b when asked for; the gradient they receive flows to
    x, K and b as a plain ``dense``'s does.
    """
    kept = []
    out = _affine("dense", input, kernel, bias, "kernel", in_axis=0, out_axis=1,
                  error=ValueError, activation="sigmoid", keep=kept)

    def logits():
        return _affine("dense", input, kernel, bias, "kernel", in_axis=0, out_axis=1,
                       error=ValueError, product=kept[0])
    return out, logits


# ---------------------------------------------------------------------------------------
# Products built from matmul (their gradients come from MatMul's, by the chain rule)
# ---------------------------------------------------------------------------------------
def _shape_error(name, what, *tensors):
    shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
    return RuntimeError(f"{name}: {what}, received shapes {shapes}")


def _dims(name, tensors, ndims):
    for t, n in zip(tensors, ndims):
        if t.ndim != n:
            raise _shape_error(name, f"expected tensors of {', '.join(map(str, ndims))} "
                               f"dimensions", *tensors)


def bmm(input, mat2):
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p), batch sizes equal."""
    a, b = operands("bmm", input, mat2)
    _dims("bmm", (a, b), (3, 3))
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise _shape_error("bmm", "expected (b, n, m) and (b, m, p)", a, b)
    return MatMul.apply(a, b)


def mv(input, vec):
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    a, v = operands("mv", input, vec)
    _dims("mv", (a, v), (2, 1))
    if a.shape[1] != v.shape[0]:
        raise _shape_error("mv", "expected (n, m) and (m,)", a, v)
    return MatMul.apply(a, v)


def dot(input, other):
    """Inner product of two 1-D tensors of the same size and dtype: sum_i a_i b_i (0-d).

    d/da = G b,  d/db = G a.
    """
    a, b = _fn.to_tensor(input), _fn.to_tensor(other)
    _dims("dot", (a, b), (1, 1))
    if a.dtype != b.dtype:
        raise TypeError(f"dot: expected both vectors to have the same dtype, received "
                        f"{a.dtype} and {b.dtype}")
    if a.shape != b.shape:
        raise _shape_error("dot", "expected 1-D tensors of the same size", a, b)
    return MatMul.apply(a, b)


vdot = dot     # real tensors: no conjugation


def outer(input, vec2):
    """Outer product of 1-D tensors: out[i, j] = a_i b_j (a broadcast product, so
    d/da_i = sum_j G_ij b_j and d/db_j = sum_i G_ij a_i)."""
    from deepgrad.ops.elementwise import mul
    from deepgrad.ops.shape import reshape
    a, b = operands("outer", input, vec2)
    _dims("outer", (a, b), (1, 1))
    return mul(reshape(a, (a.shape[0], 1)), reshape(b, (1, b.shape[0])))


ger = outer


def tensordot(a, b, dims=2):
    """Sum over the paired axes: ``dims`` = k pairs a's last k axes with b's first k, or
    ``(axes_a, axes_b)`` names them. out.shape = a's free axes + b's free axes.

    Computed as one matrix product after moving the paired axes together (A_(F,K) B_(K,G)),
    so the gradients are MatMul's, permuted back.
    """
    from deepgrad.ops.shape import permute, reshape
    a, b = operands("tensordot", a, b)
    if isinstance(dims, _fn._Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        k = int(dims)
        if k < 0 or k > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: dims {k} must be in [0, {min(a.ndim, b.ndim)}] for "
                               f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
        ax_a, ax_b = list(range(a.ndim - k, a.ndim)), list(range(k))
    else:
        ax_a, ax_b = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        ax_a = [normalize_axis(d, a.ndim) for d in ax_a]
        ax_b = [normalize_axis(d, b.ndim) for d in ax_b]
    if len(ax_a) != len(ax_b) or any(a.shape[i] != b.shape[j] for i, j in zip(ax_a, ax_b)):
        raise RuntimeError(f"tensordot: contracted dims {ax_a} of {tuple(a.shape)} and "
                           f"{ax_b} of {tuple(b.shape)} do not match in size")
    free_a = [d for d in range(a.ndim) if d not in ax_a]
    free_b = [d for d in range(b.ndim) if d not in ax_b]
    k = int(np.prod([a.shape[d] for d in ax_a], dtype=np.int64))
    fa = [a.shape[d] for d in free_a]
    fb = [b.shape[d] for d in free_b]
    a2 = reshape(permute(a, free_a + ax_a), (int(np.prod(fa, dtype=np.int64)), k))
    b2 = reshape(permute(b, ax_b + free_b), (k, int(np.prod(fb, dtype=np.int64))))
    return reshape(MatMul.apply(a2, b2), tuple(fa + fb))


def inner(input, other):
    """Sum over the last axes: out[i..., j...] = sum_k a[i..., k] b[j..., k]; a 0-d
    operand multiplies instead."""
    from deepgrad.ops.elementwise import mul
    a, b = operands("inner", input, other)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise _shape_error("inner", "the last dimensions must match", a, b)
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def kron(input, other):
    """Kronecker product: out[i_k * m_k + j_k ...] = a[i...] b[j...] over every axis
    (the shorter shape padded with leading 1s). A broadcast product and a reshape."""
    from deepgrad.ops.elementwise import mul
    from deepgrad.ops.shape import reshape
    a, b = operands("kron", input, other)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ia = tuple(x for n in sa for x in (n, 1))      # (a0, 1, a1, 1, ...)
    ib = tuple(x for n in sb for x in (1, n))      # (1, b0, 1, b1, ...)
    return reshape(mul(reshape(a, ia), reshape(b, ib)), tuple(p * q for p, q in zip(sa, sb)))


def _add_scaled(name, input, product, beta, alpha):
    """beta * input + alpha * product; input must broadcast to the product's shape, and with
    beta = 0 it is ignored (NaN and inf in it do not propagate), as PyTorch."""
    from deepgrad.ops.elementwise import add, mul
    x = _fn.to_tensor(input)
    try:
        fits = np.broadcast_shapes(x.shape, product.shape) == tuple(product.shape)
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}: input of shape {tuple(x.shape)} cannot be broadcast to "
                           f"the product's shape {tuple(product.shape)}")
    out = product if alpha == 1 else mul(product, alpha)
    if beta == 0:
        return out
    _, x = operands(name, out, x)
    return add(x if beta == 1 else mul(x, beta), out)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), mat1 (n, m), mat2 (m, p), input broadcast to (n, p)."""
    a, b = operands("addmm", mat1, mat2)
    _dims("addmm", (a, b), (2, 2))
    return _add_scaled("addmm", input, matmul(a, b), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), mat (n, m), vec (m,), input broadcast to (n,)."""
    return _add_scaled("addmv", input, mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2), input broadcast to (n, m)."""
    return _add_scaled("addr", input, outer(vec1, vec2), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to (b, n, p)."""
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], input broadcast to (n, p)."""
    from deepgrad.ops.reduce import sum as _sum
    return _add_scaled("addbmm", input, _sum(bmm(batch1, batch2), 0), beta, alpha)


def trace(input):
    """Sum of the main diagonal of a 2-D tensor; d/dA = G I (on the diagonal)."""
    from deepgrad.ops.reduce import sum as _sum
    from deepgrad.ops.triangular import diagonal
    x = _fn.to_tensor(input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, received shape {tuple(x.shape)}")
    return _sum(diagonal(x))


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (after broadcasting):
    c = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0); both inputs have the same number of
    dimensions (sizes broadcast), as PyTorch. ``dim=None`` takes the first
    dimension of size 3 (``torch.cross``'s old default; ``linalg.cross`` uses -1)."""
    from deepgrad.ops.elementwise import mul, sub
    from deepgrad.ops.join import broadcast_tensors
    from deepgrad.ops.shape import stack, unbind
    a, b = operands("cross", input, other)
    if a.ndim != b.ndim:
        raise RuntimeError(f"cross: inputs must have the same number of dimensions, received "
                           f"shapes {tuple(a.shape)} and {tuple(b.shape)}")
    a, b = broadcast_tensors(a, b)
    if dim is None:
        sizes = [k for k, n in enumerate(a.shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"cross: no dimension of size 3 in shape {tuple(a.shape)}")
        dim = sizes[0]
    d = normalize_axis(dim, a.ndim)
    if a.shape[d] != 3:
        raise RuntimeError(f"cross: dimension {dim} must have size 3, received shape "
                           f"{tuple(a.shape)}")
    a0, a1, a2 = unbind(a, d)
    b0, b1, b2 = unbind(b, d)
    return stack([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)),
                  sub(mul(a0, b1), mul(a1, b0))], d)


def _square(name, a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: expected a square matrix or a batch of them, received "
                           f"shape {tuple(a.shape)}")


def matrix_power(input, n):
    """A^n for an integer n by repeated squaring (A^0 = I; n < 0 inverts first)."""
    a = _fn.to_tensor(input)
    _square("matrix_power", a)
    n = int(n)
    if n == 0:
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
        return _fn._Tensor._wrap(eye)
    if n < 0:
        from deepgrad.ops.solve import inv
        a, n = inv(a), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(tensors):
    """A_1 @ A_2 @ ... @ A_k in the cheapest order (dynamic programming over the chain, as
    NumPy's multi_dot); the first may be 1-D (a row), the last 1-D (a column)."""
    ts = [_fn.to_tensor(t) for t in tensors]
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot: expected at least 2 tensors, received {len(ts)}")
    for k, t in enumerate(ts):
        ok = t.ndim == 2 or (t.ndim == 1 and k in (0, len(ts) - 1))
        if not ok:
            raise RuntimeError(f"multi_dot: tensor {k} must be 2-D (the first and last may be "
                               f"1-D), received shape {tuple(t.shape)}")
    from deepgrad.ops.shape import reshape
    row, col = ts[0].ndim == 1, ts[-1].ndim == 1
    ms = [reshape(t, (1, -1)) if k == 0 and row else
          reshape(t, (-1, 1)) if k == len(ts) - 1 and col else t for k, t in enumerate(ts)]
    for k in range(len(ms) - 1):
        if ms[k].shape[1] != ms[k + 1].shape[0]:
            raise RuntimeError(f"multi_dot: tensors {k} and {k + 1} cannot be multiplied "
                               f"(shapes {tuple(ts[k].shape)} and {tuple(ts[k + 1].shape)})")
    out = _chain(ms, _chain_order([m.shape[0] for m in ms] + [ms[-1].shape[1]]), 0, len(ms) - 1)
    shape = out.shape[1:] if row else out.shape
    return reshape(out, shape[:-1] if col else shape)


def _chain_order(p):
    """split[i][j]: where to split the chain i..j for the fewest multiplications."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(ms, split, i, j):
    if i == j:
        return ms[i]
    k = split[i][j]
    return matmul(_chain(ms, split, i, k), _chain(ms, split, k + 1, j))


def chain_matmul(*matrices):
    """The product of 2-D matrices (the deprecated form of ``linalg.multi_dot``)."""
    for k, m in enumerate(matrices):
        if _fn.to_tensor(m).ndim != 2:
            raise RuntimeError(f"chain_matmul: expected 2-D matrices, tensor {k} has shape "
                               f"{tuple(_fn.to_tensor(m).shape)}")
    if len(matrices) == 1:
        return _fn.to_tensor(matrices[0])
    return multi_dot(list(matrices))
