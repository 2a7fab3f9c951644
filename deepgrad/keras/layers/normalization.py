"""Normalisation layers: BatchNormalization, LayerNormalization (Keras 3 names and defaults).

Both normalise x over a set of axes S with the biased variance and then scale and shift:

    xhat = (x - mu_S) / sqrt(sigma^2_S + epsilon)        y = gamma xhat + beta

The math and its fused backward are :func:`deepgrad.ops.batch_norm` and
:func:`deepgrad.ops.layer_norm`. BatchNormalization calls batch_norm on the input as laid
out, with the feature axis 1 or last (``channels_last``); only another feature axis (a
middle one of a 4-D input, say) is permuted to axis 1 and back. LayerNormalization over
trailing axes (the default, axis=-1) calls layer_norm as it is; other axes are permuted to
the end and back, which measured faster than normalising over non-trailing axes in place
(numpy's reductions over strided axes).

Running statistics. Keras and PyTorch differ in two ways: Keras's ``momentum`` weighs
the *old* value (moving = moving * momentum + batch * (1 - momentum); PyTorch's momentum
is 1 - Keras's), and Keras averages the *biased* batch variance where PyTorch averages
the unbiased one. So the layer keeps the update: it calls the op in training mode with two
scratch buffers and momentum=1, which makes the op write this batch's mean and unbiased
variance into them (the statistics it normalised with), rescales the variance by
(n - 1) / n to the biased one, and applies Keras's rule to moving_mean/moving_variance.
The normalisation itself stays one implementation, in the op.
"""
import numpy as np

from deepgrad import ops
from deepgrad.keras import constraints, initializers, regularizers
from deepgrad.keras.layers.layer import InputSpec, Layer


def _axes(axis, ndim, layer):
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f'Layer "{layer.name}": axis {a} is out of bounds for an input '
                             f'of rank {ndim}. Received: axis={axis}')
        out.append(int(a) % ndim)
    return sorted(out)


