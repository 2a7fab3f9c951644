"""``deepgrad.sklearn``: skorch-style estimators around ``deepgrad.nn`` modules, behaviour
by behaviour (scikit-learn's generic checks are in test_estimator_checks.py)."""
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import deepgrad  # noqa: E402
from deepgrad import nn, optim  # noqa: E402
from deepgrad.sklearn import (History, NeuralNet, NeuralNetClassifier,  # noqa: E402
                              NeuralNetRegressor, ValidSplit)
from deepgrad.utils.data import RandomSampler, SequentialSampler  # noqa: E402


class MLP(nn.Module):
    """4 inputs -> hidden -> n_out; probabilities (softmax) unless ``logits``."""

    def __init__(self, hidden=16, n_out=3, logits=False):
        super().__init__()
        deepgrad.manual_seed(0)
        self.hidden = nn.Linear(4, hidden)
        self.out = nn.Linear(hidden, n_out)
        self.logits = logits

    def forward(self, x):
        z = self.out(deepgrad.relu(self.hidden(x)))
        return z if self.logits else deepgrad.softmax(z, dim=-1)


def blobs(n=150, seed=0):
    X, y = make_blobs(n_samples=n, centers=3, n_features=4, random_state=seed)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def net(**kw):
    return NeuralNetClassifier(**{"module": MLP, "max_epochs": 10, "lr": 0.1, "verbose": 0,
                                  **kw})


def test_lazy_entry_on_deepgrad():
    import deepgrad.sklearn
    assert deepgrad.sklearn.NeuralNetClassifier is NeuralNetClassifier
    assert issubclass(NeuralNetClassifier, NeuralNet)


def test_classifier_learns_with_skorch_defaults():
    X, y = blobs()
    clf = net(max_epochs=20).fit(X, y)
    assert clf.score(X, y) > 0.95                         # three separated blobs
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), proba.argmax(axis=1))
    assert isinstance(clf.criterion_, nn.NLLLoss)         # skorch's default criterion
    assert isinstance(clf.optimizer_, optim.SGD)          # and optimizer


def test_history_records_epochs_batches_and_the_valid_split():
    X, y = blobs()
    clf = net(max_epochs=3, batch_size=50).fit(X, y)
    h = clf.history
    assert isinstance(h, History) and h is clf.history_ and len(h) == 3
    assert h[:, "epoch"] == [1, 2, 3]
    # the default ValidSplit(5, stratified=True) holds out a fifth: 120 train, 30 valid
    assert h[0, "train_batch_count"] == 3 and h[0, "valid_batch_count"] == 1
    sizes = [b["train_batch_size"] for b in h[0]["batches"] if "train_loss" in b]
    losses = [b["train_loss"] for b in h[0]["batches"] if "train_loss" in b]
    assert sizes == [50, 50, 20]
    assert h[0, "train_loss"] == pytest.approx(np.dot(sizes, losses) / 120)
    assert h[-1, "batches", -1, "valid_batch_size"] == 30
    assert 0.0 <= h[-1, "valid_acc"] <= 1.0 and "valid_loss" in h[-1]
    assert h[0, "train_loss_best"] is True and all(isinstance(d, float) for d in h[:, "dur"])
    no_split = net(max_epochs=2, train_split=None).fit(X, y)
    assert "valid_loss" not in no_split.history[-1]
    assert no_split.history[0, "train_batch_count"] == 2     # 150 samples, batch_size 128


def test_the_nll_loss_is_taken_on_log_probabilities():
    X, y = blobs(n=30)
    clf = net(max_epochs=1, lr=0.0, batch_size=-1, train_split=None).fit(X, y)
    p = clf.predict_proba(X)
    expected = -np.mean(np.log(p[np.arange(30), y] + np.finfo(np.float32).eps))
    assert clf.history[0, "train_loss"] == pytest.approx(expected, rel=1e-5)
    assert clf.history[0, "train_batch_count"] == 1        # batch_size=-1: one batch


