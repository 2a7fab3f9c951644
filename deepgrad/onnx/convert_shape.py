"""Shape ops -> ONNX: reshape, permute, expand, tile, indexing, concatenation, padding
(constant, reflect, replicate, circular), interpolation's gathers, flip.

Sizes along dynamic axes are not written as numbers:

* ``Reshape``: a target axis whose size is the input's at the same position is written
  0 (ONNX: copy that size); one remaining dynamic axis is written -1 (inferred);
* ``Expand``: an axis the input already has at full size is written 1 (ONNX's Expand
  broadcasts both ways); another dynamic size is read from the inputs' runtime shapes;
* indexing: slices keep their Python form (None ends are "to the end"), so they follow
  the runtime size.
"""
import numpy as np

from deepgrad.ops import padding as PD, rearrange as R, shape as S
from deepgrad.onnx.registry import converts

_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min


@converts(S.Reshape, checks=("shape",))
def reshape(ctx, node):
    x = node.inputs[0]
    pairs_in, pairs_out = ctx.dims(x), ctx.dims(node.output)
    target = [a for a, _ in pairs_out]
    loose = []
    for ax, (a, b) in enumerate(pairs_out):
        if a == b:
            continue
        if ax < len(pairs_in) and pairs_in[ax] == (a, b):
            target[ax] = 0
        else:
            loose.append(ax)
    if len(loose) > 1:
        raise ctx.fail(node, f"the reshape from {tuple(x.shape)} to {tuple(node.output.shape)} "
                             f"has {len(loose)} sizes that follow dynamic axes at new "
                             f"positions; ONNX's Reshape can infer only one (-1)")
    for ax in loose:
        target[ax] = -1
    if 0 in [a for a, _ in pairs_out]:
        raise ctx.fail(node, "reshape of an empty tensor is not exported")
    return ctx.g.op("Reshape", [ctx.input(node, 0), ctx.g.int64s(target)])


@converts(S.Permute)
def permute(ctx, node):
    return ctx.g.op("Transpose", [ctx.input(node, 0)], perm=[int(a) for a in
                                                             node.params["axes"]])


@converts(S.Expand, checks=("shape",))
def expand(ctx, node):
    x = node.inputs[0]
    pin, pout = ctx.dims(x), ctx.dims(node.output)
    lead = len(pout) - len(pin)
    pairs = []
    for ax, pair in enumerate(pout):
        if pair[0] != pair[1] and ax >= lead and pin[ax - lead] == pair:
            pairs.append((1, 1))
        else:
            pairs.append(pair)
    return ctx.g.op("Expand", [ctx.input(node, 0), ctx.shape_tensor(pairs)])


@converts(S.Repeat)
def repeat(ctx, node):
    reps = [int(r) for r in node.params["reps"]]
    x, extra = ctx.input(node, 0), len(reps) - node.inputs[0].ndim
    if extra > 0:
        x = ctx.g.unsqueeze(x, list(range(extra)))
    return ctx.g.op("Tile", [x, ctx.g.int64s(reps)])


@converts(S.Concatenate)
def concatenate(ctx, node):
    return ctx.g.op("Concat", ctx.inputs(node), axis=int(node.params.get("axis", 0)))


@converts(S.Stack)
def stack(ctx, node):
    axis = int(node.params.get("axis", 0))
    parts = [ctx.g.unsqueeze(name, [axis]) for name in ctx.inputs(node)]
    return ctx.g.op("Concat", parts, axis=axis)


@converts(PD.ConstantPad)
def constant_pad(ctx, node):
    """ONNX Pad with pads = [before_0, .., before_n, after_0, .., after_n] (negative crops)."""
    widths = [(int(b), int(a)) for b, a in node.params["widths"]]
    pads = [b for b, _ in widths] + [a for _, a in widths]
    value = ctx.g.scalar(node.params.get("value", 0), node.output.dtype)
    return ctx.g.op("Pad", [ctx.input(node, 0), ctx.g.int64s(pads), value], mode="constant")


@converts(PD.AxisGather)
def axis_gather(ctx, node):
    """out = sum_t w_t x.take(i_t, axis): reflect / replicate / circular padding and
    nearest / linear interpolation. Each tap is a Gather with the op's index, times its
    weights (broadcast along ``axis``) when it has any, the taps summed."""
    x, nd = node.inputs[0], node.inputs[0].ndim
    axis = int(node.params.get("axis", -1)) % nd
    g, name, out = ctx.g, ctx.input(node, 0), None
    for index, w in node.params["taps"]:
        term = g.op("Gather", [name, g.const(np.asarray(index, np.int64), "taps")], axis=axis)
        if w is not None:
            shape = (-1,) + (1,) * (nd - 1 - axis)
            term = g.op("Mul", [term, g.const(np.asarray(w, x.dtype).reshape(shape), "weights")])
        out = term if out is None else g.op("Add", [out, term])
    return out


@converts(R.Flip)
def flip(ctx, node):
    axes = [int(a) for a in node.params["axes"]]
    n = len(axes)
    return ctx.g.op("Slice", [ctx.input(node, 0), ctx.g.int64s([-1] * n),
                              ctx.g.int64s([_SMALL] * n), ctx.g.int64s(axes),
                              ctx.g.int64s([-1] * n)])


