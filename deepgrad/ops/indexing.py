"""Indexing ops: gather, scatter, index_*, masked_*, take, put, nonzero.

Every op here reads or writes ``x`` at positions named by an index. Reading ``x[ix]`` is
:func:`~deepgrad.ops.shape.getitem` (its backward adds G back into the positions read).
Writing rests on two primitives over a NumPy index tuple ``ix``:

- ``IndexPut``: out = x with out[ix] = v, or out[ix] += v when accumulating;
  dL/dx = G with G[ix] zeroed (kept as is when accumulating), dL/dv = G[ix].
- ``ScatterReduce``: out[p] = reduce({x[p]} (if include_self) U {v[i] : ix_i = p}) for
  reduce in sum, prod, mean, amax, amin (see its docstring for the derivatives).

(``nonzero``, ``argwhere``, ``where(condition)`` and ``unravel_index``, which find positions
rather than use them, are in :mod:`deepgrad.ops.positions`.)

``scatter``/``gather`` name positions along one ``dim`` (index[i][j][k] replaces the index
at ``dim``); ``index_*`` name whole slices along ``dim``; ``masked_*`` name them by a bool
mask; ``take``/``put`` by positions in the flattened tensor.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.shape import getitem, reshape, expand
from deepgrad.ops import elementwise as _elementwise

SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


class IndexPut(Function):
    """out = x; out[ix] = v (or += v).   dL/dx = G (G[ix] = 0 unless accumulating), dL/dv = G[ix]."""

    def forward(self, x, v, index=None, accumulate=False):
        self.index, self.accumulate, self.v_ndim = index, accumulate, v.ndim
        out = x.copy()
        if accumulate:
            np.add.at(out, index, v)          # repeated positions add up
        else:
            out[index] = v
        return out

    def backward(self, g):
        gx = gv = None
        if self.needs_grad[0]:
            gx = g
            if not self.accumulate:
                gx = g.copy()
                gx[self.index] = 0
        if self.needs_grad[1]:
            gv = g[self.index]
            if gv.ndim < self.v_ndim:         # NumPy let v carry extra leading 1s
                gv = gv.reshape((1,) * (self.v_ndim - gv.ndim) + gv.shape)
        return gx, gv


class ScatterReduce(Function):
    """out[p] = reduce over the group of p: x[p] (when ``include_self``) and every v[i]
    written to p; positions nothing is written to keep x[p].

    Derivatives of one group's result r with respect to a member e (G = dL/dout):
        sum:  1            mean: 1 / N (N members)
        prod: product of the other members (r / e when e != 0, computed without dividing
              by zero: the product of the non-zero members when e is the only zero)
        amax, amin: 1 / T for each of the T members equal to r (ties share), else 0
    """

    def forward(self, x, v, index=None, reduce="sum", include_self=True):
        self.index, self.reduce = index, reduce
        self.self_mask = np.ones(x.shape, dtype=bool)
        if not include_self:
            self.self_mask[index] = False
        out = x.copy()
        if not include_self:
            out[index] = _identity(reduce, x.dtype)
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply,
                 "amax": np.maximum, "amin": np.minimum}[reduce]
        ufunc.at(out, index, v)
        if reduce == "mean":
            self.count = self.self_mask.astype(x.dtype)
            np.add.at(self.count, index, 1)
            out = out // self.count if x.dtype.kind in "iub" else out / self.count
        elif reduce == "prod":
            self.x, self.v = x, v
        elif reduce in ("amax", "amin"):
            self.x, self.v, self.out = x, v, out
        return out

    def backward(self, g):
        if self.reduce == "sum":
            gx, gv_full = g * self.self_mask, g
        elif self.reduce == "mean":
            gv_full = g / self.count
            gx = gv_full * self.self_mask
        elif self.reduce == "prod":
            return self._prod_grads(g)
        else:
            return self._extreme_grads(g)
        return (gx if self.needs_grad[0] else None,
                gv_full[self.index] if self.needs_grad[1] else None)

    def _prod_grads(self, g):
        x, v, ix = self.x, self.v, self.index
        zeros = (self.self_mask & (x == 0)).astype(np.int64)
        np.add.at(zeros, ix, (v == 0).astype(np.int64))
        nonzero_prod = np.where(self.self_mask & (x != 0), x, 1).astype(g.dtype)
        np.multiply.at(nonzero_prod, ix, np.where(v != 0, v, 1))

        def others(e, z, p):        # product of a group's members other than e
            return np.where(e != 0, np.where(z == 0, p / np.where(e != 0, e, 1), 0),
                            np.where(z == 1, p, 0))
        gx = g * others(x, zeros, nonzero_prod) * self.self_mask if self.needs_grad[0] else None
        gv = g[ix] * others(v, zeros[ix], nonzero_prod[ix]) if self.needs_grad[1] else None
        return gx, gv

    def _extreme_grads(self, g):
        x_hit = self.self_mask & (self.x == self.out)
        v_hit = self.v == self.out[self.index]
        ties = x_hit.astype(g.dtype)
        np.add.at(ties, self.index, v_hit.astype(g.dtype))
        share = g / np.maximum(ties, 1)
        return (np.where(x_hit, share, 0) if self.needs_grad[0] else None,
                np.where(v_hit, share[self.index], 0) if self.needs_grad[1] else None)


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else (np.iinfo(dtype).max if dtype.kind in "iu" else True)
    return -big if reduce == "amax" and dtype.kind != "b" else (big if reduce == "amin" else False)


# --------------------------------------------------------------------------- helpers
def _index_array(name, index, what="index"):
    """The index as an integer ndarray (any integer dtype; bool and float refused)."""
    arr = index.array if isinstance(index, _fn._Tensor) else np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: {what} must be an integer tensor, received dtype {arr.dtype}")
    return arr.astype(np.intp, copy=False)


def _check_bounds(name, idx, size, dim, negative=False):
    """Every index in [0, size) (or [-size, size) when ``negative``)."""
    if idx.size == 0:
        return
    low = -size if negative else 0
    bad = idx[(idx < low) | (idx >= size)]
    if bad.size:
        raise IndexError(f"{name}: index {bad.flat[0]} is out of bounds for dimension {dim} "
                         f"with size {size}")


def _bool_mask(name, mask):
    arr = mask.array if isinstance(mask, _fn._Tensor) else np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(f"{name}: mask must be a bool tensor, received dtype {arr.dtype}")
    return arr


def _along(index, dim):
    """The positions a gather/scatter ``index`` names: a NumPy index tuple with ``index`` at
    ``dim`` and, at every other axis d, ``arange(index.shape[d])`` shaped to broadcast."""
    nd = index.ndim
    return tuple(index if d == dim else np.arange(n).reshape((-1,) + (1,) * (nd - d - 1))
                 for d, n in enumerate(index.shape))


def _slices_along(index, dim):
    """``(:, ..., :, index)``: whole slices of the tensor at ``index`` along ``dim``."""
    return (slice(None),) * dim + (index,)


def _value_tensor(name, value, like):
    """A Python number or 0-d tensor as a tensor in ``like``'s dtype (kept in the graph)."""
    if isinstance(value, _fn._Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"{name}: value must be a number or a 0-dimensional tensor, "
                               f"received a tensor of shape {tuple(value.shape)}")
        if value.dtype == like.dtype:
            return value
        if value.requires_grad and like.dtype.kind == "f":
            from deepgrad.ops.elementwise import cast
            return cast(value, like.dtype)
        return _fn._Tensor._wrap(value.array.astype(like.dtype))
    return _fn._Tensor._wrap(np.asarray(value, dtype=like.dtype))