def test_routed_settings_reach_each_part():
    X, y = blobs()
    clf = net(max_epochs=1, module__hidden=7, optimizer__momentum=0.9,
              criterion=nn.CrossEntropyLoss, criterion__label_smoothing=0.1,
              module__logits=True, iterator_train__shuffle=True).fit(X, y)
    assert clf.module_.hidden.out_features == 7
    group = clf.optimizer_.param_groups[0]
    assert group["momentum"] == 0.9 and group["lr"] == 0.1
    assert clf.criterion_.label_smoothing == 0.1
    assert isinstance(clf.get_iterator(list(range(8)), training=True).sampler, RandomSampler)
    assert isinstance(clf.get_iterator(list(range(8))).sampler, SequentialSampler)
    assert net(optimizer__lr=0.5).initialize().optimizer_.param_groups[0]["lr"] == 0.5


def test_unknown_settings_and_devices_are_refused_at_initialize():
    X, y = blobs()
    bad = net(module_hidden=3)                            # constructing never fails
    with pytest.raises(ValueError, match="did you mean module__hidden"):
        bad.fit(X, y)
    with pytest.raises(ValueError, match="unexpected argument 'hidden'"):
        net(hidden=3).fit(X, y)
    with pytest.raises(ValueError, match="deepgrad computes on the CPU"):
        net(device="cuda").fit(X, y)
    assert net(device=None).fit(X, y).initialized_


def test_get_params_set_params_and_clone_carry_routed_settings():
    clf = net(module__hidden=5)
    assert clf.get_params()["module__hidden"] == 5
    clf.set_params(module__hidden=9, optimizer__momentum=0.5)      # the second one is new
    copy = clone(clf)
    assert copy.module__hidden == 9 and copy.optimizer__momentum == 0.5
    assert copy.get_params() == clf.get_params()
    assert "module__hidden=9" in repr(clf)


def test_set_params_on_an_initialized_net_remakes_what_changed():
    X, y = blobs()
    clf = net(max_epochs=1).fit(X, y)
    module, optimizer, criterion = clf.module_, clf.optimizer_, clf.criterion_
    clf.set_params(lr=0.3)
    assert clf.module_ is module and clf.optimizer_ is not optimizer
    assert clf.optimizer_.param_groups[0]["lr"] == 0.3
    clf.set_params(module__hidden=4)
    assert clf.module_ is not module and clf.module_.hidden.out_features == 4
    assert clf.criterion_ is criterion


def test_pipeline_grid_search_over_the_hidden_width_and_cross_val_score():
    X, y = blobs(n=90)
    pipe = Pipeline([("scale", StandardScaler()), ("net", net(max_epochs=15))])
    search = GridSearchCV(pipe, {"net__module__hidden": [2, 16]}, cv=2).fit(X, y)
    assert sorted(p["net__module__hidden"] for p in search.cv_results_["params"]) == [2, 16]
    best = search.best_estimator_.named_steps["net"]
    assert best.module_.hidden.out_features == search.best_params_["net__module__hidden"]
    scores = cross_val_score(net(max_epochs=15), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.9      # chance is 1/3


def test_partial_fit_and_warm_start_continue_fit_restarts():
    X, y = blobs()
    clf = net(max_epochs=2).fit(X, y)
    module = clf.module_
    clf.partial_fit(X, y)
    assert clf.module_ is module and clf.history[:, "epoch"] == [1, 2, 3, 4]
    clf.fit(X, y)
    assert clf.module_ is not module and len(clf.history) == 2
    warm = net(max_epochs=2, warm_start=True).fit(X, y)
    module = warm.module_
    warm.fit(X, y)
    assert warm.module_ is module and len(warm.history) == 4


def test_partial_fit_classes_and_labels_of_any_kind():
    X, y = blobs()
    names = np.array(["ant", "bee", "cat"])[y]
    clf = net(max_epochs=20).fit(X, names)
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    assert clf.score(X, names) > 0.95 and clf.predict(X).dtype.kind == "U"
    first = y < 2                                         # the first batch lacks class 2
    inc = net(max_epochs=1).partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert list(inc.classes_) == [0, 1, 2]
    inc.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"not among the classes \[0, 1, 2\]: \[7\]"):
        inc.partial_fit(X[:3], np.array([0, 7, 1]))
    ordered = net(max_epochs=20, classes=["cat", "bee", "ant"]).fit(X, names)
    assert list(ordered.classes_) == ["cat", "bee", "ant"]  # the module's output order
    assert ordered.score(X, names) > 0.95
    with pytest.raises(ValueError, match="is for classifiers"):
        NeuralNetRegressor(MLP, verbose=0).partial_fit(X, y.astype(float), classes=[0, 1])


