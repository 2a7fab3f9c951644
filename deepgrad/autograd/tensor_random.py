"""Tensor methods that fill the tensor with random draws, in place (``uniform_``,
``normal_``, ``bernoulli_``, ...), and the out-of-place draws ``bernoulli``/``multinomial``.

Each in-place method draws from deepgrad's default generator unless ``generator=`` is
given, checks its parameters before touching the tensor, and refuses a tensor that
requires grad while the graph is recorded (as PyTorch: fill it under ``no_grad``).
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.version_counter import bump
from deepgrad.ops import random as _random


def _number(x, where, name):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a number, received {type(x).__name__}")
    return float(x)


class TensorRandom:
    __slots__ = ()

    def _check_random_fill(self, where, floating=True):
        """Refuse a non-float tensor for a continuous draw, or one the graph records."""
        if floating and self.array.dtype.kind != "f":
            raise RuntimeError(f"{where}: draws from a continuous distribution; the tensor's "
                               f"dtype must be floating point, not {self.array.dtype}")
        self._check_inplace(where)

    def uniform_(self, a=0.0, b=1.0, *, generator=None, **kwargs):
        """Fill with draws uniform on [a, b) (PyTorch also names them ``from``/``to``)."""
        a, b = kwargs.pop("from", a), kwargs.pop("to", b)
        _no_extra(kwargs, "uniform_")
        a, b = _number(a, "uniform_", "from"), _number(b, "uniform_", "to")
        if a > b:
            raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                               f"from={a} > to={b}")
        self._check_random_fill("uniform_")
        self.array[...] = backend.rng(generator).uniform(a, b, self.shape)
        bump(self.array)
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with draws from N(mean, std^2)."""
        mean, std = _number(mean, "normal_", "mean"), _number(std, "normal_", "std")
        if std < 0:
            raise RuntimeError(f"normal_: expects std >= 0.0, but found std={std}")
        self._check_random_fill("normal_")
        self.array[...] = backend.rng(generator).normal(mean, std, self.shape)
        bump(self.array)
        return self

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with Cauchy draws: median + sigma tan(pi (u - 1/2)), u ~ U(0, 1)."""
        median, sigma = _number(median, "cauchy_", "median"), _number(sigma, "cauchy_", "sigma")
        if sigma <= 0:
            raise RuntimeError(f"cauchy_: expects sigma > 0.0, but found sigma={sigma}")
        self._check_random_fill("cauchy_")
        self.array[...] = median + sigma * backend.rng(generator).standard_cauchy(self.shape)
        bump(self.array)
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with exponential draws of rate ``lambd``: density lambd e^(-lambd x)."""
        lambd = _number(lambd, "exponential_", "lambd")
        if lambd <= 0:
            raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
        self._check_random_fill("exponential_")
        self.array[...] = backend.rng(generator).exponential(1.0 / lambd, self.shape)
        bump(self.array)
        return self

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with exp(N(mean, std^2)) draws (``mean``/``std`` of the underlying normal)."""
        mean, std = _number(mean, "log_normal_", "mean"), _number(std, "log_normal_", "std")
        if std <= 0:
            raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
        self._check_random_fill("log_normal_")
        self.array[...] = backend.rng(generator).lognormal(mean, std, self.shape)
        bump(self.array)
        return self

    def geometric_(self, p, *, generator=None):
        """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...);
        integer tensors allowed."""
        p = _number(p, "geometric_", "p")
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
        self._check_random_fill("geometric_", floating=False)
        self.array[...] = backend.rng(generator).geometric(p, self.shape)
        bump(self.array)
        return self

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 0/1 draws that are 1 with probability ``p`` (a number or a tensor of
        probabilities broadcastable to this tensor)."""
        q = getattr(p, "array", p)
        q = np.asarray(q, dtype=np.float64)
        if q.size and not (np.all(q >= 0) and np.all(q <= 1)):
            raise RuntimeError(f"bernoulli_: expects p to be in [0, 1], but got p={p}")
        self._check_random_fill("bernoulli_", floating=False)
        self.array[...] = backend.rng(generator).random(self.shape) < q
        bump(self.array)
        return self

    def random_(self, *args, generator=None, **kwargs):
        """Fill with integers uniform on [from, to - 1]: ``random_(to)`` is [0, to);
        ``random_()`` is [0, 2^mantissa] for floats (2^24 for float32, 2^53 for float64)
        and [0, max] for integer dtypes."""
        if len(args) > 2:
            raise TypeError(f"random_: expected at most 2 positional arguments, received "
                            f"{len(args)}")
        frm, to = args if len(args) == 2 else (0, args[0] if args else None)
        frm, to = kwargs.pop("from", frm), kwargs.pop("to", to)
        _no_extra(kwargs, "random_")
        d = self.array.dtype
        if to is None:
            if d.kind == "f":
                to = 2 ** (np.finfo(d).nmant + 1) + 1
            elif d.kind == "b":
                to = 2
            else:
                to = int(np.iinfo(d).max) + 1
        if frm is None:
            frm = 0
        if frm >= to:
            raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got "
                               f"from={frm} >= to={to}")
        self._check_random_fill("random_", floating=False)
        rng = backend.rng(generator)
        if to - 1 > np.iinfo(np.int64).max:
            draws = rng.integers(frm, to, size=self.shape, dtype=np.uint64)
        else:
            draws = rng.integers(frm, to, size=self.shape, dtype=np.int64)
        self.array[...] = draws
        bump(self.array)
        return self

    def bernoulli(self, p=None, *, generator=None):
        """0/1 draws with probabilities ``self`` (or the constant ``p``), in this dtype."""
        return _random.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Category indices drawn with probabilities proportional to this tensor's rows."""
        return _random.multinomial(self, num_samples, replacement, generator=generator)


def _no_extra(kwargs, where):
    if kwargs:
        raise TypeError(f"{where}: unexpected keyword argument(s) {sorted(kwargs)}")
