"""Keras 3's override contracts: train_step/test_step/predict_step(self, data) with the
dict they return as the logs, compute_loss/compute_metrics, the metrics property and
trackers fit resets, add_loss/losses, gradients the torch-backend way and through a
GradientTape, multi-output names, and the same logs as Keras 3 from the same weights."""
import os

import numpy as np
import pytest

import deepgrad as dg
import deepgrad as tf                         # tf.GradientTape, as Keras's TF guides write it
import deepgrad as torch                      # torch.no_grad, as Keras's torch guides write it
from deepgrad import keras
from deepgrad.keras import layers, ops

RNG = np.random.default_rng(0)
X = RNG.random((64, 8)).astype("float32")
Y = (X[:, :4].sum(1) > X[:, 4:].sum(1)).astype("int64")


def _mlp(cls=keras.Model, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(8,))
    h = layers.Dense(16, activation="relu")(inputs)
    return cls(inputs, layers.Dense(2, activation="softmax")(h))


class TorchStyle(keras.Model):
    """keras-io's custom_train_step_in_torch, its first example, unchanged."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TapeStyle(keras.Model):
    """keras-io's custom_train_step_in_tensorflow, its first example, unchanged."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


# ---------------------------------------------------------------------- data contract
def test_unpack_and_pack_x_y_sample_weight():
    U, P = keras.utils.unpack_x_y_sample_weight, keras.utils.pack_x_y_sample_weight
    assert U(X) == (X, None, None) and U((X,)) == (X, None, None)
    assert U([X, Y]) == (X, Y, None) and U((X, Y, 1)) == (X, Y, 1)
    with pytest.raises(ValueError, match=r"`x`, `\(x,\)`, `\(x, y\)`"):
        U((1, 2, 3, 4))
    assert P(X) is X and P([X, X]) == ([X, X],) and P(X, Y) == (X, Y)
    assert P(X, Y, 3) == (X, Y, 3)


@pytest.mark.parametrize("with_y, with_sw", [(False, False), (True, False), (True, True)])
def test_train_step_receives_keras_data(with_y, with_sw):
    seen = []

    class Spy(keras.Model):
        def train_step(self, data):
            seen.append(data)
            return {"n": 1.0}

    m = Spy(*_graph())
    m.compile("sgd", "mse")
    args = [X] + ([Y] if with_y else [])
    m.fit(*args, sample_weight=np.ones(64) if with_sw else None, batch_size=32,
          shuffle=False, verbose=0)
    assert len(seen) == 2
    first = seen[0]
    if not with_y:
        assert isinstance(first, dg.Tensor) and first.shape == (32, 8)     # x itself
    else:
        assert isinstance(first, tuple) and len(first) == (3 if with_sw else 2)
        assert all(isinstance(t, dg.Tensor) for t in first)
        np.testing.assert_array_equal(first[1].numpy(), Y[:32])


def _graph():
    inputs = keras.Input(shape=(8,))
    return inputs, layers.Dense(2)(inputs)


