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
one registry dict :data:`ALL_OBJECTS_DICT`; ``serialize`` gives a built-in's name back.
"""
from deepgrad import ops
from deepgrad.autograd.function import to_tensor

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


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


def leaky_relu(x, negative_slope=0.2):
    """``x`` if ``x > 0`` else ``negative_slope * x`` (Keras's default slope is 0.2)."""
    return ops.leaky_relu(x, negative_slope)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.clip(ops.relu(x), 0.0, 6.0)


def sigmoid(x):
    """``1 / (1 + e^-x)``; derivative ``s (1 - s)``."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent; derivative ``1 - tanh^2``."""
    return ops.tanh(x)


def softmax(x, axis=-1):
    """``e^{x_i} / sum_j e^{x_j}`` over ``axis`` (the last by default)."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``x_i - log sum_j e^{x_j}`` over ``axis``, computed stably in one op."""
    return ops.log_softmax(x, axis=axis)


def linear(x):
    """The identity: ``f(x) = x`` (what ``activation=None`` means)."""
    return x


def elu(x, alpha=1.0):
    """``x`` if ``x > 0`` else ``alpha (e^x - 1)``."""
    return ops.elu(x, alpha)


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s fixed constants."""
    return ops.elu(x, _SELU_ALPHA) * _SELU_SCALE


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha (e^{x/alpha} - 1))`` = ``alpha * elu(x / alpha)``."""
    return ops.elu(x * (1.0 / alpha), 1.0) * alpha


def softplus(x):
    """``ln(1 + e^x)``; derivative ``sigmoid(x)``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``; derivative ``1 / (1 + |x|)^2``."""
    x = to_tensor(x)
    return x / (ops.abs(x) + 1.0)


def silu(x):
    """SiLU / swish: ``x sigmoid(x)``."""
    return ops.silu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x Phi(x)``.

    Args:
        approximate (bool): use ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
            Keras 3's default is the exact form (False).
    """
    return ops.gelu(x, approximate="tanh" if approximate else "none")


def exponential(x):
    """``e^x``."""
    return ops.exp(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: ``relu6(x + 3) / 6`` = ``clip(x/6 + 1/2, 0, 1)``.

    (Keras 2 used slope 0.2: ``clip(0.2 x + 0.5, 0, 1)``.)
    """
    return ops.clip(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def hard_silu(x):
    """Hard swish: ``x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


def log_sigmoid(x):
    """``log sigmoid(x) = -softplus(-x)``."""
    return -ops.softplus(-x)


def mish(x):
    """``x tanh(softplus(x))``."""
    return x * ops.tanh(ops.softplus(x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return x - ops.tanh(x)


swish = silu
hard_swish = hard_silu

#: name -> activation function: the one registry ``get`` and ``serialize`` use.
ALL_OBJECTS_DICT = {fn.__name__: fn for fn in (
    relu, leaky_relu, relu6, sigmoid, tanh, softmax, log_softmax, linear, elu, selu, celu,
    softplus, softsign, silu, gelu, exponential, hard_sigmoid, hard_silu, log_sigmoid, mish,
    tanh_shrink)}
ALL_OBJECTS_DICT.update({"swish": silu, "hard_swish": hard_silu})

_NAMES = {fn: name for name, fn in ALL_OBJECTS_DICT.items() if name == fn.__name__}


def get(identifier):
    """Resolve an activation: None -> :func:`linear`, a name -> the function, a callable
    -> itself, ``{"class_name": ..., "config": ...}`` -> deserialized.

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        fn = ALL_OBJECTS_DICT.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown activation function {identifier!r}; expected one of "
                             f"{sorted(ALL_OBJECTS_DICT)} (or a callable, or None for linear)")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r} "
                     f"(a {type(identifier).__name__}); expected a name, a callable or None")


def serialize(activation):
    """The registry name of a built-in activation (``serialize(relu) == 'relu'``).

    Objects with ``get_config`` (activation layers) serialize as
    ``{"class_name": ..., "config": ...}``.

    Raises:
        ValueError: for a function that is not a built-in (it could not be found again).
    """
    if activation is None:
        return None
    name = _NAMES.get(activation)
    if name is not None:
        return name
    if hasattr(activation, "get_config"):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    raise ValueError(f"Unknown activation function {activation!r} cannot be serialized: it is "
                     f"not one of the built-ins {sorted(_NAMES.values())}")


def deserialize(config):
    """Inverse of :func:`serialize`: a name, or a dict whose ``config`` is a name."""
    if isinstance(config, dict):
        inner = config.get("config")
        if isinstance(inner, str):
            return get(inner)
        raise ValueError(f"Could not deserialize activation {config!r}: expected a name or "
                         f"{{'class_name': 'function', 'config': <name>}}")
    return get(config)


__all__ = sorted(ALL_OBJECTS_DICT) + ["get", "serialize", "deserialize"]
