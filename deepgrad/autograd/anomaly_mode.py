"""Anomaly detection for backward: ``detect_anomaly`` and ``set_detect_anomaly``.

With anomaly detection on (and ``check_nan=True``), every gradient a backward node hands
back is checked, and the first NaN stops backward with PyTorch's message::

    RuntimeError: Function 'MulBackward' returned nan values in its 0th output.

naming the op and the input position whose gradient went bad. PyTorch additionally
prints the forward traceback of that op; deepgrad does not record forward tracebacks
(that would cost every op a stack capture), so the message names the op only.
"""
import warnings

from deepgrad.autograd.grad_mode import _DecoratorContextManager


class _AnomalyState:
    enabled = False
    check_nan = True


anomaly = _AnomalyState()


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return anomaly.enabled


def is_anomaly_check_nan_enabled():
    """True while anomaly detection checks backward outputs for NaN."""
    return anomaly.check_nan


def set_anomaly_enabled(mode, check_nan=True):
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``)."""
    if not isinstance(mode, bool) or not isinstance(check_nan, bool):
        raise TypeError(f"set_anomaly_enabled: mode and check_nan must be bools, received "
                        f"{type(mode).__name__} and {type(check_nan).__name__}")
    anomaly.enabled, anomaly.check_nan = mode, check_nan


class detect_anomaly(_DecoratorContextManager):
    """Context manager (and decorator) that turns on anomaly detection for backward.

    Args:
        check_nan (bool): raise when a backward node returns NaN. Default True.

    Example:
        >>> with deepgrad.autograd.detect_anomaly():
        ...     (x * float("nan")).sum().backward()
        RuntimeError: Function 'MulBackward' returned nan values in its 0th output.
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
        check_nan (bool): raise when a backward node returns NaN. Default True.
    """

    def __init__(self, mode, check_nan=True):
        self.prev = (anomaly.enabled, anomaly.check_nan)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        anomaly.enabled, anomaly.check_nan = self.prev
        return False
