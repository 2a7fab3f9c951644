"""Adaptive pooling (Keras 3.15): Adaptive{Average,Max}Pooling{1,2,3}D.

Output cell i of an axis of length L pooled to n covers inputs
``floor(i L / n) .. ceil((i + 1) L / n) - 1`` (PyTorch's rule, which Keras follows); the
engine's ``adaptive_{avg,max}_pool{1,2,3}d`` compute it on a channels-first view.
"""
from deepgrad import ops
from deepgrad.keras.layers.conv import normalize_data_format, normalize_tuple
from deepgrad.keras.layers.layer import InputSpec, Layer


class _AdaptivePooling(Layer):
    rank = 2
    mode = "average"
    float_inputs = True

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = normalize_tuple(output_size, self.rank, "output_size")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        last = self.data_format == "channels_last"
        x = ops.movedim(inputs, -1, 1) if last else inputs
        name = f"adaptive_{'avg' if self.mode == 'average' else 'max'}_pool{self.rank}d"
        y = getattr(ops, name)(x, self.output_size)
        return ops.movedim(y, 1, -1) if last else y

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0],) + self.output_size + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + self.output_size

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over adaptive windows of the steps: (N, L, C) -> (N, output_size, C)."""

    rank, mode = 1, "average"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive windows: (N, H, W, C) -> (N, h, w, C)."""

    rank, mode = 2, "average"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive windows of a volume."""

    rank, mode = 3, "average"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max over adaptive windows of the steps."""

    rank, mode = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max over adaptive windows of an image."""

    rank, mode = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max over adaptive windows of a volume."""

    rank, mode = 3, "max"
