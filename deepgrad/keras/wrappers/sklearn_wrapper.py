"""scikit-learn estimators around Keras models: ``SKLearnClassifier``,
``SKLearnRegressor``, ``SKLearnTransformer`` (Keras 3's ``keras.wrappers``).

Each takes ``model``: a compiled :class:`~deepgrad.keras.Model`, or a callable
``model(X=X, y=y, **model_kwargs)`` that builds and compiles one from the training data
(so layer sizes can follow ``X.shape[1]`` and ``y.shape[1]``). ``fit(X, y, **kwargs)``
validates the data with scikit-learn, encodes the target, gets a model, and runs
``model.fit(X, y, **fit_kwargs, **kwargs)``; the fitted model is ``model_`` and what
``model.fit`` returned (the :class:`~deepgrad.keras.callbacks.History`) is ``history_``.

The classifier one-hot encodes the labels: for classes :math:`c_1 < \\dots < c_K`, the
target row of a sample of class :math:`c_k` is :math:`e_k \\in \\{0, 1\\}^K`, and the
model is trained on those rows (a softmax output with ``categorical_crossentropy`` is the
usual pairing). ``predict`` maps each output row :math:`\\hat p` back to the class
:math:`c_{\\arg\\max_k \\hat p_k}`; ``decision_function`` returns :math:`\\hat p` itself.
``score`` is scikit-learn's: accuracy for the classifier, :math:`R^2` for the regressor.

Where Keras 3.15's code and its documentation part, deepgrad follows the documentation:
``warm_start=True`` keeps training ``model_`` (Keras accepts the flag and rebuilds the
model anyway), ``fit`` does not write its keyword arguments into the ``fit_kwargs``
parameter, and ``clone`` keeps ``fit_kwargs``. ``epoch_`` is the number of epochs of the
last ``fit``. Keras's ``set_fit_request`` (which records a request for ``score``) is not
reproduced.
"""
import numpy as np

from deepgrad.keras.models import Model
from deepgrad.keras.wrappers.utils import TargetReshaper, check_model, clone_model
from deepgrad.sklearn._compat import (BaseEstimator, ClassifierMixin, RegressorMixin,
                                      TransformerMixin, check_target_type, require_sklearn,
                                      validate_data)

__all__ = ["SKLBase", "SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


class SKLBase(BaseEstimator):
    """What the three wrappers share.

    Args:
        model: a compiled :class:`~deepgrad.keras.Model` (cloned with fresh weights before
            each ``fit`` unless ``warm_start``), or a callable taking ``X`` and ``y`` as
            keyword arguments (plus ``model_kwargs``) and returning a compiled model.
        warm_start (bool): reuse the weights of the previous fit: ``fit`` trains ``model_``
            further (and a ``Model`` passed as ``model`` is trained in place, not cloned).
        model_kwargs (dict or None): keyword arguments for ``model`` when it is callable.
        fit_kwargs (dict or None): keyword arguments for ``model.fit``; those given to
            :meth:`fit` itself take precedence.

    Attributes:
        model_: the fitted model.
        history_: the :class:`~deepgrad.keras.callbacks.History` of the last fit
            (``history_.history`` is the dict of per-epoch lists).
        n_features_in_ (int): the number of input features seen in ``fit``.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):                       # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self):                 # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    @property
    def epoch_(self):
        """The number of epochs the last ``fit`` ran (0 before any)."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else clone_model(self.model)
        if not callable(self.model):
            raise TypeError(f"`model` must be a keras Model or a callable returning one. "
                            f"Received: model={self.model!r}")
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit a model on ``X`` (n_samples, n_features) and ``y`` (n_samples,) or
        (n_samples, n_outputs); ``kwargs`` go to ``model.fit``. Returns ``self``."""
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        check_model(model)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions for ``X``, mapped back to the target's form."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X))

    def _process_target(self, y, reset=False):
        """Regressors and transformers: ``y`` as it is (checked, its ndim remembered)."""
        check_target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """scikit-learn classifier around a Keras model (see :class:`SKLBase` for the
    arguments).

    The labels (binary or multiclass, any sortable values) are one-hot encoded; the model
    sees ``y`` as an ``(n_samples, n_classes)`` 0/1 matrix, so its output layer needs
    ``y.shape[1]`` units.

    Attributes:
        classes_ (ndarray): the sorted class labels seen in ``fit``.

    Example::

        from deepgrad.keras import Input, Model, layers
        from deepgrad.keras.wrappers import SKLearnClassifier

        def build(X, y, hidden=16):
            inp = Input(shape=(X.shape[1],))
            h = layers.Dense(hidden, activation="relu")(inp)
            out = layers.Dense(y.shape[1], activation="softmax")(h)
            model = Model(inp, out)
            model.compile(loss="categorical_crossentropy", optimizer="adam")
            return model

        clf = SKLearnClassifier(build, model_kwargs={"hidden": 32},
                                fit_kwargs={"epochs": 20, "verbose": 0}).fit(X, y)
    """

    def decision_function(self, X):
        """The model's raw outputs for ``X``: shape (n_samples, n_classes)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _process_target(self, y, reset=False):
        """Labels to one-hot rows (a new encoder when ``reset``)."""
        check_target_type(y, allowed=("binary", "multiclass"))
        if reset:
            import sklearn.pipeline
            import sklearn.preprocessing
            classes = np.unique(y)
            if len(classes) == 1:
                raise ValueError(f"Classifier can't train when only one class is present. "
                                 f"Received: the single class {classes[0]!r}")
            self._target_encoder = sklearn.pipeline.make_pipeline(
                TargetReshaper(),
                sklearn.preprocessing.OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = classes
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """scikit-learn regressor around a Keras model (see :class:`SKLBase` for the
    arguments). ``y`` reaches the model as a column ``(n_samples, 1)``; predictions come
    back 1-D. ``score`` is the coefficient of determination
    :math:`R^2 = 1 - \\sum_i (y_i - \\hat y_i)^2 / \\sum_i (y_i - \\bar y)^2`.
    """

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """scikit-learn transformer around a Keras model (see :class:`SKLBase` for the
    arguments): ``fit`` trains the model on ``(X, y)`` and ``transform(X)`` returns its
    outputs, e.g. an embedding to feed a later step of a ``Pipeline``. To embed with an
    inner layer of a trained network, let ``model`` return a model whose output is that
    layer. (A transformer in scikit-learn's sense, not the attention architecture.)
    """

    def transform(self, X):
        """The model's outputs for ``X``: shape (n_samples, n_outputs)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

