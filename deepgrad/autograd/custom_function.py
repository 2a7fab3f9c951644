"""PyTorch-style custom functions: static ``forward(ctx, ...)``/``backward(ctx, ...)``.

A subclass of :class:`deepgrad.autograd.Function` whose ``forward`` is a ``staticmethod``
is set up here (by :func:`make_ctx_style`, from ``Function.__init_subclass__``):

* ``MyOp.apply(*args, **kwargs)`` runs ``forward(ctx, *args)`` under ``no_grad`` (or
  ``forward(*args)`` then ``setup_context(ctx, inputs, output)``), and when some tensor
  argument requires grad and grad mode is on, records one node for the call;
* the node is an instance of the generated class ``MyOpBackward`` (a
  :class:`BackwardCFunction`). It is the ``ctx`` that forward filled in and the
  ``grad_fn`` of the outputs; its ``backward`` wraps the engine's arrays as tensors, calls
  ``MyOp.backward(ctx, *grad_outputs)`` under ``no_grad`` and checks what comes back
  (one gradient per forward argument, None for non-tensors, shapes that broadcast to
  the input's; dtypes are cast to the input's), with PyTorch's error messages.

Several differentiable outputs: the engine routes one gradient per node, so each such
output gets a small :class:`_OutputSlot` node that parks its gradient on the owner node
and hands the engine an empty placeholder array; the owner, reached after all its slots,
calls the user's backward with every output's gradient (zeros, or None after
``ctx.set_materialize_grads(False)``, for outputs that received none).

Not supported: forward-mode AD (``jvp``, ``save_for_forward``), ``vmap``, and version
counters (an in-place change of a saved tensor is not detected, as PyTorch would).
"""
import functools
import inspect

import numpy as np

from deepgrad.autograd import function
from deepgrad.autograd.function import Function, unbroadcast
from deepgrad.autograd.grad_mode import no_grad, state as _grad_state
from deepgrad.autograd.version_counter import clock

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the "
          "graph are freed when you call .backward() or autograd.grad(). Specify "
          "retain_graph=True if you need to backward through the graph a second time or if "
          "you need to access saved tensors after calling backward.")


