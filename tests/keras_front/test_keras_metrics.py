"""deepgrad.keras.metrics: each metric against NumPy (over several batches, with sample
weights), reset, the 'accuracy' resolution rules, registry and configs, custom metrics,
and (when Keras 3 is installed) the same numbers as Keras."""
import os

import numpy as np
import pytest

from deepgrad import Tensor
from deepgrad.keras import metrics as M

RNG = np.random.default_rng(1)
N, C = 8, 4
PROBS = RNG.dirichlet(np.ones(C), N)
LABELS = RNG.integers(0, C, N)
ONEHOT = np.eye(C)[LABELS]
YB = RNG.integers(0, 2, (N, 1)).astype(float)
PB = RNG.random((N, 1))
YR, PR = RNG.standard_normal((N, 3)), RNG.standard_normal((N, 3))
SW = RNG.random(N)


def _top_k(labels, probs, k):
    kth = np.sort(probs, -1)[:, -k]
    return (probs[np.arange(len(labels)), labels] >= kth).astype(float)


# name -> (metric factory, NumPy per-sample values, y_true, y_pred)
PER_SAMPLE = {
    "accuracy": (M.Accuracy, lambda t, p: (t == p).astype(float), LABELS, PROBS.argmax(1)),
    "binary": (M.BinaryAccuracy, lambda t, p: ((p > 0.5) == t)[:, 0].astype(float), YB, PB),
    "binary_threshold": (lambda: M.BinaryAccuracy(threshold=0.3),
                         lambda t, p: ((p > 0.3) == t)[:, 0].astype(float), YB, PB),
    "categorical": (M.CategoricalAccuracy, lambda t, p: (t.argmax(1) == p.argmax(1)) * 1.0,
                    ONEHOT, PROBS),
    "sparse": (M.SparseCategoricalAccuracy, lambda t, p: (t == p.argmax(1)) * 1.0, LABELS, PROBS),
    "top_k": (lambda: M.TopKCategoricalAccuracy(k=2),
              lambda t, p: _top_k(t.argmax(1), p, 2), ONEHOT, PROBS),
    "sparse_top_k": (lambda: M.SparseTopKCategoricalAccuracy(k=2),
                     lambda t, p: _top_k(t, p, 2), LABELS, PROBS),
    "mse": (M.MeanSquaredError, lambda t, p: ((t - p) ** 2).mean(1), YR, PR),
    "mae": (M.MeanAbsoluteError, lambda t, p: np.abs(t - p).mean(1), YR, PR),
    "cce": (M.CategoricalCrossentropy, lambda t, p: -(t * np.log(p)).sum(1), ONEHOT, PROBS),
    "scce": (M.SparseCategoricalCrossentropy,
             lambda t, p: -np.log(p[np.arange(len(t)), t]), LABELS, PROBS),
    "bce": (M.BinaryCrossentropy,
            lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p))[:, 0], YB, PB),
}


@pytest.mark.parametrize("key", sorted(PER_SAMPLE))
def test_means_over_batches_with_weights(key):
    make, ref, yt, yp = PER_SAMPLE[key]
    values = ref(yt, yp)
    m = make()
    half = N // 2
    m.update_state(yt[:half], yp[:half])
    m.update_state(yt[half:], Tensor(yp[half:]))           # Tensors are read too
    np.testing.assert_allclose(m.result(), values.mean(), rtol=1e-6)
    m.reset_state()
    assert m.result() == 0.0
    m.update_state(yt, yp, sample_weight=SW)
    np.testing.assert_allclose(m.result(), (values * SW).sum() / SW.sum(), rtol=1e-6)
    assert isinstance(m.result(), float)


def test_root_mean_squared_error_and_mean():
    m = M.RootMeanSquaredError()
    m.update_state(YR, PR)
    m.update_state(YR[:3], PR[:3])
    se = np.concatenate([((YR - PR) ** 2).mean(1), ((YR[:3] - PR[:3]) ** 2).mean(1)])
    np.testing.assert_allclose(m.result(), np.sqrt(se.mean()), rtol=1e-10)
    mean = M.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state(10.0, sample_weight=2.0)
    np.testing.assert_allclose(mean.result(), (1 + 2 + 3 + 20) / 5)
    assert mean(np.array([4.0])) == pytest.approx((26 + 4) / 6)


