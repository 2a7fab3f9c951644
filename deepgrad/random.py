"""Random tensors and the random state, PyTorch's ``torch.random`` names plus the random
factories (``rand``, ``randn``, ``randint``, ``randperm`` and their ``*_like``).

Every function draws from deepgrad's default :class:`~deepgrad.Generator` unless a
``generator=`` is given. ``manual_seed(s)`` makes runs reproducible; deepgrad draws with
NumPy's PCG64, so the numbers differ from PyTorch's for the same seed.
The distribution draws with tensor parameters (``bernoulli``, ``normal``, ``poisson``,
``binomial``, ``multinomial``) live in :mod:`deepgrad.ops.random`.
"""
import contextlib

import numpy as np

from deepgrad import backend
from deepgrad.backend import Generator, default_generator, manual_seed  # noqa: F401
from deepgrad.creation import (check_options, finish, float_dtype, resolve_dtype, shape_of,
                               _like_dtype, _like_layout)


# ------------------------------------------------------------------------------ state
def seed():
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor (see :func:`set_rng_state`)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator's state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Context manager: random draws inside it leave the default generator (and NumPy's
    legacy global state, which ``manual_seed`` also seeds) as they were before.

    Args:
        devices: accelerator devices whose generators to fork; deepgrad has none, so only
            None or an empty list is accepted.
        enabled (bool): False makes the context manager do nothing.
    """
    if devices:
        from deepgrad.device import no_such_device
        raise no_such_device(f"{device_type}:{list(devices)[0]}", _caller)
    if not enabled:
        yield
        return
    state, legacy = default_generator.get_state(), np.random.get_state()
    try:
        yield
    finally:
        default_generator.set_state(state)
        np.random.set_state(legacy)


# ------------------------------------------------------------------------------ factories
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform draws on [0, 1) of shape ``size``, in the default float dtype."""
    check_options("rand", device, layout, pin_memory)
    shape = shape_of(size, None, "rand")
    d = _floating(float_dtype(dtype, out, "rand"), "rand")
    return finish(backend.rng(generator).random(shape).astype(d), "rand", out, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Standard normal draws N(0, 1) of shape ``size``, in the default float dtype."""
    check_options("randn", device, layout, pin_memory)
    shape = shape_of(size, None, "randn")
    d = _floating(float_dtype(dtype, out, "randn"), "randn")
    arr = backend.rng(generator).standard_normal(shape).astype(d)
    return finish(arr, "randn", out, requires_grad)


def _floating(d, where):
    if d.kind != "f":
        raise RuntimeError(f"{where}: draws from a continuous distribution; dtype must be "
                           f"floating point, received {d}")
    return d


def _bounds(low, high, where):
    for v, name in ((low, "low"), (high, "high")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{where}: {name} must be an int, received {type(v).__name__}")
    if low >= high:
        raise RuntimeError(f"{where}: expects 'low' to be less than 'high', but got "
                           f"low={low} >= high={high}")
    return int(low), int(high)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high), int64 unless ``dtype``.

    ``randint(high, size)`` and ``randint(low, high, size)``, as PyTorch.
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size must be given, e.g. randint(0, 10, (3,))")
    check_options("randint", device, layout)
    shape = shape_of((size,), None, "randint")
    low, high = _bounds(low, high, "randint")
    d = resolve_dtype(dtype, out, np.int64, "randint")
    arr = backend.rng(generator).integers(low, high, size=shape)
    return finish(arr.astype(d), "randint", out, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0 .. n - 1 (int64 unless ``dtype``)."""
    check_options("randperm", device, layout, pin_memory)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, received {n!r}")
    d = resolve_dtype(dtype, out, np.int64, "randperm")
    arr = backend.rng(generator).permutation(int(n)).astype(d)
    return finish(arr, "randperm", out, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """Uniform [0, 1) draws of ``input``'s shape and (floating) dtype."""
    check_options("rand_like", device, layout)
    d = _floating(_like_dtype(input, dtype, "rand_like"), "rand_like")
    arr = backend.rng(generator).random(input.shape).astype(d)
    return finish(_like_layout(input, arr, memory_format, "rand_like"), "rand_like",
                  requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    """Standard normal draws of ``input``'s shape and (floating) dtype."""
    check_options("randn_like", device, layout)
    d = _floating(_like_dtype(input, dtype, "randn_like"), "randn_like")
    arr = backend.rng(generator).standard_normal(input.shape).astype(d)
    return finish(_like_layout(input, arr, memory_format, "randn_like"), "randn_like",
                  requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    """Integers uniform on [low, high) of ``input``'s shape and dtype;
    ``randint_like(input, high)`` draws from [0, high)."""
    if high is None:
        low, high = 0, low
    check_options("randint_like", device, layout)
    d = _like_dtype(input, dtype, "randint_like")
    low, high = _bounds(low, high, "randint_like")
    arr = backend.rng(generator).integers(low, high, size=input.shape).astype(d)
    return finish(_like_layout(input, arr, memory_format, "randint_like"), "randint_like",
                  requires_grad=requires_grad)


__all__ = ["seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng",
           "manual_seed", "Generator", "rand", "randn", "randint", "randperm", "rand_like",
           "randn_like", "randint_like"]


_TF_RANDOM = frozenset(("set_seed", "normal", "uniform", "truncated_normal", "categorical",
                        "shuffle", "gamma", "poisson"))


def __getattr__(name):
    """`import deepgrad as tf`: tf.random's names that torch.random lacks load lazily
    from :mod:`deepgrad.tf.random`."""
    if name in _TF_RANDOM:
        import importlib
        return getattr(importlib.import_module("deepgrad.tf.random"), name)
    raise AttributeError(f"module 'deepgrad.random' has no attribute {name!r}")
