"""The short ways through a layer call (a ``Sequential`` running a plain built layer's
``call`` directly, the input spec's remembered shape) do what ``Layer.__call__`` does:
the same outputs, the training flag, the checks, and the full call wherever a layer adds
something to it (an overridden ``__call__``, an activity regularizer, a mask)."""
import numpy as np
import pytest

from deepgrad import keras
from deepgrad.keras import layers
from deepgrad.keras.layers.layer import InputSpec

X = np.random.default_rng(0).random((6, 5)).astype("float32")


def test_sequential_output_equals_the_layers_called_one_by_one():
    model = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu"),
                              layers.Dense(3)])
    h = X
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_array_equal(model(X).numpy(), h.numpy())


class Flagged(layers.Layer):
    def call(self, x, training=None):
        self.seen = training
        return x * 2.0


@pytest.mark.parametrize("training", [True, False, None])
def test_the_training_flag_reaches_inner_layers(training):
    inner = Flagged()
    model = keras.Sequential([keras.Input((5,)), inner, layers.Dropout(0.5)])
    out = model(X, training=training)
    assert inner.seen is training
    dropped = (out.numpy() == 0).any()
    assert dropped == bool(training)              # Dropout only when training


class Counting(layers.Dense):
    calls = 0

    def __call__(self, *args, **kwargs):
        type(self).calls += 1
        return super().__call__(*args, **kwargs)


def test_a_layer_overriding_call_is_called():
    model = keras.Sequential([keras.Input((5,)), Counting(3)])
    model(X)
    model(X)
    assert Counting.calls == 2


def test_an_activity_regularizer_still_adds_its_loss():
    model = keras.Sequential([keras.Input((5,)),
                              layers.Dense(3, activity_regularizer=keras.regularizers.L2(0.1))])
    out = model(X)
    assert len(model.losses) == 1
    expected = 0.1 * (out.numpy() ** 2).sum() / len(X)
    np.testing.assert_allclose(model.losses[0].numpy(), expected, rtol=1e-5)


def test_a_mask_takes_the_full_call():
    model = keras.Sequential([keras.Input((4,), dtype="int32"),
                              layers.Embedding(10, 3, mask_zero=True), layers.LSTM(2)])
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 0]], dtype="int32")
    out = model(ids).numpy()
    # the padded steps are skipped: the first row's output is that of its two steps
    np.testing.assert_allclose(out[:1], model(ids[:1, :2]).numpy(), rtol=1e-5)


def test_a_bad_shape_after_good_ones_is_still_an_error():
    layer = layers.Dense(3)
    layer(X)
    layer(X)
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 5"):
        layer(np.ones((2, 4), "float32"))


def test_a_changed_spec_checks_afresh():
    spec = InputSpec(ndim=2)
    layer = layers.Dense(3)
    spec.check(layer, (2, 5))
    spec.ndim = 3                                  # rebinding an attribute resets the memo
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        spec.check(layer, (2, 5))


def test_dense_relu_is_one_node_with_the_bits_of_dense_then_relu():
    import deepgrad as dg
    fused = layers.Dense(4, activation="relu")
    plain = layers.Dense(4)
    fused.build((None, 5))
    plain.build((None, 5))
    plain.set_weights(fused.get_weights())
    x1, x2 = dg.tensor(X, requires_grad=True), dg.tensor(X, requires_grad=True)
    y1 = fused(x1)
    y2 = layers.Activation("relu")(plain(x2))
    assert type(y1.grad_fn).__name__ == "Linear"
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    (y1 * y1).sum().backward()
    (y2 * y2).sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())
    np.testing.assert_array_equal(fused.kernel.value.grad.numpy(),
                                  plain.kernel.value.grad.numpy())


@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_dense_sigmoid_trains_as_dense_then_a_sigmoid_layer(loss):
    """Dense(activation="sigmoid") is one node that hands its logits on: fit's losses and
    weights equal those of Dense then Activation("sigmoid") bit for bit, for a binary
    cross-entropy (which runs on the logits) and for a loss of the probabilities. The
    output is wide enough (64 x 160) for the compiled one-pass bias and sigmoid."""
    import deepgrad as dg
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 20)).astype("float32")
    y = (rng.random((64, 160)) < 0.3).astype("float32")
    runs = []
    for fused in (True, False):
        dg.manual_seed(0)
        head = ([layers.Dense(160, activation="sigmoid")] if fused else
                [layers.Dense(160), layers.Activation("sigmoid")])
        model = keras.Sequential([keras.Input((20,)), layers.Dense(32, activation="relu")]
                                 + head)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
        if fused:
            assert type(model(x[:2]).grad_fn).__name__ == "Linear"
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
        runs.append((history.history["loss"], model.get_weights(),
                     model.evaluate(x, y, verbose=0)))
    (loss1, w1, e1), (loss2, w2, e2) = runs
    assert loss1 == loss2 and e1 == e2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
