"""Shape ops: reshape, permute, expand, indexing, concatenation and splitting.

None of these change values, so each backward only moves the gradient back into the
input's layout: reshape it back, permute by the inverse permutation, scatter it into the
indexed positions (adding at repeated indices), or split it at the concatenation points.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops._util import normalize_axis


class Reshape(Function):
    def forward(self, x, shape=()):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    def forward(self, x, axes=()):
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, g):
        return g.transpose(self.inverse)


class Expand(Function):
    def forward(self, x, shape=()):
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return g          # the engine's unbroadcast sums the expanded axes


class Repeat(Function):
    def forward(self, x, reps=()):
        self.in_shape = (1,) * (len(reps) - x.ndim) + x.shape
        self.reps = reps
        return np.tile(x, reps)

    def backward(self, g):
        # (r0*n0, r1*n1, ...) -> (r0, n0, r1, n1, ...) -> sum over the r axes
        split = [d for pair in zip(self.reps, self.in_shape) for d in pair]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g


class GetItem(Function):
    def forward(self, x, index=None):
        self.shape, self.index = x.shape, index
        return x[index]

    def backward(self, g):
        out = np.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            out[self.index] = g
        else:
            np.add.at(out, self.index, g)    # repeated indices accumulate
        return out


class Concatenate(Function):
    def forward(self, *xs, axis=0):
        self.axis = axis
        self.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(self, g):
        return tuple(np.split(g, self.bounds, axis=self.axis))


class Stack(Function):
    def forward(self, *xs, axis=0):
        self.axis = axis
        return np.stack(xs, axis=axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


def _is_basic(index):
    """Only ints, slices, None and Ellipsis: every element is selected at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items)


def _convert_index(index):
    """A PyTorch index as NumPy's: tensors become arrays (a uint8 tensor is a mask, as
    PyTorch's legacy rule), and a list holding tensors, sequences, slices, None or Ellipsis
    indexes several dimensions, as a tuple (PyTorch's legacy rule for such lists)."""
    if isinstance(index, _fn._Tensor):
        index = index.array
    if isinstance(index, np.ndarray):
        return index.astype(np.bool_) if index.dtype == np.uint8 else index
    if isinstance(index, tuple):
        return tuple(_convert_index(i) for i in index)
    if isinstance(index, list):
        if any(isinstance(i, (_fn._Tensor, np.ndarray, list, tuple, slice, type(None),
                              type(Ellipsis))) for i in index):
            return tuple(_convert_index(i) for i in index)
        return np.asarray(index)
    return index


def reshape(x, shape):
    """Same elements, new shape (one entry may be -1).   backward: reshape back."""
    x = to_tensor(x)
    shape = tuple(shape)
    known = int(np.prod([n for n in shape if n != -1], dtype=np.int64))
    if shape.count(-1) > 1 or (-1 in shape and (known == 0 or x.array.size % known)) or (
            -1 not in shape and known != x.array.size):
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size "
                           f"{x.array.size} (shape {tuple(x.shape)})")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


view = reshape


def permute(x, dims):
    """Reorder the axes: out.shape[i] = x.shape[dims[i]].   backward: inverse permutation."""
    x = to_tensor(x)
    dims = tuple(normalize_axis(d, x.ndim) for d in dims)
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of the {x.ndim} "
                           f"dimensions of a tensor of shape {tuple(x.shape)}")
    return Permute.apply(x, axes=dims)


