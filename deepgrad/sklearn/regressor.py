"""``NeuralNetRegressor``: a :class:`~deepgrad.sklearn.NeuralNet` for regression
(skorch's ``NeuralNetRegressor``).

The criterion defaults to ``MSELoss``,
:math:`\\ell(\\hat y, y) = \\frac{1}{B m} \\sum_{i, j} (\\hat y_{ij} - y_{ij})^2` over a
batch of :math:`B` samples with :math:`m` targets, and the module outputs
:math:`\\hat y \\in \\mathbb{R}^{B \\times m}`. ``score`` is scikit-learn's :math:`R^2`.

skorch leaves a 1-D target to the user (it must be reshaped to ``(n, 1)``); here a 1-D
``y`` is trained as the column ``(n, 1)`` and ``predict`` returns 1-D values again, as
scikit-learn's regressors do. ``n_outputs_`` is :math:`m`.
"""
import numpy as np

from deepgrad import nn, optim
from deepgrad.sklearn._compat import RegressorMixin
from deepgrad.sklearn.dataset import ValidSplit
from deepgrad.sklearn.net import NeuralNet
from deepgrad.utils.data import DataLoader

__all__ = ["NeuralNetRegressor"]


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A :mod:`deepgrad.nn` regressor as a scikit-learn estimator.

    The arguments are :class:`~deepgrad.sklearn.NeuralNet`'s, with
    ``criterion=nn.MSELoss`` and ``train_split=ValidSplit(5)`` by default.

    Attributes:
        n_outputs_ (int): the number of targets :math:`m` (1 for a 1-D ``y``).
    """

    def __init__(self, module, criterion=nn.MSELoss, optimizer=optim.SGD, lr=0.01,
                 max_epochs=10, batch_size=128, iterator_train=DataLoader,
                 iterator_valid=DataLoader, train_split=ValidSplit(5),
                 predict_nonlinearity="auto", warm_start=False, verbose=1, device="cpu",
                 **kwargs):
        super().__init__(module, criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size,
                         iterator_train=iterator_train, iterator_valid=iterator_valid,
                         train_split=train_split,
                         predict_nonlinearity=predict_nonlinearity, warm_start=warm_start,
                         verbose=verbose, device=device, **kwargs)

    def _validate_kwargs(self):
        return {"multi_output": True, "y_numeric": True}

    def _prepare_target(self, y, reset, classes=None):
        """``y`` as float32 columns ``(n, m)``; ``reset`` records whether it was 1-D."""
        y = super()._prepare_target(y, reset, classes).astype(np.float32, copy=False)
        if reset:
            self._target_1d = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def predict(self, X):
        """The module's output as float64 (scikit-learn's regressors' dtype); 1-D when the
        model was fitted on a 1-D ``y``."""
        out = self.predict_proba(X).astype(np.float64)
        if getattr(self, "_target_1d", False) and out.ndim == 2 and out.shape[1] == 1:
            return out[:, 0]
        return out

    def _more_tags(self):                       # scikit-learn < 1.6
        return {"multioutput": True}

    def __sklearn_tags__(self):                 # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