class _SavedOutput:
    """A saved tensor that is also an output: kept as its array (no node -> output cycle)."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


class FunctionCtx:
    """The ``ctx`` of a custom function: what ``forward`` leaves for ``backward``.

    Any attribute may be set on it (``ctx.k = k``); tensors go through
    :meth:`save_for_backward`.

    Attributes:
        needs_input_grad (tuple of bool): per forward argument, whether it is a tensor that
            requires grad.
        materialize_grads (bool): give backward zeros (True, default) or None for outputs
            that received no gradient.
    """

    materialize_grads = True
    to_save = ()
    dirty_tensors = ()
    non_differentiable = ()
    _freed = False

    def save_for_backward(self, *tensors):
        """Keep tensors (or None) for backward, where ``ctx.saved_tensors`` returns them."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, function._Tensor):
                raise TypeError(f"save_for_backward can only save tensors (or None), but "
                                f"argument {i} is of type {type(t).__name__}; store other "
                                f"values as attributes of ctx")
        self.to_save = tensors

    @property
    def saved_tensors(self):
        """The tensors given to :meth:`save_for_backward`, in order."""
        if self._freed:
            raise RuntimeError(_FREED)
        return tuple(self._unpack(t) for t in self.to_save)

    saved_variables = saved_tensors     # the pre-0.4 name

    def _unpack(self, t):
        if isinstance(t, _SavedOutput):   # an output: rebuilt, with this node as grad_fn
            return function._Tensor._from_op(t.array, self)
        return t

    def mark_dirty(self, *tensors):
        """Declare input tensors that forward modified in place (and returns)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (``requires_grad=False``; backward gets
        zeros for them)."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """Whether backward receives zeros (True, default) or None for outputs without a
        gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(Function, FunctionCtx):
    """The graph node of one call of a custom function (PyTorch's ``<Name>Backward``)."""

    _forward_cls = None

    def name(self):
        return type(self).__name__

    def release(self):
        super().release()
        self._freed = True

    def backward(self, g):
        grads = [None if gk is None else function._Tensor._wrap(gk)
                 for gk in self._grad_outputs(g, np.zeros)]
        with no_grad():
            result = self._forward_cls.backward(self, *grads)
        return tuple(None if r is None else r.array.astype(x.dtype, copy=True)
                     for r, x in zip(self._check(result, False), self.inputs))  # no alias

    def graph_backward(self, g):
        """``backward`` with tensors and grad mode on (``create_graph=True``): the result
        carries a graph (see :mod:`deepgrad.autograd.higher_order`)."""
        from deepgrad import ops
        zeros = lambda shape, dtype: function._Tensor._wrap(np.zeros(shape, dtype))  # noqa: E731
        result = self._forward_cls.backward(self, *self._grad_outputs(g, zeros))
        return tuple(r if r is None or r.dtype == x.dtype else ops.cast(r, x.dtype)
                     for r, x in zip(self._check(result, True), self.inputs))

    def _grad_outputs(self, g, zeros):
        """One gradient per forward output (zeros, or None, where none arrived)."""
        n_out, direct = self._n_out, self._direct
        if direct is not None:
            pending = [None] * n_out
            pending[direct] = g
        else:
            pending, self._pending = self._pending, [None] * n_out
        for k, gk in enumerate(pending):
            if gk is None and self.materialize_grads and self._out_specs[k] is not None:
                pending[k] = zeros(*self._out_specs[k])
        return pending

    def _check(self, result, graph):
        """One tensor (or None) per tensor input, from backward's result per argument:
        PyTorch's checks, and gradients summed back to a broadcast input's shape (with
        differentiable ops when ``graph``)."""
        from deepgrad.autograd.higher_order import sum_to
        name, n_args = self.name(), len(self._arg_is_tensor)
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) < n_args or any(r is not None for r in result[n_args:]):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {n_args}, got {len(result)})")
        out = []
        for pos, (r, is_tensor) in enumerate(zip(result, self._arg_is_tensor)):
            if not is_tensor:
                if r is not None:
                    raise RuntimeError(f"function {name} returned a gradient different than "
                                       f"None at position {pos + 1}, but the corresponding "
                                       f"forward input was not a Tensor")
                continue
            if r is not None and not isinstance(r, function._Tensor):
                raise TypeError(f"function {name} returned a {type(r).__name__} as the "
                                f"gradient at position {pos + 1}; expected a Tensor or None")
            x = self.inputs[len(out)]
            if r is not None and r.shape != x.shape:
                try:
                    unbroadcast(np.empty(r.shape, np.bool_), x.shape)   # checks only
                except RuntimeError:
                    raise RuntimeError(
                        f"Function {name} returned an invalid gradient at index {len(out)} - "
                        f"got {list(r.shape)} but expected shape compatible with "
                        f"{list(x.shape)}") from None
                r = sum_to(r, x.shape) if graph else \
                    function._Tensor._wrap(unbroadcast(r.array, x.shape))
            out.append(r)
        return out


class _OutputSlot(Function):
    """One differentiable output of a multi-output custom function (see the module doc)."""

    def __init__(self, index=0):
        self.index = index

    def name(self):
        return self.inputs[0]._ctx.name()

    def backward(self, g):
        self.inputs[0]._ctx._pending[self.index] = g
        return _PLACEHOLDER


_PLACEHOLDER = np.empty(0)