def transpose(x, dim0, dim1):
    """Swap two axes (PyTorch's ``transpose``)."""
    x = to_tensor(x)
    axes = list(range(x.ndim))
    d0, d1 = normalize_axis(dim0, x.ndim), normalize_axis(dim1, x.ndim)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Permute.apply(x, axes=tuple(axes))


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes start_dim..end_dim into one."""
    x = to_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = normalize_axis(start_dim, x.ndim), normalize_axis(end_dim, x.ndim)
    shape = x.shape[:s] + (-1,) + x.shape[e + 1:]
    if x.array.size == 0:
        shape = x.shape[:s] + (int(np.prod(x.shape[s:e + 1])),) + x.shape[e + 1:]
    return reshape(x, shape)


def squeeze(x, dim=None):
    """Drop size-1 axes (only ``dim`` if given, and only if it has size 1, as PyTorch)."""
    x = to_tensor(x)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = normalize_axis(dim if isinstance(dim, (tuple, list)) else (dim,), x.ndim)
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape(x, shape)


def unsqueeze(x, dim):
    """Insert a size-1 axis at ``dim`` (``dim`` may be -1 .. ndim)."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim + 1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x, shape):
    """Broadcast to ``shape`` without copying; -1 keeps a size.   backward: unbroadcast."""
    x = to_tensor(x)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes {len(shape)} must be at least the "
                           f"number of dimensions {x.ndim} of shape {tuple(x.shape)}")
    full = tuple(x.shape[i - lead] if s == -1 else int(s) for i, s in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != full[lead + i]:
            raise RuntimeError(f"expand: cannot expand shape {tuple(x.shape)} to {full}: size "
                               f"{n} at dimension {i} is not 1 and does not match")
    if full == x.shape:
        return x
    return Expand.apply(x, shape=full)


broadcast_to = expand


def repeat(x, reps):
    """Tile ``x`` ``reps[i]`` times along each axis (PyTorch's ``repeat``)."""
    x = to_tensor(x)
    reps = tuple(int(r) for r in reps)
    if len(reps) < x.ndim:
        raise RuntimeError(f"repeat: {len(reps)} repeat counts given for a tensor of "
                           f"{x.ndim} dimensions (shape {tuple(x.shape)})")
    return Repeat.apply(x, reps=reps)


def getitem(x, index):
    """``x[index]``: basic slicing, integer arrays and bool masks, all differentiable."""
    x = to_tensor(x)
    index = _convert_index(index)
    try:
        return GetItem.apply(x, index=index)
    except IndexError as e:
        raise IndexError(f"index: {e} (tensor shape {tuple(x.shape)})") from None


def cat(tensors, dim=0, *, axis=None):
    """Concatenate along ``dim`` (``axis=`` is accepted for it, as PyTorch's NumPy-style
    alias).   backward: split the gradient at the boundaries."""
    dim = _dim_alias("cat", dim, 0, axis)
    tensors = [to_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    axis = normalize_axis(dim, tensors[0].ndim)
    _check_same("cat", tensors, skip_axis=axis)
    return Concatenate.apply(*tensors, axis=axis)


concatenate = cat


def stack(tensors, dim=0, *, axis=None):
    """Stack equally shaped tensors along a new axis ``dim`` (or ``axis=``, PyTorch's
    alias)."""
    dim = _dim_alias("stack", dim, 0, axis)
    tensors = [to_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    _check_same("stack", tensors)
    return Stack.apply(*tensors, axis=normalize_axis(dim, tensors[0].ndim + 1))


def _dim_alias(name, dim, default, axis):
    """``dim``, or ``axis`` when given instead (PyTorch accepts ``axis=`` for ``dim=``;
    both at once is a TypeError, as there)."""
    if axis is None:
        return dim
    if dim is not default:
        raise TypeError(f"{name}() got both `dim` and its alias `axis`")
    return axis


def _check_same(name, tensors, skip_axis=None):
    first = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        same = t.ndim == first.ndim and all(
            a == b for k, (a, b) in enumerate(zip(t.shape, first.shape)) if k != skip_axis)
        if not same:
            raise RuntimeError(f"{name}: tensor {i} has shape {tuple(t.shape)}, which does not "
                               f"match tensor 0's shape {tuple(first.shape)}"
                               + (f" outside dim {skip_axis}" if skip_axis is not None else ""))
        if t.dtype != first.dtype:
            raise TypeError(f"{name}: tensor {i} has dtype {t.dtype}, tensor 0 has {first.dtype}")


def split(x, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (last may be smaller) or of the given sizes."""
    x = to_tensor(x)
    axis = normalize_axis(dim, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split_size must be a positive int, received {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split: sizes {sizes} sum to {sum(sizes)}, but dim {dim} "
                               f"has size {n}")
    out, start = [], 0
    for s in sizes:
        index = (slice(None),) * axis + (slice(start, start + s),)
        out.append(getitem(x, index))
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (PyTorch's ``chunk``)."""
    x = to_tensor(x)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, received {chunks}")
    n = x.shape[normalize_axis(dim, x.ndim)]
    return split(x, max(-(-n // chunks), 1), dim)


# ----------------------------------------------------------------- axes, views and pieces
def movedim(x, source, destination):
    """Move the axes ``source`` to the positions ``destination`` (ints or sequences of the
    same length); the others keep their order. A permutation, so backward permutes back."""
    x = to_tensor(x)
    src = normalize_axis(source if isinstance(source, (tuple, list)) else (source,), x.ndim)
    dst = normalize_axis(destination if isinstance(destination, (tuple, list))
                         else (destination,), x.ndim)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: source {source} and destination {destination} must have "
                           f"the same number of dims")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination "
                           f"{destination}")
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(x, axes=tuple(order)) if x.ndim else x


moveaxis = movedim


def swapaxes(x, axis0, axis1):
    """``transpose(x, axis0, axis1)`` under NumPy's name."""
    return transpose(x, axis0, axis1)


swapdims = swapaxes


def t(x):
    """Transpose a tensor of at most 2 dimensions (0-d and 1-d come back as they are)."""
    x = to_tensor(x)
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, received shape "
                           f"{tuple(x.shape)}")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def ravel(x):
    """The elements as a 1-D tensor (row-major)."""
    return reshape(x, (-1,))


def unflatten(x, dim, sizes):
    """Split axis ``dim`` into ``sizes`` (one entry may be -1), the inverse of flatten."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
    n = x.shape[d]
    if sizes.count(-1) > 1 or (-1 not in sizes and known != n) or (
            -1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: sizes {list(sizes)} do not multiply to the size {n} "
                           f"of dim {dim} (shape {tuple(x.shape)})")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def narrow(x, dim, start, length):
    """``x`` along ``dim`` from ``start`` (negative counts from the end; may be a 0-d
    tensor) for ``length`` elements: a slice, so backward writes G back there."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim)
    n = x.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                           f"size ({n})")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def select(x, dim, index):
    """The slice at ``index`` along ``dim`` (that axis removed); ``x.select(0, i)`` is x[i]."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim)
    n, i = x.shape[d], int(index)
    if not -n <= i < n:
        raise IndexError(f"select: index {i} is out of range for dim {dim} of size {n}")
    return getitem(x, (slice(None),) * d + (i,))


def unbind(x, dim=0):
    """All slices along ``dim``, as a tuple (the axis removed from each)."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim)
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def tensor_split(x, indices_or_sections, dim=0):
    """Split along ``dim`` as ``numpy.array_split``: an int k gives k pieces, the first
    n % k of them one longer; a sequence (or 1-D tensor) of indices gives the pieces between
    them (Python slice rules: clipped, possibly empty); a 0-d tensor counts as an int."""
    x = to_tensor(x)
    d = normalize_axis(dim, x.ndim)
    n = x.shape[d]
    spec = indices_or_sections
    if isinstance(spec, _fn._Tensor):
        if spec.dtype.kind not in "iu" or spec.ndim > 1:
            raise RuntimeError(f"tensor_split: a tensor indices_or_sections must be a 0-d or "
                               f"1-d integer tensor, received dtype {spec.dtype}, shape "
                               f"{tuple(spec.shape)}")
        spec = spec.item() if spec.ndim == 0 else spec.array.tolist()
    if isinstance(spec, (int, np.integer)):
        k = int(spec)
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, "
                               f"received {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        pairs = list(zip(bounds[:-1], bounds[1:]))
    else:
        cuts = [int(i) for i in spec]
        pairs = list(zip([0] + cuts, cuts + [None]))
    return tuple(getitem(x, (slice(None),) * d + (slice(a, b),)) for a, b in pairs)


def split_with_sizes(x, split_sizes, dim=0):
    """``split`` with a list of sizes that must sum to the size of ``dim``."""
    return split(x, list(split_sizes), dim)


def _split_sections(name, x, spec, dim, min_ndim):
    x = to_tensor(x)
    if x.ndim < min_ndim:
        raise RuntimeError(f"{name}: requires a tensor with at least {min_ndim} dimension(s), "
                           f"received shape {tuple(x.shape)}")
    if isinstance(spec, (int, np.integer)):
        n = x.shape[dim]
        if spec <= 0 or n % spec:
            raise RuntimeError(f"{name}: the size {n} of dimension {dim} is not divisible by "
                               f"the number of sections {spec}")
    return tensor_split(x, spec, dim)


def hsplit(x, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor); an int must divide evenly."""
    x = to_tensor(x)
    return _split_sections("hsplit", x, indices_or_sections, 0 if x.ndim == 1 else 1, 1)


def vsplit(x, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of at least 2 dims; an int must divide evenly."""
    return _split_sections("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of at least 3 dims; an int must divide evenly."""
    return _split_sections("dsplit", x, indices_or_sections, 2, 3)


def sum_to_size(x, *size):
    """Sum ``x`` down to ``size``, which ``x`` must be broadcastable to (the reverse of
    expand; the engine's ``unbroadcast`` made public)."""
    from deepgrad.ops.reduce import sum as _sum
    x = to_tensor(x)
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    size = tuple(int(s) for s in size)
    lead = x.ndim - len(size)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(size, x.shape[lead:])):
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to the tensor's "
                           f"shape {tuple(x.shape)}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and x.shape[lead + i] != 1)
    out = _sum(x, axes, keepdim=True) if axes else x
    return reshape(out, size)


concat = cat


def detach(input):
    """``torch.detach``: a tensor sharing ``input``'s array, cut from the graph."""
    return to_tensor(input).detach()


def detach_(input):
    """``torch.detach_``: cut ``input`` itself from the graph (``Tensor.detach_``)."""
    return input.detach_()