def _same_dtype(name, x, src, what="src"):
    if src.dtype != x.dtype:
        raise TypeError(f"{name}: expected {what} to have the input's dtype {x.dtype}, "
                        f"received {src.dtype}")


def _gather_shapes(name, x, dim, idx, src=None):
    """PyTorch's rules: same number of dimensions, index no larger than input outside
    ``dim`` (and no larger than src anywhere), index values in [0, size of dim). A 0-d
    input acts as one element (a 0-d or 1-d index of zeros)."""
    if x.ndim == 0:
        if idx.ndim > 1 or (idx != 0).any():
            raise IndexError(f"{name}: a 0-d input takes a 0-d or 1-d index of zeros, "
                             f"received {idx.tolist()}")
        return
    if idx.ndim != x.ndim:
        raise RuntimeError(f"{name}: index has {idx.ndim} dimensions but the input has "
                           f"{x.ndim} (shapes {tuple(idx.shape)} and {tuple(x.shape)})")
    for d in range(x.ndim):
        if d != dim and idx.shape[d] > x.shape[d]:
            raise RuntimeError(f"{name}: index of shape {tuple(idx.shape)} must be no larger "
                               f"than the input {tuple(x.shape)} apart from dimension {dim}")
        if src is not None and idx.shape[d] > src.shape[d]:
            raise RuntimeError(f"{name}: index of shape {tuple(idx.shape)} must be no larger "
                               f"than src {tuple(src.shape)}")
    if src is not None and src.ndim != x.ndim:
        raise RuntimeError(f"{name}: src has {src.ndim} dimensions, the input {x.ndim}")
    _check_bounds(name, idx, x.shape[dim], dim)


