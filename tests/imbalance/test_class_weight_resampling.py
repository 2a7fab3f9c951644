"""deepgrad.utils.class_weight (scikit-learn's formulas) and deepgrad.utils.resampling
(imbalanced-learn's samplers): NumPy references of the formulas, tensors in and out, bad
input, and the same numbers and rows as scikit-learn and imbalanced-learn when installed."""
import numpy as np
import pytest

import deepgrad
from deepgrad.utils.class_weight import compute_class_weight, compute_sample_weight
from deepgrad.utils.resampling import RandomOverSampler, RandomUnderSampler

Y = np.array([2, 2, 2, 2, 2, 2, 0, 0, 0, 1])
RNG = np.random.default_rng(0)
X = RNG.standard_normal((Y.size, 3))


# ------------------------------------------------------------------ class weights
def test_balanced_formula():
    w = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=Y)
    np.testing.assert_allclose(w, [10 / (3 * 3), 10 / (3 * 1), 10 / (3 * 6)])
    assert w.dtype == np.float64
    # each class carries the same total weight n / k
    counts = np.bincount(Y)
    np.testing.assert_allclose(w * counts, 10 / 3)


def test_balanced_with_sample_weight_and_tensors():
    sw = np.linspace(0.5, 2.0, Y.size)
    w = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=deepgrad.tensor(Y),
                             sample_weight=sw)
    per = np.array([sw[Y == c].sum() for c in range(3)])
    np.testing.assert_allclose(w, sw.sum() / (3 * per))


def test_dict_none_and_sample_weight():
    np.testing.assert_array_equal(compute_class_weight(None, classes=np.arange(3), y=Y),
                                  np.ones(3))
    np.testing.assert_array_equal(
        compute_class_weight({0: 2.0, 2: 0.5}, classes=np.arange(3), y=Y), [2.0, 1.0, 0.5])
    sw = compute_sample_weight("balanced", Y)
    np.testing.assert_allclose(sw, compute_class_weight("balanced", classes=np.arange(3),
                                                        y=Y)[Y])
    sub = compute_sample_weight("balanced", Y, indices=[0, 1, 6])
    assert (sub[Y == 1] == 0).all()            # class 1 is missing from the subsample


def test_class_weight_bad_input():
    with pytest.raises(ValueError, match="classes should include all valid labels"):
        compute_class_weight("balanced", classes=np.array([0, 2]), y=Y)
    with pytest.raises(ValueError, match="classes should have valid labels that are in y"):
        compute_class_weight("balanced", classes=np.arange(4), y=Y)
    with pytest.raises(ValueError, match="are not in class_weight"):
        compute_class_weight({0: 1.0, 7: 2.0}, classes=np.arange(3), y=Y)
    with pytest.raises(ValueError, match="'balanced'"):
        compute_class_weight("balance", classes=np.arange(3), y=Y)
    with pytest.raises(ValueError, match="only valid class_weight for subsampling"):
        compute_sample_weight({0: 1.0}, Y, indices=[0, 1])


def test_class_weight_matches_sklearn():
    rng = np.random.default_rng(0)   # its own stream: xdist may reorder tests
    cw = pytest.importorskip("sklearn.utils.class_weight")
    y = rng.integers(0, 5, 200)
    y[y == 4] = 3                                   # class 4 absent
    classes = np.unique(y)
    for spec in ("balanced", None, {0: 3.0, 1: 0.5, 2: 1.5, 3: 2.0}):
        np.testing.assert_allclose(compute_class_weight(spec, classes=classes, y=y),
                                   cw.compute_class_weight(spec, classes=classes, y=y))
    sw = rng.random(200)
    np.testing.assert_allclose(
        compute_class_weight("balanced", classes=classes, y=y, sample_weight=sw),
        cw.compute_class_weight("balanced", classes=classes, y=y, sample_weight=sw))
    np.testing.assert_allclose(compute_sample_weight("balanced", y),
                               cw.compute_sample_weight("balanced", y))
    idx = rng.integers(0, 200, 50)
    np.testing.assert_allclose(compute_sample_weight("balanced", y, indices=idx),
                               cw.compute_sample_weight("balanced", y, indices=idx))
    y2 = np.stack([y, rng.integers(0, 2, 200)], axis=1)
    np.testing.assert_allclose(compute_sample_weight("balanced", y2),
                               cw.compute_sample_weight("balanced", y2))


# ------------------------------------------------------------------ resampling
def test_over_sampler_tops_up_to_the_majority():
    ros = RandomOverSampler(random_state=0)
    Xr, yr = ros.fit_resample(X, Y)
    np.testing.assert_array_equal(np.bincount(yr), [6, 6, 6])
    np.testing.assert_array_equal(Xr[:Y.size], X)                 # the data first
    np.testing.assert_array_equal(Xr, X[ros.sample_indices_])
    assert ros.sampling_strategy_ == {0: 3, 1: 5}
    assert (Y[ros.sample_indices_[Y.size:]] != 2).all()


