"""Random draws whose distribution parameters are tensors: bernoulli, normal, poisson,
binomial, multinomial.

A draw y ~ D(theta) is not a differentiable function of theta (no reparameterisation),
and PyTorch defines its gradient as zero: dL/dtheta = 0. The output still joins the graph
when a parameter requires grad, so ``backward`` through it runs and gives zeros, as in
PyTorch. Each draw takes ``generator=`` (a :class:`deepgrad.Generator`).
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd import function
from deepgrad.autograd.function import Function, to_tensor


class Sample(Function):
    """y = draw(theta_1, ..., theta_k); dL/dtheta_i = 0 (a draw is not differentiated)."""

    def forward(self, *params, draw=None):
        self.params = [(p.shape, p.dtype) for p in params]
        return draw(*params)

    def backward(self, g):
        return tuple(np.zeros(shape, dtype) if need else None
                     for (shape, dtype), need in zip(self.params, self.needs_grad))


def _float_tensor(x, where, name):
    x = to_tensor(x)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{where}: {name} must be a floating point tensor, received dtype "
                        f"{x.array.dtype}")
    return x


def _write_out(result, out, where):
    if out is None:
        return result
    from deepgrad.creation import finish
    return finish(result.array, where, out)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws: y_i = 1 with probability input_i (or with the constant ``p`` when given,
    in ``input``'s shape and dtype). Output dtype is ``input``'s. dL/d input = 0."""
    rng = backend.rng(generator)
    if p is not None:
        x = to_tensor(input)
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise RuntimeError(f"bernoulli: expects p to be in [0, 1], but got p={p}")
        arr = (rng.random(x.shape) < p).astype(x.array.dtype)
        return _write_out(function._Tensor._wrap(arr), out, "bernoulli")
    x = _float_tensor(input, "bernoulli", "input (the probabilities)")
    a = x.array
    if a.size and not (np.all(a >= 0) and np.all(a <= 1)):
        raise RuntimeError("bernoulli: expected every probability in [0, 1], received values "
                           f"in [{np.nanmin(a)}, {np.nanmax(a)}]")
    draw = lambda q: (rng.random(q.shape) < q).astype(q.dtype)          # noqa: E731
    return _write_out(Sample.apply(x, draw=draw), out, "bernoulli")


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    """Normal draws y = mean + std * z, z ~ N(0, 1), in PyTorch's four forms::

        normal(mean: Tensor, std: Tensor)        # broadcast shapes
        normal(mean: Tensor, std: float = 1.0)
        normal(mean: float, std: Tensor)
        normal(mean: float, std: float, size)    # + dtype/device/requires_grad

    The dtype is the tensor argument's (the default dtype for the last form).
    std must be >= 0. dL/d mean = dL/d std = 0, as PyTorch.
    """
    from deepgrad.creation import check_options, finish, float_dtype, shape_of
    rng = backend.rng(generator)
    T = function._Tensor
    if not isinstance(mean, T) and not isinstance(std, T):
        if size is None:
            raise TypeError("normal: with a float mean and a float std, size is required "
                            "(normal(mean, std, size)); or pass a tensor mean or std")
        check_options("normal", device, layout, pin_memory)
        shape = shape_of((size,), None, "normal")
        _check_std(np.asarray(std))
        d = float_dtype(dtype, out, "normal")
        arr = (float(mean) + float(std) * rng.standard_normal(shape)).astype(d)
        return finish(arr, "normal", out, requires_grad)
    if size is not None or dtype is not None or requires_grad:
        raise TypeError("normal: size, dtype and requires_grad only go with a float mean and "
                        "a float std (normal(mean, std, size, ...))")
    check_options("normal", device, layout, pin_memory)
    m = _float_tensor(mean, "normal", "mean") if isinstance(mean, T) else None
    s = _float_tensor(std, "normal", "std") if isinstance(std, T) else None
    _check_std((s if s is not None else to_tensor(std)).array)
    if m is not None and s is not None:
        draw = lambda mu, sd: (mu + sd * rng.standard_normal(np.broadcast_shapes(   # noqa: E731
            mu.shape, sd.shape))).astype(np.result_type(mu, sd))
        return _write_out(Sample.apply(m, s, draw=draw), out, "normal")
    if m is not None:
        sd = float(std)
        draw = lambda mu: (mu + sd * rng.standard_normal(mu.shape)).astype(mu.dtype)  # noqa: E731
        return _write_out(Sample.apply(m, draw=draw), out, "normal")
    mu = float(mean)
    draw = lambda sd: (mu + sd * rng.standard_normal(sd.shape)).astype(sd.dtype)      # noqa: E731
    return _write_out(Sample.apply(s, draw=draw), out, "normal")


