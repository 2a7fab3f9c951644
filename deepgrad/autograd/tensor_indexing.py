"""Tensor methods for indexing (gather/scatter/index_*/masked_*), shape manipulation
beyond the basics, and linear algebra, with their in-place ``*_`` variants.

Each method is the :mod:`deepgrad.ops` function itself (its first argument is the tensor)
or a one-line call into it, where the op's forward and backward live side by side.

In-place variants follow the project's rule (as ``deepgrad.ops._promote.write_inplace``):
the out-of-place result is checked and written into the tensor's own array, and a tensor
that requires grad is refused while a graph is recorded (deepgrad's graph links tensors,
not versions of a tensor). One case is recorded instead of refused: a tensor that does not
require grad receiving values that do (``buf[i] = h``, ``out.index_add_(0, idx, src)``).
No node recorded before holds a gradient path through such a tensor, so it safely becomes
the output of the op, as in PyTorch.
"""
import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.grad_mode import no_grad, state as _grad_state
from deepgrad.autograd.version_counter import bump, rebound
from deepgrad.ops import (householder as _hh, indexing as _ix, linalg as _la,
                          linalg_torch as _lt, norms as _nm, positions as _ps, rearrange as _ra,
                          shape as _sh, solve as _sv, triangular as _tr)


def _records(args, kwargs):
    """Does an argument carry a graph that the update must keep?"""
    if not _grad_state.enabled:
        return False
    T = _fn._Tensor
    return any(isinstance(a, T) and a.requires_grad for a in args + tuple(kwargs.values())) or \
        any(isinstance(a, (tuple, list)) and any(isinstance(b, T) and b.requires_grad for b in a)
            for a in args)


def _write(name, self, fn, *args, **kwargs):
    """Compute ``fn(self, ...)`` without a graph and write it into ``self.array``: same
    shape (never broadcast), a dtype ``self`` holds under the same-kind rule, and no
    recorded graph through ``self``; every check runs before anything is written."""
    self._check_inplace(name)
    with no_grad():
        out = fn(self, *args, **kwargs)
    if out.shape != self.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(self.shape)} doesn't match the "
                           f"broadcast shape {tuple(out.shape)}")
    if not np.can_cast(out.dtype, self.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the desired "
                           f"output type {self.dtype}")
    self.array[...] = out.array
    bump(self.array)
    return self


def _refuse(self, name, alternative):
    if self.requires_grad and _grad_state.enabled:
        raise RuntimeError(
            f"{name}: this tensor requires grad and is part of the recorded graph, so it "
            f"cannot be used in an in-place operation (deepgrad's graph links tensors, not "
            f"versions of a tensor, so nodes already recorded from it would see the new "
            f"value). Use "
            f"{alternative}, or wrap the update in `with deepgrad.no_grad():` if no gradient "
            f"should flow through it.")


