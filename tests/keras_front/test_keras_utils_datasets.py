"""keras.utils dataset builders (timeseries windows, split_dataset, image/text datasets from
directories), Progbar and the small helpers: NumPy references, Keras's documented
examples, fit on the datasets, errors raised before anything is built."""
import io
import os

import numpy as np
import pytest

from deepgrad.keras import Input, Sequential, layers, utils


def _batches(ds):
    out = []
    for b in ds:
        out.append(tuple(np.asarray(getattr(t, "numpy", lambda t=t: t)()) for t in b)
                   if isinstance(b, tuple) else np.asarray(b.numpy()))
    return out


def test_timeseries_documented_examples():
    ds = utils.timeseries_dataset_from_array(np.arange(100), None, sequence_length=10,
                                             sampling_rate=2, batch_size=4)
    first = _batches(ds)[0]
    np.testing.assert_array_equal(first[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(first[3], np.arange(3, 23, 2))
    data = np.arange(100)
    ds = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10,
                                             batch_size=32)
    batches = _batches(ds)
    x, y = batches[0]
    np.testing.assert_array_equal(x[0], np.arange(10))
    assert y[0] == 10
    total = sum(len(b[1]) for b in batches)
    assert total == 90 - 10 + 1


def test_timeseries_reference_windows_and_shuffle():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((50, 3))
    targets = rng.standard_normal(50)
    kw = dict(sequence_length=6, sequence_stride=3, sampling_rate=2, start_index=4,
              end_index=45)
    ds = utils.timeseries_dataset_from_array(data, targets, batch_size=5, **kw)
    xs = np.concatenate([b[0] for b in _batches(ds)])
    ys = np.concatenate([b[1] for b in _batches(ds)])
    starts = np.arange(0, 45 - 4 - 5 * 2, 3) + 4
    np.testing.assert_allclose(xs, np.stack([data[s:s + 12:2] for s in starts]))
    np.testing.assert_allclose(ys, targets[starts])
    shuf = utils.timeseries_dataset_from_array(data, targets, batch_size=5, shuffle=True,
                                               seed=3, **kw)
    sx = np.concatenate([b[0] for b in _batches(shuf)])
    assert sorted(map(tuple, sx.reshape(len(sx), -1))) == \
        sorted(map(tuple, xs.reshape(len(xs), -1)))
    again = utils.timeseries_dataset_from_array(data, targets, batch_size=5, shuffle=True,
                                                seed=3, **kw)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in _batches(again)]), sx)


