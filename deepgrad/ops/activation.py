"""Activation functions: the nonlinearities of the seeds, forward and backward side by side.

sigmoid, tanh, ReLU and softmax are the seeds' activations (seed 000, section 3):

    sigmoid(x) = 1 / (1 + e^-x)              d/dx = s (1 - s)
    tanh(x)    = (e^x - e^-x)/(e^x + e^-x)   d/dx = 1 - tanh^2
    relu(x)    = max(0, x)                   d/dx = [x > 0]
    softmax(x)_i = e^{x_i} / sum_j e^{x_j}   J = diag(s) - s s^T

and their smooth relatives (ELU/SELU/CELU, GELU, softplus, SiLU, Mish, log-sigmoid,
softsign, tanhshrink, GLU). Softmax, which is not elementwise, and its family (log-softmax,
softmin, Gumbel-softmax) are in ``activation_softmax``; the piecewise-linear ones (hardtanh,
ReLU6, hard sigmoid/swish/shrink, threshold, PReLU, RReLU) in ``activation_piecewise``.
The in-place forms (``relu_``, ``inplace=True``) follow :mod:`deepgrad.ops._inplace`.
"""
import math

import numpy as np

from deepgrad import kernels
from deepgrad.autograd.function import Function, to_tensor
from deepgrad.ops import _inplace
from deepgrad.ops._promote import as_float
from deepgrad.ops._util import normalize_axis
from deepgrad.ops.elementwise import abs as _abs
from deepgrad.ops.layout import dense
from deepgrad.ops.shape import split
from deepgrad import parallel


class ReLU(Function):
    """max(x, 0); a large float input is split over the threads (``parallel.map_flat``).
    Backward, g [y > 0], is one compiled pass where the kernels are on
    (:mod:`deepgrad.kernels.activation`, same bits), written into g itself when the
    engine hands over a g that nothing else holds (``grad_free``). An input stored channels-last
    (:mod:`deepgrad.ops.layout`) is worked on as stored, and y keeps that layout.
    (:class:`deepgrad.ops.linalg.Linear` applies the same two functions for a dense layer
    with a ReLU; :class:`deepgrad.ops.pool.MaxPool` does the backward's masking for a pool
    that takes y, and sets ``premasked`` to the gradient it returns.)"""

    def forward(self, x):
        self.out = relu_forward(x)
        return self.out

    def backward(self, g):
        if g is self.__dict__.pop("premasked", None) and self._meta is None:
            return g           # a max pool's backward did the masking on the pooled size
        return relu_backward(g, self.out, self.__dict__.get("grad_free"))


def relu_forward(x, out=None):
    """max(x, 0) into ``out`` (a new array in x's layout by default; ``out=x``: in place);
    one compiled pass where the kernels are on (:mod:`deepgrad.kernels.activation`, the
    bits of ``np.maximum``), else NumPy's."""
    k = _compiled_relu_forward(x) if x.size >= MIN_COMPILED_RELU else None
    xd = None
    if k is not None or (x.dtype.kind == "f"
                         and not parallel.serial(x.size, parallel.MIN_ELEMENTWISE)):
        xd = dense(x)
    if xd is not None:
        if out is None:
            out = np.empty_like(x)                 # x's layout
        if k is not None:
            parallel.map_flat(k, dense(out)[0], xd[0])
        else:
            parallel.map_flat(np.maximum, dense(out)[0], xd[0], 0)
        return out
    return np.maximum(x, 0, out=out)               # keeps x's layout too


#: Below this many elements ReLU's forward stays ``np.maximum``: the compiled path's
#: fixed cost (its Python wrapper and argument checks, about 2 us) is more than it saves.
#: Measured through :func:`relu_forward`, float32, one thread: np.maximum 2.4 us and the
#: kernel path 4.0 at 1024 elements, 4.3 and 4.4 at 8192, 7.3 and 5.0 at 16384, 108 and
#: 29 at 262144.
MIN_COMPILED_RELU = 8192


