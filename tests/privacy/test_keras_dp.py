"""DP-SGD on the Keras front (TF Privacy's names): per-example gradients of Keras layers,
the DP optimizers' step against the formula, fit, compute_dp_sgd_privacy, refusals."""
import math
import warnings

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.keras as K
from deepgrad.privacy import (
    DPKerasAdamOptimizer, DPKerasSGDOptimizer, compute_dp_sgd_privacy)
from deepgrad.privacy.keras.grad_sample import capture_per_example
from deepgrad.privacy.validators import ShouldReplaceModuleError

L = K.layers


def _loss():
    return K.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def _per_example_reference(model, x, y):
    """(B, *shape) per trainable weight: each example's gradient computed alone."""
    params = model.trainable_weights
    out = [[] for _ in params]
    for n in range(len(y)):
        for p in params:
            p.grad = None
        yp = model(x[n:n + 1], training=True)
        model.compute_loss(x[n:n + 1], y[n:n + 1], yp).sum().backward()
        for acc, p in zip(out, params):
            acc.append(np.zeros(p.shape, p.dtype) if p.grad is None else p.grad.numpy().copy())
    return [np.stack(a) for a in out]


def check_capture(model, x, y):
    model.compile(optimizer="sgd", loss=_loss())
    with capture_per_example(model) as cap:
        yp = model(x, training=True)
        model.compute_loss(x, y, yp).sum().backward()
    for p, ref in zip(model.trainable_weights, _per_example_reference(model, x, y)):
        got = cap.grads[id(p)]
        assert got.shape == ref.shape, p.path
        assert np.abs(got - ref).max() <= 1e-5 * (np.abs(ref).max() + 1e-12), p.path
    return cap


@pytest.fixture(autouse=True)
def _seed():
    dg.manual_seed(0)
    np.random.seed(0)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_dense_conv_layer_norm_both_layouts(fmt):
    shape = (9, 9, 2) if fmt == "channels_last" else (2, 9, 9)
    model = K.Sequential([
        L.Input(shape), L.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                                 data_format=fmt),
        L.Conv2D(4, 2, padding="valid", groups=2, activation="tanh", data_format=fmt),
        L.Flatten(), L.Dense(5, activation="elu"), L.LayerNormalization(), L.Dense(3)])
    x = np.random.randn(5, *shape).astype("float32")
    cap = check_capture(model, x, np.random.randint(0, 3, 5))
    assert not cap.generic_layers and len(cap.rule_layers) == 5


def test_embedding_conv1d_and_the_generic_path():
    model = K.Sequential([L.Input((7,), dtype="int32"), L.Embedding(20, 4),
                          L.Conv1D(5, 3, padding="causal", activation="relu"), L.LSTM(3),
                          L.Dense(2)])
    cap = check_capture(model, np.random.randint(0, 20, (4, 7)), np.random.randint(0, 2, 4))
    assert [type(layer).__name__ for layer in cap.generic_layers] == ["LSTM"]


def test_capture_leaves_the_layers_as_they_were():
    dense = L.Dense(2, activation="relu")
    model = K.Sequential([L.Input((3,)), dense])
    act = dense.activation
    with capture_per_example(model):
        assert "call" in dense.__dict__
    assert "call" not in dense.__dict__ and dense.activation is act


def _dp_reference(model, x, y, C, M):
    per = _per_example_reference(model, x, y)
    micro = [g.reshape((M, -1) + g.shape[1:]).mean(1) for g in per]
    norms = np.sqrt(sum((m.reshape(M, -1) ** 2).sum(1) for m in micro))
    factor = C / np.maximum(norms, C)
    return [np.tensordot(factor, m, 1) / M for m in micro]


