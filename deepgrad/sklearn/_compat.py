"""What both scikit-learn fronts need from scikit-learn, across its versions.

scikit-learn is an optional extra (``pip install deepgrad[sklearn]``). This module imports
it when it is itself imported (that is, when :mod:`deepgrad.sklearn` or
:mod:`deepgrad.keras.wrappers` is first used, never with ``import deepgrad``). Without
it, the estimator classes can still be defined and imported, on plain stand-in bases, and
constructing one raises an ``ImportError`` that names the extra, as Keras 3's wrappers do.

* :func:`require_sklearn`: that ``ImportError``.
* :func:`validate_data`: ``sklearn.utils.validation.validate_data`` (scikit-learn >= 1.6)
  or the ``BaseEstimator._validate_data`` method it replaced.
* :func:`check_target_type`: ``type_of_target`` that refuses the ``"unknown"`` kind.
"""
try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:          # the classes stay importable; constructing one says what to do
    sklearn = None

    class BaseEstimator:     # noqa: D101  (stand-ins, never instantiated)
        pass

    class ClassifierMixin:   # noqa: D101
        pass

    class RegressorMixin:    # noqa: D101
        pass

    class TransformerMixin:  # noqa: D101
        pass

__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "TransformerMixin",
           "check_target_type", "require_sklearn", "sklearn", "validate_data"]


def require_sklearn(owner):
    """Raise ``ImportError`` when scikit-learn is missing, naming ``owner`` and the extra."""
    if sklearn is None:
        raise ImportError(f"{owner} requires scikit-learn, which is not installed. Install "
                          f"it with `pip install deepgrad[sklearn]` (or `pip install "
                          f"scikit-learn`).")


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's input validation for ``estimator`` (sets or checks
    ``n_features_in_``): the function of scikit-learn >= 1.6, else the older method."""
    try:
        from sklearn.utils.validation import validate_data as _validate
    except ImportError:                       # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return _validate(estimator, *args, **kwargs)


def check_target_type(y, allowed=None):
    """``sklearn.utils.multiclass.type_of_target(y)``; a ``ValueError`` for an unknown
    kind, or for one outside ``allowed`` (a tuple of kinds) when given."""
    from sklearn.utils.multiclass import type_of_target
    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for the target: {y!r}")
    if allowed is not None and kind not in allowed:
        raise ValueError(f"Only {' and '.join(allowed)} target types are supported. "
                         f"Target type: {kind}")
    return kind