def _confusion(y, p, t, w=None):
    w = np.ones_like(p) if w is None else w
    pos, pred = y.astype(bool), p > t
    return (w * (pos & pred)).sum(), (w * (~pos & pred)).sum(), \
        (w * (~pos & ~pred)).sum(), (w * (pos & ~pred)).sum()


def test_precision_recall():
    y, p = YB[:, 0], PB[:, 0]
    tp, fp, _, fn = _confusion(y, p, 0.5)
    prec, rec = M.Precision(), M.Recall()
    for m in (prec, rec):
        m.update_state(YB, PB)
    np.testing.assert_allclose(prec.result(), tp / (tp + fp))
    np.testing.assert_allclose(rec.result(), tp / (tp + fn))
    multi = M.Precision(thresholds=[0.2, 0.7])
    multi.update_state(YB, PB, sample_weight=SW)
    expected = [(lambda c: c[0] / (c[0] + c[1]))(_confusion(y, p, t, SW)) for t in (0.2, 0.7)]
    np.testing.assert_allclose(multi.result(), expected)
    # class_id and top_k on multi-class probabilities
    rec = M.Recall(class_id=2)
    rec.update_state(ONEHOT, PROBS)
    tp, _, _, fn = _confusion(ONEHOT[:, 2], PROBS[:, 2], 0.5)
    np.testing.assert_allclose(rec.result(), tp / (tp + fn) if tp + fn else 0.0)
    top1 = M.Precision(top_k=1)
    top1.update_state(ONEHOT, PROBS)
    np.testing.assert_allclose(top1.result(), (PROBS.argmax(1) == LABELS).mean())
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.Precision(thresholds=[1.5])
    assert M.Precision().result() == 0.0                   # no data: 0, not nan


def _auc_reference(y, p, n=200, curve="ROC", w=None):
    thr = np.array([-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7])
    c = np.array([_confusion(y, np.clip(p, 0, 1), t, w) for t in thr])
    tp, fp, tn, fn = c.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rec = np.nan_to_num(tp / (tp + fn))
        if curve == "ROC":
            x, yy = np.nan_to_num(fp / (fp + tn)), rec
        else:
            x, yy = rec, np.nan_to_num(tp / (tp + fp))
    return np.sum((x[:-1] - x[1:]) * (yy[:-1] + yy[1:]) / 2)


def test_auc_roc_and_pr():
    p = RNG.random(300)
    y = (RNG.random(300) < p).astype(float)
    auc = M.AUC()
    auc.update_state(y[:150], p[:150])
    auc.update_state(y[150:], p[150:])
    np.testing.assert_allclose(auc.result(), _auc_reference(y, p), rtol=1e-10)
    # the exact (rank-based) ROC AUC is close to the 200-bucket estimate
    order = np.argsort(p)
    ranks = np.empty(300)
    ranks[order] = np.arange(1, 301)
    npos = y.sum()
    exact = (ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (300 - npos))
    assert abs(auc.result() - exact) < 5e-3
    w = RNG.random(300)
    weighted = M.AUC(num_thresholds=50, curve="PR", summation_method="majoring")
    weighted.update_state(y, p, sample_weight=w)
    assert 0.0 < weighted.result() <= 1.0
    logits = M.AUC(from_logits=True)
    logits.update_state(y, np.log(p / (1 - p)))
    np.testing.assert_allclose(logits.result(), auc.result(), atol=1e-6)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")


def test_multi_label_auc_averages_labels():
    p = RNG.random((100, 3))
    y = (RNG.random((100, 3)) < p).astype(float)
    m = M.AUC(multi_label=True)
    m.update_state(y, p)
    per_label = [_auc_reference(y[:, j], p[:, j]) for j in range(3)]
    np.testing.assert_allclose(m.result(), np.mean(per_label), rtol=1e-10)


@pytest.mark.parametrize("y_true,y_pred,expected", [
    ((8, 10), (8, 10), M.CategoricalAccuracy),
    ((8,), (8, 10), M.SparseCategoricalAccuracy),
    ((8, 1), (8, 10), M.SparseCategoricalAccuracy),
    ((8, 1), (8, 1), M.BinaryAccuracy),
    ((8,), (8, 1), M.BinaryAccuracy),                      # last axis 1 -> binary
    ((8, 5), (8, 5), M.CategoricalAccuracy),               # Keras 3: the shapes only
    ((4, 7, 3), (4, 7, 3), M.CategoricalAccuracy),
    ((4, 7), (4, 7, 3), M.SparseCategoricalAccuracy),
])
def test_accuracy_resolution(y_true, y_pred, expected):
    m = M.resolve_accuracy(y_true, y_pred)
    assert type(m) is expected and m.name == "accuracy"
    m = M.get_metric("acc", y_true, y_pred)
    assert type(m) is expected and m.name == "acc"