# ----------------------------------------------------------------------- indexing
def _bound(b1, b2, n1, n2, end):
    """An index bound that was b1 / b2 on an axis of size n1 / n2 in the two runs: itself
    when equal, else counted from the end (b - n), the end itself being 'to the end'."""
    if b1 == b2:
        return b1
    if b1 is not None and b2 is not None and b1 - n1 == b2 - n2:
        rel = int(b1) - n1
        return rel if rel else end
    return _NO_BOUND


_NO_BOUND = object()


@converts(S.GetItem, checks=("index",))
def getitem(ctx, node):
    """x[index]: basic indexing (ints, slices, None, Ellipsis) as Slice, Squeeze and
    Unsqueeze; one integer array among full slices as Gather. A bound that follows a
    dynamic axis (``packed[:T]``, ``out[T - 1]``) is written from the end."""
    index, twin = node.params["index"], ctx.twin_params[node.index]["index"]
    items = index if isinstance(index, tuple) else (index,)
    items2 = twin if isinstance(twin, tuple) else (twin,)
    ndim = node.inputs[0].ndim
    arrays = [i for i, it in enumerate(items) if isinstance(it, np.ndarray)]
    if arrays:
        return _gather(ctx, node, items, items2, arrays, ndim)
    items = _expand_ellipsis(ctx, node, items, ndim)
    items2 = _expand_ellipsis(ctx, node, items2, ndim)
    if len(items) != len(items2):
        raise ctx.fail(node, "the index has a different form in the two runs")
    dims = ctx.dims(node.inputs[0])
    starts, ends, axes, steps, drop, new = [], [], [], [], [], []
    in_ax = out_ax = 0
    for it, it2 in zip(items, items2):
        if it is None:
            new.append(out_ax)
            out_ax += 1
            continue
        n1, n2 = dims[in_ax]
        if isinstance(it, (int, np.integer)) and isinstance(it2, (int, np.integer)):
            i = _bound(int(it), int(it2), n1, n2, None)
            if i is _NO_BOUND or i is None:
                raise _moving(ctx, node, it, it2)
            starts.append(i), ends.append(_BIG if i == -1 else i + 1)
            axes.append(in_ax), steps.append(1), drop.append(in_ax)
            in_ax += 1
            continue
        if not isinstance(it, slice) or not isinstance(it2, slice) or it.step != it2.step:
            raise ctx.fail(node, f"index item {it!r} is not an int, a slice, None or Ellipsis "
                                 f"of the same form in both runs")
        step = 1 if it.step is None else int(it.step)
        start = _bound(it.start, it2.start, n1, n2, _BIG)
        stop = _bound(it.stop, it2.stop, n1, n2, _BIG if step > 0 else _SMALL)
        if start is _NO_BOUND or stop is _NO_BOUND:
            raise _moving(ctx, node, it, it2)
        start = start if start is not None else (0 if step > 0 else _BIG)
        stop = stop if stop is not None else (_BIG if step > 0 else _SMALL)
        if (start, stop, step) != (0, _BIG, 1):
            starts.append(int(start)), ends.append(int(stop))
            axes.append(in_ax), steps.append(step)
        in_ax += 1
        out_ax += 1
    y = ctx.input(node, 0)
    if axes:
        y = ctx.g.op("Slice", [y, ctx.g.int64s(starts), ctx.g.int64s(ends),
                               ctx.g.int64s(axes), ctx.g.int64s(steps)])
    if drop:
        y = ctx.g.squeeze(y, drop)
    if new:
        y = ctx.g.unsqueeze(y, new)
    if axes or drop or new:
        return y
    return ctx.g.op("Identity", [y])


def _moving(ctx, node, it, it2):
    return ctx.fail(node, f"the index {it!r} became {it2!r} when the dynamic axes grew, "
                          f"which is neither fixed nor counted from the axis' end")


def _expand_ellipsis(ctx, node, items, ndim):
    n_real = sum(1 for it in items if it is not None and it is not Ellipsis)
    if sum(1 for it in items if it is Ellipsis) > 1:
        raise ctx.fail(node, "an index with more than one Ellipsis")
    out = []
    for it in items:
        if it is Ellipsis:
            out += [slice(None)] * (ndim - n_real)
        else:
            out.append(it)
    if Ellipsis not in items:
        out += [slice(None)] * (ndim - n_real)
    return out


def _gather(ctx, node, items, items2, arrays, ndim):
    """One integer array along one axis, every other item a full slice or Ellipsis."""
    k = arrays[0]
    arr = items[k]
    full = all(it is Ellipsis or (isinstance(it, slice) and it == slice(None))
               for i, it in enumerate(items) if i != k)
    if len(arrays) != 1 or arr.dtype.kind not in "iu" or not full or len(items2) != len(items):
        raise ctx.unsupported(node, "only x[..., idx, ...] with one integer index array and "
                                    "full slices elsewhere is exported (bool masks and "
                                    "several index arrays are not)")
    axis = (ndim - (len(items) - k)) if Ellipsis in items[:k] else k
    index = ctx.array(arr, np.asarray(items2[k]), "gather_index", node)
    return ctx.g.op("Gather", [ctx.input(node, 0), index], axis=int(axis))
