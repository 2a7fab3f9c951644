"""Convolution layers: Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose (Keras 3 names,
arguments, defaults, weight names and layouts), and the argument handling that
DepthwiseConv2D/SeparableConv2D (:mod:`deepgrad.keras.layers.conv_depthwise`) share.

The math lives in :func:`deepgrad.ops.conv2d` / :func:`deepgrad.ops.conv_transpose2d`.
Conv1D/Conv2D/Conv3D in channels_last call ``ops.conv2d(..., channels_last=True)``
(``ops.conv3d`` for volumes) with the input and Keras's kernel (*k, in/groups, filters)
as they are: no layout conversion at all (groups > 1: one channels-last convolution per
group, on slices of the input and kernel). In channels_first they run the NCHW op
(weight (out, in/groups, *k)) and convert the kernel's layout, with differentiable ops,
on every call. In channels_last, DepthwiseConv2D and
SeparableConv2D run :func:`deepgrad.ops.depthwise_conv2d` (Keras's (kh, kw, in,
multiplier) kernel as it is; the separable 1x1 step is the channels-last conv), and
Conv1DTranspose/Conv2DTranspose/Conv3DTranspose run
:func:`~deepgrad.ops.conv_transpose_last.conv_transpose2d_last` (``conv_transpose3d_last``;
Keras's (*k, filters, in) kernel as it is), converting nothing; in channels_first they
convert the kernel as below (:func:`to_nchw`/:func:`from_nchw` convert a channels_last
input for the layers that have no channels-last op):

    input   channels_first (N, C, H, W): as it is
    kernel  Keras (kh, kw, in/groups, filters)  --permute (3, 2, 0, 1)-->  (filters, in/g, kh, kw)
    1-D     (N, L, C) is the image (N, 1, L, C); kernel (k, in, out) is (1, k, in, out)

Keras's padding, per spatial axis of length n, kernel k, stride s, dilation d
(k_eff = d (k - 1) + 1):

    'valid'   out = floor((n - k_eff) / s) + 1, no padding
    'same'    out = ceil(n / s); pad total = max((out - 1) s + k_eff - n, 0), of which
              total // 2 goes before and the rest after (asymmetric when total is odd)
    'causal'  (Conv1D) pad k_eff - 1 before only, so out[t] sees inputs <= t

Asymmetric pads are applied with :func:`deepgrad.ops.pad` before the op (which only
takes symmetric padding).
"""
import numpy as np

from deepgrad import ops
from deepgrad.keras import activations, constraints, initializers, regularizers
from deepgrad.keras.layers.layer import InputSpec, Layer
from deepgrad.ops.conv_transpose_last import conv_transpose2d_last, conv_transpose3d_last


