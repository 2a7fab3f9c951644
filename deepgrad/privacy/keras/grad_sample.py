r"""Per-example gradients of a ``deepgrad.keras`` model's weights, for TF Privacy's DP
optimizers.

Keras layers have no hooks, so for the duration of one training step
:class:`capture_per_example` gives each layer that uses trainable weights an instance
``call`` that records its inputs, and hands its output on through the identity op of
:mod:`deepgrad.privacy.grad_sample.grad_sample_module` (whose backward receives dL/dy);
the instance attributes are removed when the step ends. A layer with an ``activation``
(Dense, Conv1D/Conv2D) applies it last to its linear output z, so there the ``activation``
attribute is wrapped too and the gradient is taken at z, where the closed forms hold:

* Dense:     dK_n = x_n^T g_n  (K is (in, units); the Linear form transposed), db_n = sum g_n
* Conv:      the convolution form of :mod:`deepgrad.privacy.grad_sample.conv` on the input
             and gradient moved to channels-first, and back to Keras's kernel layout
             (*k, in/groups, filters); either ``data_format``
* Embedding: a scatter-add of g_n into the rows of sample n's indices
* LayerNormalization: dgamma_n = sum g_n xhat_n, dbeta_n = sum g_n over the axes not
  normalised

Any other layer owning trainable weights gets the generic per-sample path (one small
forward and backward per example). BatchNormalization mixes examples and is refused.

The backward pass is of ``sum_n loss_n``, so the rows are d loss_n / d weights directly.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.conv import _Conv, axis_pads
from deepgrad.keras.layers.core import Dense
from deepgrad.keras.layers.embedding import Embedding
from deepgrad.keras.layers.normalization import LayerNormalization
from deepgrad.privacy.grad_sample.conv import conv_per_sample
from deepgrad.privacy.grad_sample.embedding import compute_embedding_grad_sample
from deepgrad.privacy.grad_sample.grad_sample_module import (
    _CaptureBackprops, _flatten, generic_grad_sample)
from deepgrad.privacy.grad_sample.linear import bias_per_sample, linear_per_sample
from deepgrad.privacy.grad_sample.normalization import _xhat
from deepgrad.privacy.validators import ShouldReplaceModuleError

KERAS_GRAD_SAMPLERS = {}


def register_keras_grad_sampler(*classes):
    """Decorator: ``rule(layer, x, g) -> {variable: (B, *shape)}`` for Keras layers, with
    x the layer's input array and g the gradient at its linear output (before the
    activation) for layers that have one, else at its output."""
    def decorator(f):
        for cls in classes:
            KERAS_GRAD_SAMPLERS[cls] = f
        return f
    return decorator


def _trainable(layer, *names):
    return [(n, getattr(layer, n, None)) for n in names
            if getattr(layer, n, None) is not None and getattr(layer, n).requires_grad]


@register_keras_grad_sampler(Dense)
def _dense(layer, x, g):
    out = {}
    if layer.kernel.requires_grad:
        out[layer.kernel] = linear_per_sample(x, g).transpose(0, 2, 1)
    if layer.bias is not None and layer.bias.requires_grad:
        out[layer.bias] = bias_per_sample(g)
    return out


@register_keras_grad_sampler(_Conv)
def _conv(layer, x, g):
    rank, last = layer.rank, layer.data_format == "channels_last"
    if last:                                   # (N, *S, C) -> (N, C, *S)
        x, g = np.moveaxis(x, -1, 1), np.moveaxis(g, -1, 1)
    if rank == 1:                              # the layer's height-1 image
        x, g = x[:, :, None], g[:, :, None]
    kernel, stride, dilation = layer._geometry()
    pads = ()
    for n, k, s, d in zip(x.shape[2:], kernel, stride, dilation):
        pads += axis_pads(n, k, s, layer.padding, d)
    out = {}
    if layer.kernel.requires_grad:
        w = conv_per_sample(x, g, kernel, stride, pads, dilation, layer.groups)  # (N,O,Cg,*K)
        w = w[:, :, :, 0] if rank == 1 else w
        out[layer.kernel] = np.moveaxis(w, (1, 2), (-1, -2))      # (N, *K, Cg, O)
    if layer.bias is not None and layer.bias.requires_grad:
        out[layer.bias] = g.reshape(g.shape[0], g.shape[1], -1).sum(-1)
    return out


class _EmbeddingView:
    """Embedding's table under the names the shared scatter-add rule reads."""

    def __init__(self, layer):
        self.weight, self.num_embeddings = layer.embeddings, layer.input_dim
        self.embedding_dim, self.padding_idx, self.scale_grad_by_freq = layer.output_dim, None, \
            False


@register_keras_grad_sampler(Embedding)
def _embedding(layer, x, g):
    idx = x if x.dtype.kind in "iu" else x.astype(np.int64)
    return compute_embedding_grad_sample(_EmbeddingView(layer), [idx], g)


@register_keras_grad_sampler(LayerNormalization)
def _layer_norm(layer, x, g):
    axes = tuple(a % x.ndim for a in (layer.axis if isinstance(layer.axis, list)
                                      else [layer.axis]))
    xhat = _xhat(x, axes, layer.epsilon)
    summed = tuple(a for a in range(1, x.ndim) if a not in axes)
    out = {}
    if layer.gamma is not None and layer.gamma.requires_grad:
        out[layer.gamma] = (g * xhat).sum(axis=summed)
    if layer.beta is not None and layer.beta.requires_grad:
        out[layer.beta] = g.sum(axis=summed)
    return out


