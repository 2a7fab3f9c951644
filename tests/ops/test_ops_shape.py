"""Shape ops and indexing: values move, so forward is exact and backward moves gradients back."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op


# ----------------------------------------------------------------- reshape family
@pytest.mark.parametrize("shape, new", [
    ((), (1,)), ((), (1, 1)), ((1,), ()), ((6,), (2, 3)), ((2, 3), (3, 2)), ((2, 3), (-1,)),
    ((2, 1, 3), (3, -1)), ((2, 3), (1, 6, 1)), ((4,), (2, -1, 1))])
def test_reshape(shape, new):
    check_op(lambda x: ops.reshape(x, new), lambda a: a.reshape(new), [shape])
    check_op(lambda x: ops.view(x, new), lambda a: a.reshape(new), [shape])
    check_op(lambda x: x.reshape(new), lambda a: a.reshape(new), [shape])
    check_op(lambda x: x.view(*new), lambda a: a.reshape(new), [shape])


def test_view_as_and_same_shape_reshape():
    check_op(lambda x, y: x.view_as(y), lambda a, b: a.reshape(b.shape), [((2, 3), (3, 2))])
    x = dg.ones(2, 3, requires_grad=True)
    assert ops.reshape(x, (2, 3)) is x


@pytest.mark.parametrize("shape, new", [((6,), (4,)), ((2, 3), (-1, -1)), ((2, 3), (4, -1)),
                                        ((0, 3), (-1, 0))])
def test_reshape_rejects_invalid_shapes(shape, new):
    with pytest.raises(RuntimeError, match=r"reshape: shape .* is invalid for input of size"):
        ops.reshape(dg.zeros(*shape), new)


@pytest.mark.parametrize("shape, dims", [((), ()), ((3,), (0,)), ((2, 3), (1, 0)),
                                         ((2, 1, 3), (2, 0, 1)), ((2, 3, 4), (-1, 0, -2))])
def test_permute(shape, dims):
    check_op(lambda x: ops.permute(x, dims), lambda a: np.transpose(a, dims), [shape])
    check_op(lambda x: x.permute(*dims), lambda a: np.transpose(a, dims), [shape])
    check_op(lambda x: x.permute(dims), lambda a: np.transpose(a, dims), [shape])


def test_permute_rejects_a_non_permutation():
    with pytest.raises(RuntimeError, match="not a permutation"):
        ops.permute(dg.zeros(2, 3), (0, 0))


@pytest.mark.parametrize("shape, d0, d1", [((3,), 0, -1), ((2, 3), 0, 1), ((2, 1, 3), -1, 0),
                                           ((2, 3, 4), 1, 2)])
def test_transpose(shape, d0, d1):
    check_op(lambda x: ops.transpose(x, d0, d1), lambda a: np.swapaxes(a, d0, d1), [shape])
    check_op(lambda x: x.transpose(d0, d1), lambda a: np.swapaxes(a, d0, d1), [shape])


def test_transpose_methods_t_T_mT_and_numpy_style():
    check_op(lambda x: x.t(), lambda a: a.T, [(2, 3), (4,)])
    check_op(lambda x: x.T, lambda a: a.T, [(), (4,), (2, 3), (2, 1, 3)])
    check_op(lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2), [(2, 3), (2, 1, 3)])
    check_op(lambda x: x.transpose(), lambda a: a.T, [(2, 1, 3)])
    check_op(lambda x: x.transpose(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 1, 3)])


@pytest.mark.parametrize("shape, start, end", [((), 0, -1), ((3,), 0, -1), ((2, 3), 0, -1),
                                               ((2, 1, 3, 2), 1, 2), ((2, 1, 3), 1, -1),
                                               ((2, 3, 4), 0, 1), ((2, 3), 1, 1)])
def test_flatten(shape, start, end):
    def ref(a):
        if a.ndim == 0:
            return a.reshape(1)
        s, e = start % a.ndim, end % a.ndim
        return a.reshape(a.shape[:s] + (-1,) + a.shape[e + 1:])
    check_op(lambda x: ops.flatten(x, start, end), ref, [shape])
    check_op(lambda x: x.flatten(start, end), ref, [shape])


@pytest.mark.parametrize("shape, dim", [((), None), ((1,), None), ((1,), 0), ((2, 1, 3), None),
                                        ((2, 1, 3), 1), ((2, 1, 3), -2), ((2, 1, 3), 0),
                                        ((1, 2, 1), (0, 2))])
def test_squeeze(shape, dim):
    def ref(a):
        if dim is None:
            return np.squeeze(a)
        dims = tuple(d % max(a.ndim, 1) for d in np.atleast_1d(dim))
        return np.squeeze(a, tuple(d for d in dims if a.shape[d] == 1))
    check_op(lambda x: ops.squeeze(x, dim), ref, [shape])
    check_op(lambda x: x.squeeze(dim), ref, [shape])


@pytest.mark.parametrize("shape, dim", [((), 0), ((), -1), ((3,), 0), ((3,), 1), ((3,), -1),
                                        ((2, 3), 1), ((2, 3), -3)])
def test_unsqueeze(shape, dim):
    ref = lambda a: np.expand_dims(a, dim)
    check_op(lambda x: ops.unsqueeze(x, dim), ref, [shape])
    check_op(lambda x: x.unsqueeze(dim), ref, [shape])


def test_unsqueeze_dim_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        dg.zeros(2, 3).unsqueeze(3)


# ----------------------------------------------------------------- expand, repeat
@pytest.mark.parametrize("shape, new", [((), (3,)), ((), (2, 3)), ((1,), (4,)), ((3,), (2, 3)),
                                        ((2, 1), (2, 4)), ((2, 1), (-1, 3)),
                                        ((1, 3), (2, 2, 3)), ((2, 1, 3), (2, 4, 3))])
def test_expand(shape, new):
    full = tuple(shape[i - (len(new) - len(shape))] if n == -1 else n for i, n in enumerate(new))
    ref = lambda a: np.broadcast_to(a, full)
    check_op(lambda x: ops.expand(x, new), ref, [shape])
    check_op(lambda x: ops.broadcast_to(x, new), ref, [shape])
    check_op(lambda x: x.expand(*new), ref, [shape])
    check_op(lambda x, y: x.expand_as(y), lambda a, b: np.broadcast_to(a, b.shape),
             [(shape, full)])


def test_expand_rejects_incompatible_shapes():
    with pytest.raises(RuntimeError, match="cannot expand shape"):
        dg.zeros(2, 3).expand(2, 4)
    with pytest.raises(RuntimeError, match="must be at least"):
        dg.zeros(2, 3).expand(3)


@pytest.mark.parametrize("shape, reps", [((), (3,)), ((), (2, 2)), ((1,), (3,)), ((3,), (2,)),
                                         ((2, 3), (1, 2)), ((2, 3), (2, 1, 2)),
                                         ((2, 1, 3), (1, 3, 1))])
def test_repeat(shape, reps):
    check_op(lambda x: ops.repeat(x, reps), lambda a: np.tile(a, reps), [shape])
    check_op(lambda x: x.repeat(*reps), lambda a: np.tile(a, reps), [shape])


def test_repeat_needs_enough_counts():
    with pytest.raises(RuntimeError, match="repeat counts"):
        dg.zeros(2, 3).repeat(2)


# ----------------------------------------------------------------- indexing
BASIC = [0, -1, slice(1, None), slice(None, None, -1), slice(None, None, 2),
         (slice(None), 0, 2), (Ellipsis, 0), (None, slice(0, 2)), (1, slice(None), None),
         (slice(0, 1), slice(None), slice(1, 3))]


@pytest.mark.parametrize("index", BASIC, ids=str)
def test_basic_indexing(index):
    check_op(lambda x: x[index], lambda a: a[index], [(3, 1, 4)])
    check_op(lambda x: ops.getitem(x, index), lambda a: a[index], [(3, 1, 4)])


def test_indexing_scalars_and_size_one_axes():
    check_op(lambda x: x[()], lambda a: a[()], [()])
    check_op(lambda x: x[None], lambda a: a[None], [()])
    check_op(lambda x: x[..., None], lambda a: a[..., None], [()])
    check_op(lambda x: x[0], lambda a: a[0], [(1,), (1, 3)])
    check_op(lambda x: x[:, 0], lambda a: a[:, 0], [(2, 1)])


ADVANCED = [
    np.array([0, 2, 0, 0]),                                  # repeated indices accumulate
    [1, 1, -1],                                              # a Python list
    np.array([[0, 1], [1, 1]]),                              # 2-D index array
    (np.array([0, 0, 2]), np.array([1, 1, 3])),              # pairs, one repeated
    (slice(None), np.array([3, 3, 0])),                      # slice + array
    (np.array([2, 2]), slice(None), np.array([0, 0])),
]


@pytest.mark.parametrize("index", ADVANCED, ids=str)
def test_integer_array_indexing_with_repeats(index):
    np_index = tuple(np.asarray(i) if isinstance(i, list) else i for i in index) \
        if isinstance(index, tuple) else np.asarray(index)
    check_op(lambda x: x[index], lambda a: a[np_index], [(3, 1, 4)] if isinstance(index, tuple)
             and len(index) == 3 else [(3, 4)])


def test_indexing_with_an_integer_tensor_accumulates_repeats():
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    idx = dg.tensor([2, 0, 2, 2])
    y = x[idx]
    np.testing.assert_array_equal(y.array, x.array[[2, 0, 2, 2]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[1, 1], [0, 0], [3, 3]])
    check_op(lambda t: t[idx], lambda a: a[idx.array], [(3, 2)])
    check_op(lambda t: t[idx, dg.tensor([1, 0, 1, 1])], lambda a: a[idx.array, [1, 0, 1, 1]],
             [(3, 2)])


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 1, 3)])
def test_boolean_mask_indexing(shape):
    mask = np.random.default_rng(1).random(shape) > 0.4
    check_op(lambda x: x[dg.tensor(mask)], lambda a: a[mask], [shape])
    check_op(lambda x: x[mask], lambda a: a[mask], [shape])
    check_op(lambda x: x[x > 0], lambda a: a[a > 0], [shape])
    rows = mask.reshape(shape[0], -1).any(1)
    check_op(lambda x: x[dg.tensor(rows)], lambda a: a[rows], [shape])


def test_boolean_mask_of_a_scalar():
    check_op(lambda x: x[dg.tensor(True)], lambda a: a[np.True_], [()])


def test_index_out_of_range_is_a_clear_error():
    x = dg.zeros(3, 4)
    with pytest.raises(IndexError, match=r"index.*out of bounds.*tensor shape \(3, 4\)"):
        x[np.array([0, 3])]
    with pytest.raises(IndexError, match=r"tensor shape \(3, 4\)"):
        x[dg.tensor([1, 5])]
    with pytest.raises(IndexError, match=r"out of bounds.*tensor shape \(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"tensor shape \(3, 4\)"):
        x[:, 4]
    with pytest.raises(IndexError, match=r"tensor shape \(3, 4\)"):
        x[dg.tensor([True, False])]


def test_iteration_yields_differentiable_rows():
    x = dg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == 2
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [[2, 2], [1, 1]])


# ----------------------------------------------------------------- cat, stack, split, chunk
@pytest.mark.parametrize("shapes, dim", [
    (((3,), (1,), (2,)), 0), (((2, 3), (1, 3)), 0), (((2, 1), (2, 3), (2, 2)), 1),
    (((2, 1, 3), (2, 2, 3)), -2), (((1,), (1,)), -1)], ids=str)
def test_cat(shapes, dim):
    ref = lambda *a: np.concatenate(a, axis=dim)
    check_op(lambda *xs: ops.cat(list(xs), dim), ref, [shapes])
    check_op(lambda *xs: ops.concatenate(xs, dim=dim), ref, [shapes])
    check_op(lambda *xs: dg.cat(xs, dim), ref, [shapes])


@pytest.mark.parametrize("shape, n, dim", [((), 2, 0), ((), 3, -1), ((1,), 2, 0), ((3,), 2, 1),
                                           ((2, 3), 3, -1), ((2, 1, 3), 2, 1)], ids=str)
def test_stack(shape, n, dim):
    ref = lambda *a: np.stack(a, axis=dim)
    check_op(lambda *xs: ops.stack(xs, dim), ref, [(shape,) * n])
    check_op(lambda *xs: dg.stack(list(xs), dim=dim), ref, [(shape,) * n])


def test_cat_and_stack_validate_their_inputs():
    with pytest.raises(RuntimeError, match=r"cat: tensor 1 has shape \(2, 4\).*outside dim 0"):
        ops.cat([dg.zeros(2, 3), dg.zeros(2, 4)])
    with pytest.raises(RuntimeError, match=r"stack: tensor 1 has shape \(3,\)"):
        ops.stack([dg.zeros(2), dg.zeros(3)])
    with pytest.raises(TypeError, match="dtype"):
        ops.cat([dg.zeros(2), dg.zeros(2, dtype=np.float64)])
    with pytest.raises(ValueError, match="non-empty"):
        ops.cat([])
    with pytest.raises(ValueError, match="non-empty"):
        ops.stack([])


@pytest.mark.parametrize("shape, size, dim", [((5,), 2, 0), ((4,), 4, 0), ((1,), 1, 0),
                                              ((2, 5), 3, 1), ((4, 3), [1, 3], 0),
                                              ((2, 1, 6), [2, 0, 4], -1)], ids=str)
def test_split(shape, size, dim):
    def ref(a):
        n = a.shape[dim]
        bounds = np.cumsum(size)[:-1] if isinstance(size, list) else range(size, n, size)
        return tuple(np.split(a, list(bounds), axis=dim))
    check_op(lambda x: ops.split(x, size, dim), ref, [shape])
    check_op(lambda x: x.split(size, dim), ref, [shape])


@pytest.mark.parametrize("shape, chunks, dim", [((6,), 3, 0), ((5,), 2, 0), ((6,), 4, 0),
                                                ((2, 1), 3, 1), ((2, 7), 3, -1)], ids=str)
def test_chunk(shape, chunks, dim):
    torch_like = lambda a: tuple(np.split(a, list(range(-(-a.shape[dim] // chunks),
                                                        a.shape[dim], -(-a.shape[dim] // chunks))),
                                          axis=dim))
    check_op(lambda x: ops.chunk(x, chunks, dim), torch_like, [shape])
    check_op(lambda x: x.chunk(chunks, dim), torch_like, [shape])


def test_split_and_chunk_validate_their_sizes():
    with pytest.raises(RuntimeError, match=r"sizes \[1, 1\] sum to 2, but dim 0 has size 3"):
        ops.split(dg.zeros(3), [1, 1])
    with pytest.raises(ValueError, match="split_size must be a positive int, received 0"):
        ops.split(dg.zeros(3), 0)
    with pytest.raises(ValueError, match="chunks must be a positive int, received 0"):
        ops.chunk(dg.zeros(3), 0)


def test_split_outputs_used_partially_and_twice():
    x = dg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    a, b = x.split(2)
    (a * 3 + a).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [4, 4, 0, 0])


def test_shape_ops_match_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([2, 0, 2])
    check_op(lambda x: x[idx], None, [(3, 4)], torch_fn=lambda x: x[torch.tensor(idx)])
    mask = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
    check_op(lambda x: x[mask], None, [(3, 4)], torch_fn=lambda x: x[torch.tensor(mask)])
    check_op(lambda x: x.repeat(2, 1, 3), None, [(2, 3)], torch_fn=lambda x: x.repeat(2, 1, 3))
    check_op(lambda x: ops.chunk(x, 4, 0), None, [(6, 2)],
             torch_fn=lambda x: torch.chunk(x, 4, 0))
    check_op(lambda x: x.flatten(1), None, [(2, 3, 2)], torch_fn=lambda x: x.flatten(1))
    check_op(lambda a, b: ops.stack([a, b], 1), None, [((2, 3), (2, 3))],
             torch_fn=lambda a, b: torch.stack([a, b], 1))
    check_op(lambda x: x.expand(2, 3, 4), None, [(3, 1)], torch_fn=lambda x: x.expand(2, 3, 4))
