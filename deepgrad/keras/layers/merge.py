"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and
their functional forms ``add``, ``subtract``, ... (Keras 3 names and shape rules).

Each takes a list of tensors. The elementwise merges broadcast as Keras does: per
trailing axis, sizes must be equal or 1 (None, unknown, matches anything), and a
lower-rank input first gets size-1 axes inserted after the batch axis. The math is the
engine's elementwise ops (add, mul, maximum, ...), ``cat`` and ``matmul``.

    Dot(axes)([x1, x2])[b, i..., j...] = sum_k x1[b, i..., k] x2[b, j..., k]
    (the contracted axes moved last; normalize=True first divides each input by its
    L2 norm along the contracted axis, max(||x||, 1e-7) as Keras)
"""
import functools

from deepgrad import ops
from deepgrad.keras.layers.layer import Layer

_EPSILON = 1e-7


def _broadcast(shape1, shape2, layer, shapes):
    """Keras's elementwise output shape of two sample shapes (batch axis excluded)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            raise ValueError(f'Layer "{layer.name}": inputs have incompatible shapes. '
                             f'Received shapes {[tuple(s) for s in shapes]}')
    return tuple(out)


class _Merge(Layer):
    """Base of the merge layers: a list of inputs reduced pairwise by ``_merge``."""

    min_inputs, max_inputs = 1, None

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f'A merge layer ("{self.name}") should be called on a list of '
                             f'inputs. Received: input_shape={shapes}')
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            count = self.min_inputs if self.max_inputs == self.min_inputs else \
                f"at least {self.min_inputs}"
            raise ValueError(f'A `{type(self).__name__}` layer ("{self.name}") should be called '
                             f'on {count} inputs. Received {n} inputs with shapes '
                             f'{[tuple(s) for s in shapes]}')
        batches = {s[0] for s in shapes if len(s)} - {None}
        if len(batches) > 1:
            raise ValueError(f'Layer "{self.name}": cannot merge tensors with different batch '
                             f'sizes. Received tensors with shapes {[tuple(s) for s in shapes]}')

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = _broadcast(out, tuple(shape[1:]), self, input_shape)
        batches = {s[0] for s in input_shape} - {None}
        return (batches.pop() if len(batches) == 1 else None,) + out

    def call(self, inputs):
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        rank = max(x.ndim for x in inputs)
        xs = [x if x.ndim == rank else ops.reshape(x, (x.shape[0],) + (1,) * (rank - x.ndim)
                                                   + tuple(x.shape[1:])) for x in inputs]
        return self._merge(xs)

    def _merge(self, xs):
        return functools.reduce(self._pair, xs)


class Add(_Merge):
    """Elementwise sum of the inputs: ``Add()([x1, x2, ...])``."""

    _pair = staticmethod(ops.add)


class Subtract(_Merge):
    """``x1 - x2`` of exactly two inputs."""

    min_inputs = max_inputs = 2
    _pair = staticmethod(ops.sub)


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    _pair = staticmethod(ops.mul)


class Average(_Merge):
    """Elementwise mean of the inputs: (x1 + ... + xn) / n."""

    _pair = staticmethod(ops.add)

    def _merge(self, xs):
        return super()._merge(xs) * (1.0 / len(xs))


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    _pair = staticmethod(ops.maximum)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    _pair = staticmethod(ops.minimum)


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (-1 by default); other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        ranks = {len(s) for s in input_shape}
        first = input_shape[0]
        axis = self.axis % len(first) if len(ranks) == 1 else None
        if axis is None or axis == 0 or any(
                a is not None and b is not None and a != b
                for s in input_shape[1:] for i, (a, b) in enumerate(zip(first, s)) if i != axis):
            raise ValueError(f'A `Concatenate` layer ("{self.name}") requires inputs with '
                             f'matching shapes except for the concatenation axis {self.axis}. '
                             f'Received: input_shape={[tuple(s) for s in input_shape]}')
        out = list(first)
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if None in sizes else sum(sizes)
        for i in range(len(out)):
            if i != axis and out[i] is None:
                out[i] = next((s[i] for s in input_shape if s[i] is not None), None)
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return ops.cat(list(inputs), dim=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Batched dot product of two inputs along ``axes`` (see the module docstring).

    Args:
        axes: int (the same axis of both) or (axis1, axis2); the batch axis 0 excluded.
        normalize (bool): L2-normalise both inputs along the axes first (cosine
            similarity for vectors).
    Shape:
        (batch, d) . (batch, d) -> (batch, 1); (batch, m, d) . (batch, n, d), axes=2
        -> (batch, m, n).
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int) and not (isinstance(axes, (list, tuple)) and len(axes) == 2
                                              and all(isinstance(a, int) for a in axes)):
            raise ValueError(f"Invalid format for argument `axes`: it should be an int or a "
                             f"list of two ints. Received: axes={axes!r}")
        self.axes = axes if isinstance(axes, int) else tuple(axes)
        self.normalize = bool(normalize)

    def _pair_axes(self, shapes):
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return tuple(a % len(s) for a, s in zip(axes, shapes))

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        s1, s2 = (tuple(s) for s in input_shape)
        a1, a2 = self._pair_axes((s1, s2))
        if a1 == 0 or a2 == 0 or (s1[a1] is not None and s2[a2] is not None
                                  and s1[a1] != s2[a2]):
            raise ValueError(f'Layer "{self.name}": incompatible input shapes: axis values '
                             f'{s1[a1]} (at axis {a1}) != {s2[a2]} (at axis {a2}). Full input '
                             f'shapes: {s1}, {s2}')
        out = s1[:a1] + s1[a1 + 1:] + (s2[:a2] + s2[a2 + 1:])[1:]
        return out if len(out) > 1 else out + (1,)

    def call(self, inputs):
        x1, x2 = inputs
        out_shape = self.compute_output_shape([tuple(x1.shape), tuple(x2.shape)])
        a1, a2 = self._pair_axes((x1.shape, x2.shape))
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        x1 = ops.permute(x1, [a for a in range(x1.ndim) if a != a1] + [a1])   # (B, ..., k)
        x2 = ops.permute(x2, [0, a2] + [a for a in range(1, x2.ndim) if a != a2])  # (B, k, ...)
        B, k = x1.shape[0], x1.shape[-1]
        y = ops.matmul(ops.reshape(x1, (B, -1, k)), ops.reshape(x2, (B, k, -1)))
        return ops.reshape(y, out_shape)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    """x / max(||x||, eps), as x / sqrt(max(sum x^2, eps^2)) (finite gradient at x = 0)."""
    return x / ops.sqrt(ops.clip(ops.sum(x * x, axis, keepdim=True), _EPSILON ** 2, None))


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of :class:`Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