def test_timeseries_fit_and_errors():
    t = np.linspace(0, 20, 300)
    series = np.sin(t).astype("float32")[:, None]
    ds = utils.timeseries_dataset_from_array(series[:-5], series[5:, 0], sequence_length=10,
                                             batch_size=32)
    model = Sequential([Input((10, 1)), layers.LSTM(8), layers.Dense(1)])
    model.compile("adam", "mse")
    hist = model.fit(ds, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    short = utils.timeseries_dataset_from_array(series, series[:20, 0], 5, batch_size=None)
    assert len(list(short)) == 20                       # as many windows as targets (Keras)
    with pytest.raises(ValueError, match="sampling_rate.*lower than the length"):
        utils.timeseries_dataset_from_array(series, None, 5, sampling_rate=300)
    with pytest.raises(ValueError, match="format.*grain"):
        utils.timeseries_dataset_from_array(series, None, 5, format="grain")
    with pytest.raises(ValueError, match="sequence_length.*0"):
        utils.timeseries_dataset_from_array(series, None, 0)
    with pytest.raises(ValueError, match="start_index.*300"):
        utils.timeseries_dataset_from_array(series, None, 5, start_index=300)


def test_split_dataset():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    left, right = utils.split_dataset((x, y), left_size=0.8)
    lb = list(left.as_numpy_iterator())
    rb = list(right.as_numpy_iterator())
    assert len(lb) == 8 and len(rb) == 2
    np.testing.assert_array_equal(lb[0][0], x[0])
    np.testing.assert_array_equal(rb[-1][1], 9)
    left, right = utils.split_dataset(np.arange(10), right_size=3, shuffle=True, seed=1)
    values = sorted(list(left.as_numpy_iterator()) + list(right.as_numpy_iterator()))
    assert values == list(range(10)) and len(list(right.as_numpy_iterator())) == 3
    with pytest.raises(ValueError, match="either `left_size` or `right_size`"):
        utils.split_dataset(np.arange(10))
    with pytest.raises(ValueError, match="same length"):
        utils.split_dataset((np.arange(3), np.arange(4)), left_size=1)
    with pytest.raises(ValueError, match="larger than the number of samples"):
        utils.split_dataset(np.arange(10), left_size=8, right_size=5)


def _make_text_tree(root):
    for label, words in (("neg", ["bad", "awful"]), ("pos", ["good", "great", "fine"])):
        os.makedirs(root / label)
        for i, w in enumerate(words):
            (root / label / f"{i}.txt").write_text(f"{w} movie {i}")


def test_text_dataset_from_directory(tmp_path, capsys):
    _make_text_tree(tmp_path)
    ds = utils.text_dataset_from_directory(tmp_path, batch_size=2, shuffle=False)
    assert ds.class_names == ["neg", "pos"]
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    texts, labels = [], []
    for x, y in ds:
        texts += [str(t) for t in np.asarray(x)]
        labels += list(np.asarray(getattr(y, "numpy", lambda: y)()))
    assert texts[0] == "bad movie 0" and labels == [0, 0, 1, 1, 1]
    train, val = utils.text_dataset_from_directory(tmp_path, batch_size=8, seed=1,
                                                   validation_split=0.4, subset="both",
                                                   label_mode="categorical", max_length=4)
    xt, yt = next(iter(train))
    xv, yv = next(iter(val))
    assert len(np.asarray(xt)) == 3 and len(np.asarray(xv)) == 2
    assert all(len(str(t)) <= 4 for t in np.asarray(xt))
    assert np.asarray(getattr(yt, "numpy", lambda: yt)()).shape == (3, 2)
    with pytest.raises(ValueError, match="must provide a `seed`"):
        utils.text_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="Could not find directory"):
        utils.text_dataset_from_directory(tmp_path / "nope")
    with pytest.raises(ValueError, match="exactly 2"):
        (tmp_path / "third").mkdir()
        (tmp_path / "third" / "a.txt").write_text("x")
        utils.text_dataset_from_directory(tmp_path, label_mode="binary")


