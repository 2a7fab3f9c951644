"""Activation functions by their Keras 3 names (``keras.activations``).

Every function takes and returns a deepgrad Tensor and is composed from
:mod:`deepgrad.ops`, so each formula has one implementation (shared with ``deepgrad.nn``)
and its derivative comes from the ops' backward rules:

    relu(x)         = max(x, 0)              (with negative_slope / max_value / threshold)
    sigmoid(x)      = 1 / (1 + e^-x)
    softmax(x)_i    = e^{x_i} / sum_j e^{x_j}          (over ``axis``)
    elu(x)          = x if x > 0 else alpha (e^x - 1)
    selu(x)         = scale * elu(x, alpha),  alpha = 1.67326324, scale = 1.05070098
    softplus(x)     = ln(1 + e^x)
    softsign(x)     = x / (1 + |x|)
    silu(x)         = x sigmoid(x)                     (alias swish)
    gelu(x)         = x Phi(x)  (exact, Keras 3's default; tanh form if approximate)
    hard_sigmoid(x) = relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)     (Keras 3)
    hard_silu(x)    = x hard_sigmoid(x)                (alias hard_swish)

``get`` resolves an identifier (a name, a callable, or None for ``linear``) through the
front's one registry (:mod:`deepgrad.keras.registry`), where ``@register`` puts each
function; ``serialize`` gives a function's name back.
"""
from deepgrad import ops
from deepgrad.autograd.function import to_tensor
from deepgrad.keras import registry
from deepgrad.keras.ops import nn as _kops_nn
from deepgrad.keras.registry import register

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@register("activations")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, Keras's general form.

    ``f(x) = max_value`` if ``x >= max_value``, ``x`` if ``threshold <= x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise. With the defaults, ``max(x, 0)``.

    Args:
        x: input tensor.
        negative_slope (float): slope below the threshold. Default 0.
        max_value (float, optional): saturation value (``relu(x, max_value=6)`` is relu6).
        threshold (float): values below it are damped or zeroed. Default 0.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope)
    x = to_tensor(x)
    negative_part = None
    if negative_slope != 0.0:
        negative_part = ops.relu(threshold - x) if threshold != 0 else ops.relu(-x)
    if threshold != 0:
        out = ops.where(x.array > threshold, x, 0.0)
    else:
        out = ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, float(max_value))
    if negative_part is not None:
        out = out - negative_part * negative_slope
    return out


@register("activations")
def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras's default slope is 0.2)."""
    return ops.leaky_relu(x, negative_slope)


@register("activations")
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.clip(ops.relu(x), 0.0, 6.0)


@register("activations")
def sigmoid(x):
    """``1 / (1 + e^-x)``; derivative ``s (1 - s)``.

    The output hands its logits on (``output._keras_logits``, as Keras 3 attaches them):
    a binary cross-entropy of it runs on ``x`` in one stable op.
    """
    x = to_tensor(x)
    out = ops.sigmoid(x)
    out._keras_logits = ("sigmoid", None, x)
    return out


@register("activations")
def tanh(x):
    """Hyperbolic tangent; derivative ``1 - tanh^2``."""
    return ops.tanh(x)


@register("activations")
def softmax(x, axis=-1):
    """``e^{x_i} / sum_j e^{x_j}`` over ``axis`` (the last by default).

    The output hands its logits on (``output._keras_logits``, as Keras 3 attaches them):
    a categorical cross-entropy of it over the same axis runs on ``x`` in one fused,
    stable op (log-softmax + NLL).
    """
    x = to_tensor(x)
    out = ops.softmax(x, axis=axis)
    out._keras_logits = ("softmax", axis, x)
    return out


@register("activations")
def log_softmax(x, axis=-1):
    """``x_i - log sum_j e^{x_j}`` over ``axis``, computed stably in one op."""
    return ops.log_softmax(x, axis=axis)


@register("activations")
def linear(x):
    """The identity: ``f(x) = x`` (what ``activation=None`` means)."""
    return x