def _flat_kernel(k, inputs=1):
    """``(x, out) -> out`` (``inputs=2``: ``(a, b, out) -> out``): the kernel ``k`` (a
    ``kernels.get`` result, asked for by its literal name so that the build's tests see
    it) on the flattened arrays (for :func:`deepgrad.parallel.map_flat`), or None when
    ``k`` is None (kernels off). Made once per kernel: the wrapper is on every small
    ReLU's path, where building it per call cost 0.2 us (5% of a 32 x 64 backward)."""
    if k is None:
        return None
    run = _FLAT.get(k)
    if run is None:
        def one(x, out):
            k(x.reshape(-1), out.reshape(-1))
            return out

        def two(a, b, out):
            k(a.reshape(-1), b.reshape(-1), out.reshape(-1))
            return out
        run = _FLAT[k] = one if inputs == 1 else two
    return run


_FLAT = {}          # kernel -> its wrapper (the build's and numba's kernels differ)


def _compiled_relu_forward(x):
    """``(x, out=y) -> y``, y = max(x, 0) by the compiled kernel, or None: kernels off or a
    dtype it does not take."""
    if x.dtype not in kernels.FLOATS:
        return None
    return _flat_kernel(kernels.get("activation", "relu_forward"))


def relu_backward(g, out, free):
    """g [out > 0], for y = max(x, 0) = ``out``; into g itself when ``free`` (the engine's
    ``grad_free``: g is nobody else's, so one array of the activations' size fewer at
    backward's peak, and no new memory to touch)."""
    if g.flags.c_contiguous and out.flags.c_contiguous and g.shape == out.shape:
        pair = (g, out)                            # the common case, checked cheaply
    else:
        pair = dense(g, out)
        if pair is None and g.dtype == out.dtype and g.shape == out.shape \
                and dense(out) is not None:
            # g in another layout (a transposed Dense gradient, an NCHW g for a y stored
            # channels-last): one copy into y's layout, then the one-pass mask in place,
            # against a product over mixed layouts and a mask array (cnn_cifar's second
            # pool output, 64 x 64 x 6 x 6 stored channels-last, g NCHW: 573 -> 118 us)
            g, free = _in_layout_of(out, g), True
            pair = dense(g, out)
    if pair is None or g.dtype.kind != "f":
        return g * (out > 0)
    gx = g if free else np.empty_like(g)           # g's layout
    gd, yd = pair
    gxd = gx if gd is g else dense(gx)[0]
    k = _compiled_relu_backward(gd, yd)
    if k is not None:                              # one pass (deepgrad.kernels.activation)
        parallel.map_flat(k, gxd, gd, yd)
    elif parallel.serial(g.size, parallel.MIN_ELEMENTWISE):
        np.multiply(gd, yd > 0, out=gxd)
    else:
        positive = parallel.map_flat(np.greater, np.empty(yd.shape, bool), yd, 0)
        parallel.map_flat(np.multiply, gxd, gd, positive)
    return gx


def _in_layout_of(like, a):
    """A copy of ``a`` in ``like``'s memory layout."""
    copy = np.empty_like(like)
    np.copyto(copy, a)
    return copy


def _compiled_relu_backward(g, out):
    """``(g, y, out=gx) -> gx``, gx = g [y > 0] by the compiled kernel, or None: kernels
    off, or arrays it does not take (dtypes other than one float32/float64, shapes that
    differ, non-contiguous)."""
    if g.dtype != out.dtype or g.dtype not in kernels.FLOATS or g.shape != out.shape \
            or not (g.flags.c_contiguous and out.flags.c_contiguous):
        return None
    return _flat_kernel(kernels.get("activation", "relu_backward"), inputs=2)


class LeakyReLU(Function):
    def forward(self, x, slope=0.01):
        self.mask, self.slope = x > 0, slope
        return np.where(self.mask, x, x * np.asarray(slope, x.dtype))

    def backward(self, g):
        return np.where(self.mask, g, g * np.asarray(self.slope, g.dtype))


