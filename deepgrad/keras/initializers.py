"""Weight initializers by their Keras 3 names (``keras.initializers``).

An initializer is a callable ``init(shape, dtype='float32') -> np.ndarray``. Fans are
computed Keras's way, for kernels laid out (in, out) (Dense) or (k1, ..., kn, in, out)
(convolutions), with receptive field r = k1 * ... * kn:

    fan_in = in * r,    fan_out = out * r

Variance scaling draws with variance ``scale / n``, ``n`` = fan_in, fan_out or their mean:

    uniform:            U(-a, a),        a = sqrt(3 scale / n)
    truncated_normal:   N(0, s^2) cut at 2 s,  s = sqrt(scale / n) / 0.87962566103423978
    untruncated_normal: N(0, s^2),       s = sqrt(scale / n)

(0.8796... is the standard deviation of a unit normal truncated at +-2, so the truncated
draw keeps the intended variance.) glorot = (1, fan_avg), he = (2, fan_in), lecun =
(1, fan_in). Unseeded draws use :func:`deepgrad.backend.rng`; a seeded initializer
returns the same values on every call, as in Keras.
"""
import math

import numpy as np

from deepgrad import backend, creation
from deepgrad.keras import registry


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) of a kernel ``shape``, Keras's convention (see module docstring).

    Shapes of rank 0 give (1, 1); rank 1 gives (n, n). ``input_axes``/``output_axes``
    name the axes to multiply explicitly.
    """
    shape = tuple(int(s) for s in shape)
    if input_axes is not None and output_axes is not None:
        return (math.prod(shape[a] for a in input_axes),
                math.prod(shape[a] for a in output_axes))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _dtype(dtype):
    return backend.default_float if dtype is None else np.dtype(dtype)


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a new NumPy array.

    Subclasses defined in deepgrad.keras join the registry under their class name, its
    snake_case form and the ``aliases`` class keyword (``class Zeros(Initializer,
    aliases=("zero",))``).
    """

    def __init_subclass__(cls, aliases=(), **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("initializers", cls, *aliases)

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer, aliases=("zero",)):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return np.zeros(tuple(shape), _dtype(dtype))


class Ones(Initializer, aliases=("one",)):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(tuple(shape), _dtype(dtype))


class Constant(Initializer):
    """Every entry ``value`` (a scalar, or an array that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.array(np.broadcast_to(np.asarray(self.value, _dtype(dtype)), tuple(shape)))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if isinstance(value, np.ndarray) else value}


class Identity(Initializer, aliases=("IdentityInitializer",)):
    """``gain * I`` for 2-D shapes (a rectangular identity if not square)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices; "
                             f"received shape={tuple(shape)} of rank {len(shape)}")
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


def _check_seed(seed):
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise ValueError(f"`seed` argument should be an integer or None; received seed={seed!r}")
    return seed


def _rng(seed):
    """The global generator, or a fresh one for a fixed seed (same values every call)."""
    return backend.rng() if seed is None else np.random.default_rng(int(seed))


def _truncated_normal(rng, mean, stddev, shape):
    """N(mean, stddev^2) redrawn until within two standard deviations (TF's rule)."""
    out = rng.normal(0.0, 1.0, shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out * stddev + mean


class RandomNormal(Initializer, aliases=("normal",)):
    """N(mean, stddev^2). Keras's defaults: mean 0, stddev 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.seed = _check_seed(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _rng(self.seed).normal(self.mean, self.stddev, tuple(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(Initializer):
    """N(mean, stddev^2) restricted to ``mean +- 2 stddev``. Defaults 0 and 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.seed = _check_seed(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        out = _truncated_normal(_rng(self.seed), self.mean, self.stddev, tuple(shape))
        return out.astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(Initializer, aliases=("uniform",)):
    """U(minval, maxval). Defaults -0.05 and 0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.seed = _check_seed(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return _rng(self.seed).uniform(self.minval, self.maxval, tuple(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")


class VarianceScaling(Initializer):
    """Draws with variance ``scale / n`` (see the module docstring for the three forms).

    Args:
        scale (float): positive scaling factor.
        mode (str): 'fan_in', 'fan_out' or 'fan_avg'.
        distribution (str): 'truncated_normal' ('normal' is an alias), 'untruncated_normal'
            or 'uniform'.
        seed (int, optional): fixed seed.
        input_axes, output_axes (list of int, optional): the axes whose sizes multiply into
            ``fan_in`` and ``fan_out`` (both or neither; default: Keras's kernel layouts).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        self.seed = _check_seed(seed)
        if (input_axes is None) != (output_axes is None):
            raise ValueError(f"VarianceScaling: pass both input_axes and output_axes or "
                             f"neither; received input_axes={input_axes!r}, "
                             f"output_axes={output_axes!r}")
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float; received scale={scale}")
        distribution = distribution.lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}; expected one of {_MODES}")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}; expected one "
                             f"of {_DISTRIBUTIONS} (or 'normal')")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        rng = _rng(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            out = rng.uniform(-limit, limit, shape)
        elif self.distribution == "truncated_normal":
            out = _truncated_normal(rng, 0.0, math.sqrt(scale) / 0.87962566103423978, shape)
        else:
            out = rng.normal(0.0, math.sqrt(scale), shape)
        return out.astype(_dtype(dtype))

    def get_config(self):
        axes = {"input_axes": self.input_axes, "output_axes": self.output_axes}
        if type(self) is not VarianceScaling:       # the named forms: only these vary
            return {"seed": self.seed, **axes}
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, **axes}


class GlorotUniform(VarianceScaling):
    """U(-a, a), ``a = sqrt(6 / (fan_in + fan_out))`` (Keras's default kernel init)."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)


class GlorotNormal(VarianceScaling):
    """Truncated normal, std ``sqrt(2 / (fan_in + fan_out)) / 0.8796``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)


