"""Core layers: Dense, Activation, Dropout, Flatten (Keras 3 names, arguments, defaults)."""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import activations, constraints, initializers, random, regularizers
from deepgrad.keras.layers.layer import InputSpec, Layer
from deepgrad.ops.linalg import SWAP_MIN_SIZE


class Dense(Layer):
    """y = activation(x K + b), K of shape (input_dim, units) (Keras's layout).

    Args:
        units (int): output size.
        activation: name or callable (default: linear).
        use_bias (bool): add the bias b (default True).
        kernel_initializer, bias_initializer: 'glorot_uniform' and 'zeros' by default.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the
            loss (default None).
        kernel_constraint, bias_constraint: applied after each optimizer update.
    Shape:
        (batch, ..., input_dim) -> (batch, ..., units).

    With ``activation="relu"`` or ``"sigmoid"``, the product, the bias and the activation
    are one graph node (:func:`deepgrad.ops.dense`, :mod:`deepgrad.ops.bias_act`): the
    bits of the ops one after another, with one pass for the bias and the activation
    and one node's bookkeeping fewer forward and backward. The sigmoid's output hands its
    logits x K + b on, as :func:`deepgrad.keras.activations.sigmoid` does (made from the
    same product when a binary cross-entropy asks for them).

    A large float32 kernel (:data:`deepgrad.ops.linalg.SWAP_MIN_SIZE` elements or more,
    where :func:`~deepgrad.ops.linalg._gemm` swaps a product's operands) is stored in
    Fortran order: the transpose of a C-contiguous (units, input_dim) array, PyTorch's
    ``Linear`` layout. Its shape, values and every use are Keras's; only the memory
    order differs, and with it the three products: OpenBLAS runs them as it runs
    ``nn.Linear``'s, bit for bit, which on seed 004's Dense(5408 -> 128) took 15-25% less
    time than with the C-ordered (in, out) kernel (each layout in processes of its own).
    Smaller kernels stay C-ordered: there the two orders measured within 3% of each
    other. The gradient and the optimizer's moments follow the kernel's order
    (:class:`deepgrad.ops.linalg.Linear`, ``np.zeros_like``), and ``get_weights``
    returns C-ordered copies.
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        _refuse_quantization(type(self).__name__, lora_rank, quantization_config)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense: units must be a positive integer, received units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f'Dense "{self.name}": the last dimension of the inputs must be '
                             f'known, received input shape {tuple(input_shape)}')
        self.kernel = self.add_weight(shape=(in_dim, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        k = self.kernel.array
        if k.dtype == np.float32 and k.size >= SWAP_MIN_SIZE:        # see the docstring
            self.kernel.array = np.asfortranarray(k)
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.built = True

    def call(self, inputs):
        if self.activation is activations.relu:      # max(x K + b, 0): one node, same bits
            return ops.dense(inputs, self.kernel, self.bias, activation="relu")
        if self.activation is activations.sigmoid:   # the same, handing its logits on
            y, logits = ops.dense_sigmoid(inputs, self.kernel, self.bias)
            y._keras_logits = ("sigmoid", None, logits)
            return y
        y = ops.dense(inputs, self.kernel, self.bias)
        return y if self.activation is activations.linear else self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": None}


def _refuse_quantization(cls, lora_rank, quantization_config):
    """Keras's LoRA and quantization options exist in deepgrad only at their "off" value
    (a Keras config writes ``quantization_config: null``)."""
    if lora_rank or quantization_config is not None:
        raise NotImplementedError(f"{cls}: LoRA (lora_rank) and quantization "
                                  f"(quantization_config) are not supported by deepgrad.keras")


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``."""

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 during training, scaling the rest by
    ``1 / (1 - rate)``: ``y = x * m / (1 - rate)``, ``m ~ Bernoulli(1 - rate)``.

    Args:
        rate (float): the fraction dropped, in [0, 1].
        noise_shape (tuple, optional): the shape of the mask, broadcast against the
            input; ``None`` entries take the input's size (``(None, 1, None)`` drops
            whole features for every time step).
        seed (int, optional): the layer draws its masks from its own
            ``keras.random.SeedGenerator(seed)``, so a seeded layer repeats its masks run
            after run; without one they come from deepgrad's global generator.
    """

    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout: rate must be in [0, 1], received rate={rate}")
        if noise_shape is not None and not isinstance(noise_shape, (list, tuple)):
            raise ValueError(f"Dropout: noise_shape must be a tuple (None for the input's "
                             f"sizes), received noise_shape={noise_shape!r}")
        self.rate, self.seed = rate, seed
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None and self.seed_generator is None:
            return ops.dropout(inputs, self.rate, training=True)     # the engine's op
        if self.noise_shape is not None and len(self.noise_shape) != inputs.ndim:
            raise ValueError(f'Dropout "{self.name}": noise_shape {self.noise_shape} must have '
                             f'one entry per input axis, the input has shape '
                             f'{tuple(inputs.shape)}')
        mask = random.dropout_mask(tuple(inputs.shape), self.rate, self.noise_shape,
                                   inputs.dtype, self.seed_generator)
        return inputs * Tensor._wrap(mask)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}


class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs):
        if inputs.ndim == 1:
            return ops.reshape(inputs, (inputs.shape[0], 1))
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.permute(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        n = None if any(d is None for d in rest) else int(np.prod(rest)) if rest else 1
        return (input_shape[0], n)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