class ELU(Function):
    """The ELU family: y = scale x (x > 0), scale alpha (e^{input_scale x} - 1) (x <= 0).

    ELU is (alpha, 1, 1), SELU (1.6733, 1.0507, 1), CELU (alpha, 1, 1/alpha).
    """

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        self.mask = x > 0
        neg = np.minimum(x, 0)
        if input_scale != 1.0:
            neg = neg * np.asarray(input_scale, x.dtype)
        self.neg = np.asarray(alpha, x.dtype) * np.expm1(neg)
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        out = np.where(self.mask, x, self.neg)
        return out if scale == 1.0 else out * np.asarray(scale, x.dtype)

    def backward(self, g):
        # d/dx alpha (e^{s x} - 1) = s alpha e^{s x} = s (neg + alpha)
        dneg = self.neg + np.asarray(self.alpha, g.dtype)
        if self.input_scale != 1.0:
            dneg = dneg * np.asarray(self.input_scale, g.dtype)
        gx = np.where(self.mask, g, g * dneg)
        return gx if self.scale == 1.0 else gx * np.asarray(self.scale, g.dtype)


def _erf(x):
    """The error function, elementwise, to double precision (math.erf per element)."""
    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x), dtype=x.dtype)


class GELU(Function):
    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = np.asarray(math.sqrt(2 / math.pi), x.dtype)
            self.t = np.tanh(k * (x + np.asarray(0.044715, x.dtype) * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + _erf(x / np.asarray(math.sqrt(2), x.dtype)))
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            k = np.asarray(math.sqrt(2 / math.pi), x.dtype)
            dinner = k * (1 + np.asarray(3 * 0.044715, x.dtype) * x * x)
            return g * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * dinner)
        pdf = np.exp(-0.5 * x * x) * np.asarray(1 / math.sqrt(2 * math.pi), x.dtype)
        return g * (self.cdf + x * pdf)


def _sigmoid(x):
    """The logistic function 1 / (1 + e^-x), within 3.5 ulp everywhere (NumPy's exp).

    In the tails e^-x overflows to inf (x < -88.7 in float32) and the quotient goes to
    its limit, 0, with no warning (nor for underflow). Accurate in relative terms where
    sigma is tiny: the tanh form 0.5 (1 + tanh(x/2)) cancels there (float32 sigma(-20) =
    2.1e-9 came out 0).
    A float32 array is one compiled pass where the kernels are on
    (:func:`deepgrad.kernels.activation.sigmoid32`, to 2.2 ulp; NumPy's path makes four
    passes, its ``exp`` 1.7 ns a value without AVX-512: the autoencoder's 256 x 784 output
    takes 617 us by tanh, 380 by exp, 190 compiled)."""
    k = _compiled_sigmoid(x) if x.ndim else None
    if k is not None:
        xd = dense(x)
        if xd is not None:
            out = np.empty_like(x)                 # x's layout
            parallel.map_flat(k, dense(out)[0], xd[0], cost=SIGMOID_COST)
            return out
    with np.errstate(over="ignore", under="ignore"):
        if x.ndim == 0:
            return np.asarray(1 / (1 + np.exp(-x)), x.dtype)
        out = np.negative(x)            # in place from here: 4 passes, 1 allocation
        np.exp(out, out=out)
    out += 1
    np.divide(1, out, out=out)
    return out


#: The compiled sigmoid's time per element over a copy's (0.95 ns / 0.12, AVX2), so it splits
#: from 2^17 elements: 2 threads vs 1, 202 -> 167 us on 256 x 784, 795 -> 515 on 1024 x 784.
SIGMOID_COST = 8


def _compiled_sigmoid(x):
    """``(x, out=y) -> y``, y = sigma(x) by the compiled float32 kernel, or None: kernels
    off or not float32."""
    if x.dtype != np.float32:
        return None
    return _flat_kernel(kernels.get("activation", "sigmoid_forward"))


