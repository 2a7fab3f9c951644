"""Layer wrappers: Bidirectional and TimeDistributed (Keras 3 names, arguments, weights).

    Bidirectional   y = merge(forward(x), reverse_t(backward(x)))   backward: go_backwards
    TimeDistributed y[:, t] = layer(x[:, t]) for every t, as one call on (B*T, ...)

Both only rearrange their inner layers' inputs and outputs; the computation is the inner
layers' (the engine's fused recurrent ops for Bidirectional).
"""
import copy

from deepgrad import ops
from deepgrad.keras import registry
from deepgrad.keras.layers.layer import Layer

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _serialize(layer):
    return registry.serialize(layer, "layers")


def _deserialize(entry):
    """A layer from its serialized entry, through the front's one registry."""
    return registry.deserialize(copy.deepcopy(entry), "layers")


def _copy_layer(layer, name, **changes):
    """A fresh, unbuilt layer with ``layer``'s config (Keras recreates it the same way)."""
    config = {**layer.get_config(), "name": name, **changes}
    config.pop("batch_input_shape", None)
    return type(layer).from_config(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forward and a copy of it backward in time, and merges them.

    Args:
        layer: a recurrent layer (SimpleRNN, LSTM, GRU); it is copied from its config as
            ``forward_layer`` (named ``forward_<name>``), and again with go_backwards
            flipped as ``backward_layer`` unless one is given.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (a list of both).
        backward_layer: the layer for the backward direction (its go_backwards must differ
            from ``layer``'s; return_sequences and return_state must match).
    Weights:
        the forward layer's, then the backward layer's (Keras's order).
    Shape:
        (batch, timesteps, features) -> the layer's output, with 2*units features for
        'concat'. With return_state: ``[output, *forward_states, *backward_states]``.
    Example:
        >>> Bidirectional(LSTM(8, return_sequences=True))(np.zeros((2, 5, 3))).shape
        (2, 5, 16)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a layer instance. "
                             f"Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"`backward_layer` needs to be a layer instance. Received: "
                             f"{backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should "
                             f"be one of {{'sum', 'mul', 'ave', 'concat', None}}")
        kwargs.setdefault("dtype", layer.dtype)         # compute in the wrapped layer's dtype
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy_layer(layer, "backward_" + _strip(layer.name, "backward_"),
                                         go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for sub in (self.forward_layer, self.backward_layer):   # as Keras: pad with zeros
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        self._initial_weights = weights

    def _verify_layer_config(self):
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different "
                             f"`go_backwards` value. Received: forward_layer.go_backwards="
                             f"{fwd.go_backwards}, backward_layer.go_backwards="
                             f"{bwd.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(f'Forward layer and backward layer are expected to have the '
                                 f'same value for attribute "{attr}", got '
                                 f'"{getattr(fwd, attr)}" for forward layer and '
                                 f'"{getattr(bwd, attr)}" for backward layer')

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        self.input_spec = self.forward_layer.input_spec
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=fwd_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, mask=mask,
                                    training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:                   # back to the input's time order
            y_rev = ops.getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode is None:
            return [y, y_rev] + states
        output = self._merge(y, y_rev)
        return [output] + states if self.return_state else output

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return ops.cat([y, y_rev], -1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) * 0.5
        return y * y_rev

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state or self.merge_mode is None:
            return outputs + states + states
        return shape

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        if not self.return_state and self.merge_mode is not None:
            return out
        n_states = getattr(self.forward_layer, "_n_states", 1) if self.return_state else 0
        return [out] * (2 if self.merge_mode is None else 1) + [None] * (2 * n_states)

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer),
                "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _deserialize(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: y[:, t] = layer(x[:, t]).

    The steps are folded into the batch, (B, T, ...) -> (B*T, ...), for one call of the
    layer, and unfolded after: the same weights serve every step.

    Args:
        layer: the layer to apply (e.g. ``Dense``, ``Conv2D``).
    Weights:
        the wrapped layer's.
    Shape:
        (batch, timesteps, *step_shape) -> (batch, timesteps, *layer_output_shape[1:]).
    Example:
        >>> TimeDistributed(Dense(8))(np.zeros((4, 10, 16))).shape
        (4, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a layer "
                             f"instance. Received: {layer!r}")
        kwargs.setdefault("dtype", layer.dtype)         # compute in the wrapped layer's dtype
        super().__init__(**kwargs)
        self.layer = layer

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(f'`TimeDistributed` layer "{self.name}" should be passed an '
                             f'`input_shape` with at least 3 dimensions, received: '
                             f'{input_shape}')
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._child_input_shape(input_shape))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        self._child_input_shape(shape)
        B, T = shape[0], shape[1]
        if mask is not None:                         # one mask entry per folded step
            mask = ops.reshape(mask, (B * T,) + tuple(mask.shape[2:]))
        y = self.layer(ops.reshape(inputs, (B * T,) + shape[2:]), training=training, mask=mask)
        return ops.reshape(y, (B, T) + tuple(y.shape[1:]))

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_input_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _deserialize(config["layer"])
        return cls(**config)
