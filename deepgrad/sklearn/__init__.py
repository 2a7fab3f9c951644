"""``deepgrad.sklearn``: :mod:`deepgrad.nn` modules as scikit-learn estimators, with
skorch's names and arguments (``from skorch import NeuralNetClassifier`` ->
``from deepgrad.sklearn import NeuralNetClassifier``)::

    net = NeuralNetClassifier(MyModule, module__hidden=32, max_epochs=20, lr=0.1,
                              optimizer__momentum=0.9, train_split=None)
    GridSearchCV(net, {"module__hidden": [16, 32]}, cv=3).fit(X, y)

:class:`NeuralNet` (any criterion), :class:`NeuralNetClassifier`,
:class:`NeuralNetRegressor`, :class:`ValidSplit`, :class:`History`. They need
scikit-learn (``pip install deepgrad[sklearn]``); the package loads on first use of
``deepgrad.sklearn``, never with ``import deepgrad``. The Keras-style wrappers are in
:mod:`deepgrad.keras.wrappers`.
"""
from deepgrad.sklearn.classifier import NeuralNetClassifier
from deepgrad.sklearn.dataset import ValidSplit
from deepgrad.sklearn.history import History
from deepgrad.sklearn.net import NeuralNet
from deepgrad.sklearn.regressor import NeuralNetRegressor

__all__ = ["History", "NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor",
           "ValidSplit"]
