"""deepgrad.keras.losses: per-sample formulas against NumPy, reductions and sample
weights, float64 gradient checks, Keras's shape rules and errors, registry and configs,
and (when Keras 3 is installed) the same numbers as Keras."""
import os

import numpy as np
import pytest

import deepgrad
from deepgrad import Tensor, gradcheck
from deepgrad.keras import losses as L
from deepgrad.keras.models.compile_utils import get_loss

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 5, 4
LOGITS = RNG.standard_normal((N, C))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
LABELS = np.array([0, 3, 1, 1, 2])
ONEHOT = np.eye(C)[LABELS]
YB, PB = RNG.integers(0, 2, (N, 1)).astype(float), RNG.uniform(0.05, 0.95, (N, 1))
YR, PR = RNG.standard_normal((N, 3)), RNG.standard_normal((N, 3))
POS_T, POS_P = RNG.random((N, 3)), RNG.random((N, 3)) + 0.1
SW = RNG.random(N)


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _unit(x):
    return x / np.maximum(np.sqrt((x * x).sum(-1, keepdims=True)), EPS)


# name -> (NumPy per-sample reference, y_true, y_pred, kwargs)
REFERENCE = {
    "mean_squared_error": (lambda t, p: ((t - p) ** 2).mean(-1), YR, PR, {}),
    "mean_absolute_error": (lambda t, p: np.abs(t - p).mean(-1), YR, PR, {}),
    "mean_absolute_percentage_error": (
        lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1), YR, PR, {}),
    "mean_squared_logarithmic_error": (
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2)
        .mean(-1), POS_T, POS_P, {}),
    "huber": (lambda t, p: np.where(np.abs(p - t) <= 0.7, 0.5 * (p - t) ** 2,
                                    0.7 * np.abs(p - t) - 0.5 * 0.49).mean(-1),
              YR, PR, {"delta": 0.7}),
    "log_cosh": (lambda t, p: np.log(np.cosh(p - t)).mean(-1), YR, PR, {}),
    "kl_divergence": (lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1)
                                                                / np.clip(p, EPS, 1))).sum(-1),
                      PROBS, PROBS[::-1].copy(), {}),
    "poisson": (lambda t, p: (p - t * np.log(p + EPS)).mean(-1), POS_T, POS_P, {}),
    "cosine_similarity": (lambda t, p: -(_unit(t) * _unit(p)).sum(-1), YR, PR, {}),
    "hinge": (lambda t, p: np.maximum(1 - _hinge_labels(t) * p, 0).mean(-1), YB, PB - 0.5, {}),
    "squared_hinge": (lambda t, p: (np.maximum(1 - _hinge_labels(t) * p, 0) ** 2).mean(-1),
                      YB, PB - 0.5, {}),
    "categorical_hinge": (lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
                          ONEHOT, PROBS, {}),
    "binary_crossentropy": (lambda t, p: -(t * np.log(_clip(p)) + (1 - t) * np.log(1 - _clip(p)))
                            .mean(-1), YB, PB, {}),
    "categorical_crossentropy": (lambda t, p: -(t * np.log(_clip(p / p.sum(-1, keepdims=True))))
                                 .sum(-1), ONEHOT, PROBS, {}),
    "sparse_categorical_crossentropy": (
        lambda t, p: -np.log(_clip(p[np.arange(len(t)), t] / p.sum(-1))), LABELS, PROBS, {}),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_function_matches_numpy(name, dtype):
    ref, yt, yp, kw = REFERENCE[name]
    out = getattr(L, name)(yt, Tensor(yp.astype(dtype)), **kw)
    assert out.dtype == dtype and out.shape == (N,)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(out.array, ref(yt, yp), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reductions_and_sample_weight(name):
    ref, yt, yp, kw = REFERENCE[name]
    fn = getattr(L, name)
    per_sample = ref(yt, yp)
    loss = L.LossFunctionWrapper(fn, **kw)
    np.testing.assert_allclose(loss(yt, Tensor(yp)).item(), per_sample.mean(), rtol=1e-10)
    np.testing.assert_allclose(loss(yt, Tensor(yp), sample_weight=SW).item(),
                               (per_sample * SW).sum() / N, rtol=1e-10)
    for reduction, expected in [("sum", (per_sample * SW).sum()),
                                ("mean_with_sample_weight", (per_sample * SW).sum() / SW.sum())]:
        out = L.LossFunctionWrapper(fn, reduction=reduction, **kw)(yt, Tensor(yp), SW)
        np.testing.assert_allclose(out.item(), expected, rtol=1e-10)
    none = L.LossFunctionWrapper(fn, reduction=None, **kw)(yt, Tensor(yp), SW)
    np.testing.assert_allclose(none.array, per_sample * SW, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_gradcheck(name):
    _, yt, yp, kw = REFERENCE[name]
    fn = L.LossFunctionWrapper(getattr(L, name), **kw)
    x = Tensor(yp.copy(), requires_grad=True)
    assert gradcheck(lambda p: fn(yt, p), (x,))
    assert gradcheck(lambda p: fn(yt, p, sample_weight=SW), (x,))


def test_logit_paths_match_probability_paths_and_gradcheck():
    z = Tensor(LOGITS.copy(), requires_grad=True)
    p = Tensor(PROBS)
    for logits_loss, prob_loss, yt in [
            (L.SparseCategoricalCrossentropy(from_logits=True), L.SparseCategoricalCrossentropy(),
             LABELS),
            (L.CategoricalCrossentropy(from_logits=True), L.CategoricalCrossentropy(), ONEHOT)]:
        np.testing.assert_allclose(logits_loss(yt, z).item(), prob_loss(yt, p).item(), rtol=1e-8)
        assert gradcheck(lambda x: logits_loss(yt, x), (z,))
        assert gradcheck(lambda x: logits_loss(yt, x, sample_weight=SW), (z,))
    zb = Tensor(LOGITS[:, :1].copy(), requires_grad=True)
    sig = 1 / (1 + np.exp(-LOGITS[:, :1]))
    bce = L.BinaryCrossentropy(from_logits=True)
    np.testing.assert_allclose(bce(YB, zb).item(), L.BinaryCrossentropy()(YB, Tensor(sig)).item(),
                               rtol=1e-6)
    assert gradcheck(lambda x: bce(YB, x), (zb,))


def test_fused_path_is_one_op_and_equals_general_path():
    z = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = L.SparseCategoricalCrossentropy(from_logits=True)(LABELS, z)
    assert type(loss.grad_fn).__name__ == "SparseCrossEntropy"   # one fused op
    general = L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(LABELS, z)
    np.testing.assert_allclose(loss.item(), general.array.mean(), rtol=1e-6)
    assert type(get_loss("mse")(YR, Tensor(PR, requires_grad=True)).grad_fn).__name__ == "MSE"


def test_label_smoothing_and_axis():
    z = Tensor(LOGITS)
    s = 0.2
    q = ONEHOT * (1 - s) + s / C
    expected = -(q * _log_softmax(LOGITS)).sum(-1).mean()
    got = L.CategoricalCrossentropy(from_logits=True, label_smoothing=s)(ONEHOT, z)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-10)
    t = YB * (1 - s) + 0.5 * s
    expected = -(t * np.log(_clip(PB)) + (1 - t) * np.log(1 - _clip(PB))).mean()
    np.testing.assert_allclose(L.BinaryCrossentropy(label_smoothing=s)(YB, Tensor(PB)).item(),
                               expected, rtol=1e-10)
    # class axis first: (C, N) logits against (N,) labels
    out = L.sparse_categorical_crossentropy(LABELS, Tensor(LOGITS.T.copy()), from_logits=True,
                                            axis=0)
    np.testing.assert_allclose(out.array, -_log_softmax(LOGITS)[np.arange(N), LABELS], rtol=1e-10)
    out = L.categorical_crossentropy(ONEHOT.T, Tensor(LOGITS.T.copy()), from_logits=True, axis=0)
    np.testing.assert_allclose(out.array, -(ONEHOT * _log_softmax(LOGITS)).sum(-1), rtol=1e-10)


def test_sequence_shapes():
    z = RNG.standard_normal((2, 3, C))
    lab = RNG.integers(0, C, (2, 3))
    out = L.sparse_categorical_crossentropy(lab, Tensor(z), from_logits=True)
    assert out.shape == (2, 3)
    ref = -np.take_along_axis(_log_softmax(z), lab[..., None], -1)[..., 0]
    np.testing.assert_allclose(out.array, ref, rtol=1e-10)
    # temporal sample weights (2, 3) and per-sequence weights (2,)
    loss = L.SparseCategoricalCrossentropy(from_logits=True)
    w = RNG.random((2, 3))
    np.testing.assert_allclose(loss(lab, Tensor(z), w).item(), (ref * w).sum() / 6, rtol=1e-10)
    np.testing.assert_allclose(loss(lab, Tensor(z), w[:, 0]).item(),
                               (ref * w[:, :1]).sum() / 6, rtol=1e-10)


def test_ignore_class_means_over_kept_samples():
    lab = np.array([0, 3, -1, 1, -1])
    ref = -_log_softmax(LOGITS)[np.arange(N), np.where(lab < 0, 0, lab)]
    keep = lab != -1
    for loss in (L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
                 L.get({"class_name": "SparseCategoricalCrossentropy",
                        "config": {"from_logits": True, "ignore_class": -1}})):
        np.testing.assert_allclose(loss(lab, Tensor(LOGITS)).item(), ref[keep].mean(), rtol=1e-10)
        np.testing.assert_allclose(loss(lab, Tensor(LOGITS), SW).item(),
                                   (ref * SW)[keep].sum() / keep.sum(), rtol=1e-10)


def test_rank_fixups_and_array_inputs():
    # (N,) targets against (N, 1) predictions, and (N, 1) labels for the sparse loss
    yp = Tensor(PB.astype(np.float32))
    assert L.binary_crossentropy(YB[:, 0], yp).shape == (N,)
    np.testing.assert_allclose(get_loss("mse")(YB[:, 0], yp).item(), ((YB - PB) ** 2).mean(),
                               rtol=1e-6)
    np.testing.assert_allclose(get_loss("sparse_categorical_crossentropy")(LABELS[:, None], PROBS)
                               .item(), REFERENCE["sparse_categorical_crossentropy"][0](
                                   LABELS, PROBS).mean(), rtol=1e-10)
    # float labels are accepted; lists and float64 targets against float32 predictions too
    out = get_loss("sparse_categorical_crossentropy")(LABELS.astype(np.float32), PROBS)
    assert np.isfinite(out.item())
    assert get_loss("mse")([[1.0], [2.0]], Tensor(np.ones((2, 1), np.float32))).dtype == np.float32


def test_errors_are_explicit():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy.*to_categorical"):
        get_loss("categorical_crossentropy")(LABELS, PROBS)
    with pytest.raises(ValueError, match=r"integer class labels"):
        L.CategoricalCrossentropy(from_logits=True)(LABELS[:, None], LOGITS)
    with pytest.raises(ValueError, match=r"label 4.*4 classes.*\[0, 3\]"):
        get_loss("sparse_categorical_crossentropy")(np.array([0, 4, 1, 1, 2]), PROBS)
    with pytest.raises(ValueError, match=r"label -2"):
        L.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, -2, 1, 1, 2]), LOGITS)
    with pytest.raises(ValueError, match="one-hot"):
        get_loss("sparse_categorical_crossentropy")(ONEHOT, PROBS)
    with pytest.raises(ValueError, match=r"\(5, 2\).*\(5, 3\)"):
        get_loss("mse")(np.ones((N, 2)), PR)
    with pytest.raises(ValueError, match=r"\(5, 4\).*\(5, 1\)"):
        get_loss("binary_crossentropy")(ONEHOT, PB)
    with pytest.raises(ValueError, match="non-integer"):
        get_loss("sparse_categorical_crossentropy")(np.full(N, 0.5), PROBS)
    with pytest.raises(ValueError, match="sample_weight"):
        get_loss("mse")(YR, PR, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="reduction"):
        L.MeanSquaredError(reduction="average")
    with pytest.warns(SyntaxWarning):
        L.categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))