def test_predict_nonlinearity():
    X, y = blobs()
    logits = net(max_epochs=5, criterion=nn.CrossEntropyLoss, module__logits=True)
    proba = logits.fit(X, y).predict_proba(X)             # "auto": softmax after CE
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    raw = logits.set_params(predict_nonlinearity=None).predict_proba(X)
    np.testing.assert_allclose(proba, deepgrad.softmax(deepgrad.tensor(raw), dim=-1).numpy(),
                               rtol=1e-5, atol=1e-6)
    doubled = logits.set_params(predict_nonlinearity=lambda t: t * 2).predict_proba(X)
    np.testing.assert_allclose(doubled, 2 * raw, rtol=1e-6)
    with pytest.raises(TypeError, match="callable, 'auto' or None"):
        logits.set_params(predict_nonlinearity="softmax").predict_proba(X)


def test_a_module_instance_is_used_as_given_and_cloned_by_deepcopy():
    X, y = blobs()
    module = MLP()
    clf = net(module=module, max_epochs=2).fit(X, y)
    assert clf.module_ is module
    assert clone(clf).module is not module


def test_forward_and_pickling_keep_the_predictions():
    X, y = blobs()
    clf = net(max_epochs=3).fit(X, y)
    out = clf.forward(X)
    assert isinstance(out, deepgrad.Tensor) and tuple(out.shape) == (150, 3)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_verbose_prints_one_row_per_epoch(capsys):
    X, y = blobs()
    net(max_epochs=3, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "valid_acc", "valid_loss", "dur"]
    assert [row.split()[0] for row in lines[2:]] == ["1", "2", "3"]


def test_regressor_targets_1d_and_2d():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    W = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0], [-1.5, 0.0]])
    Y = X @ W
    kw = dict(module=MLP, module__logits=True, optimizer=optim.Adam, lr=0.01,
              max_epochs=60, batch_size=32, train_split=None, verbose=0)
    one = NeuralNetRegressor(module__n_out=1, **kw).fit(X, Y[:, 0])
    pred = one.predict(X)
    assert pred.shape == (200,) and pred.dtype == np.float64 and one.n_outputs_ == 1
    assert one.score(X, Y[:, 0]) > 0.95
    two = NeuralNetRegressor(module__n_out=2, **kw).fit(X, Y)
    assert two.predict(X).shape == (200, 2) and two.n_outputs_ == 2
    assert two.score(X, Y) > 0.95
    assert isinstance(two.criterion_, nn.MSELoss)


def test_valid_split():
    from deepgrad.utils.data import TensorDataset
    y = np.repeat([0, 1], [80, 20])
    ds = TensorDataset(np.arange(100, dtype=np.float32)[:, None], y)
    train, valid = ValidSplit(5)(ds, y)
    assert len(train) == 80 and list(valid.indices) == list(range(20))   # the first fold
    train, valid = ValidSplit(5, stratified=True)(ds, y)
    assert np.bincount(y[valid.indices]).tolist() == [16, 4]
    a = ValidSplit(0.25, random_state=0)(ds)[1].indices
    b = ValidSplit(0.25, random_state=0)(ds)[1].indices
    assert len(a) == 25 and list(a) == list(b) and list(a) != list(range(25))
    with pytest.raises(ValueError, match="positive int"):
        ValidSplit(0)
    with pytest.raises(ValueError, match="random_state has no effect"):
        ValidSplit(5, random_state=0)
    with pytest.raises(ValueError, match="needs y"):
        ValidSplit(5, stratified=True)(ds)


def test_the_base_net_takes_any_criterion_and_predicts_the_raw_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = (X.sum(axis=1, keepdims=True) > 0).astype(np.float32)
    base = NeuralNet(MLP, nn.BCEWithLogitsLoss, module__n_out=1, module__logits=True,
                     lr=0.5, max_epochs=30, train_split=None, verbose=0).fit(X, y)
    assert not hasattr(base, "score")                     # neither classifier nor regressor
    out = base.predict(X)
    assert out.shape == (64, 1)
    np.testing.assert_array_equal(out, base.forward(X).numpy())
    assert np.mean((out > 0) == (y > 0.5)) > 0.9          # logits on the right side
