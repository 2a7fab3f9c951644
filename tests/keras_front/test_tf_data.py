"""tf.data.Dataset: every transformation against a plain-Python reference of
TensorFlow's documented semantics, cardinalities, reproducible shuffling, bad input, and
Keras fit/evaluate/predict on datasets (with steps_per_epoch)."""
import numpy as np
import pytest

import deepgrad
from deepgrad import tf
from deepgrad.keras import layers, models, utils

Dataset = tf.data.Dataset
X = np.arange(20, dtype="float32").reshape(10, 2)
Y = np.arange(10) % 3


def rows(ds):
    return [tuple(np.asarray(v).tolist() for v in e) if isinstance(e, tuple)
            else np.asarray(e).tolist() for e in ds.as_numpy_iterator()]


def test_constructors():
    ds = Dataset.from_tensor_slices((X, Y))
    assert int(ds.cardinality().numpy()) == 10 and len(ds) == 10
    x0, y0 = next(iter(ds))
    assert isinstance(x0, deepgrad.Tensor) and x0.numpy().tolist() == [0.0, 1.0]
    d = Dataset.from_tensor_slices({"a": X, "b": Y})
    first = next(d.as_numpy_iterator())
    assert first["a"].tolist() == [0.0, 1.0] and first["b"] == 0
    assert rows(Dataset.from_tensor_slices([1, 2, 3])) == [1, 2, 3]      # a list is a tensor
    assert rows(Dataset.from_tensors([1, 2, 3])) == [[1, 2, 3]]
    assert rows(Dataset.range(2, 8, 2)) == [2, 4, 6]
    assert next(Dataset.range(3).as_numpy_iterator()).dtype == np.int64
    gen = Dataset.from_generator(lambda n: ((i, i * i) for i in range(n)), args=(4,))
    assert rows(gen) == [(0, 0), (1, 1), (2, 4), (3, 9)] and rows(gen) == rows(gen)
    assert int(gen.cardinality().numpy()) == tf.data.UNKNOWN_CARDINALITY
    z = Dataset.zip((Dataset.range(3), Dataset.range(10, 20)))
    assert rows(z) == [(0, 10), (1, 11), (2, 12)] and len(z) == 3
    zd = Dataset.zip({"p": Dataset.range(2), "q": Dataset.range(5, 9)})
    assert [e["q"].tolist() for e in zd.as_numpy_iterator()] == [5, 6]