def _scatter_setup(name, input, dim, index, src=None):
    """Tensors, normalised dim and the NumPy positions of a scatter; 0-d tensors act as 1-D."""
    x = to_tensor(input)
    idx = _index_array(name, index)
    d = normalize_axis(dim, x.ndim)
    if src is not None:
        src = to_tensor(src)
        _same_dtype(name, x, src)
    _gather_shapes(name, x, d, idx, src)
    if x.ndim == 0:
        return x, d, (idx.reshape(1) if idx.ndim == 0 else idx,), src
    if src is not None and idx.shape != src.shape:
        src = getitem(src, tuple(slice(0, n) for n in idx.shape))
    return x, d, _along(idx, d), src


# --------------------------------------------------------------------------- gather / scatter
def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j][k] = input[index[i][j][k]][j][k] (for dim=0; likewise for other dims).

    dL/dinput adds G[i][j][k] into input[index[i][j][k]][j][k] (repeats accumulate).
    ``sparse_grad=True`` is accepted and gives the same gradient, stored densely (deepgrad
    has no sparse layout).

    Args:
        input: tensor of shape (n_0, ..., n_{k-1}).
        dim (int): the axis the index picks along.
        index: integer tensor with input's number of dimensions, no larger than input
            outside ``dim``; values in [0, n_dim).
    Returns:
        Tensor of index's shape.
    """
    x = to_tensor(input)
    idx = _index_array("gather", index)
    d = normalize_axis(dim, x.ndim)
    _gather_shapes("gather", x, d, idx)
    if x.ndim == 0:
        return expand(reshape(x, (1,) * idx.ndim), idx.shape)
    return getitem(x, _along(idx, d))


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """out = input, then out[index[i][j][k]][j][k] = src[i][j][k] (for dim=0).

    ``src`` may be a tensor or a number (``value=``: every named position gets it).
    Repeated positions keep one of the written values (PyTorch leaves which undefined).
    ``reduce='add'`` / ``'multiply'`` combine instead of replacing (as ``scatter_add`` and
    ``scatter_reduce(..., 'prod')``).

    dL/dinput = G with the written positions zeroed; dL/dsrc[i][j][k] = G at the position
    src[i][j][k] was written to.
    """
    if value is None and not isinstance(src, _fn._Tensor):
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError("scatter: expected exactly one of src (a tensor) and value (a number)")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', received {reduce!r}")
        if src is None:
            x = to_tensor(input)
            src = expand(_value_tensor("scatter", value, x), _index_array("scatter", index).shape)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    if src is None:
        x, _, ix, _ = _scatter_setup("scatter", input, dim, index)
        return IndexPut.apply(x, _value_tensor("scatter", value, x), index=ix)
    x, _, ix, src = _scatter_setup("scatter", input, dim, index, src)
    return IndexPut.apply(x, src, index=ix)


def scatter_add(input, dim, index, src):
    """out = input, then out[index[i][j][k]][j][k] += src[i][j][k] (dim=0); repeats add.

    dL/dinput = G;  dL/dsrc[i][j][k] = G at the position it was added to.
    """
    x, _, ix, src = _scatter_setup("scatter_add", input, dim, index, src)
    return IndexPut.apply(x, src, index=ix, accumulate=True)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Combine src into input at the positions index names (along ``dim``) with ``reduce``
    in 'sum', 'prod', 'mean', 'amax', 'amin'; ``include_self=False`` leaves input's own
    value out of every position written to. Integer 'mean' rounds down, as PyTorch.

    Derivatives: see :class:`ScatterReduce` (ties of amax/amin share the gradient).
    """
    if reduce not in SCATTER_REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {SCATTER_REDUCTIONS}, "
                         f"received {reduce!r}")
    x, _, ix, src = _scatter_setup("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(x, src, index=ix, reduce=reduce, include_self=bool(include_self))


# --------------------------------------------------------------------------- index_*
def _slice_setup(name, x, dim, index, source=None, negative=False):
    """Normalised dim and the positions ``(:, ..., :, index)`` of whole slices along it;
    ``source`` (when given) must be input's shape with len(index) slices along ``dim``."""
    d = normalize_axis(dim, x.ndim)
    idx = _index_array(name, index)
    if idx.ndim > 1:
        raise IndexError(f"{name}: index must be a vector (0-d or 1-d), received shape "
                         f"{tuple(idx.shape)}")
    idx = idx.reshape(-1)
    _check_bounds(name, idx, x.shape[d], d, negative)
    if source is not None:
        source = to_tensor(source)
        _same_dtype(name, x, source, "source")
        want = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
        if tuple(source.shape) != want:
            raise RuntimeError(f"{name}: source of shape {tuple(source.shape)} does not match "
                               f"the input {tuple(x.shape)} with {idx.size} indices along dim "
                               f"{d} (expected {want})")
    return (slice(None),) * d + (idx,), source


def _on_scalar(name, op, x, index, *sources):
    """index_* on a 0-d tensor: as on its 1-element 1-D view, with one index."""
    idx = _index_array(name, index)
    if idx.size != 1:
        raise IndexError(f"{name}: a 0-d tensor takes exactly one index, received {idx.size}")
    flat = [reshape(to_tensor(s), (1,)) if isinstance(s, _fn._Tensor) else s for s in sources]
    return reshape(op(reshape(x, (1,)), 0, idx.reshape(1), *flat), ())


def index_select(input, dim, index):
    """The slices of input at ``index`` along ``dim`` (index: 1-D, values in [0, n)).

    out.shape = input.shape with n_dim replaced by len(index). dL/dinput adds each slice of
    G back at its index (repeats accumulate).
    """
    x = to_tensor(input)
    if x.ndim == 0:
        return _on_scalar("index_select", index_select, x, index)
    ix, _ = _slice_setup("index_select", x, dim, index)
    return getitem(x, ix)


def index_add(input, dim, index, source, *, alpha=1):
    """out = input; out[..., index[i], ...] += alpha * source[..., i, ...] (along ``dim``).

    dL/dinput = G;  dL/dsource[..., i, ...] = alpha * G[..., index[i], ...].
    """
    x = to_tensor(input)
    if x.ndim == 0:
        return _on_scalar("index_add", lambda *a: index_add(*a, alpha=alpha), x, index,
                          to_tensor(source))
    ix, source = _slice_setup("index_add", x, dim, index, source)
    if alpha != 1:
        source = _elementwise.mul(source, alpha)
    return IndexPut.apply(x, source, index=ix, accumulate=True)


def index_copy(input, dim, index, source):
    """out = input; out[..., index[i], ...] = source[..., i, ...] (along ``dim``).

    dL/dinput = G with the copied slices zeroed;  dL/dsource = G at the copied slices.
    """
    x = to_tensor(input)
    if x.ndim == 0:
        return _on_scalar("index_copy", index_copy, x, index, to_tensor(source))
    ix, source = _slice_setup("index_copy", x, dim, index, source)
    return IndexPut.apply(x, source, index=ix)


def index_fill(input, dim, index, value):
    """out = input with the slices at ``index`` along ``dim`` set to ``value`` (a number or
    a 0-d tensor, which then gets the sum of G over those slices). Negative indices count
    from the end, as PyTorch allows here.
    """
    x = to_tensor(input)
    if x.ndim == 0:
        return _on_scalar("index_fill", index_fill, x, index, value)
    ix, _ = _slice_setup("index_fill", x, dim, index, negative=True)
    return IndexPut.apply(x, _value_tensor("index_fill", value, x), index=ix)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Combine source's slices into input's slices at ``index`` along ``dim`` with
    ``reduce`` in 'prod', 'mean', 'amax', 'amin' (PyTorch offers no 'sum' here: use
    index_add). Derivatives as :func:`scatter_reduce`.
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be one of 'prod', 'mean', 'amax', "
                         f"'amin', received {reduce!r}")
    x = to_tensor(input)
    if x.ndim == 0:
        return _on_scalar("index_reduce", lambda *a: index_reduce(
            *a, reduce, include_self=include_self), x, index, to_tensor(source))
    ix, source = _slice_setup("index_reduce", x, dim, index, source)
    return ScatterReduce.apply(x, source, index=ix, reduce=reduce, include_self=bool(include_self))


