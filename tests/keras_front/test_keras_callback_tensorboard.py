"""keras.callbacks.TensorBoard: the runs, tags, steps and values Keras 3's callback writes,
read back with TensorBoard's EventAccumulator and compared with what fit reported."""
import json
import os
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(48, 4)).astype(np.float32)
Y = RNG.integers(0, 2, 48)


def read(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                     "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def series(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def f32(values):
    return [float(np.float32(v)) for v in values]


def model(lr=0.01):
    keras.backend.clear_session()       # layer names from dense, whatever ran before
    dg.manual_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def test_epoch_scalars_histograms_and_graph(tmp_path):
    m = model()
    weights = {}
    snapshot = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: weights.update(
        {epoch: {w.path: w.numpy().copy() for w in m.weights}}))
    tb = keras.callbacks.TensorBoard(tmp_path, histogram_freq=2)
    h = m.fit(X[:32], Y[:32], epochs=3, batch_size=8, validation_data=(X[32:], Y[32:]),
              verbose=0, callbacks=[tb, snapshot])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = read(tmp_path / "train"), read(tmp_path / "validation")

    assert sorted(train.Tags()["scalars"]) == ["epoch_accuracy", "epoch_learning_rate",
                                                "epoch_loss"]
    for name in ("loss", "accuracy"):
        assert series(train, f"epoch_{name}") == list(enumerate(f32(h.history[name])))
        assert series(val, f"epoch_{name}") == list(enumerate(f32(h.history[f"val_{name}"])))
    assert series(train, "epoch_learning_rate") == list(enumerate(f32([0.01] * 3)))
    # after each validation pass: step = optimizer.iterations (4 batches per epoch)
    assert sorted(val.Tags()["scalars"]) == [
        "epoch_accuracy", "epoch_loss", "evaluation_accuracy_vs_iterations",
        "evaluation_loss_vs_iterations"]
    assert series(val, "evaluation_loss_vs_iterations") == list(
        zip([4, 8, 12], f32(h.history["val_loss"])))

    paths = [w.path for layer in m.layers for w in layer.weights]
    assert paths == ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    for path in paths:
        events = train.Histograms(f"{path}/histogram")
        assert [e.step for e in events] == [0, 2]                 # histogram_freq=2
        for e in events:
            w = weights[e.step][path].astype(np.float64).ravel()
            hv = e.histogram_value
            assert (hv.num, hv.min, hv.max) == (w.size, w.min(), w.max())
            assert hv.sum == pytest.approx(w.sum(), rel=1e-12, abs=1e-12)
    assert train.Tags()["images"] == []                           # write_images=False

    [graph] = train.Tensors("keras")                              # write_graph=True
    assert graph.step == 0
    assert json.loads(graph.tensor_proto.string_val[0]) == json.loads(m.to_json())
    assert train.PluginTagToContent("graph_keras_model") == {"keras": b"1"}


def test_batch_scalars_every_update_freq_batches(tmp_path):
    m = model()
    batch_logs = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    tb = keras.callbacks.TensorBoard(tmp_path, update_freq=3, write_graph=False)
    m.fit(X[:40], Y[:40], epochs=2, batch_size=8, verbose=0, callbacks=[tb, record])
    train = read(tmp_path / "train")
    assert sorted(train.Tags()["scalars"]) == [
        "batch_accuracy", "batch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_loss"]
    # 5 batches per epoch; the step counts batches since fit began (1-based), every 3rd
    steps = [3, 6, 9]
    for name in ("loss", "accuracy"):
        assert series(train, f"batch_{name}") == list(
            zip(steps, f32(batch_logs[s - 1][name] for s in steps)))
    assert train.Tags()["tensors"] == []                          # write_graph=False
    assert not os.path.exists(tmp_path / "validation")            # nothing validated


