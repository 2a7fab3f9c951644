"""The shared op-test harness: every op tested twice, in a few lines per op.

``check_op(fn, ref, cases)`` runs, for each case (a list of input shapes):

1. **forward** in float32 and in float64 against ``ref``, a NumPy reference evaluated in
   float64 on the very same values; the output keeps the input dtype (float32 in ->
   float32 out, never a silent upcast), has the reference's shape, and the inputs are
   left unchanged;
2. **gradient dtype**: backward of ``sum(out * v)`` gives every input a ``.grad`` of its
   own shape and dtype, in float32 as in float64;
3. **no graph under no_grad**: the output neither requires grad nor has a ``grad_fn``;
4. **gradcheck** in float64 (central differences, :func:`deepgrad.gradcheck`);
5. optionally (``torch_fn``) forward and gradients against PyTorch in float64; the
   test is skipped, after steps 1-4 passed, when torch is not installed.

A case is one shape (unary op) or a tuple of shapes (one per input)::

    check_op(ops.exp, np.exp, [(), (1,), (2, 3)])
    check_op(ops.add, np.add, [((), ()), ((2, 3), (3,)), ((2, 1), (1, 3))])

``fn`` receives deepgrad tensors, ``ref`` float64 ndarrays, ``torch_fn`` float64 torch
tensors; each returns one output or a tuple. Non-tensor arguments (axes, targets,
options) are closed over in a lambda. Integer outputs (indices) are compared exactly.
"""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import Tensor

#: Shapes every unary elementwise op should handle: scalar, size-1 axes, 1-D, 2-D, 3-D.
UNARY = [(), (1,), (4,), (1, 3), (2, 3), (2, 1, 3)]

#: Broadcast pairs: scalar with scalar, scalar with tensor (both sides), equal shapes,
#: trailing broadcast, size-1 axes stretched on both sides, rank promotion.
BINARY = [((), ()), ((3,), ()), ((), (2, 3)), ((2, 3), (2, 3)), ((2, 3), (3,)),
          ((2, 1), (1, 3)), ((1,), (2, 2)), ((2, 1, 3), (4, 1))]

#: Forward tolerances against a float64 reference.
FORWARD_TOL = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-6),
               np.dtype(np.float64): dict(rtol=1e-9, atol=1e-12)}


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def normalize_case(case):
    """``(2, 3)`` is one shape (unary op); ``((2, 3), (3,))`` is one shape per input."""
    if all(isinstance(n, (int, np.integer)) for n in case):
        return (tuple(case),)
    return tuple(tuple(s) for s in case)


def uniform(low=-2.0, high=2.0):
    """An input maker: uniform values in [low, high)."""
    return lambda rng, shape: rng.uniform(low, high, shape)


def away_from(points, low=-2.0, high=2.0, gap=0.05):
    """Uniform values in [low, high) that stay ``gap`` away from each kink in ``points``
    (so a central difference never straddles a kink of relu, abs, clip, ...)."""
    def make(rng, shape):
        x = rng.uniform(low, high, shape)
        for p in points:
            d = x - p
            x = np.where(np.abs(d) < gap, p + np.where(d >= 0, gap, -gap), x)
        return x
    return make


def make_arrays(shapes, make, seed):
    """One float64 array per shape; ``make`` is one maker or a list, one per input."""
    rng = np.random.default_rng(seed)
    makers = make if isinstance(make, (list, tuple)) else [make] * len(shapes)
    return [np.asarray(m(rng, s), dtype=np.float64) for m, s in zip(makers, shapes)]


def _tensors(arrays, dtype, requires_grad):
    return [Tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]


def _weights(outs, seed):
    """A fixed random cotangent v per float output: backward of sum(out * v)."""
    rng = np.random.default_rng(seed + 1)
    return [rng.standard_normal(o.shape) if o.dtype.kind == "f" else None for o in outs]


def check_forward(fn, ref, arrays, dtype, rtol=None, atol=None):
    """Forward in ``dtype`` against ``ref`` on the same values (computed in float64)."""
    dtype = np.dtype(dtype)
    xs = _tensors(arrays, dtype, requires_grad=True)
    before = [x.array.copy() for x in xs]
    outs = as_tuple(fn(*xs))
    refs = as_tuple(ref(*[a.astype(dtype).astype(np.float64) for a in arrays]))
    assert len(outs) == len(refs), f"{len(outs)} outputs, reference has {len(refs)}"
    tol = dict(FORWARD_TOL[dtype])
    tol.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})
    for k, (o, r) in enumerate(zip(outs, refs)):
        assert isinstance(o, Tensor), f"output {k} is a {type(o).__name__}, not a Tensor"
        r = np.asarray(r)
        assert o.shape == r.shape, f"output {k}: shape {o.shape}, reference {r.shape}"
        if r.dtype.kind == "f":
            assert o.dtype == dtype, f"output {k}: {dtype} input gave a {o.dtype} output"
            np.testing.assert_allclose(o.array, r, err_msg=f"output {k} ({dtype})", **tol)
        else:
            assert o.dtype.kind == r.dtype.kind, f"output {k}: dtype {o.dtype}, reference {r.dtype}"
            np.testing.assert_array_equal(o.array, r, err_msg=f"output {k} ({dtype})")
    for k, (x, b) in enumerate(zip(xs, before)):
        np.testing.assert_array_equal(x.array, b, err_msg=f"the op modified input {k}")
    return outs


