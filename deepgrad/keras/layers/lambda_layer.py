"""``Lambda``: wraps a function of tensors as a layer (Keras 3's ``keras.layers.Lambda``).

The function is composed of deepgrad ops, so its gradient comes from theirs. A Lambda
lives in memory only: Python functions are not serialized (Keras stores bytecode, which
is neither portable nor safe), so :meth:`Lambda.get_config` marks the layer unserializable
and :meth:`Lambda.from_config` refuses it with an explanation.
"""
import inspect

from deepgrad.keras.layers.layer import Layer, _first_shape


def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Lambda(Layer):
    """``Lambda(lambda x: x ** 2)``: a layer that calls ``function(inputs, **arguments)``.

    Args:
        function: callable of the inputs (a tensor or a list of tensors).
        output_shape: None (found by running the function on zeros), a tuple (the shape
            of one sample, without the batch axis), or a callable input_shape -> shape.
        mask: None, or a callable (inputs, mask) -> mask, or a fixed mask.
        arguments (dict): extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, received "
                            f"{type(function).__name__}: {function!r}")
        self.function, self.mask, self.arguments = function, mask, dict(arguments or {})
        self._output_shape = output_shape
        self._fn_training = _accepts(function, "training")
        self._fn_mask = _accepts(function, "mask")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_mask:
            kwargs["mask"] = mask
        if self._fn_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = _first_shape(input_shape)[0]
        shape = self._output_shape
        if shape and isinstance(shape[0], (tuple, list)):          # one shape per output
            return [(batch,) + tuple(s) for s in shape]
        return (batch,) + tuple(shape)

    def get_config(self):
        name = getattr(self.function, "__name__", type(self.function).__name__)
        config = {**super().get_config(), "serializable": False,
                  "function": {"class_name": "__lambda__", "name": name,
                               "module": getattr(self.function, "__module__", None)},
                  "arguments": self.arguments}
        if self._output_shape is not None and not callable(self._output_shape):
            config["output_shape"] = self._output_shape
        return config

    @classmethod
    def from_config(cls, config):
        name = config.get("function", {}).get("name", "?")
        raise ValueError(f'Lambda layer "{config.get("name")}" cannot be rebuilt from its '
                         f'config: its Python function ({name}) is not serialized. Recreate '
                         f'the layer in code (or use a custom Layer subclass with get_config).')
