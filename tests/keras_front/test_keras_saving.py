"""deepgrad.keras.saving: model archives (Keras 3's .keras, which needs h5py, and
deepgrad's NumPy-only .dgkeras), weights files, model configs and JSON.

Round trips (Sequential, functional with two inputs, a shared layer and a nested model,
custom layers) reload to identical predictions in both formats; a compiled model
continues training exactly where it stopped; damaged, tampered or foreign files raise
ValueError and leave the model in memory unchanged; nothing is ever unpickled; Lambda
layers are refused. (Keras 3 interoperability: test_keras_files.py.)"""
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import deepgrad.keras as keras
from deepgrad.keras import layers, saving
from deepgrad.keras.models import load_model, model_from_json

RNG = np.random.default_rng(0)
try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False


@pytest.fixture(params=["dgkeras", "keras"])
def ext(request):
    """Both model formats; Keras's needs h5py."""
    if request.param == "keras" and not HAVE_H5PY:
        pytest.skip("h5py is not installed (pip install deepgrad[h5])")
    return request.param
X = RNG.standard_normal((12, 4)).astype("float32")
Y = RNG.integers(0, 3, 12)


def _sequential(compiled=False):
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                              layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def _two_input_model():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(3, name="pa")(a)),
                              shared(layers.Dense(3, name="pb")(b))])
    head = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)], name="head")
    return keras.Model([a, b], [head(h), layers.Dense(1, name="aux")(h)])


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write_members(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


# ---------------------------------------------------------------------- round trips
def test_sequential_round_trip_identical_predictions(tmp_path):
    model = _sequential()
    path = str(tmp_path / "m.dgkeras")
    model.save(path)
    members = _members(path)
    assert sorted(members) == ["config.json", "metadata.json", "model.weights.npz"]
    meta = json.loads(members["metadata.json"])
    assert meta["format"] == "deepgrad.keras" and meta["format_version"] == "1.0"
    with np.load(io.BytesIO(members["model.weights.npz"]), allow_pickle=False) as npz:
        keys = sorted(npz.files)
    first, last = model.layers[0].name, model.layers[2].name
    assert keys == [f"0000/{first}/kernel", f"0001/{first}/bias", f"0002/{last}/kernel",
                    f"0003/{last}/bias"]
    loaded = load_model(path)
    assert type(loaded) is keras.Sequential and loaded.name == model.name
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.get_config() == json.loads(json.dumps(model.get_config()))
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_functional_two_inputs_shared_layer_nested_model(tmp_path, ext):
    model = _two_input_model()
    xa, xb = X, X[:, :2]
    path = str(tmp_path / f"f.{ext}")
    model.save(path)
    loaded = load_model(path)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    _assert_same_weights(loaded.get_weights(), model.get_weights())
    for p, q in zip(loaded.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(p, q)
    config = json.loads(model.to_json())["config"]
    shared = next(l for l in config["layers"] if l["name"] == "shared")
    assert [n["args"][0]["config"]["keras_history"] for n in shared["inbound_nodes"]] == \
        [["pa", 0, 0], ["pb", 0, 0]]
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]


def test_compiled_model_continues_training_identically(tmp_path):
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0)
    path = str(tmp_path / "c.dgkeras")
    model.save(path)
    assert "optimizer.npz" in _members(path)
    loaded = load_model(path)
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 6
    _assert_same_weights(loaded.optimizer.get_weights(), model.optimizer.get_weights())
    assert loaded.get_compile_config() == model.get_compile_config()
    h1 = model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    h2 = loaded.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert h1 == h2
    _assert_same_weights(loaded.get_weights(), model.get_weights())
    assert not load_model(path, compile=False).compiled


def test_multi_output_compile_config_round_trip(tmp_path, ext):
    model = _two_input_model()
    model.compile(optimizer="sgd", loss=["mse", "mae"], loss_weights=[1.0, 0.5],
                  metrics=[["mae"], []])
    path = str(tmp_path / f"mo.{ext}")
    model.save(path)
    loaded = load_model(path)
    assert loaded.get_compile_config() == model.get_compile_config()
    assert loaded.get_compile_config()["loss"] == ["mse", "mae"]


