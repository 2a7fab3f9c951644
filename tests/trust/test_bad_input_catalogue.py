"""A catalogue of bad inputs over the public entry points of both fronts.

Each row: what is called, the exception expected, key words its message must hold (what
was wrong, in the user's terms), and what must be unchanged afterwards: weights,
optimizer slots and settings, files and folders (every row snapshots the objects it
touches before the call and compares after). The rows include every case of issue 10.
"""
import io
import os
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras, nn, optim
from deepgrad.serialization import CheckpointError
from deepgrad.utils.data import DataLoader, TensorDataset

L = keras.layers
RS = np.random.RandomState(0)
X = RS.rand(12, 4).astype("float32")
Y = RS.randint(0, 3, 12)
YB = RS.randint(0, 2, (12, 1)).astype("float32")


# ====================================================================== state snapshots
def _snap(obj):
    """A comparable copy of everything a call must not change."""
    if isinstance(obj, keras.Model):
        opt = obj.optimizer
        return ("model", obj.built, obj.compiled, [w.copy() for w in obj.get_weights()],
                None if opt is None else (id(opt), [np.array(v) for v in opt.variables]
                                          if opt.built else None), id(obj._compile_loss))
    if isinstance(obj, nn.Module):
        return {k: v.numpy().copy() for k, v in obj.state_dict().items()}
    if isinstance(obj, optim.Optimizer):
        return _plain(obj.state_dict())
    if isinstance(obj, dg.Tensor):
        return obj.detach().numpy().copy()
    if isinstance(obj, _Grads):
        return [None if p.grad is None else p.grad.numpy().copy()
                for p in obj.module.parameters()]
    if isinstance(obj, str) and os.path.isdir(obj):
        return {n: _snap(os.path.join(obj, n)) for n in sorted(os.listdir(obj))}
    if isinstance(obj, str):
        with open(obj, "rb") as f:
            return f.read()
    raise TypeError(type(obj))


def _plain(x):
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dg.Tensor):
        return x.detach().numpy().copy()
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k])
                                                                    for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return a == b


# ====================================================================== builders
def kmodel(loss="sparse_categorical_crossentropy", units=3, act="softmax", metrics=None,
           fitted=False):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), L.Dense(units, activation=act)])
    m.compile("adam", loss, metrics=metrics)
    if fitted:
        m.fit(X, Y if units == 3 else YB, epochs=1, verbose=0)
    return m


def K(call, **model_kwargs):
    """A row on a fresh compiled Keras model: ``call(model)``."""
    def build(tmp):
        m = kmodel(**model_kwargs)
        return (lambda: call(m)), [m]
    return build


def FIT(**kwargs):
    x, y = kwargs.pop("x", X), kwargs.pop("y", Y)
    return K(lambda m: m.fit(x, y, verbose=0, **kwargs))


def BFIT(**kwargs):            # a binary model (sigmoid, binary cross-entropy)
    y = kwargs.pop("y", YB)
    loss = kwargs.pop("loss", "binary_crossentropy")
    return K(lambda m: m.fit(X, y, verbose=0, **kwargs), loss=loss, units=1,
             act="sigmoid")


def TORCH(call):
    """A row on a small nn model and its Adam optimizer after one step: ``call(m, opt)``."""
    def build(tmp):
        dg.manual_seed(0)
        m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        opt = optim.Adam(m.parameters(), lr=0.01)
        m(dg.tensor(X)).sum().backward()
        opt.step()
        return (lambda: call(m, opt)), [m, opt]
    return build


