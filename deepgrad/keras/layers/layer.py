"""``Layer``: the base class of every Keras-style layer (Keras 3's ``keras.layers.Layer``).

A layer stores its hyperparameters in ``__init__``, creates its weights in
``build(input_shape)`` (called once, from the first input's shape, unless the shape is
known in advance), and computes in ``call(inputs)``, using the engine's ops — never a
second copy of the math. Shapes follow Keras: the batch axis first, written ``None``.
"""
import inspect
import re

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.parameter import Parameter

_NAME_COUNTS = {}


def unique_name(prefix):
    """'dense', 'dense_1', 'dense_2', ... (Keras's automatic layer names)."""
    n = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def snake_case(name):
    """Keras's rule: 'Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d'."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class InputSpec:
    """What a built layer accepts: ``ndim`` / ``min_ndim`` and fixed sizes of some ``axes``."""

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def check(self, layer, shape, index=0):
        where = f'Input {index} of layer "{layer.name}" is incompatible with the layer'
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {tuple(shape)}")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={self.min_ndim}, found "
                             f"ndim={len(shape)}. Full shape received: {tuple(shape)}")
        for axis, value in self.axes.items():
            if value is not None and len(shape) >= abs(axis) and shape[axis] not in (value, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {tuple(shape)}")


class Weight:
    """A layer's weight record: the tensor and how it is trained and regularised."""

    __slots__ = ("name", "tensor", "trainable", "regularizer", "constraint")

    def __init__(self, name, tensor, trainable, regularizer=None, constraint=None):
        self.name, self.tensor, self.trainable = name, tensor, trainable
        self.regularizer, self.constraint = regularizer, constraint


