"""Norms, distances and second moments: ``linalg.vector_norm``, ``matrix_norm``, ``norm``,
``cond``, ``cdist``, ``dist``, ``renorm``, ``cov``, ``corrcoef``.

The one primitive is the vector p-norm over some axes:

    ||x||_p = (sum |x_i|^p)^(1/p)      d/dx_i = sign(x_i) |x_i|^(p-1) / ||x||_p^(p-1)
    ||x||_inf = max |x_i|              d/dx_i = sign(x_i) / T at the T entries attaining it
    ||x||_-inf = min |x_i|             (likewise)
    ||x||_0 = #{x_i != 0}              no gradient

with the gradient taken as 0 where the norm is 0 (PyTorch's subgradient). Matrix norms are
built from it and from the singular values (``decomp.svdvals``): 'fro' is the 2-norm of
the entries, 'nuc' the sum of the singular values, 2 / -2 the largest / smallest, 1 / -1
the largest / smallest column sum of |A|, inf / -inf the same over rows.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import expand_reduced, normalize_axis, operands


class VectorNorm(Function):
    """||x||_ord over ``axis`` (see the module docstring for the derivatives).

    The one p-norm kernel of deepgrad: ``linalg.vector_norm``, ``torch.norm``, the matrix
    norms built on it and the distances (``pairwise_distance``, ``pdist``,
    ``cosine_similarity``, ``normalize``) all call it. For 0 < p < 1 the gradient at
    x_i = 0 is taken as 0 (PyTorch's choice); NaN entries propagate to the inf-norms.
    """

    def forward(self, x, ord=2.0, axis=None, keepdims=False):
        self.x, self.ord, self.axis, self.keepdims = x, ord, axis, keepdims
        ax = np.abs(x)
        if ord == np.inf:                      # initial: an empty reduction gives 0
            out = ax.max(axis=axis, keepdims=True, initial=0)
        elif ord == -np.inf:
            out = ax.min(axis=axis, keepdims=True, initial=np.inf)
        elif ord == 0:
            out = (x != 0).sum(axis=axis, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = ax.sum(axis=axis, keepdims=True)
        elif ord == 2:
            out = np.sqrt((x * x).sum(axis=axis, keepdims=True))
        else:
            with np.errstate(divide="ignore", over="ignore"):
                out = (ax ** ord).sum(axis=axis, keepdims=True) ** (1 / ord)
        self.out = out = np.asarray(out, dtype=x.dtype)
        return out if keepdims else out.reshape(_reduced_shape(x.shape, axis))

    def backward(self, g):
        x, out, p = self.x, self.out, self.ord
        g = expand_reduced(g, x.shape, self.axis, self.keepdims) if not self.keepdims else g
        zero = np.zeros((), g.dtype)
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return np.sign(x) * g
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p in (np.inf, -np.inf):          # shared evenly among the entries attaining it
                hit = (np.abs(x) == out) | (np.isnan(x) & np.isnan(out))
                ties = hit.sum(axis=self.axis, keepdims=True).astype(g.dtype)
                return np.sign(x) * hit * (g / ties)
            if p == 2:
                return x * np.where(out == 0, zero, g / out)
            ax = np.abs(x)
            scale = np.where(ax == 0, zero, np.sign(x) * ax ** (p - 1))
            if p < 1:
                return scale * g * out ** (1 - p)
            return scale * np.where(out == 0, zero, g / out ** (p - 1))


def _reduced_shape(shape, axis):
    if axis is None:
        return ()
    axes = {a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _as_float(name, x, dtype):
    from deepgrad.ops.elementwise import cast
    x = to_tensor(x)
    if dtype is not None:
        x = cast(x, dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point tensor, received dtype {x.dtype} "
                        f"(pass dtype= or cast with .float())")
    return x


def _ord(name, ord):
    try:
        return float(ord)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: ord must be a number (or inf/-inf), received {ord!r}") from None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector ``ord``-norm of x over ``dim`` (all elements when None): any real ord,
    inf (max |x|), -inf (min |x|), 0 (number of non-zeros). Gradient: module docstring."""
    x = _as_float("linalg.vector_norm", x, dtype)
    p = _ord("linalg.vector_norm", ord)
    axis = None if dim is None else normalize_axis(
        tuple(dim) if isinstance(dim, (tuple, list)) else dim, x.ndim)
    if x.ndim == 0:
        axis = None
    if p < 0 and p != -np.inf:
        raise RuntimeError(f"linalg.vector_norm: ord must be non-negative or -inf, received {ord}")
    if x.array.size == 0 and p in (np.inf, -np.inf):
        raise RuntimeError("linalg.vector_norm: cannot compute the inf/-inf norm of an empty "
                           "tensor (no identity for max/min)")
    return VectorNorm.apply(x, ord=p, axis=axis, keepdims=bool(keepdim))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm ``ord`` of the matrices in the plane ``dim``: 'fro', 'nuc', inf,
    -inf, 1, -1, 2, -2 (module docstring)."""
    from deepgrad.ops.decomp import svdvals
    from deepgrad.ops.reduce import amax, amin, sum as _sum
    from deepgrad.ops.shape import movedim, unsqueeze
    a = _as_float("linalg.matrix_norm", A, dtype)
    if a.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: expected a tensor of at least 2 dims, "
                           f"received shape {tuple(a.shape)}")
    d0, d1 = normalize_axis(tuple(dim), a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must differ, received {dim}")
    if ord == "fro":
        out = vector_norm(a, 2, (d0, d1))
    elif ord == "nuc" or ord in (2, -2):
        s = svdvals(movedim(a, (d0, d1), (-2, -1)))
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = vector_norm(a, 1, summed, keepdim=True)
        out = (amax if ord > 0 else amin)(sums, other, keepdim=True)
        out = _squeeze_two(out, d0, d1)
    else:
        raise ValueError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', inf, -inf, 1, -1, 2 "
                         f"or -2, received {ord!r}")
    if keepdim:
        for d in sorted((d0, d1)):
            out = unsqueeze(out, d)
    return out


def _squeeze_two(x, d0, d1):
    from deepgrad.ops.shape import reshape
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in (d0, d1)))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``torch.linalg.norm``: a vector norm (dim an int, or A 1-D) or a matrix norm (dim a
    pair, or A 2-D); with ord and dim both None, the 2-norm of all elements."""
    a = _as_float("linalg.norm", A, dtype)
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if ord is None:
        if dim is None or len(dim) == 1:
            return vector_norm(a, 2, dim, keepdim)
        return matrix_norm(a, "fro", dim, keepdim)
    if dim is None:
        if a.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: with ord given and dim=None the input must be "
                               f"1-D or 2-D, received shape {tuple(a.shape)}")
        dim = tuple(range(a.ndim))
    if len(dim) == 1:
        if isinstance(ord, str):
            raise RuntimeError(f"linalg.norm: ord {ord!r} is a matrix norm, but a vector norm "
                               f"was asked for (dim {dim})")
        return vector_norm(a, ord, dim, keepdim)
    if len(dim) == 2:
        return matrix_norm(a, ord, dim, keepdim)
    raise RuntimeError(f"linalg.norm: dim must have 1 or 2 entries, received {dim}")


