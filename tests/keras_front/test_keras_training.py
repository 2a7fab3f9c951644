"""compile / fit / evaluate / predict semantics, as Keras defines them, and bad input."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.keras as keras
from deepgrad.keras import layers
from deepgrad.keras.callbacks import Callback

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64)


def mlp(units=2, activation="softmax", **compile_kwargs):
    dg.manual_seed(0)
    m = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                          layers.Dense(units, activation=activation)])
    kw = dict(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    kw.update(compile_kwargs)
    m.compile(**kw)
    return m


def test_fit_returns_history_with_keras_keys_and_learns():
    m = mlp()
    h = m.fit(X, Y, epochs=15, batch_size=8, validation_split=0.25, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(h.history["loss"]) == 15 and h.epoch == list(range(15))
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_validation_split_takes_the_last_fraction_before_shuffling():
    seen = []

    class Spy(layers.Layer):
        def call(self, x, training=None):
            if not training:
                seen.append(x.numpy().copy())
            return x

    dg.manual_seed(0)
    m = keras.Sequential([Spy(input_shape=(4,)), layers.Dense(2, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy")
    seen.clear()                       # building ran the layer once on a dummy batch
    m.fit(X, Y, epochs=1, batch_size=100, validation_split=0.25, verbose=0)
    np.testing.assert_array_equal(np.concatenate(seen), X[30:])


def test_shuffle_false_keeps_order_and_shuffle_true_permutes():
    order = []

    class Spy(layers.Layer):
        def call(self, x, training=None):
            if training:
                order.append(x.numpy()[:, 0].copy())
            return x

    dg.manual_seed(0)
    m = keras.Sequential([Spy(input_shape=(4,)), layers.Dense(2, activation="softmax")])
    m.compile("sgd", "sparse_categorical_crossentropy")
    m.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_array_equal(np.concatenate(order), X[:, 0])
    order.clear()
    m.fit(X, Y, epochs=1, batch_size=8, shuffle=True, verbose=0)
    got = np.concatenate(order)
    assert not np.array_equal(got, X[:, 0]) and np.array_equal(np.sort(got), np.sort(X[:, 0]))


def test_evaluate_return_forms_and_predict_batches():
    m = mlp()
    m.fit(X, Y, epochs=2, verbose=0)
    res = m.evaluate(X, Y, verbose=0)
    assert isinstance(res, list) and len(res) == 2          # [loss, accuracy]
    d = m.evaluate(X, Y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "accuracy"} and np.isclose(d["loss"], res[0])
    m2 = mlp(metrics=None)
    assert isinstance(m2.evaluate(X, Y, verbose=0), float)   # a scalar without metrics
    p = m.predict(X, batch_size=7, verbose=0)
    assert isinstance(p, np.ndarray) and p.shape == (40, 2)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(p, m(X).numpy(), rtol=1e-6)


def test_accuracy_resolves_from_loss_and_shapes():
    m = mlp()
    m.fit(X, Y, epochs=1, verbose=0)
    name = type(m._compile_metrics.metrics[0]).__name__
    assert name == "SparseCategoricalAccuracy"
    mb = mlp(units=1, activation="sigmoid", loss="binary_crossentropy")
    mb.fit(X, Y.astype(np.float32), epochs=1, verbose=0)
    assert type(mb._compile_metrics.metrics[0]).__name__ == "BinaryAccuracy"
    mc = mlp(loss="categorical_crossentropy")
    mc.fit(X, np.eye(2)[Y], epochs=1, verbose=0)
    assert type(mc._compile_metrics.metrics[0]).__name__ == "CategoricalAccuracy"


def test_class_weight_and_sample_weight_scale_the_loss():
    m = mlp(metrics=None)
    w0 = m.get_weights()
    base = m.evaluate(X, Y, verbose=0)
    sw = np.where(Y == 1, 3.0, 1.0).astype(np.float32)
    weighted = m.evaluate(X, Y, sample_weight=sw, verbose=0)
    assert not np.isclose(base, weighted)
    m.fit(X, Y, epochs=1, batch_size=40, class_weight={0: 1.0, 1: 3.0}, shuffle=False, verbose=0)
    m2 = mlp(metrics=None)                       # same initial weights, fresh optimizer
    for x, y in zip(w0, m2.get_weights()):
        np.testing.assert_array_equal(x, y)
    m2.fit(X, Y, epochs=1, batch_size=40, sample_weight=sw, shuffle=False, verbose=0)
    for x, y in zip(m.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(x, y, rtol=1e-6)


def test_generators_and_dataloaders_feed_fit():
    m = mlp()

    def gen():
        while True:
            for i in range(0, 40, 8):
                yield X[i:i + 8], Y[i:i + 8]
    h = m.fit(gen(), steps_per_epoch=5, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    from deepgrad.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(dg.tensor(X), dg.tensor(Y)), batch_size=8)
    h = m.fit(loader, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2


def test_functional_model_with_named_inputs_and_two_outputs():
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    h = layers.Concatenate()([layers.Dense(5, activation="relu")(a), b])
    out1 = layers.Dense(2, activation="softmax", name="cls")(h)
    out2 = layers.Dense(1, name="reg")(h)
    m = keras.Model([a, b], [out1, out2])
    m.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
              metrics={"cls": "accuracy"})
    xb = RNG.standard_normal((40, 3)).astype(np.float32)
    yr = RNG.standard_normal((40, 1)).astype(np.float32)
    h = m.fit({"a": X, "b": xb}, [Y, yr], epochs=2, verbose=0)
    assert list(h.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]   # Keras's
    with pytest.raises(ValueError, match="dict keyed by output name"):
        m.compile("adam", loss="mse", metrics=["accuracy"])     # ambiguous for 2 outputs
    p1, p2 = m.predict([X, xb], verbose=0)
    assert p1.shape == (40, 2) and p2.shape == (40, 1)


def test_subclassed_model_trains():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(8, activation="relu")
            self.d2 = layers.Dense(2, activation="softmax")

        def call(self, x, training=None):
            return self.d2(self.d1(x))
    m = Net()
    m.compile("adam", "sparse_categorical_crossentropy")
    h = m.fit(X, Y, epochs=3, verbose=0)
    assert len(m.trainable_weights) == 4 and h.history["loss"][-1] < h.history["loss"][0]


def test_train_test_predict_on_batch():
    m = mlp()
    loss, acc = m.train_on_batch(X, Y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert len(m.test_on_batch(X, Y)) == 2
    assert m.predict_on_batch(X).shape == (40, 2)


def test_regularizer_penalty_is_added_to_the_loss():
    dg.manual_seed(0)
    m = keras.Sequential([layers.Dense(2, input_shape=(4,), kernel_regularizer=keras.regularizers.l2(0.5))])
    m.compile("sgd", "mse")
    y = np.zeros((40, 2), np.float32)
    k = m.layers[0].kernel.numpy()
    pred = X @ k + m.layers[0].bias.numpy()
    expected = (pred ** 2).mean() + 0.5 * (k ** 2).sum()
    np.testing.assert_allclose(m.evaluate(X, y, verbose=0), expected, rtol=1e-5)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    mlp().fit(X, Y, epochs=2, batch_size=20, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and out.count("2/2 - ") == 2


# ------------------------------------------------------------------ bad input
def test_bad_input_is_refused_before_any_weight_changes():
    m = mlp()
    before = m.get_weights()
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        m.fit(X, Y[:30], verbose=0)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        m.fit(bad, Y, verbose=0)
    with pytest.raises(ValueError, match=r'layer "dense.*expected axis -1 of input shape to have value 4'):
        m.fit(np.zeros((40, 5), np.float32), Y, verbose=0)
    with pytest.raises(ValueError):
        m.fit(X, Y + 5, verbose=0)              # class index >= units
    mc = mlp(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy|to_categorical"):
        mc.fit(X, Y, verbose=0)                 # integer labels with categorical CE
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, match", [
    (dict(optimizer="adamm", loss="mse"), "adamm"),
    (dict(optimizer="adam", loss="msee"), "msee"),
])
def test_unknown_names_are_clear_errors(kwargs, match):
    m = keras.Sequential([layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match=match):
        m.compile(**kwargs)


def test_unknown_activation_and_fit_before_compile():
    with pytest.raises(ValueError, match="relux"):
        layers.Dense(2, activation="relux")
    m = keras.Sequential([layers.Dense(2, input_shape=(4,))])
    with pytest.raises(ValueError, match="compile"):          # Keras 3 raises ValueError
        m.fit(X, Y, verbose=0)


def test_tf_keras_namespace_and_legacy_lr():
    import deepgrad as tf
    model = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,))])
    opt = tf.keras.optimizers.SGD(lr=0.01)
    assert np.isclose(float(opt.learning_rate), 0.01)
    model.compile(optimizer=opt, loss="mse")
    assert model.count_params() == 15


def test_backend_settings():
    K = keras.backend
    assert K.floatx() == "float32" and K.image_data_format() == "channels_last"
    assert K.epsilon() == 1e-7