def _accepts(fn, arg):
    try:
        return arg in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Layer:
    """Base class of Keras-style layers.

    Args:
        trainable (bool): whether the layer's weights are updated by ``fit``.
        name (str): unique name; generated from the class name when omitted.
        dtype: weight and computation dtype (float32 by default).
        input_shape (tuple): shape of one sample (without the batch axis); lets a
            ``Sequential`` model build at once. ``input_dim=n`` means ``(n,)``.
        activity_regularizer: penalty on the layer's output, added to the loss.
    """

    def __init__(self, *, trainable=True, name=None, dtype=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None,
                 activity_regularizer=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments "
                            f"{sorted(kwargs)}")
        d = self.__dict__
        d["_layers"] = []
        d["_weights"] = []
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = np.dtype(dtype or "float32").name
        self.built = False
        self.input_spec = None
        self._activity_losses = []
        from deepgrad.keras import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        shape = None
        if batch_input_shape is not None:
            shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (batch_size,) + tuple(input_shape)
        elif input_dim is not None:
            shape = (batch_size, int(input_dim))
        self._batch_input_shape = shape
        self._call_takes_training = _accepts(self.call, "training")
        self._call_takes_mask = _accepts(self.call, "mask")
        self._build_shape = None

    def __setattr__(self, name, value):
        if isinstance(value, Layer) and "_layers" in self.__dict__ and value not in self._layers:
            self._layers.append(value)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ weights
    def add_weight(self, name=None, shape=(), initializer="glorot_uniform", dtype=None,
                   trainable=True, regularizer=None, constraint=None):
        """Create a weight (a Parameter if trainable, else a Tensor) and track it."""
        from deepgrad.keras import initializers, regularizers
        dtype = np.dtype(dtype or self.dtype)
        array = np.asarray(initializers.get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
        tensor = Parameter(array, requires_grad=self._trainable) if trainable else Tensor(array)
        self._weights.append(Weight(name or f"weight_{len(self._weights)}", tensor, trainable,
                                    regularizers.get(regularizer), constraint))
        return tensor

    def _all_records(self, parent_trainable=True):
        """(record, effectively trainable) for own weights, then each sub-layer's (Keras 3)."""
        on = parent_trainable and self._trainable
        out = [(w, on and w.trainable) for w in self._weights]
        for layer in self._layers:
            out += layer._all_records(on)
        return _dedupe(out)

    @property
    def weights(self):
        """All weights: own (in creation order), then each sub-layer's, as Keras 3 orders them."""
        return [r.tensor for r, _ in self._all_records()]

    @property
    def trainable_weights(self):
        return [r.tensor for r, t in self._all_records() if t]

    @property
    def non_trainable_weights(self):
        return [r.tensor for r, t in self._all_records() if not t]

    trainable_variables = trainable_weights
    variables = weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value
        for w in self._weights:
            if w.trainable:
                w.tensor.requires_grad = bool(value)

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in :attr:`weights` order."""
        return [w.array.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays; every shape is checked before any is written."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f'Layer "{self.name}" expects {len(own)} weight arrays, but '
                             f'received {len(weights)}')
        arrays = [np.asarray(a) for a in weights]
        for i, (w, a) in enumerate(zip(own, arrays)):
            if tuple(a.shape) != tuple(w.shape):
                raise ValueError(f'Layer "{self.name}" weight {i} has shape {tuple(w.shape)}, '
                                 f'received an array of shape {tuple(a.shape)}')
        for w, a in zip(own, arrays):
            w.array[...] = a

    def count_params(self):
        return int(sum(w.array.size for w in self.weights))

    @property
    def losses(self):
        """Regularisation penalties (weights and last call's activity) as scalar tensors."""
        return penalties(self._loss_sources())

    def _loss_sources(self):
        """(regularizer, weight) pairs and the layers with an activity regularizer, at any
        depth: what :attr:`losses` evaluates (``fit`` walks this once, not every step)."""
        pairs = [(r.regularizer, r.tensor) for r, _ in self._all_records()
                 if r.regularizer is not None]
        layers, stack, seen = [], [self], set()
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer.activity_regularizer is not None:
                layers.append(layer)
            stack.extend(layer._layers)
        return pairs, layers

    # ------------------------------------------------------------------ build & call
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._build_shape = input_shape

    def call(self, inputs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``: by default, found by running ``call`` on zeros."""
        from deepgrad.autograd.grad_mode import no_grad
        dummy = _zeros_like_shape(input_shape, self.dtype)
        with no_grad():
            out = self.call(dummy, **self._call_kwargs(False, None))
        batch = _first_shape(input_shape)[0]
        return _map_shapes(lambda s: (batch,) + tuple(s[1:]) if s else s, _shape_of(out))

    #: layers that pass a mask through unchanged set this (Keras's ``supports_masking``)
    supports_masking = False

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input mask for masking-aware layers, else None."""
        return mask if self.supports_masking else None

    def _call_kwargs(self, training, mask):
        kw = {}
        if self._call_takes_training:
            kw["training"] = training
        if self._call_takes_mask and mask is not None:
            kw["mask"] = mask
        return kw

    def __call__(self, inputs, *args, training=None, mask=None, **kwargs):
        if type(inputs) is np.ndarray and self.built:
            inputs = _to_tensors(inputs, self.dtype)
        if type(inputs) is Tensor and self.built and not args and not kwargs:
            # the training hot path: one built layer on one tensor
            spec = self.input_spec
            if spec is not None and type(spec) is InputSpec:
                spec.check(self, inputs.array.shape)
            out = self.call(inputs, **self._call_kwargs(training, mask))
            if self.activity_regularizer is not None:
                self._activity_losses = [self.activity_regularizer(o) for o in _flatten(out)]
            return out
        from deepgrad.keras.layers.input_layer import KerasTensor, symbolic_call
        if any(isinstance(t, KerasTensor) for t in _flatten(inputs)):
            return symbolic_call(self, inputs, args, dict(kwargs, training=training, mask=mask))
        inputs = _to_tensors(inputs, self.dtype)
        shapes = _shape_of(inputs)
        self._maybe_build(shapes)
        if self.input_spec is not None:
            specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
            for i, (spec, shape) in enumerate(zip(specs, shapes if isinstance(shapes, list) else [shapes])):
                spec.check(self, shape, i)
        out = self.call(inputs, *args, **self._call_kwargs(training, mask), **kwargs)
        if self.activity_regularizer is not None:
            self._activity_losses = [self.activity_regularizer(o) for o in _flatten(out)]
        return out

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict (Keras's ``get_config``)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ---------------------------------------------------------------------- helpers
def penalties(sources):
    """Evaluate :meth:`Layer._loss_sources`: weight penalties, then activity penalties."""
    pairs, layers = sources
    return [reg(t) for reg, t in pairs] + [a for layer in layers for a in layer._activity_losses]


def _dedupe(records):
    seen, out = set(), []
    for r, t in records:
        if id(r.tensor) not in seen:
            seen.add(id(r.tensor))
            out.append((r, t))
    return out


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _flatten(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _flatten(item)]
    return [x]


def _to_tensors(x, dtype):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_tensors(t, dtype) for t in x)
    if isinstance(x, dict):
        return {k: _to_tensors(v, dtype) for k, v in x.items()}
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    return Tensor(arr)


def _shape_of(x):
    if isinstance(x, (list, tuple)):
        return [_shape_of(t) for t in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return tuple(x.shape)


def _first_shape(shape):
    while isinstance(shape, (list, dict)):
        shape = shape[0] if isinstance(shape, list) else next(iter(shape.values()))
    return shape


def _map_shapes(fn, shape):
    if isinstance(shape, list):
        return [_map_shapes(fn, s) for s in shape]
    if isinstance(shape, dict):
        return {k: _map_shapes(fn, v) for k, v in shape.items()}
    return fn(shape)


def _zeros_like_shape(shape, dtype):
    if isinstance(shape, list):
        return [_zeros_like_shape(s, dtype) for s in shape]
    if isinstance(shape, dict):
        return {k: _zeros_like_shape(v, dtype) for k, v in shape.items()}
    return Tensor(np.zeros(tuple(1 if n is None else n for n in shape), dtype))
