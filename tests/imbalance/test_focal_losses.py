"""Focal losses on both fronts: Keras 3's ``binary_focal_crossentropy`` /
``categorical_focal_crossentropy`` (and their loss objects) and torchvision's
``sigmoid_focal_loss`` (``deepgrad.nn.functional`` and ``deepgrad.vision.ops``), against
NumPy references of the published formulas, float64 gradient checks, and the same numbers
as Keras 3 and as torchvision's formula run on PyTorch when those are installed."""
import os

import numpy as np
import pytest

import deepgrad
from deepgrad import Tensor, gradcheck
from deepgrad.keras import losses as L
from deepgrad.nn import functional as F

EPS = 1e-7
RNG = np.random.default_rng(0)
T_BIN = RNG.integers(0, 2, (6, 3)).astype(np.float64)
P_BIN = RNG.uniform(0.02, 0.98, (6, 3))
Z_BIN = RNG.standard_normal((6, 3)) * 2
LABELS = np.array([0, 2, 1, 3, 3, 0])
ONEHOT = np.eye(4)[LABELS]
P_CAT = RNG.dirichlet(np.ones(4), 6)
Z_CAT = RNG.standard_normal((6, 4))
SW = RNG.random(6)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_binary_focal(t, p, balancing=False, alpha=0.25, gamma=2.0, from_logits=False, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    p = _sigmoid(p) if from_logits else p
    pc = np.clip(p, EPS, 1 - EPS)
    ce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * ce
    if balancing:
        out = out * (alpha * t + (1 - alpha) * (1 - t))
    return out.mean(-1)


def np_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    if from_logits:
        e = np.exp(p - p.max(-1, keepdims=True))
        p = e / e.sum(-1, keepdims=True)
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (np.asarray(alpha) * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


def np_sigmoid_focal(x, t, alpha=0.25, gamma=2.0):
    p = _sigmoid(x)
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    out = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        out = (alpha * t + (1 - alpha) * (1 - t)) * out
    return out


BINARY_CASES = [dict(), dict(balancing=True, alpha=0.4, gamma=1.5),
                dict(from_logits=True), dict(ls=0.2, gamma=0.0),
                dict(from_logits=True, balancing=True, ls=0.1, gamma=3.0)]


def _keras_binary_kwargs(case):
    names = {"balancing": "apply_class_balancing", "ls": "label_smoothing"}
    return {names.get(k, k): v for k, v in case.items()}


# ------------------------------------------------------------------ Keras: formulas
@pytest.mark.parametrize("case", BINARY_CASES)
def test_binary_focal_matches_formula(case):
    pred = Z_BIN if case.get("from_logits") else P_BIN
    got = L.binary_focal_crossentropy(T_BIN, Tensor(pred), **_keras_binary_kwargs(case))
    np.testing.assert_allclose(got.numpy(), np_binary_focal(T_BIN, pred, **case), rtol=1e-12)


@pytest.mark.parametrize("case", [dict(), dict(alpha=[0.1, 0.2, 0.3, 0.4], gamma=1.0),
                                  dict(from_logits=True, ls=0.1), dict(gamma=0.0, alpha=1.0)])
def test_categorical_focal_matches_formula(case):
    pred = Z_CAT if case.get("from_logits") else P_CAT
    kw = {("label_smoothing" if k == "ls" else k): v for k, v in case.items()}
    got = L.categorical_focal_crossentropy(ONEHOT, Tensor(pred), **kw)
    np.testing.assert_allclose(got.numpy(), np_categorical_focal(ONEHOT, pred, **case),
                               rtol=1e-12)


def test_gamma_zero_gives_the_cross_entropies_back():
    bce = L.binary_crossentropy(T_BIN, Tensor(P_BIN)).numpy()
    focal = L.binary_focal_crossentropy(T_BIN, Tensor(P_BIN), gamma=0.0).numpy()
    np.testing.assert_allclose(focal, bce, rtol=1e-10)
    cce = L.categorical_crossentropy(ONEHOT, Tensor(P_CAT)).numpy()
    cfocal = L.categorical_focal_crossentropy(ONEHOT, Tensor(P_CAT), alpha=1.0, gamma=0.0)
    np.testing.assert_allclose(cfocal.numpy(), cce, rtol=1e-10)


def test_focal_down_weights_easy_examples():
    t = np.array([[1.0], [1.0]])
    p = np.array([[0.95], [0.3]])                 # one easy, one hard positive
    ratio = (L.binary_focal_crossentropy(t, Tensor(p)).numpy()
             / L.binary_crossentropy(t, Tensor(p)).numpy())
    assert ratio[0] < 0.01 and ratio[1] > 0.4


def test_loss_objects_reduce_and_weight():
    obj = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3)
    per = np_binary_focal(T_BIN, P_BIN, balancing=True, alpha=0.3)
    np.testing.assert_allclose(obj(T_BIN, P_BIN).numpy(), per.mean(), rtol=1e-10)
    np.testing.assert_allclose(obj(T_BIN, P_BIN, sample_weight=SW).numpy(),
                               (per * SW).mean(), rtol=1e-10)
    cat = L.CategoricalFocalCrossentropy(reduction="sum", gamma=1.0)
    np.testing.assert_allclose(cat(ONEHOT, P_CAT).numpy(),
                               np_categorical_focal(ONEHOT, P_CAT, gamma=1.0).sum(), rtol=1e-10)


def test_float32_stays_float32():
    out = L.BinaryFocalCrossentropy()(T_BIN.astype(np.float32), P_BIN.astype(np.float32))
    assert out.dtype == np.float32
    out = L.CategoricalFocalCrossentropy()(ONEHOT.astype(np.float32), P_CAT.astype(np.float32))
    assert out.dtype == np.float32


def test_focal_gradients_float64():
    cases = [(lambda p: L.binary_focal_crossentropy(T_BIN, p, apply_class_balancing=True), P_BIN),
             (lambda z: L.binary_focal_crossentropy(T_BIN, z, from_logits=True), Z_BIN),
             (lambda p: L.categorical_focal_crossentropy(ONEHOT, p, gamma=1.5), P_CAT),
             (lambda z: L.categorical_focal_crossentropy(ONEHOT, z, from_logits=True), Z_CAT)]
    for fn, arr in cases:
        assert gradcheck(fn, (Tensor(arr.copy(), requires_grad=True),), eps=1e-6, atol=1e-6)


def test_registry_config_and_compile():
    assert L.get("binary_focal_crossentropy") is L.binary_focal_crossentropy
    obj = L.get("BinaryFocalCrossentropy")
    assert isinstance(obj, L.BinaryFocalCrossentropy)
    again = L.deserialize(L.serialize(L.CategoricalFocalCrossentropy(alpha=[0.5, 0.5], gamma=3.0)))
    assert isinstance(again, L.CategoricalFocalCrossentropy)
    assert again.get_config()["gamma"] == 3.0 and list(again.get_config()["alpha"]) == [0.5, 0.5]
    from deepgrad import keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=L.BinaryFocalCrossentropy())
    x = RNG.standard_normal((64, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_focal_bad_input():
    with pytest.raises(ValueError, match="axis"):
        L.categorical_focal_crossentropy(ONEHOT, Tensor(P_CAT), axis=True)
    with pytest.raises(ValueError, match="one weight per class"):
        L.categorical_focal_crossentropy(ONEHOT, Tensor(P_CAT), alpha=[0.5, 0.5])
    with pytest.raises(ValueError, match="one-hot"):
        L.categorical_focal_crossentropy(LABELS, Tensor(P_CAT))
    with pytest.raises(TypeError, match="gamma"):
        L.binary_focal_crossentropy(T_BIN, Tensor(P_BIN), gamma="2")


# ------------------------------------------------------------------ Keras 3 itself
@pytest.mark.parametrize("case", BINARY_CASES)
def test_binary_focal_matches_keras(case):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pred = (Z_BIN if case.get("from_logits") else P_BIN).astype(np.float32)
    kw = _keras_binary_kwargs(case)
    ours = L.BinaryFocalCrossentropy(**kw)(T_BIN, pred, sample_weight=SW)
    ref = keras.losses.BinaryFocalCrossentropy(**kw)(T_BIN, pred, sample_weight=SW)
    np.testing.assert_allclose(ours.numpy(), np.asarray(ref), rtol=2e-6)
    assert L.BinaryFocalCrossentropy(**kw).get_config() == \
        keras.losses.BinaryFocalCrossentropy(**kw).get_config()


@pytest.mark.parametrize("case", [dict(), dict(alpha=[0.1, 0.2, 0.3, 0.4], gamma=1.0),
                                  dict(from_logits=True, label_smoothing=0.1)])
def test_categorical_focal_matches_keras(case):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pred = (Z_CAT if case.get("from_logits") else P_CAT).astype(np.float32)
    ours = L.CategoricalFocalCrossentropy(**case)(ONEHOT, pred)
    ref = keras.losses.CategoricalFocalCrossentropy(**case)(ONEHOT, pred)
    np.testing.assert_allclose(ours.numpy(), np.asarray(ref), rtol=2e-6)
    per_ours = L.categorical_focal_crossentropy(ONEHOT, pred, **case).numpy()
    per_ref = keras.losses.categorical_focal_crossentropy(ONEHOT, pred, **case)
    np.testing.assert_allclose(per_ours, np.asarray(per_ref), rtol=2e-6)


# ------------------------------------------------------------------ torchvision's formula
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 2), (0.6, 0.5), (0.25, 0)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_loss_formula(alpha, gamma, reduction):
    got = F.sigmoid_focal_loss(Tensor(Z_BIN), Tensor(T_BIN), alpha=alpha, gamma=gamma,
                               reduction=reduction)
    ref = np_sigmoid_focal(Z_BIN, T_BIN, alpha, gamma)
    ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[reduction]
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)