def index_put(input, indices, values, accumulate=False):
    """out = input; out[indices] = values (``+=`` with ``accumulate``), as ``x[indices] = v``.

    Args:
        indices: tuple of integer or bool tensors, one per leading dimension they index
            (negative integers count from the end).
        values: broadcastable to ``input[indices]``.
    dL/dinput = G with the written positions zeroed (unless accumulating);
    dL/dvalues = G[indices] (summed over broadcast axes).
    """
    x = to_tensor(input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, received "
                        f"{type(indices).__name__}")
    ix = []
    for k, i in enumerate(indices):
        arr = i.array if isinstance(i, _fn._Tensor) else np.asarray(i)
        if arr.dtype != np.bool_ and arr.dtype.kind not in "iu":
            raise TypeError(f"index_put: indices[{k}] must be an integer or bool tensor, "
                            f"received dtype {arr.dtype}")
        ix.append(arr)
    return index_put_positions("index_put", x, tuple(ix), values, accumulate)


def index_put_positions(name, x, index, values, accumulate=False):
    """``x[index] = values`` for any NumPy-style index, out of place (IndexPut)."""
    if isinstance(values, _fn._Tensor):
        v = values
    else:
        v = _fn._Tensor._wrap(np.asarray(values, dtype=x.dtype))
    if v.dtype != x.dtype:               # values take the tensor's dtype, as PyTorch
        if v.requires_grad and x.dtype.kind == "f":
            from deepgrad.ops.elementwise import cast
            v = cast(v, x.dtype)
        else:
            v = _fn._Tensor._wrap(v.array.astype(x.dtype))
    try:
        target = np.broadcast_to(np.empty((), dtype=np.bool_), x.shape)[index].shape
    except IndexError as e:
        raise IndexError(f"{name}: {e} (tensor shape {tuple(x.shape)})") from None
    vshape = tuple(v.shape)
    while len(vshape) > len(target) and vshape[0] == 1:     # NumPy drops leading 1s
        vshape = vshape[1:]
    try:
        fits = np.broadcast_shapes(vshape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"{name}: values of shape {tuple(v.shape)} cannot be broadcast to "
                           f"the indexed shape {target} (tensor shape {tuple(x.shape)})")
    return IndexPut.apply(x, v, index=index, accumulate=bool(accumulate))


