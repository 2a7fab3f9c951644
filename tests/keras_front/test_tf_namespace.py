"""The tf namespace (deepgrad.tf, and `import deepgrad as tf`): values against NumPy
references of TensorFlow's documented semantics and against the keras.ops equivalents
(TensorFlow is not installed), gradients through a GradientTape, torch names unchanged."""
import numpy as np
import pytest

import deepgrad
from deepgrad import tf

RNG = np.random.default_rng(5)
X = RNG.standard_normal((3, 4)).astype("float32")
Z = RNG.standard_normal((3, 5)).astype("float32")
LAB = np.array([1, 4, 0])


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def test_tensors_and_shapes():
    c = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert c.dtype == np.float32 and tf.constant(3).dtype == np.int32
    assert tf.constant(0.5, shape=(2, 3)).numpy().tolist() == [[0.5] * 3] * 2
    assert tf.constant([1, 2, 3, 4], shape=(2, 2)).numpy().tolist() == [[1, 2], [3, 4]]
    assert tf.shape(X).numpy().tolist() == [3, 4] and tf.shape(X).dtype == np.int32
    assert int(tf.size(X).numpy()) == 12 and int(tf.rank(X).numpy()) == 2
    assert tf.cast(X > 0, tf.int32).dtype == np.int32
    assert tf.convert_to_tensor([1.5]).dtype == np.float32
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == np.float32
    np.testing.assert_array_equal(tf.reshape(X, [2, -1]).numpy(), X.reshape(2, -1))
    np.testing.assert_array_equal(tf.transpose(X).numpy(), X.T)
    np.testing.assert_array_equal(tf.expand_dims(X, -1).numpy(), X[..., None])
    np.testing.assert_array_equal(tf.concat([X, X], axis=1).numpy(), np.concatenate([X, X], 1))
    np.testing.assert_array_equal(tf.stack([X, X], axis=1).numpy(), np.stack([X, X], 1))
    parts = tf.unstack(X, axis=1)
    assert len(parts) == 4 and np.array_equal(parts[2].numpy(), X[:, 2])
    # tf.split: an int is the number of parts, a list their sizes (-1: the rest)
    assert [p.shape for p in tf.split(X, 2, axis=1)] == [(3, 2), (3, 2)]
    assert [p.shape for p in tf.split(X, [1, -1], axis=1)] == [(3, 1), (3, 3)]
    with pytest.raises(ValueError, match="add up"):
        tf.split(X, [1, 2], axis=1)
    np.testing.assert_array_equal(tf.gather(X, [2, 0]).numpy(), X[[2, 0]])
    np.testing.assert_array_equal(tf.gather(X, [3, 1], axis=1).numpy(), X[:, [3, 1]])
    np.testing.assert_array_equal(tf.gather_nd(X, [[0, 1], [2, 3]]).numpy(), X[[0, 2], [1, 3]])
    np.testing.assert_array_equal(tf.boolean_mask(X, X[:, 0] > 0).numpy(), X[X[:, 0] > 0])
    np.testing.assert_array_equal(tf.where(X > 0).numpy(), np.argwhere(X > 0))
    np.testing.assert_array_equal(tf.where(X > 0, X, 0.0).numpy(), np.where(X > 0, X, 0))
    np.testing.assert_array_equal(tf.one_hot(LAB, 5).numpy(), np.eye(5)[LAB])
    np.testing.assert_array_equal(tf.one_hot(LAB, 5, on_value=3, off_value=-1,
                                             dtype=tf.int32).numpy(),
                                  np.where(np.eye(5)[LAB] > 0, 3, -1))
    np.testing.assert_array_equal(tf.fill([2, 2], 7).numpy(), np.full((2, 2), 7))
    np.testing.assert_array_equal(tf.range(1, 10, 3).numpy(), [1, 4, 7])
    np.testing.assert_array_equal(tf.tile(X, [1, 2]).numpy(), np.tile(X, (1, 2)))
    np.testing.assert_array_equal(tf.pad(X, [[1, 0], [0, 2]]).numpy(),
                                  np.pad(X, [[1, 0], [0, 2]]))
    np.testing.assert_array_equal(tf.reverse(X, [1]).numpy(), X[:, ::-1])
    np.testing.assert_array_equal(tf.sort(X, direction="DESCENDING").numpy(),
                                  -np.sort(-X, -1))
    np.testing.assert_allclose(tf.matmul(X, X, transpose_b=True).numpy(), X @ X.T, rtol=1e-5)
    assert tf.TensorShape([None, 3]).as_list() == [None, 3]
    assert tf.executing_eagerly()