def sigmoid_backward(g, s, free):
    """dL/dx = g s (1 - s) for s = sigma(x); one compiled pass where the kernels are on
    (the same bits as ``g * s * (1 - s)``), into g itself when ``free`` (the engine's
    ``grad_free``)."""
    pair = dense(g, s) if g.dtype == s.dtype and g.dtype in kernels.FLOATS else None
    k = None if pair is None else _flat_kernel(kernels.get("activation", "sigmoid_backward"),
                                               inputs=2)
    if k is None:
        return g * s * (1 - s)
    gx = g if free else np.empty_like(g)          # g's layout
    gd, sd = pair
    parallel.map_flat(k, gx if gd is g else dense(gx)[0], gd, sd)
    return gx


class Sigmoid(Function):
    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, g):
        return sigmoid_backward(g, self.out, self.__dict__.get("grad_free"))


class Tanh(Function):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Softplus(Function):
    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * np.asarray(beta, x.dtype)
        soft = (np.logaddexp(bx, np.zeros((), x.dtype))) / np.asarray(beta, x.dtype)
        return np.where(bx > threshold, x, soft)

    def backward(self, g):
        bx = self.x * np.asarray(self.beta, self.x.dtype)
        return np.where(bx > self.threshold, g, g * _sigmoid(bx))


class SiLU(Function):
    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


class Mish(Function):
    """y = x tanh(softplus(x)).   dy/dx = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x))."""

    def forward(self, x):
        self.x = x
        self.t = np.tanh(np.logaddexp(np.zeros((), x.dtype), x))
        return x * self.t

    def backward(self, g):
        t = self.t
        return g * (t + self.x * (1 - t * t) * _sigmoid(self.x))


class LogSigmoid(Function):
    """y = log sigmoid(x) = min(x, 0) - log(1 + e^{-|x|}).   dy/dx = sigmoid(-x)."""

    def forward(self, x):
        self.x = x
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def backward(self, g):
        return g * _sigmoid(-self.x)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _floating(name, x):
    """``x`` as a tensor, refusing integer and bool inputs (the formula needs floats)."""
    x = to_tensor(x)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, received dtype {x.dtype}")
    return x


def _maybe_inplace(name, input, inplace, fn):
    """``fn(input)``, or its in-place form when ``inplace`` (rule: :mod:`deepgrad.ops._inplace`)."""
    return _inplace.run(name, input, fn, explicit=False) if inplace else fn(input)


def relu(input, inplace=False):
    """ReLU(x) = max(0, x).   d/dx = 1 where x > 0, else 0.

    ``inplace=True`` overwrites ``input`` (see :mod:`deepgrad.ops._inplace` for a recorded
    input).
    """
    if inplace:
        return _inplace.run("relu", input, relu, explicit=False)
    return ReLU.apply(to_tensor(input))


