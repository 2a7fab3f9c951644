"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``.

Under ``no_grad`` no graph is built at all: ops return plain tensors without a backward
node, so inference and optimizer updates cost only the NumPy work. Each of these objects
is a context manager and a decorator, as in PyTorch: on a function it runs every call
under the mode, on a generator function every step of the generator (the caller's mode
is restored between steps).

``inference_mode`` is ``no_grad`` plus a mark: tensors made by ops inside it answer
``is_inference() == True``. deepgrad has no version counters or view tracking to switch
off, so it is exactly as fast as ``no_grad``; unlike PyTorch it does not refuse to record
a graph on inference tensors later (they behave as tensors made under ``no_grad``).
"""
import functools
import inspect
import sys

import numpy as np


class _State:
    enabled = True          # ops record the graph
    inference = False       # inside inference_mode: op outputs are marked is_inference()


state = _State()


def is_grad_enabled():
    """True when ops record the graph for backward."""
    return state.enabled


def is_inference_mode_enabled():
    """True inside ``inference_mode()`` (and not inside a nested ``inference_mode(False)``)."""
    return state.inference


def is_inference(input):
    """``torch.is_inference``: whether ``input`` was made inside ``inference_mode()``."""
    if not hasattr(input, "is_inference"):
        raise TypeError(f"is_inference: expected a Tensor, received {type(input).__name__}")
    return input.is_inference()


def _wrap_generator(make_context, gen_func):
    """Run each step of the generator made by ``gen_func`` under a fresh ``make_context()``."""
    @functools.wraps(gen_func)
    def generator_context(*args, **kwargs):
        gen = gen_func(*args, **kwargs)
        try:
            with make_context():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_context():
                        gen.close()
                    raise
                except BaseException:
                    with make_context():
                        response = gen.throw(*sys.exc_info())
                else:
                    with make_context():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return generator_context


class _DecoratorContextManager:
    """A mode switch usable as ``with mode():`` and as ``@mode()`` on functions/generators.

    Subclasses define ``_enter_state()`` (set the mode, return what to restore) and
    ``clone()`` (a fresh object with the same arguments, one per decorated call).
    """

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"{type(self).__name__}: can decorate a function or generator "
                            f"function, received {type(func).__name__}")
        make = self.clone
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(make, func)

        @functools.wraps(func)
        def decorate_context(*args, **kwargs):
            with make():
                return func(*args, **kwargs)
        return decorate_context

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        self._enter_state()
        return None

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev
        return False

    def clone(self):
        return type(self)()


class no_grad(_DecoratorContextManager):
    """Disable graph recording inside a ``with`` block or a decorated function.

    ``@no_grad()`` and the bare ``@no_grad`` both decorate (as in PyTorch 2).

    Example:
        >>> with deepgrad.no_grad():
        ...     y = model(x)          # y.requires_grad is False, no graph kept
    """

    def __new__(cls, orig_func=None):
        # PyTorch allows the bare form ``@no_grad``: called with the function, return it
        # decorated instead of a context manager.
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def _enter_state(self):
        state.enabled = False


class enable_grad(_DecoratorContextManager):
    """Re-enable graph recording inside a ``no_grad`` block (``with`` or decorator).

    Example:
        >>> with deepgrad.no_grad():
        ...     with deepgrad.enable_grad():
        ...         y = x * 2          # recorded
    """

    def __new__(cls, orig_func=None):
        if orig_func is None:       # see no_grad.__new__
            return super().__new__(cls)
        return cls()(orig_func)

    def _enter_state(self):
        state.enabled = True


class set_grad_enabled(_DecoratorContextManager):
    """Set graph recording to ``mode``: at once as a function, or for a block/decorated call.

    ``set_grad_enabled(False)`` called as a plain statement switches recording off until
    switched on again; used with ``with`` the previous mode is restored on exit.

    Args:
        mode (bool): record the graph (True) or not (False).
    """

    def __init__(self, mode):
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, received "
                            f"{type(mode).__name__}")
        self.prev = (state.enabled, state.inference)
        self.mode = bool(mode)
        state.enabled = self.mode

    def __call__(self, func):
        state.enabled, state.inference = self.prev      # decorating changes nothing now
        return super().__call__(func)

    def __enter__(self):
        self.prev_in_block = self.prev
        state.enabled = self.mode
        return None

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev_in_block
        return False

    def clone(self):
        return type(self)(self.mode)


class inference_mode(_DecoratorContextManager):
    """``no_grad`` for inference: no graph, and op outputs are marked ``is_inference()``.

    ``inference_mode(False)`` leaves inference mode (graph recording back on), as in
    PyTorch. Also a decorator: ``@inference_mode()``, ``@inference_mode``.

    Args:
        mode (bool): enter (True) or leave (False) inference mode.

    Example:
        >>> with deepgrad.inference_mode():
        ...     y = model(x)
        >>> y.requires_grad, y.is_inference()
        (False, True)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):      # see no_grad.__new__: the bare @inference_mode form
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        self.mode = mode

    def _enter_state(self):
        state.enabled = not self.mode
        state.inference = self.mode

    def clone(self):
        return type(self)(self.mode)
