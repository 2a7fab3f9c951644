"""DeepLift with the rescale rule, on deepgrad.nn modules and deepgrad.keras models."""
import contextlib
import inspect
import sys

import numpy as np

import deepgrad
from deepgrad.autograd.function import Function
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import GradientAttribution
from deepgrad.nn import activation as _nn_act
from deepgrad.nn import pooling as _nn_pool
from deepgrad.nn.module import Module

# Captum's SUPPORTED_NON_LINEAR: the module types whose gradient the rescale rule replaces
NN_RULES = {_nn_act.ReLU: "nonlinear", _nn_act.ELU: "nonlinear",
            _nn_act.LeakyReLU: "nonlinear", _nn_act.Sigmoid: "nonlinear",
            _nn_act.Tanh: "nonlinear", _nn_act.Softplus: "nonlinear",
            _nn_pool.MaxPool1d: "maxpool", _nn_pool.MaxPool2d: "maxpool",
            _nn_pool.MaxPool3d: "maxpool", _nn_act.Softmax: "softmax"}
_KERAS_ACTIVATIONS = {"relu": "nonlinear", "elu": "nonlinear", "leaky_relu": "nonlinear",
                      "sigmoid": "nonlinear", "tanh": "nonlinear", "softplus": "nonlinear",
                      "softmax": "softmax"}
_KERAS_LAYERS = {"ReLU": "nonlinear", "LeakyReLU": "nonlinear", "ELU": "nonlinear",
                 "Softmax": "softmax", "MaxPooling1D": "maxpool", "MaxPooling2D": "maxpool",
                 "MaxPooling3D": "maxpool"}


def _halves(a):
    n = a.shape[0] // 2
    return a[:n], a[n:]


def _twice(a):
    return np.concatenate([a, a])


def rescale_gradient(rule, x, y, g, vjp, eps):
    r"""The DeepLift multiplier a nonlinearity passes back, on arrays of the concatenated
    batch ``[inputs; baselines]`` (Captum's rules).

    With ``dx = x - x'`` and ``dy = y - y'`` (each example against its baseline):

    * ``nonlinear`` (elementwise f): ``g * dy / dx`` where ``|dx| >= eps``, else the
      ordinary gradient ``g * f'(x)``;
    * ``softmax``: the nonlinear rule, then minus its mean over all entries (Captum's
      normalisation; it makes each example's result depend on the whole batch);
    * ``maxpool``: ``dy`` is split into ``max(y, y') - y'`` routed to the input's maxima
      and ``y - max(y, y')`` routed to the baseline's maxima (an unpooling), summed, and
      divided by ``dx`` where ``|dx| >= eps``; else the ordinary gradient.

    ``vjp(v)`` is the ordinary vector-Jacobian product of the nonlinearity at ``x``.
    """
    x0, x1 = _halves(x)
    y0, y1 = _halves(y)
    dx = _twice(x0 - x1)
    small = np.abs(dx) < eps
    safe = np.where(small, 1.0, dx)
    regular = vjp(g)
    if rule == "maxpool":
        ymax = np.maximum(y0, y1)
        routed = vjp(g * np.concatenate([ymax - y1, y0 - ymax]))
        r0, r1 = _halves(routed)
        return np.where(small, regular, _twice(r0 + r1) / safe)
    new = np.where(small, regular, g * _twice(y0 - y1) / safe)
    if rule == "softmax":
        new = new - new.sum() / new.size
    return new