def test_get_config_from_config_and_json():
    seq = _sequential()
    again = keras.Sequential.from_config(seq.get_config())
    assert [w.shape for w in again.weights] == [w.shape for w in seq.weights]
    func = _two_input_model()
    rebuilt = keras.Model.from_config(func.get_config())
    assert [l.name for l in rebuilt.layers] == [l.name for l in func.layers]
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in func.weights]
    for model in (seq, func):
        clone = model_from_json(model.to_json())
        assert type(clone) is type(model) and clone.get_config() == json.loads(
            json.dumps(model.get_config()))
    a, b = keras.Input((3,), name="x1"), keras.Input((3,), name="x2")
    by_name = keras.Model({"x1": a, "x2": b}, layers.Add()([a, b]))
    assert sorted(keras.Model.from_config(by_name.get_config())._inputs_struct) == ["x1", "x2"]


class Scale(layers.Layer):
    """A custom layer: y = x * w (one weight per feature)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="w")

    def call(self, x):
        return x * self.w


def test_custom_layer_needs_custom_objects(tmp_path, ext):
    model = keras.Sequential([Scale(input_shape=(4,)), layers.Dense(2)])
    path = str(tmp_path / f"s.{ext}")
    model.save(path)
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'.*custom_objects"):
        load_model(path)
    loaded = load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(ValueError, match="must be a Layer subclass"):
        load_model(path, custom_objects={"Scale": print})


class TwoLayer(keras.Model):
    """A subclassed model with its own config."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden, self.out = layers.Dense(5, activation="relu"), layers.Dense(units)

    def call(self, x, training=None):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_round_trip(tmp_path, ext):
    model = TwoLayer(units=2)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.zeros((12, 2)), verbose=0)
    path = str(tmp_path / f"sub.{ext}")
    model.save(path)
    with pytest.raises(ValueError, match="custom_objects"):
        load_model(path)
    loaded = load_model(path, custom_objects={"TwoLayer": TwoLayer})
    assert type(loaded) is TwoLayer and loaded.units == 2
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations


def test_custom_loss_function(tmp_path, ext):
    def my_loss(y_true, y_pred):
        return (y_pred - y_true) ** 2

    model = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    model.compile(optimizer="adam", loss=my_loss)
    model.fit(X, np.zeros((12, 3)), verbose=0)
    path = str(tmp_path / f"l.{ext}")
    model.save(path)
    with pytest.raises(ValueError, match="my_loss.*custom_objects"):
        load_model(path)
    assert not load_model(path, compile=False).compiled
    loaded = load_model(path, custom_objects={"my_loss": my_loss})
    assert loaded.optimizer.iterations == 1
    assert loaded.evaluate(X, np.zeros((12, 3)), verbose=0) == pytest.approx(
        model.evaluate(X, np.zeros((12, 3)), verbose=0))
    model.compile(optimizer="adam", loss=lambda t, p: (p - t) ** 2)
    with pytest.warns(UserWarning, match="load uncompiled"):
        model.save(path)
    assert not load_model(path).compiled


# ---------------------------------------------------------------------- weights files
@pytest.mark.parametrize("name", ["w.weights.npz", "w.weights.h5"])
def test_save_weights_load_weights(tmp_path, name, ext):
    if name.endswith(".h5") and not HAVE_H5PY:
        pytest.skip("h5py is not installed")
    model, other = _sequential(), _sequential()
    path = str(tmp_path / name)
    model.save_weights(path)
    with open(path, "rb") as f:
        head = f.read(8)
    if name.endswith(".h5"):
        assert head == b"\x89HDF\r\n\x1a\n"                 # Keras's HDF5 file
    else:
        assert zipfile.is_zipfile(path)                  # NumPy .npz
    other.load_weights(path)
    _assert_same_weights(other.get_weights(), model.get_weights())
    keras_path = str(tmp_path / f"full.{ext}")
    model.save(keras_path)
    third = _sequential()
    third.load_weights(keras_path)                   # weights from a .keras archive too
    _assert_same_weights(third.get_weights(), model.get_weights())
    with pytest.raises(ValueError, match=".weights.npz"):
        model.save_weights(str(tmp_path / "w.npz"))
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)