class HeUniform(VarianceScaling):
    """U(-a, a), ``a = sqrt(6 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)


class HeNormal(VarianceScaling):
    """Truncated normal, std ``sqrt(2 / fan_in) / 0.8796``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class LecunUniform(VarianceScaling):
    """U(-a, a), ``a = sqrt(3 / fan_in)``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)


class LecunNormal(VarianceScaling):
    """Truncated normal, std ``sqrt(1 / fan_in) / 0.8796``."""

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)


class Orthogonal(Initializer, aliases=("OrthogonalInitializer",)):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal
    matrix with the signs of R's diagonal folded in (so Q is uniformly distributed).
    Shapes of rank > 2 are flattened to (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        self.seed = _check_seed(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional; "
                             f"received shape={shape} of rank {len(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = _rng(self.seed).normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


_WINDOWS = {"hann": "hann_window", "hanning": "hann_window", "hamming": "hamming_window",
            "blackman": "blackman_window", "bartlett": "bartlett_window"}


class STFT(Initializer, aliases=("STFTInitializer",)):
    """Conv1D kernels of a short-time Fourier transform, shape ``(T, 1, F // 2 + 1)``.

    ``kernel[t, 0, f] = cos(-2 pi t f / F) * w[t] / s`` for ``side="real"`` (``sin`` for
    ``"imag"``), ``F = 2 (shape[-1] - 1)``, ``w`` the window (``"hann"``, ``"hamming"``,
    ``"blackman"``, ``"bartlett"`` as deepgrad's window functions, an array of length T, or
    None) and ``s = sqrt(sum w^2)`` (``"density"``), ``sum |w|`` (``"spectrum"``) or 1.

    Args:
        side (str): ``"real"`` or ``"imag"``.
        window (str | array | None): the window; ``periodic`` as SciPy's ``fftbins``.
        scaling (str | None): ``"density"``, ``"spectrum"`` or None.
        periodic (bool): a periodic (DFT-even) window instead of a symmetric one.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(f"Unknown window {window!r}: deepgrad knows {sorted(_WINDOWS)} "
                             f"(or pass the window's values as an array)")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling!r}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def _window(self, frame_length):
        if isinstance(self.window, str):
            make = getattr(creation, _WINDOWS[self.window])
            return make(frame_length, periodic=self.periodic, dtype=np.float64).numpy()
        win = np.asarray(self.window, np.float64)
        if win.shape != (frame_length,):
            raise ValueError(f"The shape of `window` must be equal to [frame_length]. "
                             f"Received: window shape={win.shape}, frame_length={frame_length}")
        return win

    def __call__(self, shape, dtype=None):
        if len(shape) != 3:
            raise ValueError(f"STFT expects a shape (frame_length, channels, fft_bins); "
                             f"received {tuple(shape)}")
        frame_length, _, bins = shape
        time = np.arange(frame_length, dtype=np.float64).reshape(-1, 1, 1)
        freq = np.arange(bins, dtype=np.float64).reshape(1, 1, -1) / ((bins - 1) * 2)
        args = -2.0 * time * freq * np.pi
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = self._window(frame_length).reshape(-1, 1, 1)
            scale = {"density": np.sqrt(np.sum(win ** 2)), "spectrum": np.sum(np.abs(win)),
                     None: 1.0}[self.scaling]
            kernel = kernel * win / scale
        return kernel.astype(_dtype(dtype))

    def get_config(self):
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


registry.add_base("initializers", Initializer)


def get(identifier):
    """An initializer from a name (``'glorot_uniform'``, ``'HeNormal'``) or class (a default
    instance), a config dict, a callable (itself) or None, through the one registry (a
    ValueError lists the valid names)."""
    return registry.get("initializers", identifier)


def serialize(initializer):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}``; None stays None."""
    return registry.serialize(initializer, "initializers")


def deserialize(config, custom_objects=None):
    """An Initializer from :func:`serialize`'s dict or from a name."""
    return get(registry.deserialize(config, "initializers", custom_objects))


# Keras 3's module-level aliases (keras.initializers.glorot_uniform is the class)
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
constant, identity, ones, zeros = Constant, Identity, Ones, Zeros
orthogonal, stft = Orthogonal, STFT
glorot_normal, glorot_uniform = GlorotNormal, GlorotUniform
he_normal, he_uniform = HeNormal, HeUniform
lecun_normal, lecun_uniform, variance_scaling = LecunNormal, LecunUniform, VarianceScaling
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
