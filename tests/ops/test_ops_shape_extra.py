"""Shape ops beyond reshape/permute/cat: moving axes, pieces (narrow, select, unbind,
tensor_split, h/v/dsplit), flip/roll/rot90, repeat_interleave/tile/unfold, the stacks,
meshgrid, broadcasting helpers, combinatorics, block_diag, vander, triangles/diagonals and
the *_scatter ops. Forward against NumPy, gradients by float64 gradcheck and against
PyTorch when it is installed."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from torch_last import check_op


def T(a):
    return dg.tensor(np.asarray(a))


def _torch():
    import torch
    return torch


# ----------------------------------------------------------------- axes
@pytest.mark.parametrize("shape, src, dst", [((2, 3, 4), 0, -1), ((2, 3, 4), (0, 1), (-1, 0)),
                                             ((2, 3, 4), -1, 0), ((3,), 0, 0)])
def test_movedim_moveaxis(shape, src, dst):
    ref = lambda a: np.moveaxis(a, src, dst)                             # noqa: E731
    check_op(lambda x: ops.movedim(x, src, dst), ref, [shape],
             torch_fn=lambda x: _torch().movedim(x, src, dst))
    check_op(lambda x: x.moveaxis(src, dst), ref, [shape])
    check_op(lambda x: ops.moveaxis(x, src, dst), ref, [shape])


def test_swapaxes_t_ravel_unflatten_reshape_as():
    check_op(lambda x: ops.swapaxes(x, 0, -1), lambda a: np.swapaxes(a, 0, -1), [(2, 3, 4)])
    check_op(lambda x: x.swapdims(1, 2), lambda a: np.swapaxes(a, 1, 2), [(2, 3, 4)])
    check_op(lambda x: ops.swapdims(x, 0, 1), lambda a: np.swapaxes(a, 0, 1), [(2, 3)])
    check_op(lambda x: ops.t(x), lambda a: a.T, [(), (3,), (2, 3)])
    check_op(lambda x: ops.ravel(x), lambda a: a.ravel(), [(), (2, 3, 4)])
    check_op(lambda x: ops.unflatten(x, 1, (2, -1)), lambda a: a.reshape(2, 2, 3), [(2, 6)])
    check_op(lambda x: x.unflatten(-1, (3, 2)), lambda a: a.reshape(2, 3, 2), [(2, 6)])
    check_op(lambda x, y: x.reshape_as(y), lambda a, b: a.reshape(b.shape), [((2, 3), (3, 2))])
    with pytest.raises(RuntimeError, match="expects a tensor with <= 2 dimensions"):
        ops.t(dg.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="do not multiply to the size 6"):
        ops.unflatten(dg.zeros(2, 6), 1, (4, -1))
    with pytest.raises(IndexError, match="dim out of range"):
        ops.movedim(dg.zeros(2, 3), 2, 0)
    with pytest.raises(RuntimeError, match="repeated dim"):
        ops.movedim(dg.zeros(2, 3), (0, 0), (0, 1))


def test_inplace_view_methods():
    x = dg.Tensor(np.arange(6.0).reshape(2, 3))
    base = x.array
    assert x.t_() is x and x.shape == (3, 2)
    x.unsqueeze_(0)
    assert x.shape == (1, 3, 2)
    x.squeeze_(0)
    x.transpose_(0, 1)
    x.swapaxes_(0, 1)
    x.swapdims_(1, 0)
    assert x.shape == (2, 3) and np.shares_memory(x.array, base)
    np.testing.assert_array_equal(x.array, np.arange(6.0).reshape(2, 3))
    w = dg.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.t_()


# ----------------------------------------------------------------- pieces
def test_narrow_select_unbind():
    check_op(lambda x: ops.narrow(x, 1, 1, 2), lambda a: a[:, 1:3], [(2, 4)],
             torch_fn=lambda x: _torch().narrow(x, 1, 1, 2))
    check_op(lambda x: x.narrow(0, T(-2), 2), lambda a: a[-2:], [(4, 3)])      # tensor start
    check_op(lambda x: ops.select(x, 1, -1), lambda a: a[:, -1], [(2, 3, 4)])
    check_op(lambda x: x.select(0, 1), lambda a: a[1], [(3,)])
    check_op(lambda x: ops.unbind(x, 1), lambda a: tuple(a[:, i] for i in range(3)), [(2, 3)])
    check_op(lambda x: x.unbind(), lambda a: tuple(a), [(2, 3)])
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(3\) exceeds"):
        ops.narrow(dg.zeros(5), 0, 3, 3)
    with pytest.raises(IndexError, match="out of range"):
        ops.select(dg.zeros(2, 3), 1, 3)


@pytest.mark.parametrize("spec", [3, 2, 7, [1, 5, 3, 10], [-2], (0,), []])
def test_tensor_split(spec):
    ref = lambda a: tuple(np.array_split(a, spec if isinstance(spec, int) else list(spec),  # noqa
                                         axis=1))
    check_op(lambda x: ops.tensor_split(x, spec, 1), ref, [(2, 7)])
    check_op(lambda x: x.tensor_split(spec, dim=1), ref, [(2, 7)])


def test_tensor_split_tensor_argument_and_torch():
    x = dg.arange(7)
    assert [t.tolist() for t in ops.tensor_split(x, T(3))] == [[0, 1, 2], [3, 4], [5, 6]]
    assert [t.tolist() for t in ops.tensor_split(x, T([2, 4]))] == [[0, 1], [2, 3], [4, 5, 6]]
    with pytest.raises(RuntimeError, match="larger than 0"):
        ops.tensor_split(x, 0)
    torch = pytest.importorskip("torch")
    for spec in (3, [1, 5, 3, 10], [-2]):
        got = [t.tolist() for t in ops.tensor_split(x, spec)]
        assert got == [t.tolist() for t in torch.tensor_split(torch.arange(7), spec)]


def test_split_with_sizes_and_hvdsplit():
    check_op(lambda x: ops.split_with_sizes(x, [1, 3], -1),
             lambda a: (a[..., :1], a[..., 1:]), [(2, 4)])
    check_op(lambda x: x.split_with_sizes((2, 0, 1)), lambda a: (a[:2], a[2:2], a[2:]), [(3, 2)])
    check_op(lambda x: ops.hsplit(x, 2), lambda a: tuple(np.hsplit(a, 2)), [(4,), (3, 4)])
    check_op(lambda x: x.hsplit([1, 3]), lambda a: tuple(np.hsplit(a, [1, 3])), [(3, 4)])
    check_op(lambda x: ops.vsplit(x, 2), lambda a: tuple(np.vsplit(a, 2)), [(4, 3)])
    check_op(lambda x: x.vsplit([1]), lambda a: tuple(np.vsplit(a, [1])), [(4, 3)])
    check_op(lambda x: ops.dsplit(x, 2), lambda a: tuple(np.dsplit(a, 2)), [(2, 1, 4)])
    check_op(lambda x: x.dsplit([3]), lambda a: tuple(np.dsplit(a, [3])), [(2, 1, 4)])
    with pytest.raises(RuntimeError, match="not divisible by the number of sections 2"):
        ops.hsplit(dg.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="at least 2 dimension"):
        ops.vsplit(dg.zeros(6), 3)
    with pytest.raises(RuntimeError, match="do not match|sum to"):
        ops.split_with_sizes(dg.zeros(4), [1, 2])


def test_sum_to_size():
    check_op(lambda x: ops.sum_to_size(x, (3, 1)), lambda a: a.sum(axis=(0, 2)).reshape(3, 1),
             [(2, 3, 4)])
    check_op(lambda x: x.sum_to_size(1, 4), lambda a: a.sum(axis=(0, 1)).reshape(1, 4),
             [(2, 3, 4)])
    check_op(lambda x: x.sum_to_size(2, 3), lambda a: a, [(2, 3)])
    with pytest.raises(RuntimeError, match="is not expandable"):
        ops.sum_to_size(dg.zeros(2, 3), (2,))


# ----------------------------------------------------------------- rearrange
def test_flip_fliplr_flipud_roll_rot90():
    check_op(lambda x: ops.flip(x, (0, -1)), lambda a: np.flip(a, (0, -1)), [(2, 3, 4)],
             torch_fn=lambda x: _torch().flip(x, (0, -1)))
    check_op(lambda x: x.flip(1), lambda a: np.flip(a, 1), [(2, 3)])
    check_op(lambda x: ops.flip(x, ()), lambda a: a, [(2, 3), ()])
    check_op(lambda x: ops.fliplr(x), np.fliplr, [(2, 3), (2, 3, 2)])
    check_op(lambda x: x.flipud(), np.flipud, [(3,), (2, 3)])
    check_op(ops.flipud, np.flipud, [(2, 3)])
    check_op(lambda x: ops.roll(x, (1, -1), (0, 1)), lambda a: np.roll(a, (1, -1), (0, 1)),
             [(2, 3)], torch_fn=lambda x: _torch().roll(x, (1, -1), (0, 1)))
    check_op(lambda x: x.roll(4), lambda a: np.roll(a, 4), [(2, 3)])
    check_op(lambda x: ops.roll(x, -2, 1), lambda a: np.roll(a, -2, 1), [(2, 3)])
    for k in (-1, 0, 1, 2, 3, 5):
        check_op(lambda x: ops.rot90(x, k, (1, 2)), lambda a: np.rot90(a, k, (1, 2)), [(2, 3, 4)],
                 torch_fn=lambda x: _torch().rot90(x, k, (1, 2)))
    check_op(lambda x: x.rot90(), np.rot90, [(2, 3)])
    x = dg.zeros(2, 3)
    assert not np.shares_memory(ops.flip(x, 0).array, x.array)      # a copy, as PyTorch
    with pytest.raises(RuntimeError, match="at least 2-d"):
        ops.fliplr(dg.zeros(3))
    with pytest.raises(RuntimeError, match="repeated dim"):
        ops.flip(dg.zeros(2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="same length"):
        ops.roll(dg.zeros(2, 3), (1, 2), 0)
    with pytest.raises(RuntimeError, match="rotation dims must differ"):
        ops.rot90(dg.zeros(2, 3), 1, (0, 0))


def test_repeat_interleave_and_tile():
    check_op(lambda x: ops.repeat_interleave(x, 2), lambda a: np.repeat(a, 2), [(2, 3), ()])
    check_op(lambda x: x.repeat_interleave(T([1, 0, 3]), dim=1),
             lambda a: np.repeat(a, [1, 0, 3], axis=1), [(2, 3)],
             torch_fn=lambda x: x.repeat_interleave(_torch().tensor([1, 0, 3]), dim=1))
    check_op(lambda x: ops.repeat_interleave(x, T([2]), dim=0, output_size=4),
             lambda a: np.repeat(a, 2, axis=0), [(2, 3)])
    assert ops.repeat_interleave(T([1, 2])).tolist() == [0, 1, 1]
    check_op(lambda x: ops.tile(x, (2,)), lambda a: np.tile(a, 2), [(2, 3), ()])
    check_op(lambda x: x.tile(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), [(2, 3)],
             torch_fn=lambda x: x.tile(2, 1, 3))
    check_op(lambda x: ops.tile(x, ()), lambda a: a, [(2,)])
    with pytest.raises(RuntimeError, match="does not match the sum of the repeats 3"):
        ops.repeat_interleave(dg.zeros(2), T([1, 2]), dim=0, output_size=4)
    with pytest.raises(RuntimeError, match="can not be negative"):
        ops.repeat_interleave(dg.zeros(2), T([1, -2]), dim=0)
    with pytest.raises(RuntimeError, match="same size as the input"):
        ops.repeat_interleave(dg.zeros(3), T([1, 2]), dim=0)


def _windows(a, dim, size, step):
    n = (a.shape[dim] - size) // step + 1
    pieces = [np.take(a, range(i * step, i * step + size), axis=dim) for i in range(n)]
    return np.moveaxis(np.stack(pieces, axis=dim), dim + 1, -1)


@pytest.mark.parametrize("shape, dim, size, step", [((7,), 0, 3, 2), ((2, 5, 3), 1, 2, 1),
                                                    ((2, 5), -1, 5, 3), ((4, 2), 0, 1, 3)])
def test_unfold_windows(shape, dim, size, step):
    check_op(lambda x: x.unfold(dim, size, step), lambda a: _windows(a, dim % len(shape), size,
                                                                     step),
             [shape], torch_fn=lambda x: x.unfold(dim, size, step))


def test_unfold_scalar_and_errors():
    assert dg.tensor(3.0).unfold(0, 1, 1).tolist() == [3.0]
    with pytest.raises(RuntimeError, match="larger than the size"):
        dg.zeros(3).unfold(0, 4, 1)
    with pytest.raises(RuntimeError, match="step must be positive"):
        dg.zeros(3).unfold(0, 2, 0)


# ----------------------------------------------------------------- join
def test_broadcast_helpers():
    assert ops.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    assert ops.broadcast_shapes() == ()
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        ops.broadcast_shapes((2,), (3,))
    check_op(lambda x, y: ops.broadcast_tensors(x, y),
             lambda a, b: tuple(np.broadcast_arrays(a, b)), [((2, 1), (3,)), ((), (2,))])
    check_op(lambda x: x.broadcast_to((2, 3)), lambda a: np.broadcast_to(a, (2, 3)), [(3,)])


def test_atleast_nd():
    for f, ref in ((ops.atleast_1d, np.atleast_1d), (ops.atleast_2d, np.atleast_2d),
                   (ops.atleast_3d, np.atleast_3d)):
        check_op(f, ref, [(), (2,), (2, 3), (2, 3, 1)])
        check_op(lambda x, y: f(x, y), lambda a, b: tuple(ref(a, b)), [((), (2, 3))])
        check_op(lambda x, y: f([x, y]), lambda a, b: tuple(ref(a, b)), [((2,), (1,))])


def test_stacks():
    check_op(lambda x, y: ops.hstack([x, y]), lambda a, b: np.hstack([a, b]),
             [((2,), (3,)), ((2, 1), (2, 3)), ((), ())])
    check_op(lambda x, y: ops.vstack((x, y)), lambda a, b: np.vstack([a, b]),
             [((3,), (3,)), ((1, 3), (2, 3))])
    check_op(lambda x, y: ops.row_stack([x, y]), lambda a, b: np.vstack([a, b]), [((3,), (3,))])
    check_op(lambda x, y: ops.dstack([x, y]), lambda a, b: np.dstack([a, b]),
             [((2,), (2,)), ((2, 3), (2, 3))])
    check_op(lambda x, y, z: ops.column_stack([x, y, z]),
             lambda a, b, c: np.column_stack([a, b, c]), [((3,), (3, 2), (3,))])
    check_op(lambda x, y: ops.concat([x, y], 1), lambda a, b: np.concatenate([a, b], 1),
             [((2, 1), (2, 3))])


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    check_op(lambda x, y, z: ops.meshgrid(x, y, z, indexing=indexing),
             lambda a, b, c: tuple(np.meshgrid(a, b, c, indexing=indexing)),
             [((2,), (3,), (4,)), ((2,), (), (1,))],
             torch_fn=lambda x, y, z: _torch().meshgrid(x, y, z, indexing=indexing))
    check_op(lambda x, y: ops.meshgrid([x, y], indexing=indexing),
             lambda a, b: tuple(np.meshgrid(a, b, indexing=indexing)), [((2,), (3,))])


def test_meshgrid_default_and_errors():
    a, b = ops.meshgrid(dg.arange(2), dg.arange(3))
    assert a.shape == (2, 3) and b.shape == (2, 3)                      # 'ij'
    with pytest.raises(ValueError, match="'ij' or 'xy'"):
        ops.meshgrid(dg.arange(2), indexing="ji")
    with pytest.raises(RuntimeError, match="0-d or 1-d"):
        ops.meshgrid(dg.zeros(2, 2))


def test_cartesian_prod_and_combinations():
    check_op(lambda x, y, z: ops.cartesian_prod(x, y, z),
             lambda a, b, c: np.array(list(itertools.product(a, b, c))),
             [((2,), (1,), (3,))], torch_fn=lambda x, y, z: _torch().cartesian_prod(x, y, z))
    check_op(lambda x: ops.cartesian_prod(x), lambda a: a, [(3,)])
    for r, rep in [(2, False), (3, False), (2, True), (4, False)]:
        pick = itertools.combinations_with_replacement if rep else itertools.combinations
        check_op(lambda x: ops.combinations(x, r, rep),
                 lambda a: np.array(list(pick(a, r))).reshape(-1, r), [(3,)])
    assert ops.combinations(dg.arange(3.0), 0).shape == (0,)
    with pytest.raises(RuntimeError, match="1-d tensor"):
        ops.combinations(dg.zeros(2, 2))


def _block_diag_ref(*arrays):
    mats = [np.atleast_2d(a) for a in arrays]
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)))
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def test_block_diag():
    check_op(lambda x, y, z: ops.block_diag(x, y, z), _block_diag_ref,
             [((), (2,), (2, 3)), ((2, 2), (0, 1), (1, 3))],
             torch_fn=lambda x, y, z: _torch().block_diag(x, y, z))
    assert ops.block_diag().shape == (1, 0)
    assert ops.block_diag(T(1), dg.ones(2)).dtype == np.float32
    with pytest.raises(RuntimeError, match="2 or fewer dimensions"):
        ops.block_diag(dg.zeros(2, 2, 2))
    with pytest.raises(TypeError, match="never upcasts"):
        ops.block_diag(dg.zeros(2), dg.zeros(2, dtype=dg.float64))


def test_vander():
    check_op(lambda x: ops.vander(x), lambda a: np.vander(a), [(3,)])
    check_op(lambda x: ops.vander(x, 4, increasing=True), lambda a: np.vander(a, 4, True), [(3,)])
    x = dg.Tensor(np.array([0.0, 1.0]), requires_grad=True)           # d x^k/dx at 0 is finite
    ops.vander(x, 3).sum().backward()
    np.testing.assert_allclose(x.grad.array, [1.0, 3.0])
    assert ops.vander(T([1, 2, 3]), N=4).tolist() == [[1, 1, 1, 1], [8, 4, 2, 1], [27, 9, 3, 1]]
    assert ops.vander(dg.ones(2), N=0).shape == (2, 0)


# ----------------------------------------------------------------- triangles and diagonals
@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu(k):
    check_op(lambda x: ops.tril(x, k), lambda a: np.tril(a, k), [(3, 4), (2, 3, 3)],
             torch_fn=lambda x: _torch().tril(x, k))
    check_op(lambda x: x.triu(diagonal=k), lambda a: np.triu(a, k), [(3, 4), (2, 3, 3)])
    check_op(lambda x: ops.triu(x, k), lambda a: np.triu(a, k), [(4, 3)])


def test_tril_errors_and_indices():
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ops.tril(dg.zeros(3))
    for row, col, off in [(3, 4, 1), (4, 3, -1), (3, 3, 0), (0, 2, 0), (2, 5, 10)]:
        np.testing.assert_array_equal(ops.tril_indices(row, col, off).array,
                                      np.stack(np.tril_indices(row, off, col)))
        np.testing.assert_array_equal(ops.triu_indices(row, col, off).array,
                                      np.stack(np.triu_indices(row, off, col)))
    assert ops.tril_indices(3, 3).dtype == np.int64
    assert ops.triu_indices(3, 3, dtype=dg.int32).dtype == np.int32
    with pytest.raises(RuntimeError, match="CPU only"):
        ops.tril_indices(3, 3, device="cuda")
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(ops.tril_indices(3, 4, 1).array,
                                  torch.tril_indices(3, 4, 1).numpy())


@pytest.mark.parametrize("offset, d1, d2", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (1, 2, 0),
                                            (-2, -1, 1), (9, 0, 1)])
def test_diagonal_and_diagonal_scatter(offset, d1, d2):
    shape = (3, 4, 2)
    check_op(lambda x: ops.diagonal(x, offset, d1, d2),
             lambda a: np.diagonal(a, offset, d1, d2), [shape],
             torch_fn=lambda x: _torch().diagonal(x, offset, d1, d2))
    n = np.diagonal(np.zeros(shape), offset, d1, d2).shape

    def scatter_ref(a, s):
        out = a.copy()
        view = np.moveaxis(out, (d1 % 3, d2 % 3), (-2, -1))
        rows, cols = view.shape[-2:]
        for k in range(s.shape[-1]):
            i, j = (k, k + offset) if offset >= 0 else (k - offset, k)
            view[..., i, j] = s[..., k]
        return out
    check_op(lambda x, s: ops.diagonal_scatter(x, s, offset, d1, d2), scatter_ref, [(shape, n)],
             torch_fn=lambda x, s: _torch().diagonal_scatter(x, s, offset, d1, d2))


def test_diag_embed_diag_diagflat():
    def embed_ref(a, offset):
        m = a.shape[-1] + abs(offset)
        out = np.zeros(a.shape[:-1] + (m, m))
        for k in range(a.shape[-1]):
            i, j = (k, k + offset) if offset >= 0 else (k - offset, k)
            out[..., i, j] = a[..., k]
        return out
    for offset in (0, 1, -2):
        check_op(lambda x: ops.diag_embed(x, offset), lambda a: embed_ref(a, offset),
                 [(3,), (2, 3)], torch_fn=lambda x: _torch().diag_embed(x, offset))
        check_op(lambda x: ops.diag(x, offset), lambda a: np.diag(a, offset), [(3,), (3, 4)],
                 torch_fn=lambda x: _torch().diag(x, offset))
        check_op(lambda x: x.diagflat(offset), lambda a: np.diagflat(a, offset), [(2, 2)])
    check_op(lambda x: ops.diag_embed(x, 0, 0, 2),
             lambda a: np.moveaxis(embed_ref(a, 0), (-2, -1), (0, 2)), [(2, 3)],
             torch_fn=lambda x: _torch().diag_embed(x, 0, 0, 2))
    check_op(lambda x: ops.diagflat(x), lambda a: np.diagflat(a), [(2, 2)])
    with pytest.raises(RuntimeError, match="1-d or 2-d"):
        ops.diag(dg.zeros(2, 2, 2))
    with pytest.raises(RuntimeError, match="cannot be the same dimension"):
        ops.diagonal(dg.zeros(2, 2), 0, 1, 1)
    with pytest.raises(RuntimeError, match="diagonal's shape"):
        ops.diagonal_scatter(dg.zeros(3, 3), dg.zeros(2))


def test_select_and_slice_scatter():
    def sel_ref(a, s):
        out = a.copy()
        out[:, -1] = s
        return out
    check_op(lambda x, s: ops.select_scatter(x, s, 1, -1), sel_ref, [((2, 3), (2,))],
             torch_fn=lambda x, s: _torch().select_scatter(x, s, 1, -1))

    def slice_ref(a, s):
        out = a.copy()
        out[:, 1::2] = s
        return out
    check_op(lambda x, s: ops.slice_scatter(x, s, 1, 1, None, 2), slice_ref, [((2, 5), (2, 2))],
             torch_fn=lambda x, s: _torch().slice_scatter(x, s, 1, 1, None, 2))
    check_op(lambda x, s: x.slice_scatter(s), lambda a, s: s + 0 * a, [((2, 3), (2, 3))])
    with pytest.raises(RuntimeError, match=r"src must have shape \(2,\)"):
        ops.select_scatter(dg.zeros(2, 3), dg.zeros(3), 1, 0)
    with pytest.raises(RuntimeError, match="step must be positive"):
        ops.slice_scatter(dg.zeros(2, 3), dg.zeros(2, 3), 0, None, None, 0)


def test_fill_diagonal_():
    for shape, wrap in [((3, 3), False), ((5, 2), False), ((7, 3), True), ((2, 5), False),
                        ((3, 3, 3), False)]:
        x = dg.ones(*shape)
        ref = np.ones(shape)
        np.fill_diagonal(ref, -2.0, wrap=wrap)
        assert x.fill_diagonal_(-2.0, wrap) is x
        np.testing.assert_array_equal(x.array, ref)
    with pytest.raises(RuntimeError, match="equal length"):
        dg.ones(2, 3, 3).fill_diagonal_(0.0)
    torch = pytest.importorskip("torch")
    for shape, wrap in [((7, 3), True), ((7, 3), False), ((2, 5), True)]:
        t = torch.ones(*shape)
        t.fill_diagonal_(-2.0, wrap)
        np.testing.assert_array_equal(dg.ones(*shape).fill_diagonal_(-2.0, wrap).array,
                                      t.numpy())


def test_clone_detach_functions():
    x = dg.ones(2, requires_grad=True)
    y = ops.detach(x * 2)
    assert not y.requires_grad and y.tolist() == [2.0, 2.0]
    z = x * 3
    assert ops.detach_(z) is z and not z.requires_grad
    c = dg.clone(x)
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