def update(self, name, fn, *args, **kwargs):
    """``self = fn(self, *args, **kwargs)`` in place (module docstring)."""
    _refuse(self, name, f"the out-of-place form (x = x.{name.rstrip('_')}(...))")
    if not _records(args, kwargs):
        return _write(name, self, fn, *args, **kwargs)
    out = fn(_fn._Tensor._wrap(self.array), *args, **kwargs)   # self: a constant of the graph
    if out.shape != self.shape or out.dtype != self.dtype:
        raise RuntimeError(f"{name}: the result (shape {tuple(out.shape)}, dtype {out.dtype}) "
                           f"cannot replace the tensor (shape {tuple(self.shape)}, dtype "
                           f"{self.dtype}) in place")
    self.array, self._ctx, self.requires_grad = out.array, out._ctx, out.requires_grad
    rebound()
    return self


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        return update(self, name, fn, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{fn.__module__}.{fn.__name__}`; returns the tensor."
    return method


def _restride(fn, name):
    """In-place view ops (``t_``, ``squeeze_``...): the tensor takes the view's shape."""
    def method(self, *args):
        self._check_inplace(name)
        self.array = fn(_fn._Tensor._wrap(self.array), *args).array
        rebound()
        return self
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{fn.__module__}.{fn.__name__}`: changes the shape."
    return method


def _sizes(args):
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


class TensorIndexing:
    __slots__ = ()

    # indexing -------------------------------------------------------------------------------
    gather, take, take_along_dim, put = _ix.gather, _ix.take, _ix.take_along_dim, _ix.put
    scatter, scatter_add, scatter_reduce = _ix.scatter, _ix.scatter_add, _ix.scatter_reduce
    index_select, index_add, index_copy = _ix.index_select, _ix.index_add, _ix.index_copy
    index_fill, index_put, index_reduce = _ix.index_fill, _ix.index_put, _ix.index_reduce
    masked_fill, masked_select, masked_scatter = (_ix.masked_fill, _ix.masked_select,
                                                  _ix.masked_scatter)
    nonzero, nonzero_static, argwhere = _ps.nonzero, _ps.nonzero_static, _ps.argwhere

    scatter_, scatter_add_ = _inplace(_ix.scatter, "scatter_"), _inplace(_ix.scatter_add,
                                                                         "scatter_add_")
    scatter_reduce_ = _inplace(_ix.scatter_reduce, "scatter_reduce_")
    index_add_, index_copy_ = _inplace(_ix.index_add, "index_add_"), _inplace(_ix.index_copy,
                                                                              "index_copy_")
    index_fill_, index_put_ = _inplace(_ix.index_fill, "index_fill_"), _inplace(_ix.index_put,
                                                                                "index_put_")
    index_reduce_ = _inplace(_ix.index_reduce, "index_reduce_")
    masked_fill_ = _inplace(_ix.masked_fill, "masked_fill_")
    masked_scatter_ = _inplace(_ix.masked_scatter, "masked_scatter_")
    put_ = _inplace(_ix.put, "put_")

    def where(self, condition, other):
        """``torch.where(condition, self, other)``."""
        return _ps.where(condition, self, other)

    def __setitem__(self, index, value):
        """``x[index] = value`` for every index ``x[index]`` reads (ints, slices, None,
        Ellipsis, integer and bool tensors/arrays/lists); value broadcasts."""
        index = _sh._convert_index(index)
        _refuse(self, "x[index] = value", "an out-of-place form (x = x.index_put(...), "
                "x = torch.where(mask, value, x), or collect the pieces and torch.stack them)")
        if not (isinstance(value, _fn._Tensor) and value.requires_grad and _grad_state.enabled):
            self.array[index] = value.array if isinstance(value, _fn._Tensor) else value
            bump(self.array)
            return
        update(self, "__setitem__",
               lambda x, v: _ix.index_put_positions("__setitem__", x, index, v), value)

    # triangles and diagonals ----------------------------------------------------------------
    tril, triu, diag, diagflat = _tr.tril, _tr.triu, _tr.diag, _tr.diagflat
    diagonal, diag_embed, diagonal_scatter = _tr.diagonal, _tr.diag_embed, _tr.diagonal_scatter
    select_scatter, slice_scatter = _tr.select_scatter, _tr.slice_scatter
    tril_, triu_ = _inplace(_tr.tril, "tril_"), _inplace(_tr.triu, "triu_")

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal to ``fill_value`` in place (``wrap``: restart it every
        n + 1 rows of a tall matrix, as NumPy)."""
        return update(self, "fill_diagonal_", _tr.fill_diagonal, fill_value, wrap)

    # shape ----------------------------------------------------------------------------------
    roll, flip, fliplr, flipud, rot90 = _ra.roll, _ra.flip, _ra.fliplr, _ra.flipud, _ra.rot90
    repeat_interleave, unfold = _ra.repeat_interleave, _ra.unfold
    narrow, select, unbind, tensor_split = _sh.narrow, _sh.select, _sh.unbind, _sh.tensor_split
    split_with_sizes, hsplit, vsplit, dsplit = (_sh.split_with_sizes, _sh.hsplit, _sh.vsplit,
                                                _sh.dsplit)
    movedim = moveaxis = _sh.movedim
    swapaxes = swapdims = _sh.swapaxes
    ravel, unflatten, broadcast_to = _sh.ravel, _sh.unflatten, _sh.expand

    def tile(self, *dims):
        return _ra.tile(self, _sizes(dims))

    def sum_to_size(self, *size):
        return _sh.sum_to_size(self, *_sizes(size))

    def reshape_as(self, other):
        return _sh.reshape(self, other.shape)

    squeeze_, unsqueeze_ = _restride(_sh.squeeze, "squeeze_"), _restride(_sh.unsqueeze,
                                                                         "unsqueeze_")
    transpose_, t_ = _restride(_sh.transpose, "transpose_"), _restride(_sh.t, "t_")
    swapaxes_ = swapdims_ = _restride(_sh.swapaxes, "swapaxes_")

    # linear algebra ---------------------------------------------------------------------------
    bmm, mv, dot, vdot, inner = _la.bmm, _la.mv, _la.dot, _la.vdot, _la.inner
    outer = ger = _la.outer
    kron, trace, cross, matrix_power = _la.kron, _la.trace, _la.cross, _la.matrix_power
    addmm, addmv, addr, baddbmm, addbmm = _la.addmm, _la.addmv, _la.addr, _la.baddbmm, _la.addbmm
    addmm_, addmv_ = _inplace(_la.addmm, "addmm_"), _inplace(_la.addmv, "addmv_")
    addr_, baddbmm_ = _inplace(_la.addr, "addr_"), _inplace(_la.baddbmm, "baddbmm_")
    addbmm_ = _inplace(_la.addbmm, "addbmm_")
    det, logdet, slogdet, inverse = _sv.det, _sv.logdet, _sv.slogdet, _sv.inv
    pinverse, matrix_exp, cholesky_inverse = _sv.pinverse, _sv.matrix_exp, _sv.cholesky_inverse
    cholesky_solve, triangular_solve = _sv.cholesky_solve, _sv.triangular_solve
    cholesky, qr, svd, lu = _lt.cholesky, _lt.qr, _lt.svd, _lt.lu
    lu_solve, adjoint = _lt.lu_solve, _lt.adjoint
    geqrf, orgqr, ormqr = _hh.geqrf, _hh.orgqr, _hh.ormqr
    dist, renorm, cov, corrcoef = _nm.dist, _nm.renorm, _nm.cov, _nm.corrcoef
    renorm_ = _inplace(_nm.renorm, "renorm_")


# the in-place forms PyTorch also offers as functions (``torch.addmv_(x, ...)``)
addmv_, index_put_ = TensorIndexing.addmv_, TensorIndexing.index_put_