class _Rescale(Function):
    """Identity in value (``f(x)``); in backward, the rescale rule instead of ``f'(x)``."""

    @staticmethod
    def forward(ctx, x, fn, rule, eps):
        if x.shape[0] % 2:
            raise RuntimeError(f"DeepLift: a nonlinearity received a batch of {x.shape[0]} "
                               f"rows; it must see the inputs and their baselines stacked "
                               f"(an even number of rows along the first axis)")
        with deepgrad.enable_grad():
            xd = x.detach().requires_grad_()
            yd = fn(xd)
        if not isinstance(yd, deepgrad.Tensor):
            raise RuntimeError("DeepLift: a nonlinearity returned several outputs (e.g. a "
                               "pooling with return_indices=True), which it cannot rescale")
        ctx.xd, ctx.yd, ctx.rule, ctx.eps = xd, yd, rule, eps
        return yd.detach()

    @staticmethod
    def backward(ctx, g):
        xd, yd = ctx.xd, ctx.yd

        def vjp(v):
            with deepgrad.enable_grad():
                grad, = deepgrad.autograd.grad(yd, xd, deepgrad.from_numpy(v),
                                               retain_graph=True)
            return grad.numpy()
        new = rescale_gradient(ctx.rule, xd.detach().numpy(), yd.detach().numpy(),
                               g.detach().numpy(), vjp, ctx.eps)
        ctx.xd = ctx.yd = None
        return deepgrad.from_numpy(new.astype(xd.numpy().dtype, copy=False)), None, None, None


@contextlib.contextmanager
def rescale_rules(model, eps):
    """Within the block, the model's nonlinearities pass back DeepLift multipliers."""
    undo = []
    try:
        if isinstance(model, Module):
            for module in model.modules():
                rule = NN_RULES.get(type(module))
                if rule is not None:
                    undo.extend(_hook_module(module, rule, eps))
        else:
            for layer in model._flatten_layers():
                undo.extend(_patch_keras_layer(layer, eps))
        yield
    finally:
        for fn in reversed(undo):
            fn()


def _hook_module(module, rule, eps):
    saved = []

    def pre_hook(mod, args):
        saved.append(args[0])
        return (args[0].clone(),) + tuple(args[1:])    # in-place modules change a copy

    def forward_hook(mod, args, output):
        x = saved.pop()
        return _Rescale.apply(x, lambda t: mod.forward(t.clone()), rule, eps)
    handles = [module.register_forward_pre_hook(pre_hook),
               module.register_forward_hook(forward_hook)]
    return [h.remove for h in handles]


def _patch_keras_layer(layer, eps):
    """Rescale a keras layer's activation (Dense(..., activation="relu") and the like)
    and the activation/pooling layers themselves, by instance attributes undone later."""
    undo = []
    activations = sys.modules.get("deepgrad.keras.activations")
    act = layer.__dict__.get("activation")
    rule = next((r for name, r in _KERAS_ACTIVATIONS.items()
                 if act is not None and act is getattr(activations, name, None)), None)
    if rule is not None:
        def wrapped(x, *a, **k):
            return _Rescale.apply(x, lambda t: act(t, *a, **k), rule, eps)
        layer.__dict__["activation"] = wrapped
        undo.append(lambda: layer.__dict__.__setitem__("activation", act))
    layer_rule = _KERAS_LAYERS.get(type(layer).__name__)
    if layer_rule is not None and type(layer).__module__.startswith("deepgrad.keras"):
        call = layer.call

        def patched(inputs, *a, **k):
            return _Rescale.apply(inputs, lambda t: call(t, *a, **k), layer_rule, eps)
        layer.__dict__["call"] = patched
        undo.append(lambda: layer.__dict__.pop("call", None))
    return undo


