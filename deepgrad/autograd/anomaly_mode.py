"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly`` (PyTorch's names).

While it is on:

* **forward** records, for every op, the line of the user's code that called it (the
  first stack frame outside the deepgrad package), and the first op that makes a NaN or
  an inf (its output holds one that none of its inputs or arguments holds) raises at
  once, naming the op, its input shapes and that line::

      RuntimeError: Function 'LogBackward' produced nan values in its output (forward of
      Log, input shapes [(4, 3)]), called at model.py:31 (in forward): `return h.log()`

* **backward** checks every gradient a node hands back; the first NaN (or an inf from a
  finite incoming gradient) stops it with PyTorch's message plus the same details::

      RuntimeError: Function 'SqrtBackward' returned nan values in its 0th output. ...

``check_nan=False`` keeps the recorded lines (they then appear in the version-counter
error of :mod:`deepgrad.autograd.version_counter`) without the value checks.

Cost: with anomaly detection off, an op pays one flag test; the stack walk and the checks
run only while it is on (it slows training noticeably: a debugging tool).

Caveat of the forward check: code that computes NaN on purpose and then discards it
(``where(x > 0, x.log(), 0)``) is reported at the ``log``; PyTorch checks backward only.
"""
import linecache
import os
import sys
import warnings

import numpy as np

from deepgrad.autograd.grad_mode import _DecoratorContextManager


class _AnomalyState:
    __slots__ = ("enabled", "check_nan")        # a slot: Function.apply reads it per op

    def __init__(self):
        self.enabled, self.check_nan = False, True


anomaly = _AnomalyState()

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_STDLIB = os.path.dirname(os.__file__) + os.sep          # the standard library


def _user_frame():
    """(file, line, function) of the innermost caller outside deepgrad and the standard
    library (``contextlib`` and the like; installed packages count as the user's)."""
    f = sys._getframe(2)
    while f is not None:
        name = f.f_code.co_filename
        if not (name.startswith(_PACKAGE) or name.startswith(_STDLIB)
                and "site-packages" not in name):
            return name, f.f_lineno, f.f_code.co_name
        f = f.f_back
    return None


def where(fn):
    """``file:line (in function): `source``` of the call that made node ``fn``, or ''."""
    trace = getattr(fn, "_trace", None)
    if not trace:
        return ""
    name, line, func = trace
    code = linecache.getline(name, line).strip()
    return f"{name}:{line} (in {func})" + (f": `{code}`" if code else "")


def _bad(array):
    """'nan', 'inf' or None: what non-finite values a float array holds."""
    if type(array) is not np.ndarray or array.dtype.kind not in "fc":
        return None
    if np.isfinite(array).all():
        return None
    return "nan" if np.isnan(array).any() else "inf"


def _shapes(fn, inputs):
    return [tuple(t.array.shape) for t in inputs or ()]


def on_forward(fn, inputs, out, params):
    """Called by ``Function.apply`` for every op while anomaly detection is on."""
    fn._trace = _user_frame()
    if not anomaly.check_nan:
        return
    bad = _bad(out)
    if bad is None:
        return
    had = [_bad(t.array) for t in inputs]
    if bad in had or "nan" in had or (bad == "inf" and any(
            isinstance(v, float) and not np.isfinite(v) for v in params.values())):
        return          # handed in (data, a constant, a -inf mask fill): not made here
    raise RuntimeError(
        f"Function '{fn.name()}' produced {bad} values in its output (forward of "
        f"{type(fn).__name__}, input shapes {_shapes(fn, inputs)})"
        + (f", called at {where(fn)}" if fn._trace else "") + ".")


def check_backward(fn, g, grads):
    """Raise if node ``fn`` returned NaN (or a new inf) in a gradient (anomaly mode)."""
    incoming = _bad(g)
    for k, gi in enumerate(grads):
        bad = _bad(gi)
        if bad == "nan" or (bad == "inf" and incoming is None):
            loc = where(fn)
            raise RuntimeError(
                f"Function '{fn.name()}' returned {bad} values in its {k}th output. "
                f"(input shapes {_shapes(fn, fn.inputs)}"
                + ("" if incoming is None else f"; its incoming gradient held {incoming}")
                + ")" + (f" The op was called at {loc}." if loc else ""))


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return anomaly.enabled


def is_anomaly_check_nan_enabled():
    """True while anomaly detection checks forward outputs and gradients for NaN."""
    return anomaly.check_nan


def set_anomaly_enabled(mode, check_nan=True):
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``)."""
    if not isinstance(mode, bool) or not isinstance(check_nan, bool):
        raise TypeError(f"set_anomaly_enabled: mode and check_nan must be bools, received "
                        f"{type(mode).__name__} and {type(check_nan).__name__}")
    anomaly.enabled, anomaly.check_nan = mode, check_nan


class detect_anomaly(_DecoratorContextManager):
    """Context manager (and decorator) that turns on anomaly detection.

    Args:
        check_nan (bool): raise at the first op whose output or gradient is NaN/inf.
            Default True.

    Example:
        >>> with deepgrad.autograd.detect_anomaly():
        ...     y = (x - 10).log()          # x < 10
        RuntimeError: Function 'LogBackward' produced nan values in its output (forward
        of Log, input shapes [(3,)]), called at train.py:12 (in <module>): `y = ...`
    """

    def __init__(self, check_nan=True):
        if not isinstance(check_nan, bool):
            raise TypeError(f"detect_anomaly: check_nan must be a bool, received "
                            f"{type(check_nan).__name__}")
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev_anomaly = (anomaly.enabled, anomaly.check_nan)
        anomaly.enabled, anomaly.check_nan = True, self.check_nan
        return None

    def __exit__(self, *exc):
        anomaly.enabled, anomaly.check_nan = self.prev_anomaly
        return False

    def clone(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return type(self)(self.check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once as a function, or for a ``with`` block.

    Args:
        mode (bool): on (True) or off (False).
        check_nan (bool): raise at the first op whose output or gradient is NaN/inf.
            Default True.
    """

    def __init__(self, mode, check_nan=True):
        self.prev = (anomaly.enabled, anomaly.check_nan)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        anomaly.enabled, anomaly.check_nan = self.prev
        return False
