"""``Layer``: the base class of every Keras-style layer (Keras 3's ``keras.layers.Layer``).

A layer stores its hyperparameters in ``__init__``, creates its weights in
``build(input_shape)`` (called once, from the first input's shape, unless the shape is
known in advance), and computes in ``call(inputs)``, using the engine's ops — never a
second copy of the math. Shapes follow Keras: the batch axis first, written ``None``.

Calls nest (a model calls its layers): the outermost call opens a *call context* that
clears the losses its layers added with :meth:`Layer.add_loss` on the previous call,
and hands its ``training`` flag to inner calls that do not pass one (Keras 3's rules).
"""
import inspect

import numpy as np

from deepgrad import ops
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import backend, constraints, initializers, registry, regularizers
from deepgrad.keras.layers.input_spec import InputSpec
from deepgrad.keras.layers.keras_tensor import KerasTensor, Node, flatten, is_symbolic
from deepgrad.keras.metrics_base import Metric
from deepgrad.keras.variables import Variable

_flatten = flatten                       # the name the layer modules import
snake_case = registry.snake_case
unique_name = backend.unique_name


class _CallContext:
    """The state of the calls in progress: nesting depth, the outer ``training`` flag,
    and the layers holding losses from :meth:`Layer.add_loss` not yet cleared."""

    __slots__ = ("depth", "training", "holding")

    def __init__(self):
        self.depth, self.training, self.holding = 0, None, set()


_CALL = _CallContext()


def _accepts(fn, arg):
    try:
        return arg in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _shape_arg(name, value):
    """A shape argument as a tuple of ints (or None); a clear error otherwise."""
    if not isinstance(value, (tuple, list)) or not all(
            d is None or isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
            for d in value):
        raise ValueError(f"{name} must be a tuple of non-negative ints (or None), e.g. "
                         f"{name}=(8,) for samples of 8 features; received {name}={value!r}")
    return tuple(None if d is None else int(d) for d in value)