def find_keras_grad_sampler(layer):
    """The rule for ``layer``'s class or a base class whose ``call`` it keeps."""
    for base in type(layer).__mro__:
        if base in KERAS_GRAD_SAMPLERS:
            return KERAS_GRAD_SAMPLERS[base] if type(layer).call is base.call else None
    return None


def _own_trainable(layer):
    return layer.trainable and any(v.requires_grad for v in layer._trainable_variables)


def _walk(layer, rule_layers, generic_layers):
    """Split the model into layers with a rule and layers for the generic path; refuse
    BatchNormalization."""
    if type(layer).__name__ == "BatchNormalization":
        raise ShouldReplaceModuleError(
            f"layer {layer.name!r} (BatchNormalization) cannot be trained with differential "
            f"privacy: it normalises each example with statistics of the whole batch, so an "
            f"example's gradient depends on the others. Use LayerNormalization (or "
            f"GroupNormalization-style per-example normalisation) instead.")
    if not layer.trainable:
        return
    if find_keras_grad_sampler(layer) is not None and _own_trainable(layer):
        rule_layers.append(layer)
    elif _own_trainable(layer):
        generic_layers.append(layer)
    else:
        for sub in layer._layers:
            _walk(sub, rule_layers, generic_layers)


class capture_per_example:
    """Context manager: while active, the layers of ``model`` record what per-example
    gradients need; after ``backward`` of the summed per-example losses,
    :attr:`grads` maps ``id(variable)`` to its (B, *shape) per-example gradients.
    """

    def __init__(self, model):
        self.model = model
        self.rule_layers, self.generic_layers = [], []
        _walk(model, self.rule_layers, self.generic_layers)
        self.grads = {}
        self._pending = {}           # id(layer) -> inputs of calls awaiting their activation

    def __enter__(self):
        for layer in self.rule_layers:
            d = layer.__dict__
            d["call"] = self._rule_call(layer, type(layer).call.__get__(layer))
            if "activation" in d:
                d["activation"] = self._activation(layer, d["activation"])
        for layer in self.generic_layers:
            layer.__dict__["call"] = self._generic_call(layer, type(layer).call.__get__(layer))
        return self

    def __exit__(self, *exc):
        for layer in self.rule_layers + self.generic_layers:
            d = layer.__dict__
            d.pop("call", None)
            act = d.get("activation")
            if getattr(act, "_dp_original", None) is not None:
                d["activation"] = act._dp_original
        self._pending.clear()
        return False

    # ------------------------------------------------------------------ wrappers
    def _capture(self, y, layer, payload):
        if not (isinstance(y, Tensor) and y.requires_grad):
            return y
        return _CaptureBackprops.apply(y, sink=self._sink, layer=layer, activations=payload)

    def _rule_call(self, layer, original):
        has_activation = "activation" in layer.__dict__

        def call(inputs, *args, **kwargs):
            x = inputs.array if isinstance(inputs, Tensor) else np.asarray(inputs)
            if has_activation:
                self._pending.setdefault(id(layer), []).append(x)
                try:
                    return original(inputs, *args, **kwargs)
                finally:
                    self._pending[id(layer)].pop()
            return self._capture(original(inputs, *args, **kwargs), layer, ("rule", x))
        return call

    def _activation(self, layer, original):
        def activation(z):
            stack = self._pending.get(id(layer))
            if not stack:                        # applied outside the layer's call
                return original(z)
            return original(self._capture(z, layer, ("rule", stack[-1])))
        activation._dp_original = original
        return activation

    def _generic_call(self, layer, original):
        def call(inputs, *args, **kwargs):
            y = original(inputs, *args, **kwargs)
            if len(_flatten(y, [])) != 1:
                raise ValueError(f"per-example gradients of layer {layer.name!r} "
                                 f"({type(layer).__name__}): layers without a closed form "
                                 f"must return one tensor")
            x = inputs.array if isinstance(inputs, Tensor) else np.asarray(inputs)
            return self._capture(y, layer, ("generic", x, original, args, kwargs))
        return call

    # ------------------------------------------------------------------ backward side
    def _sink(self, layer, payload, g):
        if payload[0] == "rule":
            grads = find_keras_grad_sampler(layer)(layer, payload[1], g)
        else:
            _, x, original, args, kwargs = payload
            grads = generic_grad_sample(_Callable(layer, original, args, kwargs), [x], {}, g)
        for v, gs in grads.items():
            prev = self.grads.get(id(v))
            self.grads[id(v)] = gs if prev is None else prev + gs


class _Callable:
    """A Keras layer's original ``call`` seen as a module for the generic path."""

    def __init__(self, layer, original, args, kwargs):
        self.layer, self.original, self.args, self.kwargs = layer, original, args, kwargs

    def __call__(self, x):
        return self.original(x, *self.args, **self.kwargs)

    def named_parameters(self, recurse=False):
        return [(v.path, v) for v in self.layer.trainable_weights]