def relu_(input):
    """In-place :func:`relu` (refuses a tensor that is being recorded, before any change)."""
    return _inplace.run("relu_", input, relu, explicit=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x.   d/dx = 1 or negative_slope."""
    fn = lambda x: LeakyReLU.apply(_floating("leaky_relu", x), slope=negative_slope)
    return _maybe_inplace("leaky_relu", input, inplace, fn)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return _inplace.run("leaky_relu_", input, lambda x: leaky_relu(x, negative_slope), True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha (e^x - 1).   d/dx = 1 or alpha e^x."""
    fn = lambda x: ELU.apply(_floating("elu", x), alpha=alpha)
    return _maybe_inplace("elu", input, inplace, fn)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return _inplace.run("elu_", input, lambda x: elu(x, alpha), True)


def selu(input, inplace=False):
    """SELU(x) = scale (max(0, x) + min(0, alpha (e^x - 1))), the self-normalising constants
    alpha = 1.6732632423543772, scale = 1.0507009873554805.

    d/dx = scale (x > 0), scale alpha e^x (x <= 0).
    """
    fn = lambda x: ELU.apply(_floating("selu", x), alpha=_SELU_ALPHA, scale=_SELU_SCALE)
    return _maybe_inplace("selu", input, inplace, fn)


def selu_(input):
    """In-place :func:`selu`."""
    return _inplace.run("selu_", input, selu, True)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, alpha (e^{x/alpha} - 1)).   d/dx = 1 or e^{x/alpha}."""
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (the formula divides by it), received alpha=0")
    fn = lambda x: ELU.apply(_floating("celu", x), alpha=alpha, input_scale=1.0 / alpha)
    return _maybe_inplace("celu", input, inplace, fn)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return _inplace.run("celu_", input, lambda x: celu(x, alpha), True)


def gelu(input, approximate="none"):
    """GELU(x) = x Phi(x), Phi the standard normal CDF = (1 + erf(x/sqrt 2)) / 2.

    d/dx = Phi(x) + x phi(x). ``approximate='tanh'``: Phi(x) ~ (1 + tanh(sqrt(2/pi)
    (x + 0.044715 x^3))) / 2, as PyTorch.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', received {approximate!r}")
    return GELU.apply(to_tensor(input), approximate=approximate)


def sigmoid(input):
    """sigmoid(x) = 1 / (1 + e^-x), computed as (1 + tanh(x/2)) / 2 (no overflow).

    d/dx = s (1 - s), from the saved output s. An integer or bool tensor is promoted to
    the default float dtype first, as PyTorch does.
    """
    x = to_tensor(input)
    if x.array.dtype.kind in "biu":
        x = as_float(x)
    return Sigmoid.apply(x)


def tanh(input):
    """tanh(x) = (e^x - e^-x) / (e^x + e^-x).   d/dx = 1 - tanh(x)^2.

    An integer or bool tensor is promoted to the default float dtype first, as PyTorch does.
    """
    x = to_tensor(input)
    if x.array.dtype.kind in "biu":
        x = as_float(x)
    return Tanh.apply(x)


def softplus(input, beta=1.0, threshold=20.0):
    """softplus(x) = ln(1 + e^{beta x}) / beta, linear where beta x > threshold.

    d/dx = sigmoid(beta x).
    """
    return Softplus.apply(to_tensor(input), beta=beta, threshold=threshold)


def silu(input, inplace=False):
    """SiLU(x) = x sigmoid(x) (swish).   d/dx = s (1 + x (1 - s))."""
    return _maybe_inplace("silu", input, inplace, lambda x: SiLU.apply(_floating("silu", x)))


def mish(input, inplace=False):
    """Mish(x) = x tanh(softplus(x)).   d/dx = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x))."""
    return _maybe_inplace("mish", input, inplace, lambda x: Mish.apply(_floating("mish", x)))


def logsigmoid(input):
    """log sigmoid(x) = -softplus(-x), computed as min(x, 0) - log(1 + e^{-|x|}).

    d/dx = sigmoid(-x) = 1 - sigmoid(x).
    """
    return LogSigmoid.apply(_floating("logsigmoid", input))


def softsign(input):
    """softsign(x) = x / (1 + |x|).   d/dx = 1 / (1 + |x|)^2 (a composition)."""
    x = _floating("softsign", input)
    return x / (_abs(x) + 1)


def tanhshrink(input):
    """tanhshrink(x) = x - tanh(x).   d/dx = tanh(x)^2 (a composition)."""
    x = _floating("tanhshrink", input)
    return x - tanh(x)


def glu(input, dim=-1):
    """Gated linear unit: split ``input`` in halves a, b along ``dim``; GLU = a * sigmoid(b).

    d/da = sigmoid(b), d/db = a s (1 - s) (a composition of split, sigmoid and mul).
    """
    x = _floating("glu", input)
    if x.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    d = normalize_axis(dim, x.ndim)
    if x.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} is size "
                           f"{x.shape[d]}")
    h = x.shape[d] // 2
    a, b = split(x, [h, h], d)
    return a * sigmoid(b)
