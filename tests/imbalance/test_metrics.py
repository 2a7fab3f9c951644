"""deepgrad.metrics (scikit-learn's names) and Keras 3's F-scores and confusion counts in
deepgrad.keras.metrics: hand-computed cases, tensors as inputs, bad input, and the same
numbers as scikit-learn and Keras 3 when installed."""
import os
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import metrics as M
from deepgrad.keras import metrics as KM

# 3 classes, class 2 rare: truth and predictions by hand
YT = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 0])
YP = np.array([0, 0, 1, 0, 1, 1, 0, 2, 0, 0])
RNG = np.random.default_rng(0)


def test_confusion_matrix_by_hand():
    cm = M.confusion_matrix(YT, YP)
    np.testing.assert_array_equal(cm, [[4, 1, 0], [1, 2, 0], [1, 0, 1]])
    assert cm.dtype == np.int64
    np.testing.assert_allclose(M.confusion_matrix(YT, YP, normalize="true")[2], [0.5, 0, 0.5])
    np.testing.assert_array_equal(M.confusion_matrix(YT, YP, labels=[2, 0]), [[1, 1], [0, 4]])
    cm_t = M.confusion_matrix(deepgrad.tensor(YT), deepgrad.tensor(YP))
    np.testing.assert_array_equal(cm_t, cm)


def test_per_class_scores_by_hand():
    p, r, f, s = M.precision_recall_fscore_support(YT, YP)
    np.testing.assert_allclose(p, [4 / 6, 2 / 3, 1.0])
    np.testing.assert_allclose(r, [4 / 5, 2 / 3, 1 / 2])
    np.testing.assert_allclose(f, 2 * p * r / (p + r))
    np.testing.assert_array_equal(s, [5, 3, 2])
    assert M.balanced_accuracy_score(YT, YP) == pytest.approx((0.8 + 2 / 3 + 0.5) / 3)
    assert M.f1_score(YT, YP, average="macro") == pytest.approx(f.mean())
    assert M.f1_score(YT, YP, average="micro") == pytest.approx(M.accuracy_score(YT, YP))
    assert M.recall_score(YT, YP, labels=[2], average="macro") == pytest.approx(0.5)
    ba_adj = M.balanced_accuracy_score(YT, YP, adjusted=True)
    assert ba_adj == pytest.approx(((0.8 + 2 / 3 + 0.5) / 3 - 1 / 3) / (2 / 3))


def test_zero_division_and_warnings():
    yt, yp = np.array([0, 0, 1]), np.array([0, 0, 0])
    with pytest.warns(M.UndefinedMetricWarning, match="Precision is ill-defined"):
        assert M.precision_score(yt, yp) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.precision_score(yt, yp, zero_division=1.0) == 1.0
        assert np.isnan(M.precision_score(yt, yp, zero_division=np.nan))


def test_pr_curve_and_average_precision_by_hand():
    y = np.array([0, 0, 1, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8])
    precision, recall, thr = M.precision_recall_curve(y, s)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(thr, [0.1, 0.35, 0.4, 0.8])
    assert M.average_precision_score(y, s) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert M.auc([0, 1, 2], [0, 1, 1]) == pytest.approx(1.5)


def test_classification_report_lists_every_class():
    text = M.classification_report(YT, YP, target_names=["a", "b", "rare"])
    assert "rare" in text and "macro avg" in text and "accuracy" in text
    d = M.classification_report(YT, YP, output_dict=True)
    assert d["2"]["recall"] == pytest.approx(0.5) and d["accuracy"] == pytest.approx(0.7)


def test_metrics_bad_input():
    with pytest.raises(ValueError, match="average='binary'"):
        M.f1_score(YT, YP)
    with pytest.raises(ValueError, match="same number"):
        M.confusion_matrix(YT, YP[:3])
    with pytest.raises(ValueError, match="continuous"):
        M.f1_score(YT, np.linspace(0, 1, 10), average="macro")
    with pytest.raises(ValueError, match="pos_label is not specified"):
        M.precision_recall_curve(np.array([1, 2, 2]), np.array([0.1, 0.5, 0.9]))
    with pytest.raises(ValueError, match="n_samples, n_classes"):
        M.average_precision_score(YT, RNG.random((10, 2)))
    with pytest.raises(ValueError, match="At least one label"):
        M.confusion_matrix(YT, YP, labels=[7])