def test_reductions_and_math():
    cases = {
        "reduce_sum": (X.sum(1), {"axis": 1}), "reduce_mean": (X.mean(), {}),
        "reduce_max": (X.max(0, keepdims=True), {"axis": 0, "keepdims": True}),
        "reduce_min": (X.min(), {}), "reduce_prod": (X.prod(1), {"axis": 1}),
        "reduce_logsumexp": (np.log(np.exp(X).sum(1)), {"axis": 1}),
        "reduce_std": (X.std(0), {"axis": 0}), "reduce_variance": (X.var(), {}),
    }
    for name, (ref, kw) in cases.items():
        np.testing.assert_allclose(getattr(tf, name)(X, **kw).numpy(), ref, rtol=1e-5,
                                   err_msg=name)
        np.testing.assert_allclose(getattr(tf.math, name)(X, **kw).numpy(), ref, rtol=1e-5)
    assert tf.reduce_any(X > 2.5).numpy() == (X > 2.5).any()
    assert tf.reduce_all(X > -5, axis=0).numpy().tolist() == [True] * 4
    assert int(tf.reduce_mean(tf.constant([1, 2])).numpy()) == 1        # integer mean
    assert tf.math.argmax(X).numpy().tolist() == X.argmax(0).tolist()   # axis 0 by default
    assert tf.math.argmax(X).dtype == np.int64
    np.testing.assert_allclose(tf.math.squared_difference(X, 1.0).numpy(), (X - 1) ** 2)
    np.testing.assert_allclose(tf.math.l2_normalize(X, axis=1).numpy(),
                               X / np.linalg.norm(X, axis=1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(tf.math.cumsum(X, axis=1, exclusive=True).numpy(),
                               np.cumsum(X, 1) - X, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.math.cumsum(X, axis=1, reverse=True).numpy(),
                               np.cumsum(X[:, ::-1], 1)[:, ::-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tf.math.divide_no_nan(X, np.zeros_like(X)).numpy(), 0)
    np.testing.assert_array_equal(tf.math.confusion_matrix([0, 1, 1], [0, 0, 1]).numpy(),
                                  [[1, 0], [1, 1]])
    np.testing.assert_allclose(tf.math.add_n([X, X, X]).numpy(), 3 * X)
    np.testing.assert_allclose(tf.math.polyval([2.0, 0.0, 1.0], X).numpy(), 2 * X ** 2 + 1,
                               rtol=1e-5)
    np.testing.assert_allclose(tf.clip_by_value(X, -0.5, 0.5).numpy(), np.clip(X, -0.5, 0.5))
    for name in ("sqrt", "exp", "log", "sin", "tanh", "sigmoid", "softplus", "atan", "asinh"):
        v = np.abs(X) + 0.1
        ref = {"sigmoid": 1 / (1 + np.exp(-v)), "softplus": np.log1p(np.exp(v)),
               "atan": np.arctan(v), "asinh": np.arcsinh(v)}.get(name)
        ref = getattr(np, name)(v) if ref is None else ref
        np.testing.assert_allclose(getattr(tf.math, name)(v).numpy(), ref, rtol=1e-5)


def test_nn_against_formulas_and_keras_ops():
    from deepgrad.keras import ops
    np.testing.assert_allclose(tf.nn.softmax_cross_entropy_with_logits(np.eye(5)[LAB], Z).numpy(),
                               -np_log_softmax(Z)[np.arange(3), LAB], rtol=1e-5)
    np.testing.assert_allclose(tf.nn.sparse_softmax_cross_entropy_with_logits(LAB, Z).numpy(),
                               -np_log_softmax(Z)[np.arange(3), LAB], rtol=1e-5)
    y = (RNG.random((3, 5)) > 0.5).astype("float32")
    ref = np.maximum(Z, 0) - Z * y + np.log1p(np.exp(-np.abs(Z)))
    np.testing.assert_allclose(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=Z)
                               .numpy(), ref, rtol=1e-5, atol=1e-6)
    q = 3.0
    ref_w = (1 - y) * Z + (1 + (q - 1) * y) * np.log1p(np.exp(-Z))
    np.testing.assert_allclose(tf.nn.weighted_cross_entropy_with_logits(y, Z, q).numpy(),
                               ref_w, rtol=1e-5, atol=1e-6)
    assert float(tf.nn.l2_loss(X).numpy()) == pytest.approx((X ** 2).sum() / 2, rel=1e-5)
    mean, var = tf.nn.moments(X, axes=[0])
    np.testing.assert_allclose(mean.numpy(), X.mean(0), rtol=1e-5)
    np.testing.assert_allclose(var.numpy(), X.var(0), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.relu(X).numpy(), ops.relu(X).numpy())
    np.testing.assert_allclose(tf.nn.log_softmax(Z).numpy(), np_log_softmax(Z), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.leaky_relu(X).numpy(), np.where(X > 0, X, 0.2 * X))
    np.testing.assert_allclose(tf.nn.gelu(X).numpy(), ops.gelu(X, approximate=False).numpy())
    img = RNG.standard_normal((1, 5, 5, 2)).astype("float32")
    k = RNG.standard_normal((3, 3, 2, 4)).astype("float32")
    np.testing.assert_allclose(tf.nn.conv2d(img, k, strides=1, padding="SAME").numpy(),
                               ops.conv(img, k, padding="same").numpy(), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.max_pool2d(img, 2, 2, "VALID").numpy(),
                               ops.max_pool(img, 2, 2).numpy())
    np.testing.assert_allclose(tf.nn.bias_add(X, np.arange(4.0, dtype="float32")).numpy(),
                               X + np.arange(4.0))
    drop = tf.nn.dropout(np.ones((100, 100), "float32"), 0.25, seed=1).numpy()
    assert abs((drop == 0).mean() - 0.25) < 0.03 and np.allclose(drop[drop > 0], 1 / 0.75)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y[:, :2], logits=Z)
    with pytest.raises(ValueError, match="labels of shape"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.eye(5)[LAB], Z)


def test_linalg():
    a = RNG.standard_normal((3, 3)).astype("float32")
    spd = (a @ a.T + 3 * np.eye(3)).astype("float32")
    np.testing.assert_allclose(tf.linalg.inv(spd).numpy(), np.linalg.inv(spd), rtol=1e-4)
    np.testing.assert_allclose(tf.linalg.det(a).numpy(), np.linalg.det(a), rtol=1e-4)
    np.testing.assert_allclose(tf.linalg.logdet(spd).numpy(), np.linalg.slogdet(spd)[1],
                               rtol=1e-5)
    s, u, v = tf.linalg.svd(a)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ v.numpy().T, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tf.linalg.band_part(a, 1, 0).numpy(), np.tril(np.triu(a, -1)))
    np.testing.assert_allclose(tf.linalg.band_part(a, -1, 0).numpy(), np.tril(a))
    np.testing.assert_allclose(tf.linalg.trace(a).numpy(), np.trace(a), rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.diag_part(a).numpy(), np.diag(a))
    np.testing.assert_allclose(tf.linalg.matvec(a, X[0, :3]).numpy(), a @ X[0, :3], rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.triangular_solve(np.tril(spd), X[:, :2]).numpy(),
                               np.linalg.solve(np.tril(spd), X[:, :2]), rtol=1e-4)
    np.testing.assert_allclose(tf.linalg.global_norm([X, Z]).numpy(),
                               np.sqrt((X ** 2).sum() + (Z ** 2).sum()), rtol=1e-5)
    np.testing.assert_allclose(tf.linalg.norm(X).numpy(), np.linalg.norm(X), rtol=1e-5)