def test_transformations():
    r = Dataset.range(10)
    assert rows(r.batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert rows(r.batch(4, drop_remainder=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(r.batch(4)) == 3 and len(r.batch(4, drop_remainder=True)) == 2
    assert rows(r.batch(3).unbatch()) == list(range(10))
    pairs = Dataset.from_tensor_slices((X, Y)).batch(4)
    xb, yb = next(pairs.as_numpy_iterator())
    assert xb.shape == (4, 2) and yb.tolist() == [0, 1, 2, 0]
    assert rows(r.map(lambda v: v * 2, num_parallel_calls=tf.data.AUTOTUNE)) == \
        [2 * i for i in range(10)]
    assert rows(Dataset.from_tensor_slices((X, Y)).map(lambda x, y: (x[0], y + 1)).take(2)) \
        == [(0.0, 1), (2.0, 2)]
    assert rows(r.filter(lambda v: v % 3 == 0)) == [0, 3, 6, 9]
    assert rows(r.take(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert rows(r.skip(7)) == [7, 8, 9] and len(r.skip(7)) == 3 and len(r.skip(20)) == 0
    assert rows(r.repeat().take(12)) == list(range(10)) + [0, 1]
    assert int(r.repeat().cardinality().numpy()) == tf.data.INFINITE_CARDINALITY
    assert int(r.repeat().take(5).cardinality().numpy()) == 5
    assert rows(r.take(2).concatenate(Dataset.range(7, 9))) == [0, 1, 7, 8]
    assert rows(r.take(3).enumerate(5)) == [(5, 0), (6, 1), (7, 2)]
    assert rows(r.shard(3, 1)) == [1, 4, 7] and len(r.shard(3, 1)) == 3
    assert rows(r.take(3).flat_map(lambda v: Dataset.range(v))) == [0, 0, 1]
    assert int(r.reduce(np.int64(0), lambda s, v: s + v).numpy()) == 45
    assert r.prefetch(tf.data.AUTOTUNE) is r
    assert rows(r.take(3).apply(lambda d: d.map(lambda v: -v))) == [0, -1, -2]
    with pytest.raises(TypeError, match="infinite"):
        len(r.repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(r.filter(lambda v: v > 2))


def test_padded_batch():
    seqs = [np.arange(n) + 1 for n in (2, 4, 1, 3)]
    ds = Dataset.from_generator(lambda: ((s, len(s)) for s in seqs))
    batches = list(ds.padded_batch(2).as_numpy_iterator())
    assert batches[0][0].tolist() == [[1, 2, 0, 0], [1, 2, 3, 4]]
    assert batches[1][0].tolist() == [[1, 0, 0], [1, 2, 3]] and batches[1][1].tolist() == [1, 3]
    fixed = next(ds.padded_batch(3, padded_shapes=([5], []), padding_values=(-1, 0))
                 .as_numpy_iterator())
    assert fixed[0].tolist() == [[1, 2, -1, -1, -1], [1, 2, 3, 4, -1], [1, -1, -1, -1, -1]]
    with pytest.raises(ValueError, match="smaller"):
        next(ds.padded_batch(2, padded_shapes=([3], [])).as_numpy_iterator())


def test_cache_replays_the_first_pass():
    calls = []

    def record(v):
        calls.append(int(v.numpy()))
        return v
    ds = Dataset.range(4).map(record).cache()
    assert rows(ds) == rows(ds) == [0, 1, 2, 3]
    assert calls == [0, 1, 2, 3]                          # the map ran once
    with pytest.raises(ValueError, match="in-memory"):
        Dataset.range(3).cache("/tmp/file")


def _tf_buffer_shuffle(values, buffer_size, seed):
    """TensorFlow's buffered shuffle, written out (the reference)."""
    rng, buf, out = np.random.default_rng(seed), [], []
    for v in values:
        if len(buf) < buffer_size:
            buf.append(v)
            continue
        i = int(rng.integers(len(buf)))
        out.append(buf[i])
        buf[i] = v
    while buf:
        out.append(buf.pop(int(rng.integers(len(buf)))))
    return out


def test_shuffle_semantics_and_reproducibility():
    ds = Dataset.range(20).shuffle(5, seed=3)
    first, second = rows(ds), rows(ds)
    assert sorted(first) == list(range(20)) and first != second      # reshuffled per epoch
    assert first == _tf_buffer_shuffle(range(20), 5, 3)
    assert second == _tf_buffer_shuffle(range(20), 5, 4)
    fixed = Dataset.range(20).shuffle(5, seed=3, reshuffle_each_iteration=False)
    assert rows(fixed) == rows(fixed) == first
    # buffer 1 keeps the order; an element never comes out before it can enter the buffer
    assert rows(Dataset.range(6).shuffle(1)) == list(range(6))
    assert all(v <= i + 5 for i, v in enumerate(first))
    tf.random.set_seed(7)
    a = [rows(d) for d in [Dataset.range(30).shuffle(30)] for _ in range(2)]
    tf.random.set_seed(7)
    b = [rows(d) for d in [Dataset.range(30).shuffle(30)] for _ in range(2)]
    assert a == b and a[0] != a[1]
    utils.set_random_seed(9)
    c = rows(Dataset.range(30).shuffle(30))
    utils.set_random_seed(9)
    assert rows(Dataset.range(30).shuffle(30)) == c


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        Dataset.from_tensor_slices((X, Y[:5]))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        Dataset.range(3).batch(0)
    with pytest.raises(ValueError, match="buffer_size"):
        Dataset.range(3).shuffle(0)
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices(np.float32(3.0))
    with pytest.raises(ValueError, match="shard"):
        Dataset.range(3).shard(2, 2)
    with pytest.raises(TypeError, match="callable"):
        Dataset.range(3).map(5)
    with pytest.raises(AttributeError, match="deepgrad does not implement tf.data.TFRecord"):
        tf.data.TFRecordDataset


def _model():
    deepgrad.manual_seed(0)
    m = models.Sequential([layers.Input((2,)), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_keras_fit_evaluate_predict_on_datasets():
    xs = (X / 20).astype("float32")
    ds = Dataset.from_tensor_slices((xs, Y)).batch(4)
    m_ds, m_arr = _model(), _model()
    h_ds = m_ds.fit(ds, epochs=2, verbose=0)
    h_arr = m_arr.fit(xs, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ds.history["loss"], h_arr.history["loss"], rtol=1e-6)
    for a, b in zip(m_ds.get_weights(), m_arr.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    loss_ds = m_ds.evaluate(ds, verbose=0)
    loss_arr = m_arr.evaluate(xs, Y, batch_size=4, verbose=0)
    np.testing.assert_allclose(loss_ds, loss_arr, rtol=1e-6)
    pred = m_ds.predict(Dataset.from_tensor_slices(xs).batch(3), verbose=0)
    np.testing.assert_allclose(pred, m_arr.predict(xs, verbose=0), rtol=1e-6)
    # an infinite, shuffled, mapped pipeline with steps_per_epoch
    pipe = (Dataset.from_tensor_slices((xs, Y)).shuffle(10, seed=0)
            .map(lambda x, y: (x * 2.0, y)).batch(5).repeat().prefetch(tf.data.AUTOTUNE))
    m = _model()
    hist = m.fit(pipe, epochs=3, steps_per_epoch=2, verbose=0,
                 validation_data=Dataset.from_tensor_slices((xs, Y)).batch(5))
    assert len(hist.history["loss"]) == 3 and "val_loss" in hist.history
    with pytest.raises(ValueError, match="y"):
        m.fit(ds, Y, verbose=0)