def test_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    yt, yp = RNG.integers(0, 4, 300), RNG.integers(0, 5, 300)
    w = RNG.random(300)
    warnings.simplefilter("ignore")
    for kw in ({}, {"sample_weight": w}, {"normalize": "pred"}, {"labels": [3, 1, 0]}):
        np.testing.assert_allclose(M.confusion_matrix(yt, yp, **kw),
                                   sk.confusion_matrix(yt, yp, **kw))
    for avg in (None, "micro", "macro", "weighted"):
        for kw in ({}, {"sample_weight": w}, {"beta": 2.0}, {"labels": [0, 4, 9]}):
            a = M.precision_recall_fscore_support(yt, yp, average=avg, **kw)
            b = sk.precision_recall_fscore_support(yt, yp, average=avg, **kw)
            for x, y in zip(a, b):
                assert (x is None) == (y is None)
                if x is not None:
                    np.testing.assert_allclose(x, y)
    yb, pb = RNG.integers(0, 2, 300), RNG.integers(0, 2, 300)
    for name in ("precision_score", "recall_score", "f1_score"):
        assert getattr(M, name)(yb, pb) == pytest.approx(getattr(sk, name)(yb, pb))
    for kw in ({}, {"sample_weight": w}, {"adjusted": True}):
        assert M.balanced_accuracy_score(yt, yp, **kw) == pytest.approx(
            sk.balanced_accuracy_score(yt, yp, **kw))
    assert M.classification_report(yt, yp, digits=4) == sk.classification_report(yt, yp,
                                                                                  digits=4)
    assert M.classification_report(yt, yp, output_dict=True) == \
        sk.classification_report(yt, yp, output_dict=True)
    scores = RNG.random((300, 4))
    for avg in (None, "micro", "macro", "weighted"):
        np.testing.assert_allclose(M.average_precision_score(yt % 4, scores, average=avg),
                                   sk.average_precision_score(yt % 4, scores, average=avg))
    sb = np.round(RNG.random(300), 2)                  # ties in the scores
    for kw in ({}, {"sample_weight": w}, {"drop_intermediate": True}):
        for x, y in zip(M.precision_recall_curve(yb, sb, **kw),
                        sk.precision_recall_curve(yb, sb, **kw)):
            np.testing.assert_allclose(x, y)
    assert M.average_precision_score(yb, sb, sample_weight=w) == pytest.approx(
        sk.average_precision_score(yb, sb, sample_weight=w))
    ml_t, ml_p = RNG.integers(0, 2, (50, 3)), RNG.integers(0, 2, (50, 3))
    for avg in (None, "micro", "macro"):
        np.testing.assert_allclose(M.f1_score(ml_t, ml_p, average=avg, zero_division=0),
                                   sk.f1_score(ml_t, ml_p, average=avg, zero_division=0))


# ------------------------------------------------------------------ Keras front
def _onehot(y, k):
    return np.eye(k, dtype=np.float32)[y]


def test_keras_f1_score_per_class_by_hand():
    m = KM.F1Score()
    m.update_state(_onehot(YT, 3), _onehot(YP, 3))
    _, _, f, _ = M.precision_recall_fscore_support(YT, YP)
    np.testing.assert_allclose(m.result(), f, atol=1e-6)
    macro = KM.F1Score(average="macro")
    macro.update_state(_onehot(YT, 3), _onehot(YP, 3))
    assert macro.result() == pytest.approx(f.mean(), abs=1e-6)
    m.reset_state()
    np.testing.assert_array_equal(m.result(), [0, 0, 0])
    assert KM.get("f1_score").name == "f1_score"


def test_keras_f_score_bad_input():
    with pytest.raises(ValueError, match="average"):
        KM.FBetaScore(average="samples")
    with pytest.raises(ValueError, match="beta"):
        KM.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="threshold"):
        KM.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D"):
        KM.F1Score().update_state(YT, YP)


def test_keras_count_metrics_by_hand():
    yt, yp = np.array([1, 0, 1, 1, 0]), np.array([0.9, 0.6, 0.2, 0.7, 0.1])
    expected = {"TruePositives": 2, "FalsePositives": 1, "TrueNegatives": 1,
                "FalseNegatives": 1}
    for name, value in expected.items():
        m = getattr(KM, name)()
        m.update_state(yt, yp)
        assert m.result() == value


def test_keras_metrics_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    yt = _onehot(RNG.integers(0, 4, 40), 4)
    yp = RNG.random((40, 4)).astype(np.float32)
    w = RNG.random(40).astype(np.float32)
    for kw in ({}, {"average": "macro"}, {"average": "micro", "threshold": 0.4},
               {"average": "weighted"}, {"beta": 0.5}):
        ours, ref = KM.FBetaScore(**kw), keras.metrics.FBetaScore(**kw)
        for m in (ours, ref):
            m.update_state(yt, yp, sample_weight=w)
            m.update_state(yt[:7], yp[:7])
        np.testing.assert_allclose(ours.result(), np.asarray(ref.result()), atol=1e-6)
        assert ours.get_config() == ref.get_config()
    for name in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
        for kw in ({}, {"thresholds": [0.3, 0.8]}):
            ours, ref = getattr(KM, name)(**kw), getattr(keras.metrics, name)(**kw)
            ours.update_state(yt, yp, sample_weight=w[:, None])
            ref.update_state(yt, yp, sample_weight=w[:, None])
            np.testing.assert_allclose(ours.result(), np.asarray(ref.result()), rtol=1e-5)