# ---------------------------------------------------------------------- argument helpers
def normalize_tuple(value, n, name, allow_zero=False):
    """``3`` -> (3,) * n; a sequence of n positive ints stays as a tuple."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                         f"Received {name}={value!r}")
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} positive integers. "
                         f"Received {name}={value!r}")
    return tuple(int(v) for v in values)


def normalize_data_format(data_format):
    fmt = "channels_last" if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={data_format!r}")
    return fmt


def normalize_padding(padding, allowed=("valid", "same")):
    value = str(padding).lower()
    if value not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. "
                         f"Received: padding={padding!r}")
    return value


def output_length(n, k, s, padding, d=1):
    """Keras's output length of one spatial axis (None stays None); see the module doc."""
    if n is None:
        return None
    if padding == "valid":
        return (n - d * (k - 1) - 1) // s + 1
    if padding == "causal":
        return (n - 1) // s + 1
    return -(-n // s)


def axis_pads(n, k, s, padding, d=1):
    """(before, after) padding of one axis of length n for Keras's ``padding``."""
    k_eff = d * (k - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return k_eff - 1, 0
    total = max((output_length(n, k, s, padding, d) - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


def pad_hw(x, pads, value=0.0, channels_last=False):
    """Pad the spatial axes of (N, C, *S) (``channels_last``: (N, *S, C)) by pads, one
    (before, after) per spatial axis (for an image ((top, bottom), (left, right))), when
    any is non-zero; negative amounts cut."""
    if not any(b or a for b, a in pads):
        return x
    flat = (0, 0) if channels_last else ()
    for b, a in reversed(pads):
        flat += (b, a)
    return ops.pad(x, flat, value=value)


def to_nchw(x, data_format, rank):
    """The layer's input as an NCHW image (a 1-D input gets H = 1)."""
    if data_format == "channels_last":
        x = ops.permute(x, (0, x.ndim - 1) + tuple(range(1, x.ndim - 1)))
    return ops.unsqueeze(x, 2) if rank == 1 else x


def from_nchw(y, data_format, rank):
    """Inverse of :func:`to_nchw`."""
    if rank == 1:
        y = ops.squeeze(y, 2)
    if data_format == "channels_last":
        y = ops.permute(y, (0,) + tuple(range(2, y.ndim)) + (1,))
    return y


def spatial_dims(shape, data_format):
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def with_spatial(shape, spatial, channels, data_format):
    if data_format == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def output_spatial(layer, input_shape, kernel, strides, dilation=None):
    """The spatial output lengths of a conv/pool ``layer``; an error if one is <= 0."""
    dilation = dilation or (1,) * len(kernel)
    out = tuple(output_length(n, k, s, layer.padding, d) for n, k, s, d in
                zip(spatial_dims(input_shape, layer.data_format), kernel, strides, dilation))
    if any(o is not None and o <= 0 for o in out):
        raise ValueError(f'Layer "{layer.name}": computed output size would be zero or '
                         f'negative. Received inputs shape={tuple(input_shape)}, '
                         f'kernel/pool size={tuple(kernel)}, strides={tuple(strides)}, '
                         f'dilation_rate={tuple(dilation)}, padding={layer.padding!r}')
    return out


def channel_axis(data_format):
    """The channel axis of an input: -1 for channels_last, 1 for channels_first."""
    return -1 if data_format == "channels_last" else 1


def check_input(layer, input_shape, rank):
    """Check ndim (Keras's InputSpec message) and that the channel axis is known."""
    InputSpec(ndim=rank + 2).check(layer, input_shape)
    channels = input_shape[channel_axis(layer.data_format)]
    if channels is None:
        raise ValueError(f'Layer "{layer.name}": the channel dimension of the inputs should be '
                         f'defined, received input shape {tuple(input_shape)}')
    return channels


def _kernel_oihw(kernel, rank):
    """Keras kernel (*k, in, out) -> the op's (out, in, *k); 1-D gets kh = 1. (A transposed
    layer's (*k, filters, in) becomes the transposed op's (in, filters, *k) likewise.)"""
    w = ops.permute(kernel, (rank + 1, rank) + tuple(range(rank)))
    return ops.unsqueeze(w, 2) if rank == 1 else w


# ---------------------------------------------------------------------- shared layer parts
def check_filters(filters):
    """``filters`` as an int; a ValueError unless it is a positive integer."""
    if not isinstance(filters, (int, np.integer)) or filters <= 0:
        raise ValueError(f"Invalid value for argument `filters`. Expected a strictly "
                         f"positive value. Received filters={filters!r}.")
    return int(filters)


def normalize_geometry(rank, kernel_size, strides, dilation_rate):
    """``kernel_size``, ``strides``, ``dilation_rate`` as tuples of ``rank`` positive ints."""
    return (normalize_tuple(kernel_size, rank, "kernel_size"),
            normalize_tuple(strides, rank, "strides"),
            normalize_tuple(dilation_rate, rank, "dilation_rate"))


def store_weight_args(layer, kernel, activation, use_bias, kernel_initializer,
                      bias_initializer, kernel_regularizer, bias_regularizer,
                      kernel_constraint, bias_constraint):
    """Resolve and store a conv layer's activation and the initializer, regularizer and
    constraint of its kernel and bias, as ``<kernel>_initializer``, ``bias_initializer``,
    ...; ``kernel`` is the prefix of the kernel's arguments ('kernel' or 'depthwise')."""
    layer.activation = activations.get(activation)
    layer.use_bias = use_bias
    setattr(layer, f"{kernel}_initializer", initializers.get(kernel_initializer))
    layer.bias_initializer = initializers.get(bias_initializer)
    setattr(layer, f"{kernel}_regularizer", regularizers.get(kernel_regularizer))
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    setattr(layer, f"{kernel}_constraint", constraints.get(kernel_constraint))
    layer.bias_constraint = constraints.get(bias_constraint)


def weight_args_config(layer, kernel="kernel"):
    """The config of what :func:`store_weight_args` stored, plus the activity
    regularizer, in Keras's key order."""
    return {"activation": activations.serialize(layer.activation), "use_bias": layer.use_bias,
            f"{kernel}_initializer": initializers.serialize(
                getattr(layer, f"{kernel}_initializer")),
            "bias_initializer": initializers.serialize(layer.bias_initializer),
            f"{kernel}_regularizer": regularizers.serialize(
                getattr(layer, f"{kernel}_regularizer")),
            "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
            "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
            f"{kernel}_constraint": constraints.serialize(getattr(layer, f"{kernel}_constraint")),
            "bias_constraint": constraints.serialize(layer.bias_constraint)}


def add_weight_with_args(layer, name, shape, prefix=None):
    """``layer.add_weight(name, shape)`` with the layer's ``<prefix>_initializer``,
    ``<prefix>_regularizer`` and ``<prefix>_constraint`` (``prefix`` defaults to ``name``)."""
    prefix = prefix or name
    return layer.add_weight(shape=shape, initializer=getattr(layer, f"{prefix}_initializer"),
                            name=name, regularizer=getattr(layer, f"{prefix}_regularizer"),
                            constraint=getattr(layer, f"{prefix}_constraint"))


def add_bias(layer, size):
    """The (size,) bias weight, or None without ``use_bias``."""
    return add_weight_with_args(layer, "bias", (size,)) if layer.use_bias else None


def channel_spec(ndim, data_format, channels):
    """The InputSpec a built layer keeps: its rank and its number of input channels."""
    return InputSpec(ndim=ndim, axes={channel_axis(data_format): channels})


# ---------------------------------------------------------------------- Conv1D / Conv2D
class _Conv(Layer):
    """Shared body of Conv1D and Conv2D (``rank`` spatial axes)."""

    float_inputs = True              # bool/int inputs become the layer's dtype

    rank = 2
    paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check_filters(filters)
        if not isinstance(groups, (int, np.integer)) or groups <= 0 or filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.groups = int(groups)
        self.kernel_size, self.strides, self.dilation_rate = normalize_geometry(
            self.rank, kernel_size, strides, dilation_rate)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate "
                             f"> 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        self.padding = normalize_padding(padding, self.paddings)
        self.data_format = normalize_data_format(data_format)
        store_weight_args(self, "kernel", activation, use_bias, kernel_initializer,
                          bias_initializer, kernel_regularizer, bias_regularizer,
                          kernel_constraint, bias_constraint)

    def build(self, input_shape):
        channels = check_input(self, input_shape, self.rank)
        if channels % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the "
                             f"number of groups. Received groups={self.groups}, but the input "
                             f"has {channels} channels (full input shape is {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)          # fails early on a too-small input
        self.kernel = add_weight_with_args(
            self, "kernel", self.kernel_size + (channels // self.groups, self.filters))
        self.bias = add_bias(self, self.filters)
        self.input_spec = channel_spec(self.rank + 2, self.data_format, channels)
        self.built = True

    def _geometry(self):
        """kernel, strides, dilation of the 2-D view (a 1-D layer has a height-1 kernel)."""
        lead = (1,) * (2 - self.rank)
        return lead + self.kernel_size, lead + self.strides, lead + self.dilation_rate

    def call(self, inputs):
        if self.data_format == "channels_last":
            return self.activation(self._call_channels_last(inputs))
        return self.activation(self._call_channels_first(inputs))

    def _call_channels_first(self, inputs):
        """channels_first: the NCHW op, the kernel's layout converted (see above)."""
        x = to_nchw(inputs, self.data_format, self.rank)
        k, s, d = self._geometry()
        pads = [axis_pads(n, kk, ss, self.padding, dd)
                for n, kk, ss, dd in zip(x.shape[2:], k, s, d)]
        if all(b == a for b, a in pads):                 # symmetric: the op pads itself
            padding = tuple(b for b, _ in pads)
        else:
            x, padding = pad_hw(x, pads), 0
        conv = ops.conv3d if self.rank == 3 else ops.conv2d
        y = conv(x, _kernel_oihw(self.kernel, self.rank), self.bias, s, padding, d,
                 self.groups)
        return from_nchw(y, self.data_format, self.rank)

    def _call_channels_last(self, x):
        """Keras's layout and kernel (*k, in, out) as they are, into the engine's
        channels-last convolution (a 1-D input is a height-1 image: views, no copies;
        a volume goes to the 3-D op)."""
        kernel = self.kernel
        if self.rank == 1:
            x, kernel = ops.unsqueeze(x, 1), ops.unsqueeze(kernel, 0)
        k, s, d = self._geometry()
        pads = [axis_pads(n, kk, ss, self.padding, dd)
                for n, kk, ss, dd in zip(x.shape[1:-1], k, s, d)]
        if all(b == a for b, a in pads):                 # symmetric: the op pads itself
            padding = tuple(b for b, _ in pads)
        else:
            x, padding = pad_hw(x, pads, channels_last=True), 0
        conv = ops.conv3d if self.rank == 3 else ops.conv2d
        y = conv(x, kernel, self.bias, s, padding, d, self.groups, channels_last=True)
        return ops.squeeze(y, 1) if self.rank == 1 else y

    def compute_output_shape(self, input_shape):
        out = output_spatial(self, input_shape, self.kernel_size, self.strides,
                             self.dilation_rate)
        return with_spatial(input_shape, out, self.filters, self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate, "groups": self.groups,
                **weight_args_config(self)}


class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels): y = activation(conv(x, K) + b).

    Args:
        filters (int), kernel_size (int), strides (1), padding ('valid', 'same' or
        'causal'), data_format ('channels_last'), dilation_rate (1), groups (1),
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer
        ('zeros'), kernel/bias/activity regularizers.
    Weights:
        kernel (kernel_size, in/groups, filters), bias (filters,).
    Shape:
        (batch, steps, in) -> (batch, new_steps, filters); new_steps as in the module doc.
    """

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution over images: y = activation(conv(x, K) + b).

    Args:
        filters (int): output channels.
        kernel_size (int or pair): window (kh, kw).
        strides, padding, dilation_rate, groups: 1, 'valid' (or 'same'), 1, 1 by default.
        data_format: 'channels_last' (default) or 'channels_first'.
        activation: name or callable (default: linear).
        use_bias, kernel_initializer, bias_initializer: True, 'glorot_uniform', 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: default None.
    Weights:
        kernel (kh, kw, in/groups, filters), bias (filters,).
    Shape:
        (batch, H, W, in) -> (batch, H', W', filters); H' as in the module doc.
    Example:
        >>> layer = Conv2D(32, 3)
        >>> layer.build((None, 28, 28, 1))
        >>> layer.count_params()                # 3*3*1*32 + 32
        320
    """

    rank = 2


# ---------------------------------------------------------------------- transposed
def transpose_crops(k, s, padding, output_padding, d=1):
    """(before, after) amounts cut from the full transposed output (negative: zeros added).

    The op's full output has length (n - 1) s + k_eff. Keras 3 (its JAX rule, which every
    backend follows) pads the dilated input by (left, right) before a full correlation
    that pads k_eff - 1, so it cuts k_eff - 1 - left and k_eff - 1 - right:

        valid: left = k_eff - 1, right = k_eff - 1 + op, op = max(k_eff, s) - k_eff if None
        same:  p = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op,
               left = min(ceil(p / 2), k_eff - 1), right = p - left
    """
    k_eff = d * (k - 1) + 1
    if padding == "valid":
        op = max(k_eff, s) - k_eff if output_padding is None else output_padding
        left, right = k_eff - 1, k_eff - 1 + op
    else:
        p = s + k_eff - 2 if output_padding is None else k_eff + k_eff % 2 - 2 + output_padding
        left = min(p // 2 + p % 2, k_eff - 1)
        right = p - left
    return k_eff - 1 - left, k_eff - 1 - right


class _ConvTranspose(Layer):
    """Shared body of Conv1DTranspose and Conv2DTranspose."""

    float_inputs = True              # bool/int inputs become the layer's dtype

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check_filters(filters)
        self.kernel_size, self.strides, self.dilation_rate = normalize_geometry(
            self.rank, kernel_size, strides, dilation_rate)
        self.output_padding = None if output_padding is None else normalize_tuple(
            output_padding, self.rank, "output_padding", allow_zero=True)
        if self.output_padding is not None and any(
                op >= s for op, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"Strides {self.strides} must be greater than output padding "
                             f"{self.output_padding}.")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        store_weight_args(self, "kernel", activation, use_bias, kernel_initializer,
                          bias_initializer, kernel_regularizer, bias_regularizer,
                          kernel_constraint, bias_constraint)

    def build(self, input_shape):
        channels = check_input(self, input_shape, self.rank)
        self.kernel = add_weight_with_args(self, "kernel",
                                           self.kernel_size + (self.filters, channels))
        self.bias = add_bias(self, self.filters)
        self.input_spec = channel_spec(self.rank + 2, self.data_format, channels)
        self.built = True

    def _crops(self):
        ops_ = self.output_padding or (None,) * self.rank
        crops = [transpose_crops(k, s, self.padding, op, d) for k, s, op, d in
                 zip(self.kernel_size, self.strides, ops_, self.dilation_rate)]
        return [(0, 0)] * (2 - self.rank) + crops

    def call(self, inputs):
        if self.data_format == "channels_last":
            return self.activation(self._call_channels_last(inputs))
        return self.activation(self._call_channels_first(inputs))

    def _call_channels_first(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        lead = (1,) * (2 - self.rank)
        # Keras kernel (*k, filters, in) -> the op's (in, filters, *k)
        transpose = ops.conv_transpose3d if self.rank == 3 else ops.conv_transpose2d
        y = transpose(x, _kernel_oihw(self.kernel, self.rank), None, lead + self.strides, 0,
                      0, 1, lead + self.dilation_rate)
        y = pad_hw(y, [(-b, -a) for b, a in self._crops()])   # cut, or extend with zeros
        if self.bias is not None:                             # after: extensions get it too
            y = y + ops.reshape(self.bias, (1, self.filters) + (1,) * (y.ndim - 2))
        return from_nchw(y, self.data_format, self.rank)

    def _call_channels_last(self, x):
        """Keras's layout and kernel (*k, filters, in) as they are, into the engine's
        channels-last transposed convolution (a 1-D input is a height-1 image)."""
        kernel, lead = self.kernel, (1,) * (2 - self.rank)
        if self.rank == 1:
            x, kernel = ops.unsqueeze(x, 1), ops.unsqueeze(kernel, 0)
        transpose = conv_transpose3d_last if self.rank == 3 else conv_transpose2d_last
        crops = self._crops()
        inside = all(b >= 0 and a >= 0 for b, a in crops)     # only cuts: the op adds b
        y = transpose(x, kernel, lead + self.strides, lead + self.dilation_rate,
                      self.bias if inside else None)
        y = pad_hw(y, [(-b, -a) for b, a in crops], channels_last=True)
        if self.bias is not None and not inside:              # after: extensions get it too
            y = y + self.bias
        return ops.squeeze(y, 1) if self.rank == 1 else y

    def compute_output_shape(self, input_shape):
        spatial = spatial_dims(input_shape, self.data_format)
        out = []
        for n, k, s, d, (b, a) in zip(spatial, self.kernel_size, self.strides,
                                      self.dilation_rate, self._crops()[-self.rank:]):
            out.append(None if n is None else (n - 1) * s + d * (k - 1) + 1 - b - a)
        return with_spatial(input_shape, out, self.filters, self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "output_padding": self.output_padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate,
                **weight_args_config(self)}


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution, the adjoint of Conv1D (see Conv2DTranspose).

    Weights: kernel (kernel_size, filters, in), bias (filters,).
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"): the adjoint of a strided Conv2D.

    Args:
        filters, kernel_size, strides (1), padding ('valid' or 'same'), output_padding
        (None), data_format, dilation_rate, activation, use_bias, initializers,
        regularizers: as Conv2D.
    Weights:
        kernel (kh, kw, filters, in) (Keras's layout), bias (filters,).
    Shape:
        (batch, H, W, in) -> (batch, H', W', filters), with output_padding None:
        'same': H' = H s;  'valid': H' = H s + max(k_eff - s, 0);
        with output_padding op: H' = (H - 1) s + k_eff - 2 pad + op, pad = 0 ('valid')
        or k_eff // 2 ('same').
    """

    rank = 2