def test_image_dataset_from_directory(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    images = {}
    for label in ("cat", "dog"):
        os.makedirs(tmp_path / label)
        for i in range(3):
            arr = rng.integers(0, 256, (8, 6, 3), dtype=np.uint8)
            path = tmp_path / label / f"{i}.png"
            pil.fromarray(arr).save(path)
            images[str(path)] = arr
    ds = utils.image_dataset_from_directory(tmp_path, image_size=(8, 6), batch_size=4,
                                            shuffle=False, verbose=False)
    assert ds.class_names == ["cat", "dog"]
    x, y = next(iter(ds))
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    assert x.shape == (4, 8, 6, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x[0], images[ds.file_paths[0]])
    small = utils.image_dataset_from_directory(tmp_path, image_size=(4, 3), batch_size=6,
                                               color_mode="grayscale", shuffle=True, seed=2,
                                               label_mode="binary", verbose=False)
    x, y = next(iter(small))
    assert np.asarray(x.numpy()).shape == (6, 4, 3, 1)
    assert np.asarray(y.numpy()).shape == (6, 1)
    model = Sequential([Input((4, 3, 1)), layers.Rescaling(1 / 255), layers.Flatten(),
                        layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(small, epochs=1, verbose=0)
    arr = utils.img_to_array(utils.load_img(ds.file_paths[0]))
    np.testing.assert_array_equal(arr, images[ds.file_paths[0]])
    out = tmp_path / "saved.png"
    utils.save_img(out, arr, scale=False)
    np.testing.assert_array_equal(np.asarray(pil.open(out)), images[ds.file_paths[0]])
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(tmp_path, color_mode="cmyk")


def test_progbar_and_helpers():
    stream = io.StringIO()
    bar = utils.Progbar(4, verbose=2, stream=stream, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    bar.update(3, [("loss", 0.5), ("acc", 0.7)])
    assert abs(bar.value("loss") - (1.0 * 1 + 0.5 * 2) / 3) < 1e-12
    assert bar.value("acc") == 0.7
    bar.add(1, [("loss", 0.0)])
    line = stream.getvalue()
    # Keras 3: the final update shows every value as reported then (loss 0.0 -> .4e)
    assert line.startswith("4/4 - 0s - ") and line.endswith(" - loss: 0.0000e+00 - acc: 0.7000\n")
    x = Input((3,))
    y = layers.Dense(2)(x)
    assert utils.is_keras_tensor(y) and not utils.is_keras_tensor(np.zeros(3))
    assert utils.standardize_dtype("float64") == "float64"
    assert utils.standardize_dtype(None) == "float32"
    dense = layers.Dense(3)
    cfg = utils.serialize_keras_object(dense)
    assert cfg["class_name"] == "Dense"
    assert isinstance(utils.deserialize_keras_object(cfg), layers.Dense)
    utils.disable_interactive_logging()
    assert not utils.is_interactive_logging_enabled()
    utils.enable_interactive_logging()
    assert utils.is_interactive_logging_enabled()
    utils.clear_session()
    with pytest.raises(ValueError, match="target must be None or >= 0"):
        utils.Progbar(-1)


def test_audio_dataset_from_directory(tmp_path):
    import wave
    rng = np.random.default_rng(5)
    clips = {}
    for label in ("no", "yes"):
        os.makedirs(tmp_path / label)
        for i in range(3):
            samples = rng.integers(-2000, 2000, (40 + 5 * i, 1)).astype(np.int16)
            path = tmp_path / label / f"{i}.wav"
            with wave.open(str(path), "wb") as f:
                f.setnchannels(1)
                f.setsampwidth(2)
                f.setframerate(8000)
                f.writeframes(samples.tobytes())
            clips[str(path)] = samples.astype(np.float32) / 32768
    ds = utils.audio_dataset_from_directory(tmp_path, batch_size=3, shuffle=False,
                                            output_sequence_length=45, verbose=False)
    assert ds.class_names == ["no", "yes"]
    x, y = next(iter(ds))
    x = np.asarray(x.numpy())
    assert x.shape == (3, 45, 1) and list(np.asarray(y.numpy())) == [0, 0, 0]
    first = clips[ds.file_paths[0]]
    np.testing.assert_allclose(x[0, :40], first)                 # padded with zeros
    np.testing.assert_array_equal(x[0, 40:], 0)
    np.testing.assert_allclose(x[2], clips[ds.file_paths[2]][:45])   # cut
    with pytest.raises(NotImplementedError, match="sampling_rate"):
        utils.audio_dataset_from_directory(tmp_path, sampling_rate=16000)


def test_config():
    cfg = utils.Config(lr=0.1, layers={"units": 4})
    assert cfg.lr == 0.1 and cfg["layers"] == {"units": 4}
    cfg.epochs = 3
    assert cfg.as_dict() == {"lr": 0.1, "layers": {"units": 4}, "epochs": 3}
    assert cfg.to_json() == '{"lr": 0.1, "layers": {"units": 4}, "epochs": 3}'
    cfg.freeze()
    with pytest.raises(ValueError, match="frozen"):
        cfg.lr = 1.0
    cfg.unfreeze()
    cfg.lr = 1.0
    assert cfg.get("lr") == 1.0 and "epochs" in cfg and len(cfg) == 3
    with pytest.raises(AttributeError, match="Unknown attribute: 'missing'"):
        cfg.missing