def test_get_metric_and_registry():
    assert type(M.get_metric("mse", (4, 1), (4, 1))) is M.MeanSquaredError
    assert M.get_metric("mse", (4, 1), (4, 1)).name == "mse"
    assert type(M.get_metric("crossentropy", (4,), (4, 3))) is M.SparseCategoricalCrossentropy
    assert type(M.get_metric("ce", (4, 1), (4, 1))) is M.BinaryCrossentropy
    for name, cls in [("mae", M.MeanAbsoluteError), ("AUC", M.AUC), ("auc", M.AUC),
                      ("precision", M.Precision), ("top_k_categorical_accuracy",
                                                    M.TopKCategoricalAccuracy),
                      ("kl_divergence", M.KLDivergence), ("rmse", M.RootMeanSquaredError)]:
        assert type(M.get(name)) is cls
    assert M.get("root_mean_squared_error").name == "root_mean_squared_error"

    def hits(y_true, y_pred):
        return (np.asarray(y_true) == np.round(y_pred)).astype(float)[:, 0]

    assert M.get(hits) is hits                               # Keras 3's get ...
    wrapped = M.get_metric(hits, (N, 1), (N, 1))             # ... and compile's wrapping
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped.name == "hits"
    wrapped.update_state(YB, PB)
    np.testing.assert_allclose(wrapped.result(), hits(YB, PB).mean())
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*'accuracy'"):
        M.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret"):
        M.get(1.5)


def test_configs_round_trip():
    for m in (M.BinaryAccuracy(threshold=0.3), M.TopKCategoricalAccuracy(k=3, name="top3"),
              M.Precision(thresholds=[0.2, 0.4], class_id=1),
              M.AUC(curve="PR", num_thresholds=50), M.MeanSquaredError(),
              M.CategoricalCrossentropy(from_logits=True), M.Mean(name="loss")):
        again = M.deserialize(M.serialize(m))
        assert type(again) is type(m) and again.get_config() == m.get_config()
    assert M.BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                               "threshold": 0.5}


def test_custom_metric_with_variables():
    class PositiveRate(M.Metric):
        def __init__(self, name="positive_rate", **kwargs):
            super().__init__(name=name, **kwargs)
            self.hits = self.add_weight(name="hits", initializer="zeros")
            self.seen = self.add_variable(shape=(), name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.hits.assign_add(np.sum(np.asarray(y_pred) > 0.5))
            self.seen.assign_add(np.size(y_pred))

        def result(self):
            return float(self.hits / self.seen)

    m = PositiveRate()
    assert m(YB, PB) == pytest.approx((PB > 0.5).mean())
    assert len(m.variables) == 2
    m.reset_states()
    assert float(m.seen) == 0.0


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name,kwargs,yt,yp", [
    ("BinaryAccuracy", {}, YB, PB), ("CategoricalAccuracy", {}, ONEHOT, PROBS),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, LABELS, PROBS),
    ("RootMeanSquaredError", {}, YR, PR), ("Precision", {"thresholds": [0.3, 0.6]}, YB, PB),
    ("Recall", {}, YB, PB), ("AUC", {}, YB, PB), ("AUC", {"curve": "PR"}, YB, PB),
    ("CategoricalCrossentropy", {}, ONEHOT, PROBS)])
def test_matches_keras(name, kwargs, yt, yp):
    keras = _keras()
    for weight in (None, SW.astype(np.float32)):
        ref, got = getattr(keras.metrics, name)(**kwargs), getattr(M, name)(**kwargs)
        for m in (ref, got):
            m.update_state(yt.astype(np.float32), yp.astype(np.float32), sample_weight=weight)
            m.update_state(yt[:3].astype(np.float32), yp[:3].astype(np.float32))
        np.testing.assert_allclose(got.result(), keras.ops.convert_to_numpy(ref.result()),
                                   rtol=1e-5, atol=1e-6)