class BatchNormalization(Layer):
    """Normalises each feature (along ``axis``) with batch statistics while training and
    with moving averages of them at inference.

    Args:
        axis (int): the feature axis (-1: channels-last).
        momentum (float): 0.99; moving = moving * momentum + batch * (1 - momentum).
        epsilon (float): 1e-3, added to the variance.
        center, scale (bool): learn beta / gamma.
        beta_initializer ('zeros'), gamma_initializer ('ones'),
        moving_mean_initializer ('zeros'), moving_variance_initializer ('ones'),
        beta_regularizer, gamma_regularizer.
    Weights (in this order):
        gamma (C,) if scale, beta (C,) if center, moving_mean (C,), moving_variance (C,)
        (the last two non-trainable).
    Call:
        ``training=True`` uses and updates the batch statistics, unless the layer is
        frozen (``trainable=False``), which makes it run in inference mode (Keras 3).
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        if renorm:
            raise NotImplementedError("BatchNormalization: renorm=True (batch "
                                      "renormalization) is not supported by deepgrad.keras")
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization: axis must be an int (or a list of one), "
                                 f"received axis={axis!r}")
            axis = axis[0]
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized

    def build(self, input_shape):
        (axis,) = _axes(self.axis, len(input_shape), self)
        if len(input_shape) < 2:
            raise ValueError(f'Layer "{self.name}" expects inputs of rank >= 2 (batch, ...), '
                             f'received input shape {tuple(input_shape)}')
        C = input_shape[axis]
        if C is None:
            raise ValueError(f'Layer "{self.name}": axis {self.axis} of the input shape '
                             f'{tuple(input_shape)} must be known')
        self.gamma = self.add_weight(
            shape=(C,), name="gamma", initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer,
            constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(
            shape=(C,), name="beta", initializer=self.beta_initializer,
            regularizer=self.beta_regularizer,
            constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight(shape=(C,), name="moving_mean", trainable=False,
                                           initializer=self.moving_mean_initializer)
        self.moving_variance = self.add_weight(shape=(C,), name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={axis: C})
        self.built = True

    def call(self, inputs, training=None):
        (axis,) = _axes(self.axis, inputs.ndim, self)
        last = axis == inputs.ndim - 1 and axis != 1     # the op takes axis 1 or the last
        perm = tuple(range(inputs.ndim))
        if axis not in (1, inputs.ndim - 1):
            rest = [a for a in range(inputs.ndim) if a != axis]
            perm = (rest[0], axis, *rest[1:])            # to (N, C, *)
        x = inputs if perm == tuple(range(inputs.ndim)) else ops.permute(inputs, perm)
        if training and self.trainable:
            y = self._train_step(x, last)
        else:
            y = ops.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma,
                               self.beta, training=False, eps=self.epsilon, channels_last=last)
        if perm == tuple(range(inputs.ndim)):
            return y
        return ops.permute(y, tuple(int(i) for i in np.argsort(perm)))

    def _train_step(self, x, last):
        """Normalise x, (N, C, *) or with ``last`` (N, *, C), with its batch statistics;
        update the moving averages."""
        C = x.shape[-1 if last else 1]
        n = x.array.size // C
        mean, var = np.zeros(C, x.dtype), np.zeros(C, x.dtype)
        if n > 1:
            y = ops.batch_norm(x, mean, var, self.gamma, self.beta, training=True,
                               momentum=1.0, eps=self.epsilon, channels_last=last)
            var *= (n - 1) / n                          # unbiased -> biased (Keras's rule)
        else:
            # one value per feature (a batch of one vector): Keras's mean is x and its
            # variance 0, so y = beta whatever x is; the op (like PyTorch) refuses n = 1
            # in training mode, so run it with these constants on x cut from the graph
            mean[...] = x.array.reshape(C)
            y = ops.batch_norm(x.detach(), mean, var, self.gamma, self.beta, eps=self.epsilon,
                               channels_last=last)
        m = self.momentum
        self.moving_mean.array[...] = self.moving_mean.array * m + mean * (1 - m)
        self.moving_variance.array[...] = self.moving_variance.array * m + var * (1 - m)
        return y

    def compute_output_shape(self, input_shape):
        _axes(self.axis, len(input_shape), self)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer":
                    initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized, "renorm": False, "renorm_clipping": None,
                "renorm_momentum": 0.99}


class LayerNormalization(Layer):
    """Normalises each sample over ``axis`` (the features), then y = gamma xhat + beta.

    Args:
        axis (int or list): the normalised axes (-1 by default).
        epsilon (float): 1e-3.   center, scale (bool): learn beta / gamma.
        beta_initializer ('zeros'), gamma_initializer ('ones'), regularizers.
    Weights:
        gamma, beta of shape (input_shape[a] for a in sorted axes).
    """

    float_inputs = True              # bool/int inputs become the layer's dtype
    supports_masking = True          # a mask passes through, as in Keras

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise ValueError("LayerNormalization: rms_scaling=True is deprecated in Keras 3 "
                             "and not supported here")
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer, list, tuple)):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', "
                            f"but received: {axis!r}")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        axes = _axes(self.axis, len(input_shape), self)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f'Layer "{self.name}": the normalised axes {self.axis} of the input '
                             f'shape {tuple(input_shape)} must be known')
        self.gamma = self.add_weight(
            shape=shape, name="gamma", initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer,
            constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(
            shape=shape, name="beta", initializer=self.beta_initializer,
            regularizer=self.beta_regularizer,
            constraint=self.beta_constraint) if self.center else None
        self.input_spec = InputSpec(ndim=len(input_shape), axes=dict(zip(axes, shape)))
        self.built = True

    def call(self, inputs):
        axes = _axes(self.axis, inputs.ndim, self)
        perm = tuple(a for a in range(inputs.ndim) if a not in axes) + tuple(axes)
        moved = perm != tuple(range(inputs.ndim))       # the op normalises trailing axes
        x = ops.permute(inputs, perm) if moved else inputs
        y = ops.layer_norm(x, tuple(inputs.shape[a] for a in axes), self.gamma, self.beta,
                           eps=self.epsilon)
        return ops.permute(y, tuple(int(i) for i in np.argsort(perm))) if moved else y

    def compute_output_shape(self, input_shape):
        _axes(self.axis, len(input_shape), self)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}