class DeepLift(GradientAttribution):
    r"""DeepLift with the rescale rule (Shrikumar et al., 2017,
    https://arxiv.org/abs/1704.02685), as Captum implements it.

    Each example ``x`` is compared with its baseline ``x'``. Linear layers pass gradients
    back unchanged; each supported nonlinearity ``y = f(x)`` passes back the multiplier
    ``dy/dx = (f(x) - f(x')) / (x - x')`` instead of ``f'(x)`` (see
    :func:`rescale_gradient`). The attributions are

        attr_i = (x_i - x'_i) * m_i,    m = the multipliers reaching the input.

    Guarantee (summation-to-delta, a completeness property): for a network of linear
    layers and supported elementwise nonlinearities and max-pooling,
    ``sum_i attr_i = F(x) - F(x')`` exactly, up to rounding
    (``return_convergence_delta=True`` returns the gap). Captum's softmax rule subtracts a
    batch-wide mean and so does not keep this property; explain the logits to keep it.

    Supported nonlinearities: ``nn.ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus, Softmax,
    MaxPool1d/2d/3d`` modules (Captum's list; functional calls keep their ordinary
    gradient), and in keras models the activations ``relu, elu, leaky_relu, sigmoid, tanh,
    softplus, softmax`` of any layer, the ``ReLU, LeakyReLU, ELU, Softmax`` layers and
    ``MaxPooling1D/2D/3D``. Where ``|x - x'| < eps`` the ordinary gradient is used.
    Differences from Captum 0.9 (same results otherwise, checked in the tests): a module
    may be called more than once; the max-pooling fallback uses each example's own
    gradient (Captum the first example's); and two supported nonlinearities in a row (a
    ReLU feeding a MaxPool) each apply their rule, where Captum 0.9's hooks read a stale
    gradient and lose summation-to-delta (meta-pytorch/captum#1104, fixed after 0.9.0).

    Args:
        model: a :class:`deepgrad.nn.Module` or a deepgrad.keras model.
        multiply_by_inputs (bool): multiply the multipliers by ``(x - x')``.
        eps (float): below this ``|x - x'|`` the ordinary gradient is used.
    """

    def __init__(self, model, multiply_by_inputs=True, eps=1e-10):
        if not isinstance(model, Module) and not _common.is_keras_layer(model):
            raise TypeError(f"DeepLift: model must be a deepgrad.nn.Module or a "
                            f"deepgrad.keras model (its nonlinearities are rescaled); "
                            f"received {type(model).__name__}")
        super().__init__(model)
        self.model = model
        self.eps = float(eps)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  return_convergence_delta=False, custom_attribution_func=None):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            baselines: references (None: zeros; a number; a tensor of the inputs' shape or
                ``(1, ...)``; a tuple per input).
            target, additional_forward_args: as for the other methods.
            return_convergence_delta (bool): also return ``sum attr - (F(x) - F(x'))``.
            custom_attribution_func: ``f(multipliers)``, ``f(multipliers, inputs)`` or
                ``f(multipliers, inputs, baselines)`` (tuples) returning the attributions,
                instead of ``(x - x') * m``.
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        _common.check_float_inputs(xs, "DeepLift")
        base = _common.tensorize_baselines(xs, _common.format_baselines(baselines, xs))
        _common.check_target(target, xs[0].shape[0])
        if custom_attribution_func is not None and not callable(custom_attribution_func):
            raise TypeError("custom_attribution_func must be callable")
        extra = _common.format_additional_args(additional_forward_args)
        leaves = tuple(x.detach().requires_grad_() for x in xs)
        with rescale_rules(self.model, self.eps), deepgrad.enable_grad():
            stacked = tuple(deepgrad.cat([x, b.detach()]) for x, b in zip(leaves, base))
            out = _common.run_forward(self.model, stacked, _common.expand_target(target, 2),
                                      _common.expand_additional_args(extra, 2))
            _common.check_scalar_per_example(out, 2 * xs[0].shape[0], "DeepLift")
            grads = deepgrad.autograd.grad(out.sum(), leaves, allow_unused=True)
        mult = tuple(_common.zeros_if_none(g, x) for g, x in zip(grads, xs))
        if custom_attribution_func is not None:
            attrs = _custom(custom_attribution_func, mult, xs, base)
        elif self._multiply_by_inputs:
            attrs = tuple((x.detach() - b) * m for x, b, m in zip(xs, base, mult))
        else:
            attrs = mult
        result = _common.format_output(attrs, is_tuple, as_numpy)
        if not return_convergence_delta:
            return result
        delta = _common.convergence_delta(self.model, attrs, base, xs, target, extra)
        return result, _common.format_values(delta, as_numpy)

    def has_convergence_delta(self):
        return True

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs


def _custom(func, mult, xs, base):
    n = len(inspect.signature(func).parameters)
    args = (mult, tuple(x.detach() for x in xs), base)[:max(1, min(n, 3))]
    out = func(*args)
    out = out if isinstance(out, tuple) else (out,)
    return tuple(_common.to_tensor(o, "custom_attribution_func's result") for o in out)