def FILES(call):
    """A row in a folder with valid files (``m.dgkeras``, ``w.weights.npz``, ``c.pt``,
    a truncated copy of each, and garbage): ``call(folder, model)``; the folder and the
    model are watched."""
    def build(tmp):
        folder = str(tmp)
        m = kmodel(fitted=True)
        m.save(os.path.join(folder, "m.dgkeras"))
        m.save_weights(os.path.join(folder, "w.weights.npz"))
        dg.save({"w": dg.ones(3)}, os.path.join(folder, "c.pt"))
        for name in ("m.dgkeras", "w.weights.npz", "c.pt"):
            with open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            with open(os.path.join(folder, "cut_" + name), "wb") as f:
                f.write(data[:len(data) // 2])
        with open(os.path.join(folder, "junk.dgkeras"), "wb") as f:
            f.write(b"not a model at all")
        other = keras.Sequential([keras.Input((5,)), L.Dense(2)])
        other.save_weights(os.path.join(folder, "other.weights.npz"))
        os.makedirs(os.path.join(folder, "adir.dgkeras"))
        _hostile_pt(folder)
        fresh = kmodel(fitted=True)
        return (lambda: call(folder, fresh)), [folder, fresh]
    return build


def PURE(call):
    def build(tmp):
        return call, []
    return build


def P(folder, name):
    return os.path.join(folder, name)


def _hostile_pt(folder):
    class Run:
        def __reduce__(self):
            return os.system, ("true",)
    buf = io.BytesIO()
    dg.save({"w": dg.ones(2)}, buf)
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = P(folder, "evil.pt")
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("data.pkl"):
                data = pickle.dumps({"w": Run()}, protocol=2)
            zf.writestr(info.filename, data)
    return out


def _bar_unbuilt(tmp):
    m = keras.Sequential([L.Dense(2)])
    m.compile("sgd", "mse")
    cb = keras.callbacks.BackupAndRestore(str(tmp / "b"))
    return (lambda: m.fit(X, X[:, :2], verbose=0, callbacks=[cb])), [m]


def _inplace_case(tmp):
    """An optimizer step between forward and backward (issue 10's example): the weights
    change by the user's own step, so the gradients are watched (none may be written)."""
    call, (m, opt) = TORCH(lambda m, opt: None)(tmp)      # grads of one backward exist
    out = m(dg.tensor(X)).sum()

    def step_then_backward():
        opt.step()                           # in-place updates of weights the forward saved
        out.backward()
    return step_then_backward, [_Grads(m)]


class _Grads:
    def __init__(self, module):
        self.module = module


def _state_of(model, opt_cls, **kw):
    """The state_dict of another optimizer over parameters shaped like ``model``'s."""
    p = [nn.Parameter(dg.ones(*q.shape)) for q in model.parameters()]
    other = opt_cls(p, **kw)
    for q in p:
        q.grad = dg.ones(*q.shape)
    other.step()
    return other.state_dict()


def _sd_with(m, **changes):
    sd = dict(m.state_dict())
    for k, v in changes.items():
        if v is None:
            sd.pop(k)
        else:
            sd[k] = v
    return sd


# ====================================================================== the catalogue
V = ValueError
T = TypeError
R = RuntimeError
CASES = [
    # ---------------------------------------------------------------- keras: fit
    ("fit-batch-size-0", FIT(batch_size=0), V, ["batch_size", "positive", "0"]),
    ("fit-batch-size-negative", FIT(batch_size=-4), V, ["batch_size", "-4"]),
    ("fit-batch-size-float", FIT(batch_size=2.5), V, ["batch_size", "2.5"]),
    ("fit-batch-size-str", FIT(batch_size="32"), V, ["batch_size", "'32'"]),
    ("fit-batch-size-bool", FIT(batch_size=True), V, ["batch_size", "true"]),
    ("fit-validation-batch-size-0", FIT(validation_batch_size=0,
                                        validation_data=(X, Y)), V,
     ["validation_batch_size"]),
    ("fit-validation-split-1", FIT(validation_split=1.0), V, ["validation_split", "[0, 1)"]),
    ("fit-validation-split-negative", FIT(validation_split=-0.1), V, ["validation_split"]),
    ("fit-validation-split-1.5", FIT(validation_split=1.5), V, ["validation_split", "1.5"]),
    ("fit-validation-split-str", FIT(validation_split="0.2"), V, ["validation_split"]),
    ("fit-validation-split-too-few", FIT(x=X[:1], y=Y[:1], validation_split=0.3), V,
     ["not sufficient", "validation_split"]),
    ("fit-empty-x-y", FIT(x=X[:0], y=Y[:0]), V, ["empty", "0 samples"]),
    ("fit-empty-x-only", FIT(x=X[:0]), V, ["cardinality"]),
    ("fit-x-object-dtype", FIT(x=X.astype(object)), T, ["x", "dtype object", "numbers"]),
    ("fit-x-string-dtype", FIT(x=X.astype(str)), T, ["x", "dtype <u", "numbers"]),
    ("fit-y-string-dtype", FIT(y=Y.astype(str)), T, ["y", "dtype"]),
    ("fit-sample-weight-object", FIT(sample_weight=np.ones(12, object)), T,
     ["sample_weight", "dtype object"]),
    ("fit-x-nan", FIT(x=np.where(X > 0.9, np.nan, X)), V, ["x", "nan"]),
    ("fit-x-inf", FIT(x=np.where(X > 0.9, np.inf, X)), V, ["x", "infinite"]),
    ("fit-y-nan-regression", K(lambda m: m.fit(X, np.full((12, 1), np.nan), verbose=0),
                               loss="mse", units=1, act=None), V, ["y", "nan"]),
    ("fit-sample-weight-nan", FIT(sample_weight=np.full(12, np.nan)), V,
     ["sample_weight", "nan"]),
    ("fit-x-y-lengths", FIT(y=Y[:10]), V, ["cardinality", "12", "10"]),
    ("fit-sample-weight-length", FIT(sample_weight=np.ones(5)), V, ["cardinality", "5"]),
    ("fit-x-wrong-features", FIT(x=np.ones((12, 5), "float32")), V,
     ["expected axis -1", "value 4", "(12, 5)"]),
    ("fit-x-wrong-rank", FIT(x=np.ones((12, 4, 1), "float32")), V, ["axes", "(4, 1)"]),
    ("fit-ragged-list-x", FIT(x=[[1.0, 2.0], [3.0]]), V, ["x", "ragged", "np.array"]),
    ("fit-val-wrong-features", FIT(validation_data=(np.ones((3, 5), "float32"), Y[:3])),
     V, ["validation_data", "value 4", "(3, 5)"]),
    ("fit-val-lengths", FIT(validation_data=(X[:3], Y[:2])), V, ["cardinality"]),
    ("fit-val-nan", FIT(validation_data=(np.full((3, 4), np.nan, "float32"), Y[:3])), V,
     ["nan"]),
    ("fit-val-label-out-of-range", FIT(validation_data=(X[:3], np.array([0, 1, 9]))), V,
     ["validation_data", "label 9", "[0, 2]"]),
    ("fit-val-object", FIT(validation_data=(X[:3].astype(object), Y[:3])), T,
     ["dtype object"]),
    ("fit-val-empty", FIT(validation_data=(X[:0], Y[:0])), V, ["empty"]),
    ("fit-label-equals-classes", FIT(y=np.r_[Y[:-1], 3]), V, ["label 3", "3 output classes"]),
    ("fit-label-negative", FIT(y=np.r_[-1, Y[1:]]), V, ["label -1", "[0, 2]"]),
    ("fit-label-out-of-range-last-batch", FIT(y=np.r_[Y[:-1], 7], batch_size=2,
                                              shuffle=False), V,
     ["label 7", "all 12 samples", "before training"]),
    ("fit-label-fractional", FIT(y=np.r_[Y[:-1], 1.5]), V, ["non-integer", "labels"]),
    ("fit-binary-labels-012", BFIT(y=np.array([0, 1, 2] * 4, "float32")), V,
     ["[0.0, 2.0]", "binary_crossentropy", "[0, 1]"]),
    ("fit-binary-label-negative", BFIT(y=np.r_[-1.0, YB[1:, 0]]), V, ["[0, 1]"]),
    ("fit-binary-loss-object", BFIT(y=np.r_[0.0, 1.0, 3.0, YB[3:, 0]],
                                    loss=keras.losses.BinaryCrossentropy()), V, ["3.0"]),
    ("fit-binary-focal-labels", BFIT(y=np.r_[2.0, YB[1:, 0]],
                                     loss="binary_focal_crossentropy"), V,
     ["binary_focal_crossentropy"]),
    ("fit-shuffle-str", FIT(shuffle="yes"), V, ["shuffle", "'yes'"]),
    ("fit-steps-per-epoch-0", FIT(steps_per_epoch=0), V, ["steps_per_epoch", "0"]),
    ("fit-steps-per-epoch-negative", FIT(steps_per_epoch=-2), V, ["steps_per_epoch"]),
    ("fit-validation-freq-str", FIT(validation_data=(X, Y), validation_freq="x"), V,
     ["validation_freq"]),
    ("fit-class-weight-and-sample-weight", FIT(class_weight={0: 1.0},
                                               sample_weight=np.ones(12)), V,
     ["class_weight", "sample_weight"]),
    ("fit-x-none", FIT(x=None), V, ["x is none"]),
    ("fit-y-with-generator", FIT(x=iter([(X, Y)]), y=Y), V, ["y", "should not be passed"]),
    ("fit-callback-object", FIT(callbacks=[object()]), T, ["callback"]),
    ("fit-before-compile", PURE(lambda: keras.Sequential([keras.Input((4,)), L.Dense(2)])
                                .fit(X, Y, verbose=0)), V, ["compile()"]),
    # ---------------------------------------------------------------- keras: other loops
    ("evaluate-empty", K(lambda m: m.evaluate(X[:0], Y[:0], verbose=0)), V, ["empty"]),
    ("evaluate-batch-size-0", K(lambda m: m.evaluate(X, Y, batch_size=0, verbose=0)), V,
     ["batch_size"]),
    ("evaluate-nan", K(lambda m: m.evaluate(np.full((2, 4), np.nan), Y[:2], verbose=0)), V,
     ["nan"]),
    ("evaluate-label-out-of-range", K(lambda m: m.evaluate(X, np.r_[Y[:-1], 5],
                                                           verbose=0)), V, ["label 5"]),
    ("evaluate-object", K(lambda m: m.evaluate(X.astype(object), Y, verbose=0)), T,
     ["dtype object"]),
    ("evaluate-wrong-features", K(lambda m: m.evaluate(np.ones((2, 6)), Y[:2], verbose=0)),
     V, ["value 4"]),
    ("predict-empty", K(lambda m: m.predict(X[:0], verbose=0)), V, ["empty"]),
    ("predict-batch-size-0", K(lambda m: m.predict(X, batch_size=0, verbose=0)), V,
     ["batch_size"]),
    ("predict-string", K(lambda m: m.predict(X.astype(str), verbose=0)), T, ["dtype"]),
    ("train-on-batch-nan", K(lambda m: m.train_on_batch(np.full((2, 4), np.nan), Y[:2])), V,
     ["nan"]),
    ("train-on-batch-object", K(lambda m: m.train_on_batch(X.astype(object), Y)), T,
     ["dtype object"]),
    ("train-on-batch-lengths", K(lambda m: m.train_on_batch(X, Y[:3])), V, ["cardinality"]),
    ("train-on-batch-binary-labels", K(lambda m: m.train_on_batch(X, np.r_[2.0, YB[1:, 0]]),
                                       loss="binary_crossentropy", units=1, act="sigmoid"),
     V, ["train_on_batch", "[0, 1]"]),
    ("train-on-batch-label-out-of-range", K(lambda m: m.train_on_batch(X, np.r_[Y[:-1], 4])),
     V, ["label 4"]),
    ("test-on-batch-lengths", K(lambda m: m.test_on_batch(X[:2], Y)), V, ["cardinality"]),
    # ---------------------------------------------------------------- keras: compile
    ("compile-unknown-metric-acc2", K(lambda m: m.compile("sgd", "mse", metrics=["acc2"])),
     V, ["unknown metric", "acc2"]),
    ("compile-unknown-weighted-metric", K(lambda m: m.compile(
        "sgd", "mse", weighted_metrics=["nope"])), V, ["unknown metric", "nope"]),
    ("compile-unknown-loss", K(lambda m: m.compile("sgd", "msee")), V,
     ["unknown loss", "msee"]),
    ("compile-unknown-optimizer", K(lambda m: m.compile("adamm", "mse")), V,
     ["unknown optimizer", "adamm"]),
    ("compile-loss-int", K(lambda m: m.compile("sgd", 123)), V, ["loss identifier", "123"]),
    ("compile-metric-object", K(lambda m: m.compile("sgd", "mse", metrics=[object()])), V,
     ["metric identifier"]),
    ("compile-optimizer-object", K(lambda m: m.compile(object(), "mse")), V,
     ["optimizer identifier"]),
    ("compile-steps-per-execution", K(lambda m: m.compile("sgd", "mse",
                                                          steps_per_execution=2)), V,
     ["steps_per_execution"]),
    ("compile-jit", K(lambda m: m.compile("sgd", "mse", jit_compile=True)), V,
     ["jit_compile"]),
    ("keras-optimizers-get", PURE(lambda: keras.optimizers.get("nope")), V,
     ["unknown optimizer", "nope"]),
    # ---------------------------------------------------------------- keras: layers, misc
    ("dense-input-shape-int", PURE(lambda: L.Dense(4, input_shape=8)), V,
     ["input_shape", "tuple", "input_shape=8"]),
    ("input-shape-int", PURE(lambda: keras.Input(shape=8)), V, ["shape", "tuple"]),
    ("input-shape-negative", PURE(lambda: keras.Input(shape=(-1,))), V, ["non-negative"]),
    ("dense-units-0", PURE(lambda: L.Dense(0)), V, ["units", "0"]),
    ("dense-units-str", PURE(lambda: L.Dense("4")), V, ["units", "'4'"]),
    ("dense-activation-unknown", PURE(lambda: L.Dense(4, activation="nope")), V,
     ["activation", "nope"]),
    ("dense-initializer-unknown", PURE(lambda: L.Dense(4, kernel_initializer="nope")), V,
     ["initializer", "nope"]),
    ("dense-regularizer-unknown", PURE(lambda: L.Dense(4, kernel_regularizer="nope")), V,
     ["regularizer", "nope"]),
    ("dropout-rate", PURE(lambda: L.Dropout(1.5)), V, ["rate", "1.5"]),
    ("conv2d-kernel-0", PURE(lambda: L.Conv2D(8, 0)), V, ["kernel_size", "0"]),
    ("conv2d-padding", PURE(lambda: L.Conv2D(8, 3, padding="nope")), V, ["padding", "nope"]),
    ("conv2d-strides-0", PURE(lambda: L.Conv2D(8, 3, strides=0)), V, ["strides"]),
    ("conv1d-filters-0", PURE(lambda: L.Conv1D(0, 3)), V, ["filters"]),
    ("maxpool-0", PURE(lambda: L.MaxPooling2D(pool_size=0)), V, ["pool_size"]),
    ("embedding-0", PURE(lambda: L.Embedding(0, 4)), V, ["input_dim"]),
    ("lstm-units-0", PURE(lambda: L.LSTM(0)), V, ["units"]),
    ("reshape-two-unknown", PURE(lambda: L.Reshape((-1, -1))), V, ["target_shape"]),
    ("keras-adam-negative-lr", PURE(lambda: keras.optimizers.Adam(learning_rate=-1)), V,
     ["learning_rate", "-1"]),
    ("keras-sgd-momentum", PURE(lambda: keras.optimizers.SGD(momentum=2)), V, ["momentum"]),
    ("keras-losses-get", PURE(lambda: keras.losses.get("nope")), V, ["unknown loss"]),
    ("keras-activations-get", PURE(lambda: keras.activations.get("nope")), V,
     ["activation"]),
    ("backup-empty-dir", PURE(lambda: keras.callbacks.BackupAndRestore("")), V,
     ["backup_dir"]),
    ("backup-save-freq-str", PURE(lambda: keras.callbacks.BackupAndRestore(
        "b", save_freq="batch")), V, ["save_freq", "batch"]),
    ("backup-save-freq-0", PURE(lambda: keras.callbacks.BackupAndRestore(
        "b", save_freq=0)), V, ["save_freq"]),
    ("backup-unbuilt-model", _bar_unbuilt, V, ["built", "backupandrestore"]),
    # ---------------------------------------------------------------- keras: weights
    ("set-weights-count", K(lambda m: m.set_weights(m.get_weights()[:1])), V,
     ["expects 2", "received 1"]),
    ("set-weights-last-shape", K(lambda m: m.set_weights([m.get_weights()[0] + 1,
                                                          np.ones(7)])), V,
     ["weight 1", "(3,)", "(7,)"]),
    ("set-weights-first-shape", K(lambda m: m.set_weights([np.ones((5, 3)),
                                                           m.get_weights()[1]])), V,
     ["weight 0", "(5, 3)"]),
    ("layer-set-weights-shape", K(lambda m: m.layers[0].set_weights(
        [np.ones((4, 3)), np.ones(4)])), V, ["(3,)", "(4,)"]),
    # ---------------------------------------------------------------- keras: files
    ("save-missing-folder", FILES(lambda d, m: m.save(P(d, "nope/m.dgkeras"))),
     FileNotFoundError, ["nope", "does not exist"]),
    ("save-weights-missing-folder", FILES(lambda d, m: m.save_weights(
        P(d, "nope/w.weights.npz"))), FileNotFoundError, ["nope", "does not exist"]),
    ("save-bad-suffix", FILES(lambda d, m: m.save(P(d, "m.txt"))), V, ["extension", "m.txt"]),
    ("save-weights-bad-suffix", FILES(lambda d, m: m.save_weights(P(d, "w.h5"))), V,
     ["weights.h5", "w.h5"]),
    ("save-overwrite-false", FILES(lambda d, m: m.save(P(d, "m.dgkeras"), overwrite=False)),
     FileExistsError, ["m.dgkeras", "overwrite=false"]),
    ("save-into-a-directory", FILES(lambda d, m: m.save(P(d, "adir.dgkeras"))),
     IsADirectoryError, ["adir.dgkeras", "directory"]),
    ("load-model-missing", FILES(lambda d, m: keras.models.load_model(P(d, "no.keras"))), V,
     ["not found", "no.keras"]),
    ("load-model-truncated", FILES(lambda d, m: keras.models.load_model(
        P(d, "cut_m.dgkeras"))), V, ["cut_m.dgkeras", "truncated"]),
    ("load-model-garbage", FILES(lambda d, m: keras.models.load_model(
        P(d, "junk.dgkeras"))), V, ["junk.dgkeras", "not a valid"]),
    ("load-model-of-a-pt-file", FILES(lambda d, m: keras.models.load_model(P(d, "c.pt"))), V,
     ["c.pt", "missing", "metadata.json"]),
    ("load-weights-missing", FILES(lambda d, m: m.load_weights(P(d, "no.weights.npz"))), V,
     ["not found"]),
    ("load-weights-other-architecture", FILES(lambda d, m: m.load_weights(
        P(d, "other.weights.npz"))), V, ["other.weights.npz", "shape"]),
    ("load-weights-truncated", FILES(lambda d, m: m.load_weights(
        P(d, "cut_w.weights.npz"))), V, ["cut_w.weights.npz"]),
    ("load-weights-garbage", FILES(lambda d, m: m.load_weights(P(d, "junk.dgkeras"))), V,
     ["junk.dgkeras"]),
    ("load-weights-by-name-not-legacy", FILES(lambda d, m: m.load_weights(
        P(d, "w.weights.npz"), by_name=True)), V, ["by_name", "legacy"]),
    # ---------------------------------------------------------------- deepgrad.save/load
    ("dg-save-missing-folder", FILES(lambda d, m: dg.save({"a": 1}, P(d, "nope/c.pt"))),
     FileNotFoundError, ["deepgrad.save", "nope", "does not exist"]),
    ("dg-save-unpicklable-keeps-old-file", FILES(lambda d, m: dg.save(
        {"f": lambda: 0}, P(d, "c.pt"))), (pickle.PicklingError, AttributeError), ["lambda"]),
    ("dg-save-into-a-directory", FILES(lambda d, m: dg.save({}, d)), IsADirectoryError,
     ["directory"]),
    ("dg-save-protocol-1", FILES(lambda d, m: dg.save({}, P(d, "c.pt"), pickle_protocol=1)),
     V, ["pickle_protocol", "1"]),
    ("dg-save-not-a-file", PURE(lambda: dg.save({}, 42)), T, ["path", "int"]),
    ("dg-load-missing", FILES(lambda d, m: dg.load(P(d, "no.pt"))), FileNotFoundError,
     ["no.pt"]),
    ("dg-load-truncated", FILES(lambda d, m: dg.load(P(d, "cut_c.pt"))), CheckpointError,
     ["truncated"]),
    ("dg-load-garbage", FILES(lambda d, m: dg.load(P(d, "junk.dgkeras"))), CheckpointError,
     ["not a zip"]),
    ("dg-load-a-keras-archive", FILES(lambda d, m: dg.load(P(d, "m.dgkeras"))),
     CheckpointError, ["data.pkl"]),
    ("dg-load-pickle-with-code", FILES(lambda d, m: dg.load(P(d, "evil.pt"))),
     pickle.UnpicklingError, ["system", "refused", "nothing from the file was run"]),
    ("dg-load-map-location-cuda", FILES(lambda d, m: dg.load(P(d, "c.pt"),
                                                               map_location="cuda:0")), R,
     ["cuda:0"]),
    ("dg-load-mmap-str", FILES(lambda d, m: dg.load(P(d, "c.pt"), mmap="yes")), T,
     ["mmap", "'yes'"]),
    ("dg-load-weights-only-str", FILES(lambda d, m: dg.load(P(d, "c.pt"),
                                                              weights_only="no")), T,
     ["weights_only"]),
    # ---------------------------------------------------------------- nn: state dicts
    ("load-state-dict-last-entry-unconvertible", TORCH(lambda m, o: m.load_state_dict(
        _sd_with(m, **{"2.bias": "garbage"}))), R, ["2.bias", "str"]),
    ("load-state-dict-shape", TORCH(lambda m, o: m.load_state_dict(
        _sd_with(m, **{"2.bias": dg.ones(5)}))), R, ["size mismatch", "2.bias"]),
    ("load-state-dict-missing-key", TORCH(lambda m, o: m.load_state_dict(
        _sd_with(m, **{"0.weight": None}))), R, ["missing key", "0.weight"]),
    ("load-state-dict-unexpected-key", TORCH(lambda m, o: m.load_state_dict(
        {**m.state_dict(), "extra.weight": dg.ones(2)})), R, ["unexpected key", "extra"]),
    ("load-state-dict-not-a-dict", TORCH(lambda m, o: m.load_state_dict([1, 2])), T,
     ["dict"]),
    # ---------------------------------------------------------------- nn: layers
    ("linear-negative", PURE(lambda: nn.Linear(-1, 3)), V, ["in_features", "-1"]),
    ("linear-str", PURE(lambda: nn.Linear("3", 4)), V, ["in_features", "'3'"]),
    ("conv2d-kernel-0-torch", PURE(lambda: nn.Conv2d(1, 8, 0)), V, ["kernel_size", "0"]),
    ("conv2d-stride-0-torch", PURE(lambda: nn.Conv2d(1, 8, 3, stride=0)), V, ["stride", "0"]),
    ("conv2d-padding-str", PURE(lambda: nn.Conv2d(1, 8, 3, padding="nope")), V,
     ["padding", "nope"]),
    ("conv2d-groups", PURE(lambda: nn.Conv2d(3, 8, 3, groups=2)), V, ["divisible", "groups"]),
    ("nn-dropout-p", PURE(lambda: nn.Dropout(1.5)), V, ["between 0 and 1", "1.5"]),
    ("nn-embedding-negative", PURE(lambda: nn.Embedding(-1, 3)), V,
     ["num_embeddings", "-1"]),
    ("nn-lstm-hidden-0", PURE(lambda: nn.LSTM(4, 0)), V, ["hidden_size", "0"]),
    ("linear-forward-features", TORCH(lambda m, o: m(dg.ones(2, 5))), R, ["(2, 5)", "4"]),
    # ---------------------------------------------------------------- nn: losses
    ("bce-nan-input", PURE(lambda: nn.functional.binary_cross_entropy(
        dg.tensor([np.nan, 0.5]), dg.tensor([0.0, 1.0]))), V, ["[0, 1]", "nan"]),
    ("bce-input-above-1", PURE(lambda: nn.functional.binary_cross_entropy(
        dg.tensor([1.5]), dg.tensor([1.0]))), V, ["[0, 1]", "1.5", "logits"]),
    ("cross-entropy-target-out-of-range", PURE(lambda: nn.functional.cross_entropy(
        dg.ones(2, 3), dg.tensor([0, 3]))), IndexError, ["target 3", "[0, 2]"]),
    ("nll-negative-target", PURE(lambda: nn.functional.nll_loss(
        dg.ones(2, 3), dg.tensor([0, -5]))), IndexError, ["-5"]),
    ("mse-shapes", PURE(lambda: nn.functional.mse_loss(dg.ones(2, 3), dg.ones(3, 2))), V,
     ["(3, 2)", "(2, 3)"]),
    # ---------------------------------------------------------------- engine
    ("broadcast-incompatible", PURE(lambda: dg.ones(2, 3) + dg.ones(4)), R,
     ["size of tensor a (3)", "tensor b (4)", "dimension 1", "(2, 3)"]),
    ("ragged-nested-list", PURE(lambda: dg.tensor([[1, 2], [3]])), (V, T),
     ["length 2", "dim 1", "got 1"]),
    ("negative-size", PURE(lambda: dg.zeros(2, -3)), (V, R), ["non-negative", "-3"]),
    ("size-str", PURE(lambda: dg.zeros(2, "3")), T, ["size", "'3'"]),
    ("tensor-of-str", PURE(lambda: dg.tensor("abc")), T, ["str"]),
    ("matmul-shapes", PURE(lambda: dg.ones(2, 3) @ dg.ones(4, 2)), R, ["(2, 3)", "(4, 2)"]),
    ("reshape-size", PURE(lambda: dg.ones(6).reshape(4, -1)), R, ["[4, -1]", "size 6"]),
    ("view-size", PURE(lambda: dg.ones(6).view(4, 2)), R, ["size 6"]),
    ("cat-shapes", PURE(lambda: dg.cat([dg.ones(2, 3), dg.ones(2, 4)], 0)), R,
     ["(2, 4)", "(2, 3)"]),
    ("stack-shapes", PURE(lambda: dg.stack([dg.ones(2), dg.ones(3)])), R, ["(3,)"]),
    ("index-out-of-range", PURE(lambda: dg.ones(3)[5]), IndexError, ["5", "size 3"]),
    ("permute-repeated", PURE(lambda: dg.ones(2, 3).permute(0, 0)), R, ["(0, 0)"]),
    ("squeeze-dim", PURE(lambda: dg.ones(2, 3).squeeze(5)), IndexError, ["dim", "5"]),
    ("sum-dim", PURE(lambda: dg.ones(2, 3).sum(4)), IndexError, ["dim", "4"]),
    ("transpose-dim", PURE(lambda: dg.ones(2, 3).transpose(0, 3)), IndexError, ["3"]),
    ("expand-size", PURE(lambda: dg.ones(2, 3).expand(4, 3)), R, ["(2, 3)", "(4, 3)"]),
    ("gather-index", PURE(lambda: dg.gather(dg.ones(2, 3), 1, dg.tensor([[5]]))), IndexError,
     ["5", "size 3"]),
    ("amax-empty", PURE(lambda: dg.zeros(0, 3).amax(0)), R, ["amax", "(0, 3)"]),
    ("backward-non-scalar", PURE(lambda: (dg.ones(3, requires_grad=True) * 2).backward()), R,
     ["scalar", "(3,)"]),
    ("backward-no-grad", PURE(lambda: dg.ones(3).sum().backward()), R,
     ["does not require grad"]),
    ("inplace-after-forward", _inplace_case, R,
     ["modified by an inplace operation"]),
    ("set-rng-state-float", PURE(lambda: dg.set_rng_state(dg.ones(3))), T,
     ["uint8", "float32"]),
    ("manual-seed-str", PURE(lambda: dg.manual_seed("a")), T, ["seed", "str"]),
    # ---------------------------------------------------------------- optimizers
    ("adam-negative-lr", PURE(lambda: optim.Adam([nn.Parameter(dg.ones(2))], lr=-1)), V,
     ["lr", "-1"]),
    ("sgd-negative-momentum", PURE(lambda: optim.SGD([nn.Parameter(dg.ones(2))], lr=0.1,
                                                     momentum=-1)), V, ["momentum"]),
    ("adam-betas", PURE(lambda: optim.Adam([nn.Parameter(dg.ones(2))],
                                           betas=(1.5, 0.9))), V, ["betas", "1.5"]),
    ("optimizer-no-params", PURE(lambda: optim.SGD([], lr=0.1)), V, ["empty"]),
    ("optimizer-int-params", PURE(lambda: optim.SGD([1, 2], lr=0.1)), T, ["int"]),
    ("adam-loads-sgd-state", TORCH(lambda m, o: o.load_state_dict(
        _state_of(m, optim.SGD, lr=0.1, momentum=0.9))), V,
     ["momentum_buffer", "adam keeps", "another optimizer"]),
    ("adam-loads-rmsprop-state", TORCH(lambda m, o: o.load_state_dict(
        _state_of(m, optim.RMSprop, lr=0.1))), V, ["square_avg", "adam"]),
    ("adam-loads-adamax-state", TORCH(lambda m, o: o.load_state_dict(
        _state_of(m, optim.Adamax))), V, ["exp_inf", "adam keeps"]),
    ("optimizer-load-list", TORCH(lambda m, o: o.load_state_dict([1, 2])), T,
     ["state_dict", "list"]),
    ("optimizer-load-missing-groups", TORCH(lambda m, o: o.load_state_dict({"state": {}})),
     T, ["param_groups"]),
    ("optimizer-load-group-count", TORCH(lambda m, o: o.load_state_dict(
        {"state": {}, "param_groups": []})), V, ["0 parameter groups"]),
    ("optimizer-load-state-shape", TORCH(lambda m, o: o.load_state_dict(
        {**o.state_dict(), "state": {0: {**o.state_dict()["state"][0],
                                         "exp_avg": np.ones(7, "float32")}}})), V,
     ["shape"]),
    ("steplr-step-size-0", TORCH(lambda m, o: optim.lr_scheduler.StepLR(o, step_size=0)), V,
     ["step_size", "0"]),
    ("scheduler-not-an-optimizer", PURE(lambda: optim.lr_scheduler.StepLR(object(), 1)), T,
     ["optimizer"]),
    # ---------------------------------------------------------------- data
    ("dataloader-batch-size-0", PURE(lambda: DataLoader(TensorDataset(dg.ones(4, 2)),
                                                        batch_size=0)), V,
     ["batch_size", "0"]),
    ("dataloader-shuffle-and-sampler", PURE(lambda: DataLoader(
        TensorDataset(dg.ones(4, 2)), shuffle=True, sampler=[0, 1])), V,
     ["sampler", "shuffle"]),
    ("tensordataset-lengths", PURE(lambda: TensorDataset(dg.ones(4, 2), dg.ones(3))), V,
     ["(4, 2)", "(3,)"]),
]


@pytest.mark.parametrize("build, error, words",
                         [pytest.param(b, e, w, id=i) for i, b, e, w in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(build, error, words, tmp_path):
    call, watched = build(tmp_path)
    before = [_snap(obj) for obj in watched]
    with pytest.raises(error) as info:
        call()
    message = str(info.value).lower()
    missing = [w for w in words if w.lower() not in message]
    assert not missing, f"message lacks {missing}: {info.value}"
    after = [_snap(obj) for obj in watched]
    assert all(_same(a, b) for a, b in zip(before, after)), "state changed before the error"


def test_the_catalogue_is_large_and_names_are_unique():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 150


def test_steps_per_epoch_is_honoured_for_arrays():
    m = kmodel()
    m.fit(X, Y, batch_size=2, steps_per_epoch=2, epochs=3, verbose=0)
    assert int(m.optimizer.iterations) == 6