def test_variable_and_gradient_tape():
    v = tf.Variable(3.0)
    assert v.dtype == np.float32 and v.trainable and v.numpy() == 3.0
    v.assign(2.0)
    v.assign_add(1.5)
    v.assign_sub(0.5)
    assert v.numpy() == 3.0
    w = tf.Variable(np.ones((4, 2), "float32"), name="w")
    frozen = tf.Variable([1.0, 2.0], trainable=False)
    assert not frozen.trainable and tf.Variable(1).dtype == np.int32
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.matmul(X, w) - 1.0)) * v
    gw, gv = tape.gradient(loss, [w, v])
    r = X @ np.ones((4, 2)) - 1
    np.testing.assert_allclose(gw.numpy(), 3.0 * X.T @ (2 * r) / r.size, rtol=1e-4)
    np.testing.assert_allclose(gv.numpy(), (r ** 2).mean(), rtol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        tf.Variable([1.0, 2.0], shape=(3,))


def test_function_random_config_keras_backend():
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        return x * 2

    @tf.function(jit_compile=True, reduce_retracing=True)
    def g(x):
        return x + 1
    assert f(3) == 6 and f(4) == 8 and len(calls) == 2 and g(1) == 2   # runs every call
    tf.random.set_seed(11)
    a = tf.random.normal((3,)).numpy()
    tf.random.set_seed(11)
    np.testing.assert_array_equal(tf.random.normal((3,)).numpy(), a)
    u = tf.random.uniform((1000,), 2, 5, dtype=tf.int32).numpy()
    assert u.dtype == np.int32 and set(np.unique(u)) == {2, 3, 4}
    assert tf.random.uniform((2,)).dtype == np.float32
    assert tf.random.gamma((4,), [1.0, 2.0]).shape == (4, 2)
    assert tf.config.list_physical_devices("GPU") == []
    before = deepgrad.get_num_threads()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    deepgrad.set_num_threads(before)
    K = tf.keras.backend
    assert K.int_shape(X) == (3, 4) and K.epsilon() == 1e-7 and K.floatx() == "float32"
    np.testing.assert_allclose(K.mean(X, axis=1).numpy(), X.mean(1), rtol=1e-5)
    assert K.random_normal((2, 3), seed=1).shape == (2, 3)
    assert K.concatenate([X, X]).shape == (3, 8)
    np.testing.assert_array_equal(K.random_normal((4,), seed=3).numpy(),
                                  K.random_normal((4,), seed=3).numpy())
    assert K.is_float_dtype("float16") and K.standardize_dtype(None) == "float32"
    K.clear_session()
    with pytest.raises(AttributeError, match="deepgrad does not implement keras.backend"):
        K.not_a_backend_function


def test_import_deepgrad_as_tf_keeps_torch_semantics():
    """`import deepgrad as tf`: tf-only names are reachable, torch names unchanged."""
    t = deepgrad
    x = t.tensor(X)
    assert t.reduce_mean is tf.reduce_mean and t.constant is tf.constant
    assert t.Variable is tf.Variable and t.math is tf.math and t.data is tf.data
    assert t.nn.relu is tf.nn.relu and t.nn.moments is tf.nn.moments
    assert t.random.normal is tf.random.normal and t.random.set_seed is tf.random.set_seed
    assert t.linalg.band_part is tf.linalg.band_part and t.linalg.eye is tf.linalg.eye
    assert int(t.floordiv(7, 2).numpy()) == 3
    # fill: a Tensor argument is torch.fill (same shape, new value); sizes are tf.fill
    np.testing.assert_array_equal(t.fill(x, 2.0).numpy(), np.full((3, 4), 2.0))
    assert t.fill(x, 2.0).dtype == np.float32
    np.testing.assert_array_equal(t.fill([2, 3], 5).numpy(), np.full((2, 3), 5))
    assert t.linalg.transpose(x).shape == (4, 3)
    # PyTorch accepts axis= for dim= (NumPy-style alias), so tf-style keywords work too
    assert t.concat([x, x], axis=1).shape == (3, 8) and t.stack([x, x], axis=1).shape == (3, 2, 4)
    assert t.argmax(x, axis=1).numpy().tolist() == X.argmax(1).tolist()
    assert t.argmin(x, axis=0).numpy().tolist() == X.argmin(0).tolist()
    with pytest.raises(TypeError, match="alias"):
        t.cat([x, x], dim=1, axis=1)
    # torch's split is by chunk size, torch's argmax flattens, torch's where(c) is a tuple
    assert [p.shape for p in t.split(x, 1, 1)] == [(3, 1)] * 4
    assert int(t.argmax(x)) == int(X.argmax())
    assert isinstance(t.where(x > 0), tuple)
    assert t.nn.Linear(2, 3).weight.shape == (3, 2)
    assert t.linalg.svd(x)[0].shape == (3, 3)             # torch's (U, S, Vh) order
    with pytest.raises(AttributeError, match="deepgrad does not implement tf.nonexistent"):
        tf.nonexistent
    with pytest.raises(AttributeError):
        t.nn.not_an_nn_name


def test_pytorch_accepts_the_axis_alias_too():
    torch = pytest.importorskip("torch")
    tx = torch.tensor(X)
    assert tuple(torch.cat([tx, tx], axis=1).shape) == tuple(deepgrad.cat(
        [deepgrad.tensor(X)] * 2, axis=1).shape)
    assert torch.argmax(tx, axis=1).tolist() == deepgrad.argmax(deepgrad.tensor(X),
                                                                axis=1).numpy().tolist()
    with pytest.raises(TypeError):
        torch.cat([tx, tx], dim=1, axis=1)