def test_under_sampler_cuts_to_the_minority():
    rus = RandomUnderSampler(random_state=0)
    Xr, yr = rus.fit_resample(deepgrad.tensor(X), Y)
    assert isinstance(Xr, deepgrad.Tensor)
    np.testing.assert_array_equal(yr, [0, 1, 2])
    np.testing.assert_array_equal(Xr.numpy(), X[rus.sample_indices_])
    assert len(set(rus.sample_indices_.tolist())) == 3


def test_strategies():
    _, yr = RandomOverSampler(sampling_strategy="minority", random_state=0).fit_resample(X, Y)
    np.testing.assert_array_equal(np.bincount(yr), [3, 6, 6])
    _, yr = RandomOverSampler(sampling_strategy={0: 4, 1: 2}, random_state=0).fit_resample(X, Y)
    np.testing.assert_array_equal(np.bincount(yr), [4, 2, 6])
    _, yr = RandomUnderSampler(sampling_strategy="majority", random_state=0).fit_resample(X, Y)
    np.testing.assert_array_equal(np.bincount(yr), [3, 1, 1])
    yb, Xb = Y[Y != 1], X[Y != 1]
    _, yr = RandomOverSampler(sampling_strategy=1.0, random_state=0).fit_resample(Xb, yb)
    np.testing.assert_array_equal(np.bincount(yr), [6, 0, 6])
    _, yr = RandomUnderSampler(sampling_strategy=0.75, random_state=0).fit_resample(Xb, yb)
    np.testing.assert_array_equal(np.bincount(yr), [3, 0, 4])


def test_smoothed_bootstrap_moves_the_new_rows_only():
    ros = RandomOverSampler(random_state=0, shrinkage=1.0)
    Xr, yr = ros.fit_resample(X, Y)
    np.testing.assert_array_equal(Xr[:Y.size], X)
    assert not np.allclose(Xr[Y.size:], X[ros.sample_indices_[Y.size:]])
    zero = RandomOverSampler(random_state=0, shrinkage=0.0).fit_resample(X, Y)[0]
    np.testing.assert_allclose(zero[Y.size:], X[ros.sample_indices_[Y.size:]])


def test_resampling_bad_input():
    with pytest.raises(ValueError, match="cannot be used with a under-sampler"):
        RandomUnderSampler(sampling_strategy="minority").fit_resample(X, Y)
    with pytest.raises(ValueError, match="more than 1 class"):
        RandomOverSampler().fit_resample(X, np.zeros(Y.size))
    with pytest.raises(ValueError, match="greater or equal"):
        RandomOverSampler(sampling_strategy={0: 1}).fit_resample(X, Y)
    with pytest.raises(ValueError, match="binary"):
        RandomOverSampler(sampling_strategy=0.5).fit_resample(X, Y)
    with pytest.raises(ValueError, match="10 labels"):
        RandomOverSampler().fit_resample(X[:5], Y)
    with pytest.raises(ValueError, match="shrinkage factor"):
        RandomOverSampler(shrinkage={0: 1.0}).fit_resample(X, Y)


@pytest.mark.parametrize("kw", [{}, {"sampling_strategy": "all"}, {"shrinkage": 0.7},
                                {"sampling_strategy": {0: 40, 1: 30}}])
def test_over_sampler_matches_imblearn(kw):
    rng = np.random.default_rng(0)   # its own stream: xdist may reorder tests
    over = pytest.importorskip("imblearn.over_sampling")
    y = rng.integers(0, 3, 80) ** 2
    x = rng.standard_normal((80, 4))
    ours = RandomOverSampler(random_state=7, **kw)
    ref = over.RandomOverSampler(random_state=7, **kw)
    (xa, ya), (xb, yb) = ours.fit_resample(x, y), ref.fit_resample(x, y)
    np.testing.assert_allclose(xa, xb)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(ours.sample_indices_, ref.sample_indices_)


@pytest.mark.parametrize("kw", [{}, {"sampling_strategy": "not majority"},
                                {"replacement": True}, {"sampling_strategy": {1: 5}}])
def test_under_sampler_matches_imblearn(kw):
    rng = np.random.default_rng(0)   # its own stream: xdist may reorder tests
    under = pytest.importorskip("imblearn.under_sampling")
    y = rng.integers(0, 3, 80)
    x = rng.standard_normal((80, 4))
    ours = RandomUnderSampler(random_state=3, **kw)
    ref = under.RandomUnderSampler(random_state=3, **kw)
    (xa, ya), (xb, yb) = ours.fit_resample(x, y), ref.fit_resample(x, y)
    np.testing.assert_allclose(xa, xb)
    np.testing.assert_array_equal(ours.sample_indices_, ref.sample_indices_)