def cond(A, p=None):
    """The condition number ||A||_p ||A^-1||_p; p None or 2: s_max / s_min (-2: the
    inverse), computed from the singular values (any shape); other p need square A."""
    from deepgrad.ops.decomp import svdvals
    from deepgrad.ops.elementwise import div, mul
    from deepgrad.ops.reduce import amax, amin
    from deepgrad.ops.solve import inv
    a = _as_float("linalg.cond", A, None)
    if p is None or p in (2, -2):
        s = svdvals(a)
        big, small = amax(s, -1), amin(s, -1)
        return div(small, big) if p == -2 else div(big, small)
    return mul(matrix_norm(a, p), matrix_norm(inv(a), p))


_CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                "donot_use_mm_for_euclid_dist")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances: out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p,
    x1 (*, P, M), x2 (*, R, M) -> (*, P, R). For p = 2 the 'use_mm' modes compute
    sqrt(max(|a|^2 + |b|^2 - 2 a.b, 1e-30)) with one matrix product, as PyTorch does
    (always, or when P > 25 or R > 25); otherwise the differences are formed explicitly.
    """
    a, b = operands("cdist", x1, x2)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"cdist: expected x1 (*, P, M) and x2 (*, R, M), received shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"cdist: compute_mode must be one of {_CDIST_MODES}, received "
                         f"{compute_mode!r}")
    p = _ord("cdist", p)
    if p < 0:
        raise RuntimeError(f"cdist: only non-negative p values are supported, received {p}")
    _as_float("cdist", a, None)
    mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == _CDIST_MODES[0] and (a.shape[-2] > 25 or b.shape[-2] > 25)))
    if mm:
        return _euclidean_mm(a, b)
    from deepgrad.ops.elementwise import sub
    from deepgrad.ops.shape import unsqueeze
    return vector_norm(sub(unsqueeze(a, -2), unsqueeze(b, -3)), p, -1)


def _euclidean_mm(a, b):
    from deepgrad.ops.elementwise import add, clamp, mul, sqrt
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.reduce import sum as _sum
    from deepgrad.ops.shape import transpose
    sq_a = _sum(mul(a, a), -1, keepdim=True)                          # (*, P, 1)
    sq_b = transpose(_sum(mul(b, b), -1, keepdim=True), -1, -2)       # (*, 1, R)
    d2 = add(add(mul(matmul(a, transpose(b, -1, -2)), -2.0), sq_a), sq_b)
    return sqrt(clamp(d2, 1e-30, None))


def dist(input, other, p=2):
    """||input - other||_p over all elements (after broadcasting)."""
    from deepgrad.ops.elementwise import sub
    return vector_norm(sub(input, other), p)


def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm (over the other axes) exceeds ``maxnorm`` is
    scaled to norm ``maxnorm``: out = x * (maxnorm / (norm + 1e-7) if norm > maxnorm else 1).
    Differentiable through the scale factor too."""
    from deepgrad.ops.elementwise import add, div, mul, Where
    x = _as_float("renorm", input, None)
    if float(p) <= 0:
        raise RuntimeError(f"renorm: p must be positive, received {p}")
    if float(maxnorm) < 0:
        raise RuntimeError(f"renorm: maxnorm must be non-negative, received {maxnorm}")
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, received shape "
                           f"{tuple(x.shape)}")
    d = normalize_axis(dim, x.ndim)
    others = tuple(i for i in range(x.ndim) if i != d)
    n = vector_norm(x, p, others, keepdim=True)          # one norm per slice along dim
    scale = div(_fn._Tensor._wrap(np.asarray(maxnorm, dtype=x.dtype)), add(n, 1e-7))
    one = _fn._Tensor._wrap(np.ones((), dtype=x.dtype))
    return mul(x, Where.apply(scale, one, cond=n.array > maxnorm))


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns; a
    1-D input is one variable): with weights w = fweights * aweights,

        mean_i = sum_k w_k x_ik / sum w,    cov_ij = sum_k w_k (x_ik - mean_i)(x_jk - mean_j) / c

    c = sum w - correction (sum w - correction * sum(w * aweights) / sum w with aweights).
    """
    from deepgrad.ops.elementwise import div, mul, sub
    from deepgrad.ops.linalg import matmul
    from deepgrad.ops.reduce import sum as _sum
    from deepgrad.ops.shape import reshape, transpose, squeeze
    x = _as_float("cov", input, None)
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected a 1-d or 2-d input, received shape {tuple(x.shape)}")
    xm = reshape(x, (1, -1)) if x.ndim < 2 else x
    n = xm.shape[1]
    w = _weights(fweights, aweights, n, x.dtype)
    w_t = _fn._Tensor._wrap(w)
    w_sum = w.sum() if w is not None else float(n)
    mean = div(_sum(mul(xm, w_t) if w is not None else xm, 1, keepdim=True), w_sum)
    if aweights is None:
        c = w_sum - correction
    else:
        aw = np.asarray(aweights.array if isinstance(aweights, _fn._Tensor) else aweights)
        c = w_sum - correction * (w * aw).sum() / w_sum
    c = max(float(c), 0.0)
    centred = sub(xm, mean)
    weighted = mul(centred, w_t) if w is not None else centred
    out = div(matmul(weighted, transpose(centred, 0, 1)), np.asarray(c, dtype=x.dtype))
    return squeeze(out) if x.ndim < 2 else out


def _weights(fweights, aweights, n, dtype):
    if fweights is None and aweights is None:
        return None
    w = np.ones(n, dtype=dtype)
    if fweights is not None:
        f = np.asarray(fweights.array if isinstance(fweights, _fn._Tensor) else fweights)
        if f.dtype.kind not in "iu" or f.shape not in ((n,), ()) or (f < 0).any():
            raise RuntimeError(f"cov: fweights must be non-negative integers of shape ({n},), "
                               f"received dtype {f.dtype}, shape {f.shape}")
        w = w * f
    if aweights is not None:
        a = np.asarray(aweights.array if isinstance(aweights, _fn._Tensor) else aweights)
        if a.dtype.kind != "f" or a.shape not in ((n,), ()) or (a < 0).any():
            raise RuntimeError(f"cov: aweights must be non-negative floats of shape ({n},), "
                               f"received dtype {a.dtype}, shape {a.shape}")
        w = w * a
    return w.astype(dtype)


def corrcoef(input):
    """Pearson correlation coefficients of the rows: cov_ij / sqrt(cov_ii cov_jj), clipped
    to [-1, 1] as PyTorch."""
    from deepgrad.ops.elementwise import clamp, div, sqrt
    from deepgrad.ops.shape import reshape
    from deepgrad.ops.triangular import diagonal
    c = cov(input)
    if c.ndim == 0:
        return div(c, c)
    std = sqrt(diagonal(c))
    c = div(div(c, reshape(std, (-1, 1))), reshape(std, (1, -1)))
    return clamp(c, -1.0, 1.0)


def nuclear_norm(input, dim=None, keepdim=False):
    """``torch.nuclear_norm``: the sum of the singular values of the matrices in the plane
    ``dim`` (the last two axes of a 2-D input when None); ``nuclear_norm(x, True)`` is
    keepdim, as PyTorch's overload."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    x = to_tensor(input)
    if dim is None:
        if x.ndim != 2:
            raise RuntimeError(f"nuclear_norm: expected a 2-D tensor when dim is None, "
                               f"received shape {tuple(x.shape)}")
        dim = (0, 1)
    return matrix_norm(x, "nuc", tuple(dim), keepdim)