def test_update_freq_batch_steps_per_second_and_a_schedule(tmp_path):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    m = model(lr=schedule)
    tb = keras.callbacks.TensorBoard(tmp_path, update_freq="batch",
                                     write_steps_per_second=True, write_graph=False)
    m.fit(X[:16], Y[:16], epochs=2, batch_size=8, verbose=0, callbacks=[tb])
    train = read(tmp_path / "train")
    assert [e.step for e in train.Scalars("batch_loss")] == [1, 2, 3, 4]
    assert [e.step for e in train.Scalars("batch_steps_per_second")] == [1, 2, 3, 4]
    assert [e.step for e in train.Scalars("epoch_steps_per_second")] == [0, 1]
    assert all(e.value > 0 for e in train.Scalars("epoch_steps_per_second"))
    # the rate the optimizer uses after 2 and 4 updates: 0.1 * 0.5 ** (iterations / 2)
    assert series(train, "epoch_learning_rate") == [(0, f32([0.05])[0]), (1, f32([0.025])[0])]


def test_write_images_lays_weights_out_as_keras_does(tmp_path):
    dg.manual_seed(1)
    m = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3),
                          keras.layers.Flatten(), keras.layers.Dense(2)])
    m.compile("sgd", "mse")
    tb = keras.callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)
    m.fit(np.zeros((4, 6, 6, 1), np.float32), np.zeros((4, 2), np.float32), epochs=1,
          verbose=0, callbacks=[tb])
    train = read(tmp_path / "train")
    conv, dense = m.layers[0], m.layers[2]
    images = {e: train.Images(e)[0] for e in train.Tags()["images"]}
    # conv kernel (3, 3, 1, 3) squeezes to (3, 3, 3) -> 3 images of 3x3 tiled in a row;
    # a bias (n,) is one 1 x n image; the dense kernel (48, 2) is transposed to 2 x 48
    assert {k: (v.width, v.height) for k, v in images.items()} == {
        f"{conv.kernel.path}/image": (9, 3), f"{conv.bias.path}/image": (1, 3),
        f"{dense.kernel.path}/image": (48, 2), f"{dense.bias.path}/image": (1, 2)}


def test_evaluate_writes_evaluation_scalars_at_the_iteration(tmp_path):
    m = model()
    m.fit(X, Y, epochs=1, batch_size=16, verbose=0)                  # 3 updates
    tb = keras.callbacks.TensorBoard(tmp_path, write_graph=False)
    logs = m.evaluate(X, Y, verbose=0, callbacks=[tb], return_dict=True)
    val = read(tmp_path / "validation")
    assert series(val, "evaluation_loss_vs_iterations") == [(3, f32([logs["loss"]])[0])]
    assert series(val, "evaluation_accuracy_vs_iterations") == [(3, f32([logs["accuracy"]])[0])]


def test_two_fits_in_a_row_keep_both_runs(tmp_path):
    m = model()
    tb = keras.callbacks.TensorBoard(tmp_path, write_graph=False)
    m.fit(X, Y, epochs=1, batch_size=16, verbose=0, callbacks=[tb])
    m.fit(X, Y, epochs=1, batch_size=16, verbose=0, callbacks=[tb])
    assert [e.step for e in read(tmp_path / "train").Scalars("epoch_loss")] == [0, 0]


def test_subclassed_model_warns_once_that_it_has_no_graph(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    m = Net()
    m.compile("sgd", "mse")
    tb = keras.callbacks.TensorBoard(tmp_path)
    with pytest.warns(UserWarning, match="Net is a subclassed model, so no graph is written"):
        m.fit(X[:8], np.zeros((8, 2), np.float32), epochs=1, verbose=0, callbacks=[tb])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.fit(X[:8], np.zeros((8, 2), np.float32), epochs=1, verbose=0, callbacks=[tb])
    assert read(tmp_path / "train").Tags()["tensors"] == []
    assert [e.step for e in read(tmp_path / "train").Scalars("epoch_loss")] == [0, 0]


def test_functional_model_graph_is_written_at_set_model(tmp_path):
    inputs = keras.Input((4,))
    m = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    tb = keras.callbacks.TensorBoard(tmp_path)
    tb.set_model(m)                                   # as Keras: before any training
    [graph] = read(tmp_path / "train").Tensors("keras")
    config = json.loads(graph.tensor_proto.string_val[0])
    assert config["class_name"] == "Functional" and config == json.loads(m.to_json())


def test_registered_under_its_keras_name():
    from deepgrad.keras import registry
    assert registry.builtins("callbacks")["TensorBoard"] is keras.callbacks.TensorBoard
