"""Helpers of the scikit-learn wrappers (Keras 3's ``keras/src/wrappers/utils.py``).

* :class:`TargetReshaper`: 1-D targets to 2-D columns and back, so ``OneHotEncoder``
  (which wants 2-D input) can sit in the classifier's target pipeline.
* :func:`check_model`: the model must be compiled with a loss and an optimizer.
* :func:`clone_model`: a fresh copy of a compiled model (new weights), as
  ``keras.models.clone_model`` makes one: the same architecture from ``get_config``,
  compiled again from ``get_compile_config`` (so the optimizer state is not shared).
"""
import numpy as np

from deepgrad.sklearn._compat import BaseEstimator, TransformerMixin


def check_model(model):
    """Raise ``RuntimeError`` unless ``model`` is compiled with a loss and an optimizer."""
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(f"Given model needs to be compiled, and have a loss and an "
                           f"optimizer. Received: compiled="
                           f"{getattr(model, 'compiled', False)}, "
                           f"loss={getattr(model, 'loss', None)!r}, "
                           f"optimizer={getattr(model, 'optimizer', None)!r}")


def clone_model(model):
    """A new model with ``model``'s architecture and fresh weights, compiled as ``model``
    was (when it was)."""
    clone = type(model).from_config(model.get_config())
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Turn a 1-D target into a column ``(n, 1)`` and back.

    Attributes:
        ndim_ (int): the number of dimensions of the ``y`` it was fitted on.
    """

    def fit(self, y):
        """Remember ``y.ndim``; return ``self``."""
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        """``y`` with at least two dimensions (a 1-D ``y`` becomes ``(n, 1)``)."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        """Undo :meth:`transform`: an ``(n, 1)`` array back to ``(n,)`` when fitted on 1-D
        targets; anything else unchanged."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y