def test_sigmoid_focal_loss_gradcheck_and_dtype():
    x = Tensor(Z_BIN.copy(), requires_grad=True)
    assert gradcheck(lambda z: F.sigmoid_focal_loss(z, Tensor(T_BIN), reduction="sum"), (x,),
                     eps=1e-6, atol=1e-6)
    out = F.sigmoid_focal_loss(Tensor(Z_BIN.astype(np.float32)), Tensor(T_BIN.astype(np.float32)))
    assert out.dtype == np.float32 and out.shape == Z_BIN.shape
    big = F.sigmoid_focal_loss(Tensor(np.array([80.0, -80.0])), Tensor(np.array([0.0, 1.0])))
    assert np.isfinite(big.numpy()).all()        # stable for large logits


def test_sigmoid_focal_loss_matches_torch():
    torch = pytest.importorskip("torch")
    x = torch.tensor(Z_BIN, requires_grad=True)
    t = torch.tensor(T_BIN)
    # torchvision.ops.sigmoid_focal_loss, written out with torch's ops
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    ref = ((0.25 * t + 0.75 * (1 - t)) * ce * (1 - p_t) ** 2).mean()
    ref.backward()
    ours_x = Tensor(Z_BIN.copy(), requires_grad=True)
    ours = F.sigmoid_focal_loss(ours_x, Tensor(T_BIN), reduction="mean")
    ours.backward()
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(ours_x.grad.numpy(), x.grad.numpy(), rtol=1e-10)


def test_sigmoid_focal_loss_bad_input():
    with pytest.raises(ValueError, match="reduction"):
        F.sigmoid_focal_loss(Tensor(Z_BIN), Tensor(T_BIN), reduction="batchmean")
    with pytest.raises(ValueError, match="shape"):
        F.sigmoid_focal_loss(Tensor(Z_BIN), Tensor(T_BIN[:, :2]))
    with pytest.raises(TypeError, match="alpha"):
        F.sigmoid_focal_loss(Tensor(Z_BIN), Tensor(T_BIN), alpha=None)


def test_vision_ops_exposes_it():
    import deepgrad.vision as torchvision
    assert torchvision.ops.sigmoid_focal_loss is F.sigmoid_focal_loss
    assert deepgrad.nn.functional.sigmoid_focal_loss is F.sigmoid_focal_loss