def _check_std(std):
    if std.size and np.nanmin(std) < 0:
        raise RuntimeError(f"normal: expects std >= 0.0, but found std {np.nanmin(std)}")


def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (>= 0): P(y = k) = rate^k e^-rate / k!.
    Output in ``input``'s (floating) dtype. dL/d rate = 0."""
    x = _float_tensor(input, "poisson", "input (the rates)")
    if x.array.size and not np.all(x.array >= 0):
        raise RuntimeError("poisson: invalid Poisson rate, expected every rate to be "
                           f"non-negative, received a minimum of {np.nanmin(x.array)}")
    rng = backend.rng(generator)
    return Sample.apply(x, draw=lambda lam: rng.poisson(lam).astype(lam.dtype))


def binomial(count, prob, generator=None):
    """Binomial draws: successes in ``count`` trials of probability ``prob`` (float tensors
    of broadcastable shapes): P(y = k) = C(n, k) p^k (1 - p)^(n - k). dL/d(count, prob) = 0."""
    n = _float_tensor(count, "binomial", "count")
    p = _float_tensor(prob, "binomial", "prob")
    if n.array.size and not np.all(n.array >= 0):
        raise RuntimeError("binomial: count must be non-negative")
    if p.array.size and not (np.all(p.array >= 0) and np.all(p.array <= 1)):
        raise RuntimeError("binomial: prob must lie in [0, 1]")
    rng = backend.rng(generator)
    def draw(c, q):
        return rng.binomial(c.astype(np.int64), q).astype(np.result_type(c, q))
    return Sample.apply(n, p, draw=draw)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Category indices drawn with probabilities proportional to the weights ``input``
    (1-D: one distribution; 2-D: one per row). Without replacement a category is drawn at
    most once (sequential draws renormalised over the rest; categories of weight 0 come
    only after every positive one). Returns int64 of shape (..., num_samples).

    Args:
        input (Tensor): non-negative finite weights (need not sum to 1), shape (n,) or (m, n).
        num_samples (int): draws per distribution (at most n without replacement).
        replacement (bool): draw with replacement.
    """
    x = to_tensor(input)
    a = x.array
    if a.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, received shape {a.shape}")
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial: only supports floating-point dtypes for input, "
                           f"received {a.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"multinomial: num_samples must be an int, received "
                        f"{type(num_samples).__name__}")
    k, n = int(num_samples), a.shape[-1]
    if k <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (received {k})")
    if not replacement and k > n:
        raise RuntimeError(f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({k} > {n})")
    w = a.reshape(-1, n).astype(np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or "
                           "element < 0")
    if np.any(w.sum(axis=1) <= 0):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    rng = backend.rng(generator)
    if replacement:
        cdf = np.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        u = rng.random((w.shape[0], k))
        idx = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        idx = np.minimum(idx, n - 1)
    else:
        # Exponential race (Efraimidis-Spirakis): the k smallest E_i / w_i are a draw
        # without replacement; zero weights sort after every positive one.
        e = rng.standard_exponential(w.shape)
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, e / np.where(w > 0, w, 1), e)
        idx = np.stack([np.lexsort((kr, wr <= 0))[:k] for kr, wr in zip(keys, w)])
    result = function._Tensor._wrap(idx.reshape(a.shape[:-1] + (k,)).astype(np.int64))
    return _write_out(result, out, "multinomial")