@register("activations")
def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha (e^x - 1)``."""
    return ops.elu(x, alpha)


@register("activations")
def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s fixed constants."""
    return ops.elu(x, _SELU_ALPHA) * _SELU_SCALE


@register("activations")
def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha (e^{x/alpha} - 1))`` = ``alpha * elu(x / alpha)``."""
    return ops.elu(x * (1.0 / alpha), 1.0) * alpha


@register("activations")
def softplus(x):
    """``ln(1 + e^x)``; derivative ``sigmoid(x)``."""
    return ops.softplus(x)


@register("activations")
def softsign(x):
    """``x / (1 + |x|)``; derivative ``1 / (1 + |x|)^2``."""
    x = to_tensor(x)
    return x / (ops.abs(x) + 1.0)


@register("activations", "swish")
def silu(x):
    """SiLU / swish: ``x sigmoid(x)``."""
    return ops.silu(x)


@register("activations")
def gelu(x, approximate=False):
    """Gaussian error linear unit ``x Phi(x)``.

    Args:
        approximate (bool): use ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
            Keras 3's default is the exact form (False).
    """
    return ops.gelu(x, approximate="tanh" if approximate else "none")


@register("activations")
def exponential(x):
    """``e^x``."""
    return ops.exp(x)


@register("activations")
def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: ``relu6(x + 3) / 6`` = ``clip(x/6 + 1/2, 0, 1)``.

    (Keras 2 used slope 0.2: ``clip(0.2 x + 0.5, 0, 1)``.)
    """
    return ops.clip(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


@register("activations", "hard_swish")
def hard_silu(x):
    """Hard swish: ``x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


@register("activations")
def log_sigmoid(x):
    """``log sigmoid(x) = -softplus(-x)``."""
    return -ops.softplus(-x)


@register("activations")
def mish(x):
    """``x tanh(softplus(x))``."""
    return x * ops.tanh(ops.softplus(x))


@register("activations")
def tanh_shrink(x):
    """``x - tanh(x)``."""
    return x - ops.tanh(x)


swish = silu
hard_swish = hard_silu


# Keras 3's newer activations: thin names over keras.ops.nn (one implementation each)
@register("activations")
def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` with ``x = concat(a, b)`` along ``axis``."""
    return _kops_nn.glu(x, axis=axis)


@register("activations")
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return _kops_nn.hard_shrink(x, threshold)


@register("activations")
def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return _kops_nn.hard_tanh(x)


@register("activations")
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return _kops_nn.soft_shrink(x, threshold)


@register("activations")
def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``|x| < 1``, ``x`` for ``x >= 1``."""
    return _kops_nn.sparse_plus(x)


@register("activations")
def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` for ``|x| < 1``, 1 for ``x >= 1``."""
    return _kops_nn.sparse_sigmoid(x)


@register("activations")
def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``."""
    return _kops_nn.sparsemax(x, axis=axis)


@register("activations")
def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``."""
    return _kops_nn.squareplus(x, b)


@register("activations")
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return _kops_nn.threshold(x, threshold, default_value)


def get(identifier):
    """Resolve an activation: None -> :func:`linear`, a name -> the function, a callable
    -> itself, a config dict -> deserialized (through the one registry).

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    if identifier is None:
        return linear
    return registry.get("activations", identifier)


def serialize(activation):
    """An activation function's name (``serialize(relu) == 'relu'``); objects with
    ``get_config`` (activation layers) give their full config.

    Raises:
        ValueError: a lambda or another object without a name.
    """
    if activation is None:
        return None
    try:
        config = registry.serialize(activation, "activations")
    except registry.SerializationError as e:
        raise ValueError(f"Activation {activation!r} cannot be serialized: {e}") from None
    return config["config"] if config.get("class_name") == "function" else config


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`: a name, a function entry or a layer config."""
    return registry.deserialize(config, "activations", custom_objects)


__all__ = sorted(registry.builtins("activations")) + ["get", "serialize", "deserialize"]