def test_registry_and_configs():
    # Keras 3's get: a function's name gives the function, a class name an instance ...
    assert L.get("mse") is L.get("MSE") is L.mean_squared_error and L.get("kld") is L.kl_divergence
    assert isinstance(L.get("BinaryCrossentropy"), L.BinaryCrossentropy)
    # ... and compile wraps functions in a Loss named after the string
    for name in ("mse", "mae", "categorical_crossentropy", "sparse_categorical_crossentropy",
                 "binary_crossentropy", "huber", "kl_divergence", "kld", "hinge", "MSE",
                 "BinaryCrossentropy"):
        assert isinstance(get_loss(name), L.Loss)
    assert get_loss("mse").name == "mse" and get_loss("mse").fn is L.mean_squared_error
    assert isinstance(L.get("Huber"), L.Huber) and L.get(L.Hinge).name == "hinge"
    loss = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert L.get(loss) is loss and loss.from_logits
    with pytest.raises(ValueError, match=r"Unknown loss 'msqe'.*'mse'"):
        L.get("msqe")
    with pytest.raises(ValueError, match="Could not interpret"):
        L.get(3)
    for obj in (L.Huber(delta=2.0), L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                L.SparseCategoricalCrossentropy(ignore_class=0, reduction="sum"),
                L.MeanSquaredError(name="m"), L.CosineSimilarity(axis=0),
                L.LossFunctionWrapper(L.poisson, reduction="none")):
        again = L.deserialize(L.serialize(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert L.Huber(delta=2.0).get_config() == {"name": "huber_loss",
                                               "reduction": "sum_over_batch_size", "delta": 2.0}
    assert L.serialize(L.mean_squared_error) == {
        "module": "builtins", "class_name": "function", "config": "mean_squared_error",
        "registered_name": "function"}                       # Keras 3's form
    assert L.deserialize(L.serialize(L.mean_squared_error)) is L.mean_squared_error
    assert L.serialize(L.Huber())["module"] == "keras.losses"


def test_custom_function_and_crossentropy_autoselect():
    def my_loss(y_true, y_pred):
        return deepgrad.mean((y_true - y_pred) ** 2, -1)

    assert L.get(my_loss) is my_loss
    loss = get_loss(my_loss)
    assert loss.name == "my_loss"
    np.testing.assert_allclose(loss(YB[:, 0], Tensor(PB)).item(), ((YB - PB) ** 2).mean())
    ce = get_loss("crossentropy")
    for yt, yp, fn in [(YB, PB, L.binary_crossentropy), (LABELS, PROBS,
                                                         L.sparse_categorical_crossentropy),
                       (ONEHOT, PROBS, L.categorical_crossentropy)]:
        np.testing.assert_allclose(ce(yt, Tensor(yp)).item(), fn(yt, yp).array.mean(), rtol=1e-10)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name,kwargs,yt,yp", [
    ("MeanSquaredError", {}, YR, PR), ("Huber", {"delta": 0.7}, YR, PR),
    ("LogCosh", {}, YR, PR), ("CosineSimilarity", {}, YR, PR), ("Hinge", {}, YB, PB),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, YB, PB),
    ("BinaryCrossentropy", {"from_logits": True}, YB, LOGITS[:, :1]),
    ("CategoricalCrossentropy", {}, ONEHOT, PROBS),
    ("CategoricalCrossentropy", {"from_logits": True}, ONEHOT, LOGITS),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, LABELS, LOGITS),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1}, LABELS, PROBS),
    ("KLDivergence", {}, PROBS, PROBS[::-1]), ("Poisson", {}, POS_T, POS_P)])