def check_grad_dtypes(fn, arrays, dtype, seed=0):
    """Backward gives each input a gradient of its own shape and dtype (no upcast)."""
    dtype = np.dtype(dtype)
    xs = _tensors(arrays, dtype, requires_grad=True)
    outs = as_tuple(fn(*xs))
    loss = None
    for o, w in zip(outs, _weights(outs, seed)):
        if w is not None and o.requires_grad:
            term = (o * Tensor(w.astype(dtype))).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        return
    assert loss.dtype == dtype, f"loss became {loss.dtype} for {dtype} inputs"
    loss.backward()
    for k, x in enumerate(xs):
        if x.grad is not None:
            assert x.grad.dtype == dtype, f"input {k}: {dtype} input got a {x.grad.dtype} grad"
            assert x.grad.shape == x.shape, f"input {k}: grad shape {x.grad.shape}, input {x.shape}"
            assert np.all(np.isfinite(x.grad.array)), f"input {k}: non-finite gradient"


def check_no_graph(fn, arrays):
    """Under no_grad the op records nothing (an input handed back unchanged is allowed)."""
    xs = _tensors(arrays, np.float64, requires_grad=True)
    with dg.no_grad():
        outs = as_tuple(fn(*xs))
    for k, o in enumerate(outs):
        if any(o is x for x in xs):     # an identity (e.g. +x, same-shape reshape) records nothing
            continue
        assert not o.requires_grad and o.grad_fn is None, \
            f"output {k} recorded a graph under no_grad"


def check_gradients(fn, arrays, eps=1e-6, atol=1e-5, rtol=1e-3):
    """float64 central-difference gradcheck of every input."""
    xs = _tensors(arrays, np.float64, requires_grad=True)
    assert dg.gradcheck(fn, xs, eps=eps, atol=atol, rtol=rtol)


def compare_with_torch(fn, torch_fn, arrays, seed=0, rtol=1e-7, atol=1e-10):
    """Forward and gradients of sum(out * v) against PyTorch, both in float64."""
    torch = pytest.importorskip("torch")
    xs = _tensors(arrays, np.float64, requires_grad=True)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    outs, touts = as_tuple(fn(*xs)), as_tuple(torch_fn(*ts))
    assert len(outs) == len(touts)
    loss, tloss = None, None
    for k, (o, t, w) in enumerate(zip(outs, touts, _weights(outs, seed))):
        assert tuple(o.shape) == tuple(t.shape), \
            f"output {k}: shape {o.shape}, torch {tuple(t.shape)}"
        np.testing.assert_allclose(o.array, t.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"output {k} differs from torch")
        if w is not None and o.requires_grad:
            loss = (o * Tensor(w)).sum() + (0.0 if loss is None else loss)
            tterm = (t * torch.tensor(w)).sum()
            tloss = tterm if tloss is None else tloss + tterm
    if loss is None:
        return
    loss.backward()
    tloss.backward()
    for k, (x, t) in enumerate(zip(xs, ts)):
        tg = np.zeros(x.shape) if t.grad is None else t.grad.numpy()
        g = np.zeros(x.shape) if x.grad is None else x.grad.array
        np.testing.assert_allclose(g, tg, rtol=rtol * 10, atol=atol * 10,
                                   err_msg=f"gradient of input {k} differs from torch")


def check_op(fn, ref, cases, *, make=None, grad=True, torch_fn=None, seed=0,
             rtol32=None, atol32=None, eps=1e-6, gc_atol=1e-5, gc_rtol=1e-3):
    """Test an op forward (float32 + float64 vs ``ref``) and backward (float64 gradcheck).

    Args:
        fn: the deepgrad function, called with one tensor per input shape.
        ref: the NumPy reference, called with float64 arrays (None: forward not compared,
            e.g. for random ops; dtype and gradients are still checked).
        cases: list of cases; a case is one shape or a tuple of shapes (see module doc).
        make: ``make(rng, shape) -> float64 array`` for the inputs (default uniform(-2, 2)),
            or a list of makers, one per input.
        grad: False for ops without a gradient (comparisons, argmax).
        torch_fn: optional PyTorch equivalent, compared in float64 after everything else.
        rtol32, atol32: looser float32 forward tolerances for ops that accumulate.
        eps, gc_atol, gc_rtol: gradcheck settings.
    """
    make = make or uniform()
    for i, case in enumerate(cases):
        shapes = normalize_case(case)
        arrays = make_arrays(shapes, make, seed + i)
        where = f"case {i}, input shapes {shapes}"
        try:
            for dtype in (np.float32, np.float64):
                if ref is not None:
                    check_forward(fn, ref, arrays, dtype,
                                  *((rtol32, atol32) if dtype is np.float32 else (None, None)))
                if grad:
                    check_grad_dtypes(fn, arrays, dtype, seed)
            if grad:
                check_no_graph(fn, arrays)
                check_gradients(fn, arrays, eps, gc_atol, gc_rtol)
        except AssertionError as e:
            raise AssertionError(f"{where}: {e}") from e
    if torch_fn is not None:
        for i, case in enumerate(cases):
            shapes = normalize_case(case)
            try:
                compare_with_torch(fn, torch_fn, make_arrays(shapes, make, seed + i), seed)
            except AssertionError as e:
                raise AssertionError(f"torch, case {i}, input shapes {shapes}: {e}") from e