class Layer:
    """Base class of Keras-style layers.

    Args:
        trainable (bool): whether the layer's weights are updated by ``fit``.
        name (str): unique name; generated from the class name when omitted.
        dtype: weight and computation dtype (float32 by default); a Keras
            ``DTypePolicy`` config is read for its ``name``.
        input_shape (tuple): shape of one sample (without the batch axis); lets a
            ``Sequential`` model build at once. ``input_dim=n`` means ``(n,)``.
        activity_regularizer: penalty on the layer's output, divided by the batch size
            and added to :attr:`losses` (Keras 3.15's rule).

    Subclasses defined in deepgrad.keras join the registry under their class name; a
    user's layer is found through ``keras.saving.register_keras_serializable`` or
    ``custom_objects``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("layers", cls)

    def __init__(self, *, trainable=True, name=None, dtype=None, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments "
                            f"{sorted(kwargs)}")
        d = self.__dict__
        d["_layers"] = []
        d["_metrics"] = []
        d["_trainable_variables"] = []
        d["_non_trainable_variables"] = []
        d["_losses"] = []
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.dtype = _dtype_name(dtype)
        self.autocast = bool(autocast)
        self.built = False
        self.input_spec = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        shape = None
        if batch_input_shape is not None:
            shape = _shape_arg("batch_input_shape", batch_input_shape)
        elif input_shape is not None:
            shape = (batch_size,) + _shape_arg("input_shape", input_shape)
        elif input_dim is not None:
            shape = (batch_size, int(input_dim))
        self._batch_input_shape = shape
        self._call_takes_training = _accepts(self.call, "training")
        self._call_takes_mask = _accepts(self.call, "mask")
        self._build_shape = None

    def __setattr__(self, name, value):
        """Track sub-layers and metrics assigned as attributes (also inside lists)."""
        d = self.__dict__
        if "_layers" in d:
            if isinstance(value, Layer):
                if value is not self and value not in self._layers:
                    self._layers.append(value)
            elif isinstance(value, Metric):
                if value not in self._metrics:
                    self._metrics.append(value)
            elif isinstance(value, (list, tuple)) and value and not isinstance(value[0], str):
                for v in value:
                    if isinstance(v, Layer) and v not in self._layers:
                        self._layers.append(v)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ dtypes
    @property
    def dtype(self):
        """The dtype of the weights and of the computation, as a name ('float32')."""
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        d = self.__dict__
        d["_dtype"] = _dtype_name(value)
        d["_np_dtype"] = np.dtype(d["_dtype"])

    @property
    def compute_dtype(self):
        return self.dtype

    @property
    def variable_dtype(self):
        return self.dtype

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Create a :class:`~deepgrad.keras.variables.Variable` and track it (Keras 3).

        Args:
            shape (tuple): the weight's shape. Default ``()``.
            initializer: name, Initializer or callable ``(shape, dtype) -> array``;
                default ``'glorot_uniform'`` for floats, ``'zeros'`` otherwise.
            dtype: default the layer's dtype.
            trainable (bool): updated by the optimizer (and listed in
                ``trainable_weights``).
            regularizer: penalty added to :attr:`losses`.
            constraint: projection applied after each optimizer update.
            aggregation: ``'none'``, ``'mean'``, ``'sum'`` or
                ``'only_first_replica'`` (one process: they all mean the same).
            overwrite_with_gradient (bool): not supported (raises when True).
            name (str): the short name.
        """
        if overwrite_with_gradient:
            raise NotImplementedError("add_weight(overwrite_with_gradient=True) (float8 "
                                      "training) is not supported by deepgrad.keras")
        if aggregation not in ("none", "mean", "sum", "only_first_replica", None):
            raise ValueError(f"Invalid value for argument `aggregation`: expected one of "
                             f"'none', 'mean', 'sum', 'only_first_replica', received "
                             f"{aggregation!r}")
        dtype = np.dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        shape = () if shape is None else tuple(int(s) for s in shape)
        count = len(self._trainable_variables) + len(self._non_trainable_variables)
        name = name or f"variable_{count}"
        array = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        variable = Variable(array, requires_grad=bool(trainable) and self._trainable,
                            name=name, path=f"{self.name}/{name}",
                            regularizer=regularizers.get(regularizer),
                            constraint=constraints.get(constraint))
        (self._trainable_variables if trainable else self._non_trainable_variables).append(
            variable)
        return variable

    @property
    def weights(self):
        """Own trainable, then own non-trainable weights, then each sub-layer's (Keras 3's
        order), without duplicates."""
        out, seen = [], set()
        self._collect_weights(out, seen)
        return out

    def _collect_weights(self, out, seen):
        for v in self._trainable_variables + self._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._layers:
            layer._collect_weights(out, seen)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [v for v in self.weights if v.requires_grad]

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        return [v for v in self.weights if not v.requires_grad]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.requires_grad = value
        for layer in self._layers:
            layer.trainable = value

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
        """The number of scalars in the weights; a ValueError before ``build``, as Keras 3."""
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but "
                             f"the layer isn't built. You can build it manually via: "
                             f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(w.array.size for w in self.weights))

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of the weights (the torch backend's ``model.zero_grad()``)."""
        for v in self.weights:
            if set_to_none:
                v.grad = None
            elif v.grad is not None:
                v.grad.array[...] = 0

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        """Add scalar loss tensor(s) from inside ``call``; they join :attr:`losses` until
        the next outermost call clears them.

        Raises:
            ValueError: something other than tensors.
        """
        values = flatten(loss)
        for x in values:
            if not isinstance(x, Tensor):
                raise ValueError(f"`add_loss()` can only be called from inside `build()` or "
                                 f"`call()`, on a tensor input. Received invalid value: {x!r}")
        self._losses.extend(values)
        _CALL.holding.add(self)

    def _clear_losses(self):
        stack = [self]
        while stack:
            layer = stack.pop()
            if layer._losses:
                layer._losses.clear()
                _CALL.holding.discard(layer)
            stack.extend(layer._layers)

    def _flatten_layers(self, include_self=True, recursive=True):
        """This layer (optionally) and its sub-layers, depth first, each once."""
        out, seen = [], set()
        stack = [self] if include_self else list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            if recursive or layer is self:
                stack.extend(reversed(layer._layers))
        return out

    @property
    def losses(self):
        """Keras 3's list: the losses added by this layer and its sub-layers during the
        last call, then the penalties of the trainable weights' regularizers."""
        out = list(self._losses)
        for layer in self._flatten_layers(include_self=False):
            out.extend(layer._losses)
        return out + [v.regularizer(v) for v in self.trainable_weights
                      if v.regularizer is not None]

    @property
    def metrics(self):
        """The metrics tracked as attributes of this layer and its sub-layers."""
        out = list(self._metrics)
        for layer in self._layers:
            out.extend(layer.metrics)
        return out

    # ------------------------------------------------------------------ build & call
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first)."""
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True
            self._build_shape = input_shape

    def get_build_config(self):
        """``{"input_shape": ...}`` once built from a known shape (Keras's build config)."""
        if self.built and self._build_shape is not None:
            return {"input_shape": registry.serialize(self._build_shape)}
        return None

    def build_from_config(self, config):
        """Build from :meth:`get_build_config`'s dict."""
        shape = (config or {}).get("input_shape")
        if shape is not None and not self.built:
            self._maybe_build(shape_from_json(shape))

    def call(self, inputs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape``: by default, found by running ``call`` on zeros."""
        dummy = _zeros_like_shape(input_shape, self.dtype)
        with no_grad():
            out = self.call(dummy, **self._call_kwargs(False, None))
        batch = _first_shape(input_shape)[0]
        return _map_shapes(lambda s: (batch,) + tuple(s[1:]) if s else s, _shape_of(out))

    #: layers that pass a mask through unchanged set this (Keras's ``supports_masking``)
    supports_masking = False
    #: layers whose math is floating point (Dense, convolutions, recurrent, normalization,
    #: pooling, activations) set this: bool and integer inputs are converted to the
    #: layer's dtype before ``call``, the same for every such family (structural layers,
    #: Embedding and merges keep their inputs' dtype, as Keras does)
    float_inputs = False

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
        context = _CALL
        depth, outer = context.depth, context.training
        if not depth and context.holding:
            self._clear_losses()
        if training is None:
            training = outer
        context.depth, context.training = depth + 1, training
        try:
            if type(inputs) is np.ndarray and self.built:
                inputs = _to_tensors(inputs, self.dtype)
            if type(inputs) is Tensor and self.built and not args and not kwargs:
                # the training hot path: one built layer on one tensor
                if mask is not None and self._call_takes_mask:
                    out = self.call(self._checked(inputs), **self._call_kwargs(training, mask))
                else:
                    out = self._call_built(inputs, training)
            elif is_symbolic(inputs):
                return self._symbolic_call(inputs, args, dict(kwargs, training=training,
                                                              mask=mask))
            else:
                out = self._eager_call(inputs, args, kwargs, training, mask)
            if self.activity_regularizer is not None:
                self._add_activity_losses(out)
            return out
        finally:
            context.depth, context.training = depth, outer

    def _checked(self, x):
        """A built layer's Tensor input, converted to its dtype and checked (spec)."""
        if x.array.dtype != self._np_dtype:
            x = self._convert_input(x)
        spec = self.input_spec
        if spec is not None and type(spec) is InputSpec:
            spec.check(self, x.array.shape)
        return x

    def _call_built(self, x, training):
        """``call`` of a built layer on one Tensor, without a mask: the body of
        ``__call__``'s hot path, which a ``Sequential`` runs directly for a layer whose
        ``__call__`` adds nothing more (see :meth:`_plain`)."""
        x = self._checked(x)
        return self.call(x, training=training) if self._call_takes_training else self.call(x)

    def _plain(self):
        """Whether ``self(x, training=t)`` on a Tensor x, inside another layer's call, is
        exactly :meth:`_call_built` (the base ``__call__``, built, no activity penalty)."""
        return (type(self).__call__ is Layer.__call__ and self.built
                and self.activity_regularizer is None)

    def _convert_input(self, x):
        """Keras's input conversion: a float tensor of another dtype is cast to the
        layer's (``autocast``, differentiably); with :attr:`float_inputs` a bool or
        integer one is too; anything else passes unchanged."""
        kind = x.array.dtype.kind
        if kind == "f":
            return ops.cast(x, self._np_dtype) if self.autocast else x
        if self.float_inputs and kind in "biu":
            return Tensor._wrap(x.array.astype(self._np_dtype))
        return x

    def _eager_call(self, inputs, args, kwargs, training, mask):
        inputs = _to_tensors(inputs, self.dtype, self.float_inputs)
        shapes = _shape_of(inputs)
        self._maybe_build(shapes)
        _check_specs(self, shapes)
        return self.call(inputs, *args, **self._call_kwargs(training, mask), **kwargs)

    def _add_activity_losses(self, out):
        for o in flatten(out):
            if isinstance(o, Tensor):
                loss = self.activity_regularizer(o)
                if o.ndim > 0 and o.shape[0]:
                    loss = loss * (1.0 / o.shape[0])
                self.add_loss(loss)

    def _symbolic_call(self, inputs, args, kwargs):
        """Build from placeholder shapes; return placeholders for the outputs (a Node)."""
        shapes = _structure_shapes(inputs)
        self._maybe_build(shapes)
        _check_specs(self, shapes)
        out_shape = self.compute_output_shape(shapes)
        node = Node(self, inputs, args, {k: v for k, v in kwargs.items() if v is not None})
        dtype = self.dtype

        def make(shape, index):
            return KerasTensor(shape, dtype, f"{self.name}_{index}" if index else self.name,
                               node, index)
        if isinstance(out_shape, list) and out_shape and isinstance(out_shape[0], (tuple, list)):
            node.outputs = [make(s, i) for i, s in enumerate(out_shape)]
            return list(node.outputs)
        node.outputs = [make(out_shape, 0)]
        return node.outputs[0]

    # ------------------------------------------------------------------ config
    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict (Keras's ``get_config``);
        ``input_shape=`` is not in it (Keras 3 refuses ``batch_input_shape``): a
        Sequential's config carries the shape in its ``InputLayer`` entry."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


registry.add_base("layers", Layer)


# ---------------------------------------------------------------------- helpers
def _dtype_name(dtype):
    """A dtype name from a dtype, a name, or a Keras ``DTypePolicy`` config dict."""
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    if dtype is None:
        return "float32"
    name = np.dtype(dtype).name
    return name


def _check_specs(layer, shapes):
    if layer.input_spec is None:
        return
    specs = layer.input_spec if isinstance(layer.input_spec, list) else [layer.input_spec]
    flat = shapes if isinstance(shapes, list) else [shapes]
    for i, (spec, shape) in enumerate(zip(specs, flat)):
        spec.check(layer, shape, i)


def _structure_shapes(x):
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, (list, tuple)):
        return [_structure_shapes(t) for t in x]
    if isinstance(x, dict):
        return {k: _structure_shapes(v) for k, v in x.items()}
    return x


def shape_from_json(value):
    """A shape written as a JSON list back to a tuple (lists of shapes stay lists)."""
    if isinstance(value, dict):
        return {k: shape_from_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(v is None or isinstance(v, int) for v in value):
            return tuple(value)
        return [shape_from_json(v) for v in value]
    return value


def _to_tensors(x, dtype, float_inputs=False):
    """Tensors from array-likes and Tensors: float ones in the layer's dtype (Keras's
    autocast), and with ``float_inputs`` bool/int ones too."""
    if isinstance(x, Tensor):
        kind = x.array.dtype.kind
        if kind == "f" and x.array.dtype != np.dtype(dtype):
            return ops.cast(x, np.dtype(dtype))
        if float_inputs and kind in "biu":
            return Tensor._wrap(x.array.astype(dtype))
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_tensors(t, dtype, float_inputs) for t in x)
    if isinstance(x, dict):
        return {k: _to_tensors(v, dtype, float_inputs) for k, v in x.items()}
    arr = np.asarray(x)
    if (arr.dtype.kind == "f" or float_inputs and arr.dtype.kind in "biu") \
            and arr.dtype != np.dtype(dtype):
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
