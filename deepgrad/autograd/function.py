"""The ``Function`` base class: one differentiable primitive = forward + backward.

An op is a small subclass::

    class Exp(Function):
        def forward(self, x):
            self.out = np.exp(x)        # save only what backward needs
            return self.out
        def backward(self, g):
            return g * self.out         # dL/dx = dL/dy * e^x

``forward`` receives and returns NumPy arrays; ``backward`` receives dL/d(output) and
returns one gradient per input (``None`` where ``self.needs_grad[i]`` is False). A
backward never modifies the incoming gradient in place, and never needs to undo
broadcasting: the engine passes every gradient through :func:`unbroadcast`.

Custom functions in PyTorch's style
-----------------------------------
The same class takes PyTorch's ``torch.autograd.Function`` style, where ``forward`` and
``backward`` are static methods on tensors and ``ctx`` carries what backward needs::

    class MulConstant(Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            ctx.save_for_backward(x)
            return x * k
        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * ctx.k, None      # one gradient per forward argument

    y = MulConstant.apply(x, 3.0)

The two styles are told apart once, when the subclass is defined: a subclass whose
``forward`` is a ``staticmethod`` gets the ``apply`` of :mod:`deepgrad.autograd.custom_function`
and a generated node class ``<Name>Backward`` (the ``ctx``, and the output's ``grad_fn``).
deepgrad's own primitives keep the array-level protocol above and its ``apply``, which
is the engine's hot path and does no style check at run time.
"""
import inspect

import numpy as np

from deepgrad.autograd.anomaly_mode import anomaly as _anomaly, on_forward as _on_forward
from deepgrad.autograd.grad_mode import state as _grad_state
from deepgrad.autograd.op_record import recorder as _recorder
from deepgrad.autograd.version_counter import clock as _clock


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape``.

    If ``y = f(x)`` broadcast ``x`` of shape ``shape`` up to ``grad.shape``, then
    ``dL/dx`` is ``dL/dy`` summed over the broadcast axes (Chainer's ``sum_to``)::

        (2, 3, 4) -> (3, 1): sum axis 0, then axis 2 with keepdims.

    This is the only place in deepgrad where broadcasting is undone.
    """
    if grad.shape == shape:
        return grad
    ndim = len(shape)
    lead = grad.ndim - ndim
    if lead < 0:
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} cannot reduce to {shape}")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    if grad.shape != shape:
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} does not match {shape}")
    return grad


class Function:
    """A node of the graph: the op that produced a tensor, with what its backward needs.

    Attributes set by :meth:`apply` when a graph is recorded:
        inputs: the input tensors (``None`` once the graph has been freed by backward).
        needs_grad: one bool per input: does that input need a gradient?
    """

    inputs = None
    needs_grad = ()
    _meta = None        # the output tensor's hooks / retain_grad, when it has any
    _t = float("inf")   # the version clock when recorded (version_counter); inf: unchecked

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(inspect.getattr_static(cls, "forward"), staticmethod):
            from deepgrad.autograd import custom_function
            custom_function.make_ctx_style(cls)

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} must define backward")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """PyTorch's separate-context style: ``forward(*args)`` without ctx, then this."""
        raise NotImplementedError("setup_context is not implemented by this Function")

    def name(self):
        """The node's name as PyTorch prints it in ``grad_fn``: ``<Op>Backward``."""
        return type(self).__name__ + "Backward"

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays; record a node if any input needs a gradient.

        Args:
            *inputs: Tensors.
            **params: non-differentiable arguments (axes, shapes, constants).
        Returns:
            Tensor: the output, with ``requires_grad`` and this node attached when recorded.
        """
        fn = cls()
        try:
            out = fn.forward(*[t.array for t in inputs], **params)
        except ValueError as e:             # NumPy's "operands could not be broadcast"
            err = broadcast_error(inputs, e, cls.__name__)
            if err is None:
                raise
            raise err from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)           # NumPy returns 0-d results as scalars
        if _anomaly.enabled:                # detect_anomaly: where it was made, NaN/inf out
            _on_forward(fn, inputs, out, params)
        if _grad_state.enabled:
            needs = tuple(t.requires_grad for t in inputs)
            if True in needs:
                fn.inputs = inputs
                fn.needs_grad = needs
                fn._t = _clock.now          # saved arrays written after this: backward raises
                if _recorder.arguments is not None:     # an exporter reads the graph back
                    _recorder.arguments[fn] = params
                return _Tensor._from_op(out, fn)
        elif _grad_state.inference:
            return _inference_tensor(out)
        return _Tensor._wrap(out)

    def release(self):
        """Drop the saved arrays and the links to the inputs (after backward)."""
        self.__dict__.clear()
        self.inputs = None


class BroadcastError(RuntimeError, ValueError):
    """Shapes that do not broadcast (PyTorch raises RuntimeError, NumPy ValueError)."""


def broadcast_error(operands, err, op):
    """PyTorch's error for operands whose shapes do not broadcast, naming the dimension::

        The size of tensor a (3) must match the size of tensor b (4) at non-singleton
        dimension 1

    or None when ``err`` is not about broadcasting or the shapes do broadcast.
    """
    if "broadcast" not in str(err):
        return None
    shapes = [tuple(getattr(t, "shape", np.shape(t))) for t in operands]
    for i, a in enumerate(shapes):
        for j in range(i + 1, len(shapes)):
            b = shapes[j]
            n = max(len(a), len(b))
            pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
            for d in range(n - 1, -1, -1):
                if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
                    names = ("a", "b") if len(shapes) == 2 else (f"#{i}", f"#{j}")
                    return BroadcastError(
                        f"The size of tensor {names[0]} ({pa[d]}) must match the size of "
                        f"tensor {names[1]} ({pb[d]}) at non-singleton dimension {d} ({op} "
                        f"of shapes {', '.join(str(s) for s in shapes)})")
    return None


def _inference_tensor(array):
    """An op output made inside ``inference_mode``: no graph, ``is_inference()`` True."""
    t = _Tensor._wrap(array)
    t._inference = True
    return t


_Tensor = None  # set by deepgrad.autograd.tensor (the class is defined after Function)


def lift(x, like):
    """Wrap a Python number or array as a constant tensor, in ``like``'s dtype family.

    A float tensor combined with a Python number keeps its dtype (``x * 2`` stays
    float32); an integer tensor combined with a Python float becomes float32.
    """
    if isinstance(x, _Tensor):
        return x
    if isinstance(x, (int, float, bool, np.generic)) or (isinstance(x, np.ndarray) and x.ndim == 0):
        kind = like.array.dtype.kind
        if kind in "fc" or isinstance(x, (bool, int, np.integer, np.bool_)):
            return _Tensor._wrap(np.asarray(x, dtype=like.array.dtype))
        return _Tensor._wrap(np.asarray(x, dtype=np.float32))
    return _Tensor(x)


def to_tensor(x):
    """Tensors pass through; anything else becomes a constant tensor."""
    return x if isinstance(x, _Tensor) else _Tensor(x)


_CUSTOM_FUNCTION_NAMES = ("BackwardCFunction", "FunctionCtx", "once_differentiable")


def __getattr__(name):
    """PyTorch's import path for the custom-function helpers (``torch.autograd.function``).

    They live in :mod:`deepgrad.autograd.custom_function`, which builds on this module, so
    they are looked up on first use rather than imported here (no import cycle).
    """
    if name in _CUSTOM_FUNCTION_NAMES:
        from deepgrad.autograd import custom_function
        return getattr(custom_function, name)
    raise AttributeError(f"module 'deepgrad.autograd.function' has no attribute {name!r}")
