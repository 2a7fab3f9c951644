"""Input handling shared by the metric functions: labels and scores from NumPy arrays,
lists or tensors, and scikit-learn's target types."""
import numpy as np


class UndefinedMetricWarning(UserWarning):
    """A metric is ill-defined (a division by zero) and was set to ``zero_division``."""


def as_array(x, name):
    """``x`` (array-like or Tensor) as a NumPy array."""
    if hasattr(x, "array") and isinstance(getattr(x, "array"), np.ndarray):    # a Tensor
        x = x.array
    a = np.asarray(x)
    if a.dtype == object:
        raise TypeError(f"{name}: expected an array of labels or scores, received "
                        f"{type(x).__name__} holding Python objects")
    return a


def sample_weights(sample_weight, n):
    if sample_weight is None:
        return None
    w = as_array(sample_weight, "sample_weight").astype(np.float64).ravel()
    if w.shape != (n,):
        raise ValueError(f"sample_weight has {w.size} entries; expected one per sample ({n})")
    return w


def type_of_target(y):
    """scikit-learn's target types that these metrics take: ``'binary'`` (at most two
    labels), ``'multiclass'``, ``'multilabel-indicator'`` (a 0/1 matrix (n, L))."""
    if y.ndim == 2 and y.shape[1] > 1:
        if np.isin(y, (0, 1)).all():
            return "multilabel-indicator"
        raise ValueError(f"a target of shape {y.shape} must be a 0/1 indicator matrix "
                         f"(multilabel); received other values")
    if y.ndim == 2:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"expected labels of shape (n,) or a 0/1 matrix (n, L), received "
                         f"shape {y.shape}")
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError("expected discrete labels, received continuous values (pass "
                         "predicted labels, e.g. scores.argmax(axis=1), not scores)")
    return "binary" if np.unique(y).size <= 2 else "multiclass"


def check_targets(y_true, y_pred):
    """(type, y_true, y_pred) for two label arrays of one type and length."""
    yt, yp = as_array(y_true, "y_true"), as_array(y_pred, "y_pred")
    tt, tp = type_of_target(yt), type_of_target(yp)
    if len(yt) != len(yp):
        raise ValueError(f"y_true has {len(yt)} samples and y_pred has {len(yp)}; expected "
                         f"the same number")
    kinds = {tt, tp}
    if kinds == {"binary", "multiclass"}:
        kinds = {"multiclass"}
    if len(kinds) > 1:
        raise ValueError(f"Classification metrics can't handle a mix of {tt} and {tp} "
                         f"targets")
    kind = kinds.pop()
    if kind != "multilabel-indicator":
        yt, yp = yt.reshape(-1), yp.reshape(-1)
    elif yt.shape != yp.shape:
        raise ValueError(f"multilabel y_true {yt.shape} and y_pred {yp.shape} differ in shape")
    return kind, yt, yp


def unique_labels(*ys):
    return np.unique(np.concatenate([np.asarray(y).ravel() for y in ys]))