def _damaged_weight_files(tmp_path, model):
    path = str(tmp_path / "good.weights.npz")
    model.save_weights(path)
    data = open(path, "rb").read()
    files = {"truncated": data[: len(data) // 2], "empty": b"",
             "hdf5": b"\x89HDF\r\n\x1a\n" + b"\0" * 64}
    flipped = bytearray(data)
    flipped[data.find(b"\x93NUMPY") + 136] ^= 0xFF   # inside the first array's data
    files["bad_crc"] = bytes(flipped)
    buf = io.BytesIO()
    np.savez(buf, **{"0000/dense/kernel": np.array([{"evil": 1}], dtype=object)})
    files["object_array"] = buf.getvalue()
    out = {}
    for key, content in files.items():
        out[key] = str(tmp_path / f"{key}.weights.npz")
        with open(out[key], "wb") as f:
            f.write(content)
    return out


def test_load_weights_errors_leave_model_unchanged(tmp_path):
    model = _sequential()
    before = model.get_weights()
    wrong = keras.Sequential([layers.Dense(9, input_shape=(4,)), layers.Dense(3)])
    wrong_path = str(tmp_path / "wrong.weights.npz")
    wrong.save_weights(wrong_path)
    fewer = keras.Sequential([layers.Dense(8, input_shape=(4,))])
    fewer_path = str(tmp_path / "fewer.weights.npz")
    fewer.save_weights(fewer_path)
    cases = dict(_damaged_weight_files(tmp_path, _sequential()), wrong_shape=wrong_path,
                 wrong_count=fewer_path, missing=str(tmp_path / "nope.weights.npz"))
    messages = {"truncated": "truncated", "bad_crc": "Bad CRC-32",
                "object_array": "pickled object arrays", "hdf5": "HDF5", "empty": "truncated",
                "wrong_shape": r"shape \(4, 9\).*\(4, 8\)", "wrong_count": "holds 2 weight arrays",
                "missing": "File not found"}
    for key, path in cases.items():
        with pytest.raises((ValueError, ImportError), match=messages[key]):   # no h5py: Import
            model.load_weights(path)
        _assert_same_weights(model.get_weights(), before)


def test_load_weights_skip_mismatch(tmp_path):
    wrong = keras.Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(5)])
    path = str(tmp_path / "w.weights.npz")
    wrong.save_weights(path)
    model = _sequential()
    last = model.get_weights()[2:]
    with pytest.warns(UserWarning, match="skip_mismatch"):
        model.load_weights(path, skip_mismatch=True)
    _assert_same_weights(model.get_weights()[:2], wrong.get_weights()[:2])
    _assert_same_weights(model.get_weights()[2:], last)