@pytest.mark.parametrize("microbatches", [None, 2])
def test_dp_sgd_step_is_microbatch_clip_and_average(microbatches):
    model = K.Sequential([L.Input((4,)), L.Dense(6, activation="tanh"), L.Dense(3)])
    x, y = np.random.randn(8, 4).astype("float32"), np.random.randint(0, 3, 8)
    opt = DPKerasSGDOptimizer(l2_norm_clip=0.05, noise_multiplier=0.0,
                              num_microbatches=microbatches, learning_rate=1.0)
    model.compile(optimizer=opt, loss=_loss())
    before = [p.numpy().copy() for p in model.trainable_weights]
    expected = _dp_reference(model, x, y, 0.05, microbatches or 8)
    model.train_on_batch(x, y) if hasattr(model, "train_on_batch") else model.fit(
        x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for p, b, g in zip(model.trainable_weights, before, expected):
        np.testing.assert_allclose(p.numpy(), b - g, rtol=1e-4, atol=1e-7)


def test_noise_has_the_documented_scale():
    model = K.Sequential([L.Input((3,)), L.Dense(200, use_bias=False)])
    opt = DPKerasSGDOptimizer(l2_norm_clip=2.0, noise_multiplier=1.5, num_microbatches=4,
                              learning_rate=1.0)
    model.compile(optimizer=opt, loss=K.losses.MeanSquaredError(reduction="none"))
    x, y = np.zeros((4, 3), "float32"), np.zeros((4, 200), "float32")   # zero gradient
    before = model.trainable_weights[0].numpy().copy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    step = model.trainable_weights[0].numpy() - before          # = -noise / M
    assert abs(step.std() - 1.5 * 2.0 / 4) < 0.05 * 0.75


def test_fit_learns_and_regularizers_count_per_example():
    x = np.random.randn(256, 4).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = K.Sequential([L.Input((4,)), L.Dense(8, activation="relu",
                                                 kernel_regularizer=K.regularizers.L2(1e-3)),
                          L.Dense(2)])
    model.compile(optimizer=DPKerasAdamOptimizer(l2_norm_clip=1.0, noise_multiplier=0.5,
                                                 learning_rate=0.02),
                  loss=_loss(), metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.7
    loss, acc = model.evaluate(x, y, verbose=0)
    assert math.isfinite(loss) and acc > 0.7


def test_refusals():
    model = K.Sequential([L.Input((4,)), L.Dense(3)])
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0, learning_rate=0.1),
                  loss=K.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.random.randn(8, 4).astype("float32"), np.random.randint(0, 3, 8)
    with pytest.raises(ValueError, match="reduction='none'"):
        model.fit(x, y, batch_size=8, verbose=0)
    model.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0, num_microbatches=3,
                                                learning_rate=0.1), loss=_loss())
    with pytest.raises(ValueError, match="divisible"):
        model.fit(x, y, batch_size=8, verbose=0)
    bn = K.Sequential([L.Input((4,)), L.Dense(3), L.BatchNormalization()])
    bn.compile(optimizer=DPKerasSGDOptimizer(1.0, 1.0, learning_rate=0.1), loss=_loss())
    with pytest.raises(ShouldReplaceModuleError, match="BatchNormalization"):
        bn.fit(x, y, batch_size=8, verbose=0)
    opt = DPKerasSGDOptimizer(1.0, 1.0, learning_rate=0.1)
    with pytest.raises(RuntimeError, match="DP step"):
        opt.apply([dg.zeros(3)], [K.Variable(np.zeros(3, "float32"))])
    for bad in (dict(l2_norm_clip=0.0, noise_multiplier=1.0),
                dict(l2_norm_clip=1.0, noise_multiplier=-1.0),
                dict(l2_norm_clip=1.0, noise_multiplier=1.0, num_microbatches=0)):
        with pytest.raises(ValueError):
            DPKerasSGDOptimizer(**bad)


def test_compute_dp_sgd_privacy_tf_privacy_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eps, order = compute_dp_sgd_privacy(n=60000, batch_size=256, noise_multiplier=1.2,
                                            epochs=10, delta=1e-5)
    assert round(eps, 2) == 0.93 and order == 14          # TF Privacy's first MNIST run
    with pytest.raises(ValueError, match="larger than the batch size"):
        compute_dp_sgd_privacy(n=100, batch_size=256, noise_multiplier=1.0, epochs=1,
                               delta=1e-5)


def test_compute_dp_sgd_privacy_equals_dp_accounting():
    dp_accounting = pytest.importorskip("dp_accounting")
    from deepgrad.privacy.compute_dp_sgd_privacy_lib import TF_PRIVACY_ORDERS
    for n, b, sigma, epochs in [(60000, 256, 1.12, 60), (60000, 256, 0.6, 30),
                                (1000, 50, 2.0, 3)]:
        acc = dp_accounting.rdp.RdpAccountant(TF_PRIVACY_ORDERS)
        event = dp_accounting.PoissonSampledDpEvent(b / n, dp_accounting.GaussianDpEvent(sigma))
        acc.compose(dp_accounting.SelfComposedDpEvent(event, int(math.ceil(epochs * n / b))))
        ref, ref_order = acc.get_epsilon_and_optimal_order(1e-5)
        eps, order = compute_dp_sgd_privacy(n, b, sigma, epochs, 1e-5)
        assert eps == pytest.approx(ref, rel=1e-9) and order == ref_order
