"""Keras 3's own files, both ways: a .keras archive written by Keras 3 loads in deepgrad
and back in Keras 3 with identical predictions and optimizer state, for every layer
family; .weights.h5 files likewise; hostile HDF5 content is refused. Needs h5py (and
Keras 3 for the cross-framework round trips)."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

from deepgrad import keras as dk
from deepgrad.keras.models import load_model

h5py = pytest.importorskip("h5py")
RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def k3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


# ---------------------------------------------------------------------- model families
def conv2d(k):
    inp = k.Input((8, 8, 3), name="image")
    x = k.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = k.layers.BatchNormalization()(x)
    x = k.layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = k.layers.MaxPooling2D()(x)
    x = k.layers.SeparableConv2D(4, 2, padding="same")(x)
    x = k.layers.Conv2DTranspose(3, 2, strides=2)(x)
    x = k.layers.ZeroPadding2D(1)(x)
    x = k.layers.Cropping2D(1)(x)
    x = k.layers.UpSampling2D()(x)
    x = k.layers.AveragePooling2D(2)(x)
    x = k.layers.LeakyReLU(0.1)(x)
    x = k.layers.PReLU()(x)
    a = k.layers.GlobalAveragePooling2D()(x)
    b = k.layers.GlobalMaxPooling2D()(x)
    x = k.layers.Concatenate()([a, b])
    x = k.layers.Dropout(0.3)(x)
    x = k.layers.Dense(3)(k.layers.ELU()(x))
    return k.Model(inp, k.layers.Softmax()(x)), RNG.random((6, 8, 8, 3)), RNG.integers(0, 3, 6)


def conv1d(k):
    inp = k.Input((12, 2))
    x = k.layers.Conv1D(4, 3, activation="tanh")(inp)
    x = k.layers.MaxPooling1D()(x)
    x = k.layers.Conv1DTranspose(3, 2, strides=2)(x)
    x = k.layers.ZeroPadding1D(2)(x)
    x = k.layers.Cropping1D((1, 2))(x)
    x = k.layers.UpSampling1D(2)(x)
    x = k.layers.AveragePooling1D(2)(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    out = k.layers.Dense(1, activation="sigmoid")(x)
    return k.Model(inp, out), RNG.random((6, 12, 2)), RNG.integers(0, 2, (6, 1)).astype("float32")


def recurrent(k):
    inp = k.Input((7,), dtype="int32")
    x = k.layers.Embedding(20, 4, mask_zero=True)(inp)
    x = k.layers.LSTM(5, return_sequences=True)(x)
    x = k.layers.Bidirectional(k.layers.GRU(3, return_sequences=True))(x)
    x = k.layers.TimeDistributed(k.layers.Dense(4))(x)
    x = k.layers.LayerNormalization()(x)
    x = k.layers.SimpleRNN(3)(x)
    out = k.layers.Dense(2, activation="softmax")(x)
    data = RNG.integers(1, 20, (6, 7))
    data[:, 5:] = 0
    return k.Model(inp, out), data, RNG.integers(0, 2, 6)


def merges(k):
    a, b = k.Input((4,), name="a"), k.Input((4,), name="b")
    shared = k.layers.Dense(4, name="shared")
    ha, hb = shared(a), shared(b)
    parts = [k.layers.Add()([ha, hb]), k.layers.Subtract()([ha, hb]),
             k.layers.Multiply()([ha, hb]), k.layers.Average()([ha, hb]),
             k.layers.Maximum()([ha, hb]), k.layers.Minimum()([ha, hb]),
             k.layers.Dot(axes=1)([ha, hb])]
    x = k.layers.Concatenate()(parts)
    x = k.layers.Reshape((5, 5))(x)
    x = k.layers.Permute((2, 1))(x)
    x = k.layers.Flatten()(x)
    x = k.layers.RepeatVector(2)(k.layers.Activation("relu")(x))
    x = k.layers.Flatten()(x)
    out1 = k.layers.Dense(2, name="out1")(x)
    out2 = k.layers.Dense(1, activation="sigmoid", name="out2")(x)
    x_data = [RNG.random((6, 4)), RNG.random((6, 4))]
    return k.Model([a, b], [out1, out2]), x_data, [RNG.random((6, 2)),
                                                   RNG.integers(0, 2, (6, 1)).astype("float32")]


def nested(k):
    head = k.Sequential([k.layers.Dense(6, activation="relu"), k.layers.Dense(2)], name="head")
    inp = k.Input((5,))
    x = k.layers.Dense(4, kernel_regularizer="l2", kernel_constraint="max_norm")(inp)
    return k.Model(inp, head(x)), RNG.random((6, 5)), RNG.random((6, 2))


def sequential(k):
    model = k.Sequential([k.Input((4,)), k.layers.Dense(8, activation="relu"),
                          k.layers.Dropout(0.2), k.layers.Dense(3, activation="softmax")])
    return model, RNG.random((6, 4)), RNG.integers(0, 3, 6)


FAMILIES = {"conv2d": (conv2d, "sparse_categorical_crossentropy"),
            "conv1d": (conv1d, "binary_crossentropy"),
            "recurrent": (recurrent, "sparse_categorical_crossentropy"),
            "merges": (merges, ["mse", "binary_crossentropy"]),
            "nested": (nested, "mse"),
            "sequential": (sequential, "sparse_categorical_crossentropy")}


def _predict(model, x):
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


def _same(a, b, rtol=1e-5, atol=1e-6):
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=atol)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_keras_to_deepgrad_to_keras(k3, tmp_path, family):
    build, loss = FAMILIES[family]
    k3.utils.set_random_seed(0)
    theirs, x, y = build(k3)
    theirs.compile(k3.optimizers.Adam(1e-2), loss=loss)
    theirs.fit(x, y, epochs=2, batch_size=3, verbose=0)
    first = str(tmp_path / "keras.keras")
    theirs.save(first)
    ours = load_model(first)                                     # Keras 3 -> deepgrad
    assert type(ours.optimizer).__name__ == "Adam" and ours.optimizer.iterations == 4
    _same(_predict(ours, x), _predict(theirs, x))
    second = str(tmp_path / "deepgrad.keras")
    ours.save(second)
    again = k3.saving.load_model(second)                         # deepgrad -> Keras 3
    _same(_predict(again, x), _predict(theirs, x))
    assert int(again.optimizer.iterations) == 4
    for a, b in zip(again.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(k3.ops.convert_to_numpy(a), k3.ops.convert_to_numpy(b),
                                   rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("family", ["sequential", "nested", "recurrent"])
def test_deepgrad_to_keras_and_training_continues_alike(k3, tmp_path, family):
    build, loss = FAMILIES[family]
    dk.utils.set_random_seed(1)
    ours, x, y = build(dk)
    ours.compile(dk.optimizers.Adam(1e-2), loss=loss)
    ours.fit(x, y, epochs=1, batch_size=3, verbose=0)
    path = str(tmp_path / "m.keras")
    ours.save(path)
    theirs = k3.saving.load_model(path)
    _same(_predict(theirs, x), _predict(ours, x))
    for layer in ours.layers:                                   # deterministic continuation
        if type(layer).__name__ == "Dropout":
            layer.rate = 0.0
    for layer in theirs.layers:
        if type(layer).__name__ == "Dropout":
            layer.rate = 0.0
    fit = dict(epochs=2, batch_size=3, shuffle=False, verbose=0)
    h_ours, h_theirs = ours.fit(x, y, **fit).history, theirs.fit(x, y, **fit).history
    np.testing.assert_allclose(h_ours["loss"], h_theirs["loss"], rtol=1e-4)


@pytest.mark.parametrize("make", [
    lambda k: k.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda k: k.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda k: k.optimizers.Adagrad(0.1), lambda k: k.optimizers.Adadelta(1.0),
    lambda k: k.optimizers.Nadam(0.01), lambda k: k.optimizers.AdamW(0.01),
    lambda k: k.optimizers.Adam(0.01, amsgrad=True), lambda k: k.optimizers.Adamax(0.01),
    lambda k: k.optimizers.Adafactor(0.01), lambda k: k.optimizers.Ftrl(0.1),
    lambda k: k.optimizers.Lion(0.001), lambda k: k.optimizers.Lamb(0.01),
    lambda k: k.optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=3),
    lambda k: k.optimizers.SGD(0.1, momentum=0.5, gradient_accumulation_steps=2),
    lambda k: k.optimizers.RMSprop(0.01, loss_scale_factor=8.0)])
def test_every_optimizer_state_crosses_over(k3, tmp_path, make):
    k3.utils.set_random_seed(0)
    theirs, x, y = nested(k3)
    theirs.compile(make(k3), "mse")
    theirs.fit(x, y, epochs=2, batch_size=3, verbose=0)
    path = str(tmp_path / "k.keras")
    theirs.save(path)
    ours = load_model(path)
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for a, b in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(a, k3.ops.convert_to_numpy(b), rtol=1e-6, atol=1e-7)
    fit = dict(epochs=2, batch_size=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.fit(x, y, **fit).history["loss"],
                               theirs.fit(x, y, **fit).history["loss"], rtol=1e-4)


def test_weights_h5_files_both_ways(k3, tmp_path):
    k3.utils.set_random_seed(0)
    theirs, x, _ = recurrent(k3)
    path = str(tmp_path / "k.weights.h5")
    theirs.save_weights(path)
    dk.utils.set_random_seed(5)
    ours, _, _ = recurrent(dk)
    ours.load_weights(path)
    _same(_predict(ours, x), _predict(theirs, x))
    back = str(tmp_path / "d.weights.h5")
    ours.save_weights(back)
    k3.utils.set_random_seed(9)
    other, _, _ = recurrent(k3)
    other.load_weights(back)
    _same(_predict(other, x), _predict(theirs, x))


# ---------------------------------------------------------------------- deepgrad alone
def test_keras_format_layout_and_round_trip(tmp_path):
    dk.utils.set_random_seed(0)
    model, x, y = recurrent(dk)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as h5:
            names = []
            h5.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    assert meta["keras_version"].startswith("3.") and "deepgrad_version" in meta
    assert config["class_name"] == "Functional" and config["compile_config"]["loss"] == \
        "sparse_categorical_crossentropy"
    assert "layers/lstm/cell/vars/0" in names and "layers/embedding/vars/0" in names
    assert "layers/bidirectional/forward_layer/cell/vars/2" in names
    assert "optimizer/vars/0" in names
    loaded = load_model(path)
    _same(_predict(loaded, x), _predict(model, x), rtol=0, atol=0)
    assert loaded.optimizer.iterations == model.optimizer.iterations
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_weights_h5_refuses_mismatch_and_leaves_the_model(tmp_path):
    dk.utils.set_random_seed(0)
    model, x, _ = sequential(dk)
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    wrong = dk.Sequential([dk.Input((4,)), dk.layers.Dense(9), dk.layers.Dense(3)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match=r"do not fit.*shape \(4, 8\).*\(4, 9\)"):
        wrong.load_weights(path)
    for a, b in zip(before, wrong.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="skip_mismatch"):
        wrong.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(wrong.get_weights()[2], before[2])   # the misfit layer


def _h5_bytes(build):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        build(h5)
    return buf.getvalue()


def test_hostile_hdf5_is_refused(tmp_path):
    dk.utils.set_random_seed(0)
    model, _, _ = sequential(dk)
    before = model.get_weights()
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(32, dtype="float32").tobytes())

    def external(h5):
        h5.create_dataset("layers/dense/vars/0", shape=(4, 8), dtype="float32",
                          external=[(str(secret), 0, 128)])

    def strings(h5):
        h5.create_dataset("layers/dense/vars/0", data=np.array([b"x"] * 3))

    def bomb(h5):
        h5.create_dataset("layers/dense/vars/0", shape=(1 << 16, 1 << 14), dtype="float32",
                          chunks=(1024, 1024), compression="gzip", fillvalue=0.0)

    def stray(h5):
        h5.create_dataset("evil", data=np.zeros(3))

    for name, build, message in [("ext", external, "outside the file"),
                                 ("str", strings, "numeric"),
                                 ("bomb", bomb, "decompression bomb"),
                                 ("stray", stray, "unexpected dataset")]:
        path = tmp_path / f"{name}.weights.h5"
        path.write_bytes(_h5_bytes(build))
        with pytest.raises(ValueError, match=message):
            model.load_weights(str(path))
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    (tmp_path / "cut.weights.h5").write_bytes(_h5_bytes(stray)[:100])
    with pytest.raises(ValueError, match="HDF5"):
        model.load_weights(str(tmp_path / "cut.weights.h5"))


def test_keras_archives_with_foreign_members_or_lambdas_are_refused(tmp_path):
    dk.utils.set_random_seed(0)
    model, _, _ = sequential(dk)
    path = str(tmp_path / "m.keras")
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    variants = {
        "assets": dict(members, **{"assets/x.txt": b"x"}),
        "lambda": dict(members, **{"config.json": members["config.json"].replace(
            b'"Dropout"', b'"Lambda"')}),
        "keras2": dict(members, **{"metadata.json": b'{"keras_version": "2.15.0"}'}),
    }
    messages = {"assets": "unexpected member", "lambda": "Lambda layer",
                "keras2": "not describe a Keras 3 file"}
    for key, content in variants.items():
        target = tmp_path / f"{key}.keras"
        with zipfile.ZipFile(target, "w") as zf:
            for n, d in content.items():
                zf.writestr(n, d)
        with pytest.raises(ValueError, match=messages[key]):
            load_model(str(target))


# ---------------------------------------------------------------------- legacy .h5 files
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_legacy_h5_keras_to_deepgrad_to_keras(k3, tmp_path, family):
    build, loss = FAMILIES[family]
    k3.utils.set_random_seed(0)
    theirs, x, y = build(k3)
    full = {"mse": "mean_squared_error"}            # Keras 3.15 cannot reload its "mse"
    loss = [full.get(n, n) for n in loss] if isinstance(loss, list) else full.get(loss, loss)
    theirs.compile(k3.optimizers.Adam(1e-2), loss=loss)
    theirs.fit(x, y, epochs=2, batch_size=3, verbose=0)
    path = str(tmp_path / "k.h5")
    theirs.save(path)
    ours = load_model(path)
    _same(_predict(ours, x), _predict(theirs, x))
    assert type(ours.optimizer).__name__ == "Adam" and ours.optimizer.iterations == 4
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for a, b in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(a, k3.ops.convert_to_numpy(b), rtol=1e-6, atol=1e-7)
    back = str(tmp_path / "d.h5")
    ours.save(back)
    with h5py.File(back, "r") as f:
        assert {"model_config", "training_config", "keras_version"} <= set(f.attrs)
        assert "model_weights" in f and "optimizer_weights" in f
    again = k3.saving.load_model(back)
    _same(_predict(again, x), _predict(theirs, x))
    assert type(again.optimizer).__name__ == "Adam"           # compiled from our training_config
    mine = load_model(back)                                   # deepgrad reads its own file
    _same(_predict(mine, x), _predict(ours, x), rtol=0, atol=0)
    for a, b in zip(mine.optimizer.variables, ours.optimizer.variables):
        np.testing.assert_array_equal(a, b)


def test_legacy_h5_training_continues_where_it_stopped(tmp_path):
    dk.utils.set_random_seed(0)
    model, x, y = merges(dk)
    model.compile(dk.optimizers.RMSprop(1e-2, momentum=0.5), loss=["mse", "binary_crossentropy"],
                  metrics=[["mae"], ["accuracy"]], loss_weights=[1.0, 0.5])
    fit = dict(epochs=2, batch_size=3, shuffle=False, verbose=0)
    model.fit(x, y, **fit)
    path = str(tmp_path / "m.hdf5")
    model.save(path)
    loaded = load_model(path)
    assert loaded.get_compile_config()["loss"] == ["mean_squared_error", "binary_crossentropy"]
    np.testing.assert_allclose(loaded.fit(x, y, **fit).history["loss"],
                               model.fit(x, y, **fit).history["loss"], rtol=1e-6)
    uncompiled = load_model(path, compile=False)
    assert not uncompiled.compiled
    model.save(str(tmp_path / "n.h5"), include_optimizer=False)
    with h5py.File(str(tmp_path / "n.h5"), "r") as f:
        assert "optimizer_weights" not in f


def test_legacy_h5_load_weights_by_position_and_name(k3, tmp_path):
    k3.utils.set_random_seed(0)
    theirs, x, _ = sequential(k3)
    theirs.compile("adam", "sparse_categorical_crossentropy")
    path = str(tmp_path / "k.h5")
    theirs.save(path)
    ours, _, _ = sequential(dk)
    ours.load_weights(path)                                   # model_weights of a model file
    _same(_predict(ours, x), _predict(theirs, x))
    keras2 = str(tmp_path / "keras2_weights.h5")              # Keras 2's save_weights layout
    with h5py.File(path, "r") as src, h5py.File(keras2, "w") as dst:
        for key, value in src["model_weights"].attrs.items():
            dst.attrs[key] = value
        for name in src["model_weights"]:
            src.copy(src["model_weights"][name], dst, name)
    fresh, _, _ = sequential(dk)
    fresh.load_weights(keras2)
    _same(_predict(fresh, x), _predict(theirs, x))
    renamed = dk.Sequential([dk.Input((4,)), dk.layers.Dense(8, activation="relu",
                                                             name=theirs.layers[0].name),
                             dk.layers.Dense(5, name="other")])
    before = renamed.layers[1].get_weights()
    renamed.load_weights(path, by_name=True)                  # only the layer whose name matches
    np.testing.assert_array_equal(renamed.layers[0].get_weights()[0],
                                  k3.ops.convert_to_numpy(theirs.layers[0].kernel))
    np.testing.assert_array_equal(renamed.layers[1].get_weights()[0], before[0])
    with pytest.raises(ValueError, match="by_name"):
        ours.save_weights(str(tmp_path / "w.weights.h5"))
        ours.load_weights(str(tmp_path / "w.weights.h5"), by_name=True)


def test_legacy_h5_refuses_mismatch_and_hostile_content(tmp_path):
    dk.utils.set_random_seed(0)
    model, x, _ = sequential(dk)
    model.compile("adam", "sparse_categorical_crossentropy")
    path = str(tmp_path / "m.h5")
    model.save(path)
    wrong = dk.Sequential([dk.Input((4,)), dk.layers.Dense(9), dk.layers.Dense(3)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match=r"Shape mismatch.*\(4, 9\).*\(4, 8\)"):
        wrong.load_weights(path)
    for a, b in zip(before, wrong.get_weights()):
        np.testing.assert_array_equal(a, b)
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(32, dtype="float32").tobytes())

    def tamper(f, how):
        layer = f["model_weights"][model.layers[0].name]
        name = [n.decode() if isinstance(n, bytes) else n for n in layer.attrs["weight_names"]][0]
        shape = layer[name].shape
        del layer[name]
        if how == "external":
            layer.create_dataset(name, shape=shape, dtype="float32",
                                 external=[(str(secret), 0, 128)])
        elif how == "strings":
            layer.create_dataset(name, data=np.array([b"x"] * 3))
        elif how == "bomb":
            layer.create_dataset(name, shape=(1 << 16, 1 << 14), dtype="float32",
                                 chunks=(1024, 1024), compression="gzip", fillvalue=0.0)

    for how, message in [("external", "outside the file"), ("strings", "numeric"),
                         ("bomb", "decompression bomb"), ("missing", "missing")]:
        target = tmp_path / f"{how}.h5"
        target.write_bytes(open(path, "rb").read())
        with h5py.File(str(target), "r+") as f:
            tamper(f, how)
        with pytest.raises(ValueError, match=message):
            load_model(str(target))
        with pytest.raises(ValueError, match=message):
            model.load_weights(str(target))
    lam = tmp_path / "lambda.h5"
    lam.write_bytes(open(path, "rb").read())
    with h5py.File(str(lam), "r+") as f:
        config = f.attrs["model_config"]
        config = config.decode() if isinstance(config, bytes) else str(config)
        f.attrs["model_config"] = config.replace('"Dropout"', '"Lambda"')
    with pytest.raises(ValueError, match="Lambda"):
        load_model(str(lam))
    (tmp_path / "cut.h5").write_bytes(open(path, "rb").read()[:200])
    with pytest.raises(ValueError, match="HDF5"):
        load_model(str(tmp_path / "cut.h5"))


def test_model_checkpoint_accepts_h5(tmp_path):
    dk.utils.set_random_seed(0)
    model, x, y = sequential(dk)
    model.compile("adam", "sparse_categorical_crossentropy")
    path = str(tmp_path / "ckpt_{epoch}.h5")
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[dk.callbacks.ModelCheckpoint(path)])
    loaded = load_model(str(tmp_path / "ckpt_2.h5"))
    _same(_predict(loaded, x), _predict(model, x), rtol=0, atol=0)
    with pytest.raises(ValueError, match="must end in"):
        dk.callbacks.ModelCheckpoint(str(tmp_path / "m.hdf5"))


@pytest.mark.parametrize("seed_style", ["input_shape", "input_dim"])
def test_seed_style_sequential_opens_in_keras(k3, tmp_path, seed_style):
    """The seeds build ``Sequential([Dense(..., input_shape=(784,)), ...])``: the saved
    config must carry that shape as Keras 3 does (an InputLayer entry), since Keras 3's
    layers refuse a ``batch_input_shape`` key."""
    dk.utils.set_random_seed(0)
    first = (dk.layers.Dense(8, activation="relu", input_shape=(4,)) if seed_style ==
             "input_shape" else dk.layers.Dense(8, activation="relu", input_dim=4))
    ours = dk.Sequential([first, dk.layers.Dropout(0.2), dk.layers.Dense(3)])
    ours.compile("adam", "mse")
    path = str(tmp_path / "seed.keras")
    ours.save(path)
    layer_configs = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    assert layer_configs[0]["class_name"] == "InputLayer"
    assert all("batch_input_shape" not in c["config"] for c in layer_configs)
    theirs = k3.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    _same(_predict(theirs, x), _predict(ours, x))
    again = load_model(path)                                    # and back into deepgrad
    _same(_predict(again, x), _predict(ours, x))
