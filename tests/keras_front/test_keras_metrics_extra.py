"""Keras 3's IoU, correlation, R^2, at-constraint metrics, Sum and the metric aliases of
loss functions: values vs Keras 3 when installed, vs NumPy references otherwise; configs and
bad arguments."""
import numpy as np
import pytest

from deepgrad.keras import metrics as M

RNG = np.random.default_rng(7)
YB = RNG.integers(0, 2, (40,)).astype("float32")
PB = np.clip(YB * 0.3 + RNG.uniform(0, 0.7, (40,)), 0, 1).astype("float32")
YC = RNG.integers(0, 4, (30,))
PC = RNG.integers(0, 4, (30,))
YR = RNG.standard_normal((20, 3)).astype("float32")
PR = (YR + 0.5 * RNG.standard_normal((20, 3))).astype("float32")
W = RNG.integers(0, 3, (20,)).astype("float32")

CASES = [
    ("SensitivityAtSpecificity", dict(specificity=0.6), (YB, PB)),
    ("SpecificityAtSensitivity", dict(sensitivity=0.7, num_thresholds=50), (YB, PB)),
    ("PrecisionAtRecall", dict(recall=0.8), (YB, PB)),
    ("RecallAtPrecision", dict(precision=0.6, num_thresholds=1), (YB, PB)),
    ("RecallAtPrecision", dict(precision=0.6), (YB, PB)),
    ("IoU", dict(num_classes=4, target_class_ids=[0, 2]), (YC, PC)),
    ("IoU", dict(num_classes=4, target_class_ids=[1, 3], ignore_class=0), (YC, PC)),
    ("MeanIoU", dict(num_classes=4), (YC, PC)),
    ("BinaryIoU", dict(threshold=0.4), (YB, PB)),
    ("OneHotIoU", dict(num_classes=4, target_class_ids=[0, 1]),
     (np.eye(4)[YC], np.eye(4)[PC] + 0.1)),
    ("OneHotMeanIoU", dict(num_classes=4), (np.eye(4)[YC], np.eye(4)[PC] * 0.5)),
    ("PearsonCorrelation", dict(), (YR, PR)),
    ("ConcordanceCorrelation", dict(), (YR, PR)),
    ("PearsonCorrelation", dict(axis=0), (YR, PR)),
    ("R2Score", dict(), (YR, PR)),
    ("R2Score", dict(class_aggregation="variance_weighted_average"), (YR, PR)),
    ("R2Score", dict(class_aggregation=None), (YR, PR)),
    ("R2Score", dict(num_regressors=2), (YR, PR)),
]


def _ours(name, kwargs, data, sample_weight=None, batches=2):
    m = getattr(M, name)(**kwargs)
    n = len(data[0])
    for part in np.array_split(np.arange(n), batches):
        sw = None if sample_weight is None else sample_weight[part]
        m.update_state(data[0][part], data[1][part], sample_weight=sw)
    return np.asarray(m.result(), np.float64), m


@pytest.mark.parametrize("name,kwargs,data", CASES)
def test_against_keras(name, kwargs, data):
    keras = pytest.importorskip("keras")
    ours, m = _ours(name, kwargs, data)
    theirs = getattr(keras.metrics, name)(**kwargs)
    n = len(data[0])
    for part in np.array_split(np.arange(n), 2):
        theirs.update_state(data[0][part], data[1][part])
    np.testing.assert_allclose(ours, np.asarray(theirs.result()), rtol=2e-5, atol=2e-6)
    assert type(m).from_config(m.get_config()).get_config() == m.get_config()
    m.reset_state()
    assert all(np.all(v.numpy() == 0) for v in m.variables)


def test_weighted_against_keras():
    keras = pytest.importorskip("keras")
    for name, kwargs in [("R2Score", {}), ("PearsonCorrelation", {})]:
        ours, _ = _ours(name, kwargs, (YR, PR), sample_weight=W)
        theirs = getattr(keras.metrics, name)(**kwargs)
        for part in np.array_split(np.arange(20), 2):
            theirs.update_state(YR[part], PR[part], sample_weight=W[part])
        np.testing.assert_allclose(ours, np.asarray(theirs.result()), rtol=2e-5, atol=2e-6)
    m = M.MeanIoU(4)
    m.update_state(YC, PC, sample_weight=W.repeat(2)[:30])
    k = keras.metrics.MeanIoU(4)
    k.update_state(YC, PC, sample_weight=W.repeat(2)[:30].astype("int32"))
    np.testing.assert_allclose(m.result(), np.asarray(k.result()), rtol=1e-6)


def test_numpy_references():
    # MeanIoU from a confusion matrix written out by hand
    cm = np.zeros((4, 4))
    np.add.at(cm, (YC, PC), 1)
    tp = np.diag(cm)
    den = cm.sum(0) + cm.sum(1) - tp
    ref = np.mean(tp[den > 0] / den[den > 0])
    np.testing.assert_allclose(_ours("MeanIoU", dict(num_classes=4), (YC, PC))[0], ref,
                               rtol=1e-6)
    # R^2 and Pearson from their textbook formulas
    y, p = YR.astype(np.float64), PR.astype(np.float64)
    r2 = 1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    np.testing.assert_allclose(_ours("R2Score", {}, (YR, PR))[0], r2.mean(), rtol=1e-6)
    r = [np.corrcoef(y[i], p[i])[0, 1] for i in range(20)]
    np.testing.assert_allclose(_ours("PearsonCorrelation", {}, (YR, PR))[0], np.mean(r),
                               rtol=1e-5)
    # recall at the best threshold with precision >= 0.6, by brute force over thresholds
    thr = np.linspace(0, 1, 200)
    pred = PB[None, :] > thr[:, None]
    tp = (pred & (YB == 1)).sum(1)
    fp = (pred & (YB == 0)).sum(1)
    prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0)
    rec = tp / (YB == 1).sum()
    np.testing.assert_allclose(_ours("RecallAtPrecision", dict(precision=0.6), (YB, PB))[0],
                               rec[prec >= 0.6].max(), rtol=1e-6)


def test_sum_and_loss_aliases():
    s = M.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert s.result() == 4.0
    s.update_state([2.5])
    assert s.result() == 6.5
    from deepgrad.keras import losses
    for n in ("mean_squared_error", "binary_crossentropy", "hinge", "huber", "log_cosh",
              "categorical_focal_crossentropy", "poisson", "kl_divergence"):
        assert getattr(M, n) is getattr(losses, n)
    assert isinstance(M.get("r2_score"), M.R2Score)
    assert isinstance(M.get("MeanIoU") if False else M.get({"class_name": "Sum",
                                                           "config": {}}), M.Sum)


def test_bad_arguments():
    with pytest.raises(ValueError, match="recall.*range.*1.5"):
        M.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="num_thresholds.*0"):
        M.SensitivityAtSpecificity(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="class_aggregation.*bad"):
        M.R2Score(class_aggregation="bad")
    with pytest.raises(ValueError, match="num_regressors"):
        M.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="out of range.*4"):
        M.IoU(3, target_class_ids=[4])
    m = M.R2Score()
    with pytest.raises(ValueError, match="2D inputs.*\\(5,\\)|2D inputs"):
        m.update_state(np.zeros((5, 2, 2)), np.zeros((5, 2, 2)))
    assert m.result() == 0.0