# ---------------------------------------------------------------------- returned logs
def test_returned_dict_is_the_logs_of_progbar_history_and_callbacks(capsys):
    batch_logs = []

    class Custom(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = keras.losses.MeanSquaredError()(y, y_pred)
            loss.backward()
            self.optimizer.apply([v.value.grad for v in self.trainable_weights],
                                 self.trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result(),
                    "nested": {"z": dg.tensor(2.0)}}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    inputs = keras.Input(shape=(8,))
    model = Custom(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam")                        # no loss: the step computes it
    yr = X.sum(1, keepdims=True)
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: batch_logs.append(logs))
    h = model.fit(X, yr, epochs=2, batch_size=16, verbose=2, callbacks=[cb])
    assert list(h.history) == ["loss", "mae", "z"]          # flattened, sorted, as Keras
    assert all(isinstance(v, float) for v in h.history["loss"] + h.history["z"])
    assert batch_logs[0] == {"loss": batch_logs[0]["loss"], "mae": batch_logs[0]["mae"],
                             "z": 2.0}
    out = capsys.readouterr().out
    assert "loss: " in out and "mae: " in out and "z: 2" in out
    # the trackers are reset at each epoch: epoch 2's loss is epoch 2's mean only
    assert model.loss_tracker.count.value == 4.0


def test_custom_metric_trackers_are_in_metrics_and_reset_by_fit_and_evaluate():
    class WithTracker(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seen = keras.metrics.Mean(name="seen")

        def train_step(self, data):
            logs = super().train_step(data)
            self.seen.update_state(1.0)
            return {**logs, "seen": self.seen.result()}

    m = _mlp(WithTracker)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert [x.name for x in m.metrics] == ["loss", "compile_metrics", "seen"]
    assert m.metrics_names == ["loss", "compile_metrics", "seen"]
    m.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert m.seen.count.value == 4.0                       # reset at the second epoch


def test_default_steps_match_the_contract_and_evaluate_forms():
    m = _mlp()
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = m.train_on_batch(X, Y, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss"]
    data = (dg.tensor(X), dg.tensor(Y))
    out = m.test_step(data)
    assert sorted(out) == ["accuracy", "loss"]
    pred = m.predict_step((dg.tensor(X),))
    assert isinstance(pred, dg.Tensor) and pred.shape == (64, 2)
    loss, acc = m.evaluate(X, Y, verbose=0)
    assert m.evaluate(X, Y, verbose=0, return_dict=True) == {"accuracy": acc, "loss": loss}


def test_compute_loss_override_with_and_without_training():
    calls = []

    class New(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            calls.append(("new", training))
            return super().compute_loss(x, y, y_pred, sample_weight, training)

    class Old(keras.Model):                   # Keras < 3.3 signature, still honoured
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            calls.append(("old", None))
            return ops.mean(ops.square(y_pred - ops.one_hot(y, 2)))

    for cls in (New, Old):
        m = _mlp(cls)
        m.compile("sgd", "sparse_categorical_crossentropy")
        m.fit(X, Y, batch_size=64, verbose=0)
        m.evaluate(X, Y, batch_size=64, verbose=0)
    assert calls == [("new", True), ("new", False), ("old", None), ("old", None)]


def test_compute_metrics_override_adds_entries():
    class Extra(keras.Model):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            results = super().compute_metrics(x, y, y_pred, sample_weight)
            results["mean_pred"] = float(y_pred.numpy()[:, 1].mean())
            return results

    m = _mlp(Extra)
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=32, verbose=0)
    assert sorted(h.history) == ["accuracy", "loss", "mean_pred"]


def test_test_step_and_predict_step_overrides():
    class Custom(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def predict_step(self, data):
            x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            return ops.argmax(self(x, training=False), axis=-1)

    m = _mlp(Custom)
    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = m.evaluate(X, Y, verbose=0)
    ref = _mlp()
    ref.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose([loss, acc], ref.evaluate(X, Y, verbose=0), rtol=1e-6)
    labels = m.predict(X, batch_size=10, verbose=0)
    assert labels.shape == (64,) and labels.dtype.kind == "i"


def test_add_loss_and_losses():
    class ActivityPenalty(layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * ops.mean(ops.square(x)))
            return x

    inputs = keras.Input(shape=(8,))
    h = layers.Dense(4, kernel_regularizer=keras.regularizers.L2(0.1))(inputs)
    out = ActivityPenalty()(h)
    m = keras.Model(inputs, out)
    m.compile("sgd", "mse")
    m(X)
    assert len(m.losses) == 2                        # the added loss, then the penalty
    m(X)
    assert len(m.losses) == 2                        # cleared at each outermost call
    hx = X @ m.layers[1].kernel.numpy() + m.layers[1].bias.numpy()
    expected = (hx ** 2).mean() + 0.5 * (hx ** 2).mean() + \
        0.1 * (m.layers[1].kernel.numpy() ** 2).sum()
    np.testing.assert_allclose(m.evaluate(X, np.zeros((64, 4)), verbose=0), expected,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="add_loss"):
        layers.Layer().add_loss(1.0)


def test_torch_style_and_tape_style_give_the_same_training():
    runs = []
    for cls in (TorchStyle, TapeStyle):
        m = _mlp(cls)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        h = m.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0)
        runs.append((h.history, m.get_weights()))
    assert runs[0][0].keys() == runs[1][0].keys() == {"accuracy", "loss"}
    for key in runs[0][0]:
        np.testing.assert_allclose(runs[0][0][key], runs[1][0][key], rtol=1e-6)
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_gan_style_two_optimizers_and_no_compile_loss():
    class GAN(keras.Model):
        def __init__(self, d, g):
            super().__init__()
            self.d, self.g = d, g
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        def train_step(self, real):
            n = real.shape[0]
            noise = keras.random.normal((n, 2), seed=1)
            fake = self.g(noise)
            combined = torch.cat([fake, real], 0)
            labels = torch.cat([torch.ones((n, 1)), torch.zeros((n, 1))], 0)
            self.zero_grad()
            d_loss = self.loss_fn(labels, self.d(combined))
            d_loss.backward()
            grads = [v.value.grad for v in self.d.trainable_weights]
            with torch.no_grad():
                self.d_optimizer.apply(grads, self.d.trainable_weights)
            self.zero_grad()
            g_loss = self.loss_fn(torch.zeros((n, 1)), self.d(self.g(noise)))
            g_loss.backward()
            grads = [v.value.grad for v in self.g.trainable_weights]
            with torch.no_grad():
                self.g_optimizer.apply(grads, self.g.trainable_weights)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(),
                    "g_loss": self.g_loss_tracker.result()}

    d = keras.Sequential([keras.Input((8,)), layers.Dense(1)])
    g = keras.Sequential([keras.Input((2,)), layers.Dense(8)])
    gan = GAN(d, g)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    before = [w.copy() for w in g.get_weights()]
    h = gan.fit(X, epochs=2, batch_size=16, verbose=0)
    assert sorted(h.history) == ["d_loss", "g_loss"] and len(h.history["d_loss"]) == 2
    assert not np.allclose(before[0], g.get_weights()[0])


# ---------------------------------------------------------------------- GradientTape
def test_gradient_tape_semantics():
    x = dg.tensor(np.array([1.0, 2.0, 3.0]))
    w = dg.nn.Parameter(dg.tensor(np.array([0.5, -1.0, 2.0])))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.sum(w * x * x)
        z = ops.sum(3.0 * x)
    g = tape.gradient(y, {"x": x, "w": [w]})               # nested structure kept
    np.testing.assert_allclose(g["x"].numpy(), 2 * w.numpy() * x.numpy())
    np.testing.assert_allclose(g["w"][0].numpy(), x.numpy() ** 2)
    gx, gw = tape.gradient(z, [x, w])                       # persistent: again
    np.testing.assert_allclose(gx.numpy(), [3.0, 3.0, 3.0])
    assert gw is None
    assert tape.gradient(z, w, unconnected_gradients="zero").numpy().tolist() == [0, 0, 0]
    vjp = tape.gradient(x * w, x, output_gradients=dg.tensor(np.array([1.0, 0.0, 2.0])))
    np.testing.assert_allclose(vjp.numpy(), [0.5, 0.0, 4.0])
    assert tape.watched_variables() == [x]


def test_gradient_tape_watching_rules_and_errors():
    v = dg.nn.Parameter(dg.tensor(np.array([2.0])))
    c = dg.tensor(np.array([3.0]))                          # a constant: not watched
    with tf.GradientTape() as tape:
        y = v * c
    assert tape.gradient(y, [v, c])[1] is None
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(y, v)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(c)
        y = v * c
    gv, gc = tape.gradient(y, [v, c])
    assert gv is None and gc.numpy().tolist() == [2.0]
    with pytest.raises(ValueError, match="floating-point"):
        tf.GradientTape().watch(dg.tensor(np.array([1])))
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = v * v
        with pytest.raises(RuntimeError, match="second-order"):
            inner.gradient(y, v)
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            y = v * 2.0
    assert tape.gradient(y, v) is None


# ---------------------------------------------------------------------- multi-output
def _two_outputs():
    keras.utils.set_random_seed(1)
    inp = keras.Input((4,), name="x")
    h = layers.Dense(8, activation="relu", name="h")(inp)
    a = layers.Dense(3, activation="softmax", name="a")(h)
    b = layers.Dense(1, name="b")(h)
    return keras.Model(inp, [a, b])


XM = RNG.random((16, 4)).astype("float32")
YA, YB = RNG.integers(0, 3, 16), RNG.random((16, 1)).astype("float32")


@pytest.mark.parametrize("compile_kwargs, fit_y, keys", [
    (dict(loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
          metrics=[["accuracy"], ["mae", "mse"]]), [YA, YB],
     ["a_accuracy", "a_loss", "b_loss", "b_mae", "b_mse", "loss"]),
    (dict(loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
          metrics={"a": "accuracy"}), {"a": YA, "b": YB},
     ["a_accuracy", "a_loss", "b_loss", "loss"]),
    (dict(loss="mse"), [YA[:, None].astype("float32"), YB], ["a_loss", "b_loss", "loss"]),
])
def test_multi_output_losses_metrics_and_names(compile_kwargs, fit_y, keys):
    m = _two_outputs()
    m.compile("sgd", **compile_kwargs)
    h = m.fit(XM, fit_y, epochs=1, batch_size=8, verbose=0)
    assert list(h.history) == keys
    h = m.fit(XM, fit_y, epochs=1, batch_size=8, verbose=0, validation_split=0.25)
    assert list(h.history) == keys + [f"val_{k}" for k in keys]


def test_multi_output_total_is_the_weighted_sum():
    m = _two_outputs()
    m.compile("sgd", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5])
    logs = m.evaluate(XM, [YA, YB], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["a_loss"] + 0.5 * logs["b_loss"], rtol=1e-6)
    assert m.evaluate(XM, [YA, YB], verbose=0) == [logs["loss"], logs["a_loss"],
                                                    logs["b_loss"]]
    with pytest.raises(ValueError, match="2 outputs"):
        m.compile("sgd", loss=["mse", "mse", "mse"])
        m.fit(XM, [YA, YB], verbose=0)
    with pytest.raises(ValueError, match="not output names"):
        m.compile("sgd", loss={"a": "mse", "c": "mse"})


# ---------------------------------------------------------------------- Keras 3
@pytest.fixture(scope="module")
def keras3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    k = pytest.importorskip("keras")
    if k.backend.backend() != "torch":
        pytest.skip("the comparison runs Keras 3 on its torch backend")
    return k


def _keras3_torch_style(k3, real_torch):
    class K3TorchStyle(k3.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with real_torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}
    return K3TorchStyle


def _assert_same_history(ours, theirs, rtol=2e-5):
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=rtol, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("style", ["torch", "tape"])
def test_custom_train_step_gives_keras_3_logs(keras3, style):
    real_torch = pytest.importorskip("torch")
    k3 = keras3
    k3.utils.set_random_seed(0)
    inputs = k3.Input(shape=(8,))
    h = k3.layers.Dense(16, activation="relu")(inputs)
    theirs = _keras3_torch_style(k3, real_torch)(inputs,
                                                 k3.layers.Dense(2, activation="softmax")(h))
    theirs.compile(optimizer=k3.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    ours = _mlp(TorchStyle if style == "torch" else TapeStyle)
    ours.set_weights(theirs.get_weights())
    ours.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    kwargs = dict(epochs=3, batch_size=16, shuffle=False, verbose=0, validation_split=0.25)
    h_theirs = theirs.fit(X, Y, **kwargs).history
    h_ours = ours.fit(X, Y, **kwargs).history
    _assert_same_history(h_ours, h_theirs)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_vae_train_step_gives_keras_3_logs(keras3):
    """The Keras VAE guide's model (loss trackers, a Sampling layer, GradientTape in ours,
    backward in Keras's torch backend) on 8x8 images, sampling from the same fixed noise."""
    pytest.importorskip("torch")
    images = (RNG.random((32, 8, 8)) > 0.6).astype("float32")
    eps = RNG.standard_normal((16, 2)).astype("float32")

    def build(k, sampling):
        k.utils.set_random_seed(3)
        enc_in = k.Input(shape=(8, 8))
        x = k.layers.Flatten()(enc_in)
        x = k.layers.Dense(16, activation="relu")(x)
        z_mean = k.layers.Dense(2, name="z_mean")(x)
        z_log_var = k.layers.Dense(2, name="z_log_var")(x)
        z = sampling()([z_mean, z_log_var])
        encoder = k.Model(enc_in, [z_mean, z_log_var, z], name="encoder")
        dec_in = k.Input(shape=(2,))
        x = k.layers.Dense(64, activation="sigmoid")(k.layers.Dense(16, activation="relu")(dec_in))
        decoder = k.Model(dec_in, k.layers.Reshape((8, 8))(x), name="decoder")
        return encoder, decoder

    def vae_class(k, kops, grads_of):
        class VAE(k.Model):
            def __init__(self, encoder, decoder, **kwargs):
                super().__init__(**kwargs)
                self.encoder, self.decoder = encoder, decoder
                self.total_loss_tracker = k.metrics.Mean(name="total_loss")
                self.reconstruction_loss_tracker = k.metrics.Mean(name="reconstruction_loss")
                self.kl_loss_tracker = k.metrics.Mean(name="kl_loss")

            @property
            def metrics(self):
                return [self.total_loss_tracker, self.reconstruction_loss_tracker,
                        self.kl_loss_tracker]

            def call(self, x):
                z_mean, z_log_var, z = self.encoder(x)
                return self.decoder(z)

            def losses_of(self, data):
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = kops.mean(kops.sum(
                    k.losses.binary_crossentropy(data, reconstruction), axis=1))
                kl_loss = -0.5 * (1 + z_log_var - kops.square(z_mean) - kops.exp(z_log_var))
                kl_loss = kops.mean(kops.sum(kl_loss, axis=1))
                return reconstruction_loss + kl_loss, reconstruction_loss, kl_loss

            def train_step(self, data):
                (total_loss, reconstruction_loss, kl_loss), grads = grads_of(self, data)
                self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
                self.total_loss_tracker.update_state(total_loss)
                self.reconstruction_loss_tracker.update_state(reconstruction_loss)
                self.kl_loss_tracker.update_state(kl_loss)
                return {"loss": self.total_loss_tracker.result(),
                        "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                        "kl_loss": self.kl_loss_tracker.result()}
        return VAE

    def tape_grads(model, data):
        with tf.GradientTape() as tape:
            losses = model.losses_of(data)
        return losses, tape.gradient(losses[0], model.trainable_weights)

    def torch_grads(model, data):
        model.zero_grad()
        losses = model.losses_of(data)
        losses[0].backward()
        return losses, [v.value.grad for v in model.trainable_weights]

    def sampling_class(k, kops):
        class FixedSampling(k.layers.Layer):
            def call(self, inputs):
                z_mean, z_log_var = inputs
                epsilon = kops.convert_to_tensor(eps[:z_mean.shape[0]])
                return z_mean + kops.exp(0.5 * z_log_var) * epsilon

            def compute_output_shape(self, input_shape):
                return input_shape[0]
        return FixedSampling

    k3 = keras3
    enc3, dec3 = build(k3, sampling_class(k3, k3.ops))
    theirs = vae_class(k3, k3.ops, torch_grads)(enc3, dec3)
    theirs.compile(optimizer=k3.optimizers.Adam(1e-2))
    enc, dec = build(keras, sampling_class(keras, ops))
    enc.set_weights(enc3.get_weights())
    dec.set_weights(dec3.get_weights())
    ours = vae_class(keras, ops, tape_grads)(enc, dec)
    ours.compile(optimizer=keras.optimizers.Adam(1e-2))
    h_theirs = theirs.fit(images, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    h_ours = ours.fit(images, epochs=3, batch_size=16, shuffle=False, verbose=0).history
    _assert_same_history(h_ours, h_theirs)


def test_multi_output_logs_match_keras_3(keras3):
    k3 = keras3
    k3.utils.set_random_seed(1)
    inp = k3.Input((4,), name="x")
    h = k3.layers.Dense(8, activation="relu", name="h")(inp)
    theirs = k3.Model(inp, [k3.layers.Dense(3, activation="softmax", name="a")(h),
                            k3.layers.Dense(1, name="b")(h)])
    ours = _two_outputs()
    ours.set_weights(theirs.get_weights())
    kwargs = dict(loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics=[["accuracy"], ["mae"]])
    theirs.compile(k3.optimizers.SGD(0.1), **kwargs)
    ours.compile(keras.optimizers.SGD(0.1), **kwargs)
    fit = dict(epochs=2, batch_size=8, shuffle=False, verbose=0, validation_split=0.25)
    _assert_same_history(ours.fit(XM, [YA, YB], **fit).history,
                         theirs.fit(XM, [YA, YB], **fit).history)
    np.testing.assert_allclose(ours.evaluate(XM, [YA, YB], verbose=0),
                               theirs.evaluate(XM, [YA, YB], verbose=0), rtol=1e-5)