def test_matches_keras(name, kwargs, yt, yp):
    keras = _keras()
    yt32, yp32, w = yt.astype(np.float32), yp.astype(np.float32), SW.astype(np.float32)
    for weight in (None, w):
        ref = getattr(keras.losses, name)(**kwargs)(yt32, yp32, sample_weight=weight)
        got = getattr(L, name)(**kwargs)(yt32, Tensor(yp32), sample_weight=weight)
        np.testing.assert_allclose(got.item(), float(keras.ops.convert_to_numpy(ref)), rtol=1e-5)


def test_softmax_and_sigmoid_hand_their_logits_to_the_cross_entropies():
    """keras.activations.softmax/sigmoid hand their logits on with their output (Keras 3's
    ``_keras_logits``), and the cross-entropies of those probabilities run on them: one
    fused op, the clipped path's value away from the clip, exact gradients, with or
    without a graph being recorded. Nothing reads the autograd graph: the same
    probabilities made by another op take the clipped probability path."""
    import deepgrad as dg
    from deepgrad.keras import activations as A
    z = Tensor(LOGITS.astype(np.float64), requires_grad=True)
    p = A.softmax(z)
    loss = L.SparseCategoricalCrossentropy()(LABELS, p)
    assert type(loss.grad_fn).__name__ == "SparseCrossEntropy"          # one fused op
    ref = L.SparseCategoricalCrossentropy()(LABELS, Tensor(p.array))    # plain probabilities
    assert type(ref.grad_fn).__name__ != "SparseCrossEntropy"
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-9)
    with dg.no_grad():                                                  # evaluation: same op
        np.testing.assert_allclose(L.SparseCategoricalCrossentropy()(LABELS, A.softmax(z))
                                   .item(), loss.item(), rtol=1e-12)
    onehot = np.eye(LOGITS.shape[1])[LABELS]
    cce = L.CategoricalCrossentropy()(onehot, A.softmax(z))
    np.testing.assert_allclose(cce.item(), ref.item(), rtol=1e-9)
    weighted = L.CategoricalCrossentropy()(onehot, A.softmax(z), sample_weight=np.ones(N))
    np.testing.assert_allclose(weighted.item(), cce.item(), rtol=1e-12)  # per-sample: same
    assert gradcheck(lambda x: L.SparseCategoricalCrossentropy()(LABELS, A.softmax(x)), (z,))
    torch_style = L.SparseCategoricalCrossentropy()(LABELS, dg.softmax(z, dim=-1))
    assert type(torch_style.grad_fn).__name__ != "SparseCrossEntropy"  # no graph inspection
    zb = Tensor(LOGITS[:, :1].astype(np.float64), requires_grad=True)
    bce = L.BinaryCrossentropy()(YB, A.sigmoid(zb))
    assert type(bce.grad_fn.inputs[0].grad_fn).__name__ == "BCEWithLogits"
    np.testing.assert_allclose(bce.item(), L.BinaryCrossentropy()(
        YB, Tensor(A.sigmoid(zb).array)).item(), rtol=1e-7)
    # softmax logits are not sigmoid logits (and the axis must match)
    assert type(L.BinaryCrossentropy()(np.eye(4)[LABELS], A.softmax(z)).grad_fn).__name__ \
        != "BCEWithLogits"
    # extreme logits: finite loss and gradient (the clipped path would saturate at 16.1)
    big = Tensor(np.array([[1e4, -1e4]]), requires_grad=True)
    out = L.SparseCategoricalCrossentropy()(np.array([1]), A.softmax(big))
    out.backward()
    assert np.isfinite(out.item()) and out.item() > 1e3 and np.isfinite(big.grad.array).all()


def test_training_and_evaluation_compute_the_same_loss():
    from deepgrad.keras import layers
    import deepgrad.keras as keras
    keras.utils.set_random_seed(0)
    x = RNG.standard_normal((16, 4)).astype("float32")
    y = RNG.integers(0, 3, 16)
    for act, loss, target in (("softmax", "sparse_categorical_crossentropy", y),
                              ("sigmoid", "binary_crossentropy", (y > 0).astype("float32"))):
        units = 3 if act == "softmax" else 1
        model = keras.Sequential([keras.Input((4,)), layers.Dense(units, activation=act)])
        model.compile(keras.optimizers.SGD(0.0), loss)          # lr 0: weights stay
        trained = model.fit(x, target, batch_size=16, shuffle=False,
                            verbose=0).history["loss"][0]
        evaluated = model.evaluate(x, target, batch_size=16, verbose=0)
        assert trained == evaluated