# ---------------------------------------------------------------------- damaged archives
def test_load_model_damaged_or_tampered_archives(tmp_path):
    model = _sequential()
    path = str(tmp_path / "m.dgkeras")
    model.save(path)
    data, members = open(path, "rb").read(), _members(path)

    def variant(name, **changes):
        out = str(tmp_path / f"{name}.keras")
        new = {k: v for k, v in members.items() if changes.get(k, 0) is not None}
        new.update({k: v for k, v in changes.items() if v is not None})
        _write_members(out, new)
        return out

    config = json.loads(members["config.json"])
    config["config"]["layers"][3]["config"]["units"] = 5       # [InputLayer, Dense, Dropout, Dense]
    inconsistent = json.loads(members["config.json"])
    inconsistent["config"]["layers"][1]["config"]["units"] = 7
    lambda_config = json.loads(members["config.json"])
    lambda_config["config"]["layers"][2]["class_name"] = "Lambda"
    unknown = json.loads(members["config.json"])
    unknown["config"]["layers"][2]["class_name"] = "os.system"
    buf = io.BytesIO()
    np.savez(buf, a=np.array([print], dtype=object))
    flipped = bytearray(data)
    flipped[data.find(b"\x93NUMPY") + 136] ^= 0xFF   # inside the first weight's data
    cases = {
        "truncated": (data[: len(data) // 2], "truncated or corrupted"),
        "bad_crc": (bytes(flipped), "model.weights.npz is corrupted.*Bad CRC-32"),
        "garbage": (b"not a zip at all", "truncated or corrupted"),
        "missing": (variant("missing", **{"model.weights.npz": None}), r"missing \['model"),
        "pickle": (variant("pickle", **{"payload.pkl": pickle.dumps(print)}),
                   r"unexpected member\(s\) \['payload.pkl'\]"),
        "object_weights": (variant("obj", **{"model.weights.npz": buf.getvalue()}),
                           "pickled object arrays"),
        "shape": (variant("shape", **{"config.json": json.dumps(config)}),
                  "architecture mismatch"),
        "inconsistent": (variant("inc", **{"config.json": json.dumps(inconsistent)}),
                         "Could not rebuild layer .* incompatible"),
        "lambda": (variant("lam", **{"config.json": json.dumps(lambda_config)}),
                   "Lambda layer.*cannot be saved or loaded safely"),
        "unknown": (variant("unk", **{"config.json": json.dumps(unknown)}),
                    "Unknown layer class 'os.system'"),
        "bad_json": (variant("js", **{"config.json": b"{"}), "config.json is not valid JSON"),
        "metadata": (variant("meta", **{"metadata.json": b'{"format": "other"}'}),
                     "does not describe"),
        "keras_h5": (variant("h5", **{"model.weights.npz": None, "model.weights.h5": b"x"}),
                     "does not describe"),
    }
    for key, (content, message) in cases.items():
        target = content
        if isinstance(content, bytes):
            target = str(tmp_path / f"{key}.keras")
            with open(target, "wb") as f:
                f.write(content)
        with pytest.raises((ValueError, ImportError), match=message):
            load_model(target)


def test_loading_never_unpickles(tmp_path, ext, monkeypatch):
    model = _sequential(compiled=True)
    model.fit(X, Y, verbose=0)
    path = str(tmp_path / f"m.{ext}")
    model.save(path)
    model.save_weights(str(tmp_path / "w.weights.npz"))

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    loaded = load_model(path)
    loaded.load_weights(str(tmp_path / "w.weights.npz"))
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ---------------------------------------------------------------------- refusals
def test_lambda_layers_are_refused(tmp_path, ext):
    model = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Lambda(lambda t: t * 2)])
    path = str(tmp_path / f"lam.{ext}")
    with pytest.raises(ValueError, match="Lambda layer.*cannot be saved or loaded safely"):
        model.save(path)
    with pytest.raises(ValueError, match="Lambda"):
        model.to_json()
    assert not (tmp_path / f"lam.{ext}").exists()
    model.save_weights(str(tmp_path / "lam.weights.npz"))       # weights alone are fine


def test_save_argument_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match=".keras"):
        model.save(str(tmp_path / "m.npz"))
    path = str(tmp_path / "m.dgkeras")
    model.save(path)
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{")
    assert saving.load_model is load_model


def test_without_h5py_keras_formats_say_how_to_get_it(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "h5py", None)              # as if not installed
    model = _sequential()
    for call in (lambda: model.save(str(tmp_path / "m.keras")),
                 lambda: model.save(str(tmp_path / "m.h5")),
                 lambda: model.save_weights(str(tmp_path / "w.weights.h5"))):
        with pytest.raises(ImportError, match=r"pip install 'deepgrad\[h5\]'"):
            call()
    assert not list(tmp_path.iterdir())                          # nothing half-written
    model.save(str(tmp_path / "m.dgkeras"))                      # the NumPy format needs none
    assert load_model(str(tmp_path / "m.dgkeras")).count_params() == model.count_params()
