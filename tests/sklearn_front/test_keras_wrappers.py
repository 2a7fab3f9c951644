"""``deepgrad.keras.wrappers``: Keras 3's scikit-learn wrappers, behaviour by behaviour
(scikit-learn's generic checks are in test_estimator_checks.py)."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deepgrad  # noqa: E402
from deepgrad import keras  # noqa: E402
from deepgrad.keras.wrappers import (SKLearnClassifier, SKLearnRegressor,  # noqa: E402
                                     SKLearnTransformer)

QUIET = {"verbose": 0}


def build(X, y, hidden=16, loss="categorical_crossentropy", activation="softmax",
          lr=0.01, width=None):
    """Sized from the data: X.shape[1] inputs, y.shape[1] outputs (one-hot for
    classifiers, so y.shape[1] is the number of classes) unless ``width`` is given."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(X.shape[1],))
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    outputs = keras.layers.Dense(width or (y.shape[1] if y.ndim > 1 else 1),
                                 activation=activation)(h)
    model = keras.Model(inputs, outputs)
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate=lr))
    return model


def blobs(n=120, classes=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=classes, n_features=4, cluster_std=1.0,
                      random_state=seed)
    return StandardScaler().fit_transform(X), y


def linear(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3


def test_lazy_submodule_of_deepgrad_keras():
    assert "wrappers" in dir(keras)
    assert keras.wrappers.SKLearnClassifier is SKLearnClassifier
    assert deepgrad.keras.wrappers.SKLearnTransformer is SKLearnTransformer


def test_classifier_learns_and_maps_labels_back():
    X, y = blobs()
    names = np.array(["ant", "bee", "cat"])[y]
    clf = SKLearnClassifier(build, fit_kwargs={"epochs": 30, **QUIET}).fit(X, names)
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(clf.classes_)
    assert clf.score(X, names) > 0.9                      # three separated blobs
    raw = clf.decision_function(X)
    assert raw.shape == (len(X), 3)
    np.testing.assert_array_equal(clf.classes_[raw.argmax(axis=1)], pred)
    np.testing.assert_allclose(raw.sum(axis=1), 1.0, rtol=1e-5)     # softmax outputs


def test_fit_records_model_history_and_epochs():
    X, y = blobs()
    clf = SKLearnClassifier(build, fit_kwargs={"epochs": 4, **QUIET}).fit(X, y)
    assert isinstance(clf.model_, keras.Model) and clf.model_.compiled
    assert clf.model_.layers[-1].units == 3               # sized from the one-hot target
    assert len(clf.history_.history["loss"]) == 4
    assert clf.epoch_ == 4 and clf.n_features_in_ == 4
    assert SKLearnClassifier(build).epoch_ == 0


def test_fit_keyword_arguments_win_and_leave_fit_kwargs_alone():
    X, y = blobs()
    fit_kwargs = {"epochs": 5, **QUIET}
    clf = SKLearnClassifier(build, fit_kwargs=fit_kwargs).fit(X, y, epochs=2)
    assert clf.epoch_ == 2
    assert fit_kwargs == {"epochs": 5, **QUIET} and clf.fit_kwargs is fit_kwargs


def test_model_kwargs_reach_the_builder():
    X, y = blobs()
    clf = SKLearnClassifier(build, model_kwargs={"hidden": 7},
                            fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    assert clf.model_.layers[1].units == 7


def test_a_model_instance_is_cloned_with_fresh_weights():
    X, y = blobs()
    given = build(X, np.eye(3)[y])
    before = [w.copy() for w in given.get_weights()]
    clf = SKLearnClassifier(given, fit_kwargs={"epochs": 3, **QUIET}).fit(X, y)
    assert clf.model_ is not given and clf.model_.compiled
    assert clf.model_.optimizer is not given.optimizer
    for w, b in zip(given.get_weights(), before):
        np.testing.assert_array_equal(w, b)               # the given model is untouched


def test_warm_start_keeps_training_the_same_model():
    X, y = blobs()
    cold = SKLearnClassifier(build, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    first = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not first                       # rebuilt: a fresh start
    warm = SKLearnClassifier(build, warm_start=True, fit_kwargs={"epochs": 2, **QUIET})
    warm.fit(X, y)
    first, loss1 = warm.model_, warm.history_.history["loss"][-1]
    warm.fit(X, y)
    assert warm.model_ is first
    assert warm.history_.history["loss"][0] < loss1 + 1e-6   # resumed, not restarted
    given = build(X, np.eye(3)[y])
    inplace = SKLearnClassifier(given, warm_start=True,
                                fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    assert inplace.model_ is given                        # documented: not cloned


def test_clone_keeps_every_parameter_and_no_fitted_state():
    X, y = blobs()
    clf = SKLearnClassifier(build, warm_start=True, model_kwargs={"hidden": 5},
                            fit_kwargs={"epochs": 1, **QUIET}).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")


def test_pipeline_grid_search_and_cross_val_score():
    X, y = blobs(n=90)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", SKLearnClassifier(build, fit_kwargs={"epochs": 15, **QUIET}))])
    search = GridSearchCV(pipe, {"clf__model_kwargs": [{"hidden": 2}, {"hidden": 16}]},
                          cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_.named_steps["clf"].model_.layers[1].units in (2, 16)
    scores = cross_val_score(SKLearnClassifier(build, fit_kwargs={"epochs": 15, **QUIET}),
                             X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8   # chance is 1/3


def test_regressor_fits_a_linear_map_and_predicts_1d():
    X, y = linear()
    reg = SKLearnRegressor(build, model_kwargs={"loss": "mse", "activation": None,
                                                "hidden": 32},
                           fit_kwargs={"epochs": 60, "batch_size": 16, **QUIET}).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (200,)
    assert reg.score(X, y) > 0.95


def test_transformer_returns_the_model_outputs_in_a_pipeline():
    """A network trained on the labels (sparse targets: y reaches it as a column) whose
    three softmax outputs become the features of a later step."""
    X, y = blobs()
    kwargs = {"loss": "sparse_categorical_crossentropy", "width": 3}
    emb = SKLearnTransformer(build, model_kwargs=kwargs, fit_kwargs={"epochs": 20, **QUIET})
    Z = emb.fit(X, y).transform(X)
    assert Z.shape == (len(X), 3)
    np.testing.assert_allclose(Z, emb.model_.predict(X, verbose=0))
    np.testing.assert_allclose(Z.sum(axis=1), 1.0, rtol=1e-5)
    pipe = make_pipeline(SKLearnTransformer(build, model_kwargs=kwargs,
                                            fit_kwargs={"epochs": 20, **QUIET}),
                         LogisticRegression())
    assert pipe.fit(X, y).score(X, y) > 0.9


def test_errors():
    X, y = blobs()
    with pytest.raises(NotFittedError):
        SKLearnClassifier(build).predict(X)
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnClassifier(uncompiled).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(build).fit(X, np.zeros(len(X), int))
    with pytest.raises(ValueError, match="1d array"):
        SKLearnClassifier(build).fit(X, np.eye(3, dtype=int)[y])    # multilabel
    with pytest.raises(ValueError, match="Only binary and multiclass.*continuous"):
        SKLearnClassifier(build).fit(X, X[:, 0])              # continuous labels
    with pytest.raises(TypeError, match="callable"):
        SKLearnRegressor(model="mlp").fit(X, y.astype(float))