# --------------------------------------------------------------------------- masked_*
def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else input (mask broadcasts; bool only).

    dL/dinput = G where mask is False; dL/dvalue (a 0-d tensor) = sum of G where True.
    """
    x = to_tensor(input)
    m = _bool_mask("masked_fill", mask)
    v = _value_tensor("masked_fill", value, x)
    return _elementwise.Where.apply(v, x, cond=m)


def masked_select(input, mask):
    """The elements of input (broadcast with mask) where mask is True, as a 1-D tensor.

    dL/dinput adds G back at the selected positions (summed over broadcast axes).
    """
    x = to_tensor(input)
    m = _bool_mask("masked_select", mask)
    shape = _broadcast("masked_select", x.shape, m.shape)
    return getitem(reshape(expand(x, shape), (-1,)), np.broadcast_to(m, shape).reshape(-1))


def _broadcast(name, *shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{name}: shapes {' and '.join(str(tuple(s)) for s in shapes)} "
                           f"cannot be broadcast together") from None


def masked_scatter(input, mask, source):
    """Copy source's elements, in order, into input where mask is True (mask broadcasts to
    input's shape). source needs at least as many elements as mask has True entries.

    dL/dinput = G where mask is False; dL/dsource[k] = G at the k-th True position (0 for
    the source elements not used).
    """
    x = to_tensor(input)
    m = _bool_mask("masked_scatter", mask)
    source = to_tensor(source)
    _same_dtype("masked_scatter", x, source, "source")
    if _broadcast("masked_scatter", x.shape, m.shape) != tuple(x.shape):
        raise RuntimeError(f"masked_scatter: mask of shape {tuple(m.shape)} must broadcast to "
                           f"the input's shape {tuple(x.shape)}")
    m = np.broadcast_to(m, x.shape)
    n = int(m.sum())
    if source.array.size < n:
        raise RuntimeError(f"masked_scatter: source has {source.array.size} elements, fewer "
                           f"than the {n} True entries of the mask")
    return IndexPut.apply(x, getitem(reshape(source, (-1,)), slice(0, n)), index=m)


# --------------------------------------------------------------------------- take / put
def take(input, index):
    """input viewed as 1-D, read at ``index`` (negative counts from the end); out has
    index's shape. dL/dinput adds G back at those flat positions."""
    x = to_tensor(input)
    idx = _index_array("take", index)
    _check_bounds("take", idx, x.array.size, 0, negative=True)
    return getitem(reshape(x, (-1,)), idx)


