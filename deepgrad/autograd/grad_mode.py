"""Switching graph recording on and off (``no_grad``, ``enable_grad``, ``set_grad_enabled``).

Under ``no_grad`` no graph is built at all: ops return plain tensors without a backward
node, so inference and optimizer updates cost only the NumPy work.
"""
import functools


class _State:
    enabled = True


state = _State()


def is_grad_enabled():
    """True when ops record the graph for backward."""
    return state.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets graph recording to ``mode``."""

    def __init__(self, mode=True):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class _GradModeContext:
    mode = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording inside a ``with`` block or a decorated function.

    Example:
        >>> with deepgrad.no_grad():
        ...     y = model(x)          # y.requires_grad is False, no graph kept
    """
    mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block."""
    mode = True