def once_differentiable(fn):
    """Decorate a custom ``backward`` that is not itself differentiable.

    ``fn`` runs under ``no_grad``. Under ``create_graph=True`` its results are passed
    through a node that raises if anything tries to differentiate them, as in PyTorch.
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        Tensor = function._Tensor
        needing = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not _grad_state.enabled or not needing:
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_DelayedError.apply(o, *needing) if isinstance(o, Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    return wrapper


class _DelayedError(Function):
    """Identity on its first input; differentiating it raises (``once_differentiable``)."""

    def forward(self, x, *others):
        return x

    def backward(self, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def make_ctx_style(cls):
    """Give a PyTorch-style subclass its ``apply`` and its node class ``<Name>Backward``."""
    cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                             {"_forward_cls": cls, "__module__": cls.__module__})
    cls.apply = classmethod(_apply)


def _bind(cls, args, kwargs):
    """Positional arguments of forward: keyword arguments placed, and for the
    setup_context style the defaults filled in (PyTorch's ``bind_default_args``)."""
    fwd = cls.forward
    try:
        sig = inspect.signature(fwd)
    except (TypeError, ValueError):
        raise TypeError(f"{cls.__name__}.apply: cannot bind the arguments, forward's "
                        f"signature cannot be inspected") from None
    params = list(sig.parameters.values())
    if cls.setup_context is Function.setup_context:
        params = params[1:]                   # forward(ctx, ...): ctx is not an argument
    try:
        bound = sig.replace(parameters=params).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}.apply: {e}") from None
    if cls.setup_context is not Function.setup_context:
        bound.apply_defaults()              # as PyTorch: setup_context sees every argument
    return bound.args + tuple(bound.kwargs.values())


def _apply(cls, *args, **kwargs):
    """Run the custom function on ``args``; record a node when a gradient is needed."""
    if kwargs or cls.setup_context is not Function.setup_context:
        args = _bind(cls, args, kwargs)
    Tensor = function._Tensor
    ctx = cls._backward_cls()
    is_tensor = tuple(isinstance(a, Tensor) for a in args)
    ctx.needs_input_grad = tuple(t and a.requires_grad for t, a in zip(is_tensor, args))
    with no_grad():
        if cls.setup_context is Function.setup_context:
            out = cls.forward(ctx, *args)
        else:
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
    record = _grad_state.enabled and True in ctx.needs_input_grad
    if not record:
        return out
    ctx._arg_is_tensor = is_tensor
    ctx.inputs = tuple(_history_of(a, ctx) for a, t in zip(args, is_tensor) if t)
    ctx.needs_grad = tuple(t.requires_grad for t in ctx.inputs)
    ctx._t = clock.now                  # saved tensors written after this: backward raises
    outs = out if isinstance(out, tuple) else (out,)
    outs = _connect_outputs(ctx, args, outs)
    return outs if isinstance(out, tuple) else outs[0]


def _history_of(x, ctx):
    """The input as the node sees it: for a dirty input, a stand-in with its old history."""
    if not any(x is d for d in ctx.dirty_tensors):
        return x
    if x.requires_grad and x._ctx is None:
        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                           "operation.")
    old = function._Tensor._wrap(x.array)
    old._ctx, old.requires_grad = x._ctx, x.requires_grad
    return old


def _connect_outputs(ctx, args, outs):
    """Attach the outputs to the node (directly, or through slots); returns the outputs."""
    Tensor = function._Tensor
    nondiff = ctx.non_differentiable
    result, specs, diff = [], [], []
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            result.append(o)
            specs.append(None)
            continue
        dirty = any(o is d for d in ctx.dirty_tensors)
        if not dirty and (o.requires_grad or o._ctx is not None or any(o is a for a in args)):
            o = Tensor._wrap(o.array)       # an input (or outside tensor) returned as it is
        specs.append((o.shape, o.dtype))
        if o.dtype.kind == "f" and not any(o is n or outs[k] is n for n in nondiff):
            diff.append(k)
        else:
            o._ctx, o.requires_grad = None, False
        result.append(o)
    ctx._n_out, ctx._out_specs = len(outs), specs
    saved = {id(outs[k]): k for k in diff if result[k] is outs[k]}    # made by forward
    ctx.to_save = tuple(_SavedOutput(result[saved[id(t)]].array) if id(t) in saved else t
                        for t in ctx.to_save)
    if len(diff) == 1:
        ctx._direct = diff[0]
        _attach(result[diff[0]], ctx)
    else:
        ctx._direct, ctx._pending = None, [None] * len(outs)
        anchor = Tensor._from_op(_PLACEHOLDER, ctx)
        for k in diff:
            slot = _OutputSlot(k)
            slot.inputs, slot.needs_grad = (anchor,), (True,)
            _attach(result[k], slot)
    return tuple(result)


def _attach(t, node):
    t._ctx, t.requires_grad = node, True