def take_along_dim(input, indices, dim=None):
    """``gather`` along ``dim`` with input and indices broadcast against each other outside
    ``dim``; with ``dim=None`` both are flattened first. Negative indices count from the end.
    """
    x = to_tensor(input)
    idx = _index_array("take_along_dim", indices, "indices")
    if dim is None:
        _check_bounds("take_along_dim", idx, x.array.size, 0, negative=True)
        return getitem(reshape(x, (-1,)), idx.reshape(-1))
    d = normalize_axis(dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"take_along_dim: input and indices must have the same number of "
                           f"dimensions, received shapes {tuple(x.shape)} and {tuple(idx.shape)}")
    _check_bounds("take_along_dim", idx, x.shape[d], d, negative=True)
    xs, ids = list(x.shape), list(idx.shape)
    xs[d] = ids[d] = 1
    batch = _broadcast("take_along_dim", xs, ids)
    x = expand(x, batch[:d] + (x.shape[d],) + batch[d + 1:])
    idx = np.broadcast_to(idx % x.shape[d], batch[:d] + (idx.shape[d],) + batch[d + 1:])
    return getitem(x, _along(idx, d))


def put(input, index, source, accumulate=False):
    """input viewed as 1-D, with ``source`` written (``+=`` with accumulate) at ``index``;
    index and source have the same number of elements; negative indices count from the end.
    """
    x = to_tensor(input)
    idx = _index_array("put", index)
    source = to_tensor(source)
    _same_dtype("put", x, source, "source")
    if idx.size != source.array.size:
        raise RuntimeError(f"put: index has {idx.size} elements but source has "
                           f"{source.array.size}")
    _check_bounds("put", idx, x.array.size, 0, negative=True)
    flat = IndexPut.apply(reshape(x, (-1,)), reshape(source, (-1,)), index=(idx.reshape(-1),),
                          accumulate=bool(accumulate))
    return reshape(flat, x.shape)
