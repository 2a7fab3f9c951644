"""keras.ops (the subset deepgrad has) against NumPy and Keras 3, gradients by float64
gradcheck, and keras.random's seeding rules."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import gradcheck
from deepgrad.keras import ops
from deepgrad.keras import random as krandom

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype("float32")
B = RNG.standard_normal((3, 4)).astype("float32")
P = RNG.random((3, 4)).astype("float32") + 0.1
M = RNG.standard_normal((4, 2)).astype("float32")
LAB = np.array([0, 3, 1])
ONEHOT = np.eye(4, dtype="float32")[LAB]
PROB = P / P.sum(1, keepdims=True)

# name -> (args, kwargs, NumPy reference)
CASES = {
    "add": ((A, B), {}, A + B), "subtract": ((A, B), {}, A - B),
    "multiply": ((A, B), {}, A * B), "divide": ((A, P), {}, A / P),
    "true_divide": ((A, P), {}, A / P), "negative": ((A,), {}, -A),
    "power": ((P, 2.5), {}, P ** 2.5), "square": ((A,), {}, A * A),
    "sqrt": ((P,), {}, np.sqrt(P)), "rsqrt": ((P,), {}, 1 / np.sqrt(P)),
    "exp": ((A,), {}, np.exp(A)), "expm1": ((A,), {}, np.expm1(A)),
    "log": ((P,), {}, np.log(P)), "log1p": ((P,), {}, np.log1p(P)),
    "abs": ((A,), {}, np.abs(A)), "absolute": ((A,), {}, np.abs(A)),
    "sign": ((A,), {}, np.sign(A)), "floor": ((A,), {}, np.floor(A)),
    "ceil": ((A,), {}, np.ceil(A)), "round": ((A * 10,), {}, np.round(A * 10)),
    "sin": ((A,), {}, np.sin(A)), "cos": ((A,), {}, np.cos(A)),
    "tanh": ((A,), {}, np.tanh(A)), "maximum": ((A, B), {}, np.maximum(A, B)),
    "minimum": ((A, B), {}, np.minimum(A, B)),
    "clip": ((A, -0.5, 0.5), {}, np.clip(A, -0.5, 0.5)),
    "where": ((A > 0, A, B), {}, np.where(A > 0, A, B)),
    "equal": ((A, A), {}, A == A), "not_equal": ((A, B), {}, A != B),
    "greater": ((A, B), {}, A > B), "greater_equal": ((A, B), {}, A >= B),
    "less": ((A, B), {}, A < B), "less_equal": ((A, B), {}, A <= B),
    "logical_and": ((A > 0, B > 0), {}, (A > 0) & (B > 0)),
    "logical_or": ((A > 0, B > 0), {}, (A > 0) | (B > 0)),
    "logical_not": ((A > 0,), {}, ~(A > 0)),
    "sum": ((A,), {"axis": 1, "keepdims": True}, A.sum(1, keepdims=True)),
    "mean": ((A,), {"axis": (0, 1)}, A.mean()),
    "max": ((A,), {"axis": 0}, A.max(0)), "min": ((A,), {}, A.min()),
    "prod": ((P,), {"axis": 1}, P.prod(1)),
    "std": ((A,), {"axis": 1}, A.std(1)), "var": ((A,), {}, A.var()),
    "argmax": ((A,), {"axis": 1}, A.argmax(1)), "argmin": ((A,), {"axis": 0}, A.argmin(0)),
    "logsumexp": ((A,), {"axis": 1}, np.log(np.exp(A).sum(1))),
    "cumsum": ((A,), {"axis": 1}, A.cumsum(1)), "cumprod": ((P,), {}, P.cumprod()),
    "reshape": ((A, (4, 3)), {}, A.reshape(4, 3)),
    "transpose": ((A,), {}, A.T), "expand_dims": ((A, 1), {}, A[:, None]),
    "squeeze": ((A[:, None],), {"axis": 1}, A),
    "concatenate": (([A, B],), {"axis": 1}, np.concatenate([A, B], 1)),
    "stack": (([A, B],), {"axis": 0}, np.stack([A, B])),
    "tile": ((A, (2, 1)), {}, np.tile(A, (2, 1))),
    "repeat": ((A, 2), {"axis": 0}, np.repeat(A, 2, 0)),
    "broadcast_to": ((A[:1], (3, 4)), {}, np.broadcast_to(A[:1], (3, 4))),
    "take": ((A, [2, 0]), {"axis": 1}, np.take(A, [2, 0], 1)),
    "take_along_axis": ((A, LAB[:, None]), {"axis": 1}, np.take_along_axis(A, LAB[:, None], 1)),
    "matmul": ((A, M), {}, A @ M), "dot": ((A, M), {}, A @ M),
    "einsum": (("ij,jk->ik", A, M), {}, A @ M),
    "tensordot": ((A, M, 1), {}, np.tensordot(A, M, 1)),
    "relu": ((A,), {}, np.maximum(A, 0)), "relu6": ((A * 5,), {}, np.clip(A * 5, 0, 6)),
    "sigmoid": ((A,), {}, 1 / (1 + np.exp(-A))), "softplus": ((A,), {}, np.log1p(np.exp(A))),
    "softsign": ((A,), {}, A / (1 + np.abs(A))), "silu": ((A,), {}, A / (1 + np.exp(-A))),
    "leaky_relu": ((A,), {}, np.where(A > 0, A, 0.2 * A)),
    "elu": ((A,), {}, np.where(A > 0, A, np.expm1(A))),
    "softmax": ((A,), {}, np.exp(A) / np.exp(A).sum(-1, keepdims=True)),
    "log_softmax": ((A,), {}, A - np.log(np.exp(A).sum(-1, keepdims=True))),
    "one_hot": ((LAB, 4), {}, ONEHOT),
    "binary_crossentropy": ((ONEHOT, PROB), {}, -(ONEHOT * np.log(np.clip(PROB, 1e-7, 1 - 1e-7))
                                                  + (1 - ONEHOT) * np.log(1 - np.clip(
                                                      PROB, 1e-7, 1 - 1e-7)))),
    "categorical_crossentropy": ((ONEHOT, PROB), {}, -(ONEHOT * np.log(PROB)).sum(-1)),
    "sparse_categorical_crossentropy": ((LAB, A), {"from_logits": True},
                                        -(ONEHOT * (A - np.log(np.exp(A).sum(-1,
                                          keepdims=True)))).sum(-1)),
    "zeros": (((2, 3),), {}, np.zeros((2, 3))), "ones": (((2,),), {}, np.ones(2)),
    "full": (((2,), 7.0), {}, np.full(2, 7.0)),
    "zeros_like": ((A,), {}, np.zeros_like(A)), "ones_like": ((A,), {}, np.ones_like(A)),
    "full_like": ((A, 3.0), {}, np.full_like(A, 3.0)),
    "arange": ((2, 8, 2), {}, np.arange(2, 8, 2)), "eye": ((3,), {}, np.eye(3)),
    "linspace": ((0.0, 1.0, 5), {}, np.linspace(0, 1, 5)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_numpy(name):
    args, kwargs, ref = CASES[name]
    out = getattr(ops, name)(*args, **kwargs)
    assert isinstance(out, dg.Tensor)
    np.testing.assert_allclose(out.numpy().astype(float), np.asarray(ref, dtype=float),
                               rtol=1e-5, atol=1e-6)


def test_split_shape_cast_and_misc():
    parts = ops.split(A, 2, axis=1)
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    assert [p.shape for p in ops.split(A, [1, 3], axis=1)] == [(3, 1), (3, 2), (3, 1)]
    with pytest.raises(ValueError, match="equal sections"):
        ops.split(A, 3, axis=1)
    assert ops.shape(A) == (3, 4) and ops.cast(A, "float64").dtype == np.float64
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32     # floatx for Python
    assert ops.convert_to_tensor(A.astype("float64")).dtype == np.float64
    np.testing.assert_array_equal(ops.convert_to_numpy(dg.tensor(A)), A)
    idx = ops.where(np.array([[True, False], [False, True]]))
    assert [i.numpy().tolist() for i in idx] == [[0, 1], [0, 1]]
    mean, var = ops.moments(A, axes=[0])
    np.testing.assert_allclose(var.numpy(), A.var(0), rtol=1e-5)
    np.testing.assert_allclose(ops.normalize(A).numpy(),
                               A / np.linalg.norm(A, axis=-1, keepdims=True), rtol=1e-5)
    x = dg.tensor(A, requires_grad=True)
    assert not ops.stop_gradient(x).requires_grad
    assert ops.gelu(dg.tensor(A)).numpy() == pytest.approx(            # tanh form by default
        0.5 * A * (1 + np.tanh(np.sqrt(2 / np.pi) * (A + 0.044715 * A ** 3))), rel=1e-5)


@pytest.mark.parametrize("name", ["multiply", "divide", "power", "sqrt", "exp", "log",
                                  "sum", "mean", "std", "var", "logsumexp", "matmul",
                                  "softmax", "log_softmax", "binary_crossentropy",
                                  "categorical_crossentropy", "take_along_axis", "cumprod",
                                  "concatenate", "where"])
def test_gradients(name):
    args, kwargs, _ = CASES[name]
    args = [dg.tensor(np.asarray(a, np.float64), requires_grad=True)
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" else
            [dg.tensor(np.asarray(t, np.float64), requires_grad=True) for t in a]
            if isinstance(a, list) and name == "concatenate" else a for a in args]
    flat = [a for a in args if isinstance(a, dg.Tensor)] + \
        [t for a in args if isinstance(a, list) for t in a]

    def fn(*tensors):
        it = iter(tensors)
        call = [next(it) if isinstance(a, dg.Tensor) else
                [next(it) for _ in a] if isinstance(a, list) and name == "concatenate" else a
                for a in args]
        return getattr(ops, name)(*call, **kwargs)
    assert gradcheck(fn, tuple(flat))


def test_matches_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    for name in sorted(CASES):
        args, kwargs, _ = CASES[name]
        ref = keras.ops.convert_to_numpy(getattr(keras.ops, name)(*args, **kwargs))
        got = getattr(ops, name)(*args, **kwargs).numpy()
        np.testing.assert_allclose(got.astype(float), ref.astype(float), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
    ref = keras.ops.convert_to_numpy(keras.ops.gelu(A))
    np.testing.assert_allclose(ops.gelu(A).numpy(), ref, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- keras.random
def test_random_seeding_rules():
    a = krandom.normal((3, 2), seed=7).numpy()
    np.testing.assert_array_equal(a, krandom.normal((3, 2), seed=7).numpy())  # int: same
    gen = krandom.SeedGenerator(5)
    first, second = krandom.uniform((4,), seed=gen), krandom.uniform((4,), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())             # advances
    again = krandom.SeedGenerator(5)
    np.testing.assert_array_equal(krandom.uniform((4,), seed=again).numpy(), first.numpy())
    dg.manual_seed(3)
    g1 = krandom.normal((5,)).numpy()
    dg.manual_seed(3)
    np.testing.assert_array_equal(krandom.normal((5,)).numpy(), g1)      # global generator
    assert krandom.normal((2,)).dtype == np.float32
    with pytest.raises(ValueError, match="seed"):
        krandom.normal((2,), seed="x")


def test_random_distributions():
    n = krandom.normal((20000,), mean=2.0, stddev=3.0, seed=0).numpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    u = krandom.uniform((20000,), minval=-1.0, maxval=3.0, seed=0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = krandom.truncated_normal((20000,), stddev=2.0, seed=0).numpy()
    assert np.abs(t).max() <= 4.0
    r = krandom.randint((1000,), 2, 5, seed=0).numpy()
    assert set(np.unique(r)) == {2, 3, 4} and r.dtype == np.int32
    logits = np.log(np.array([[0.1, 0.9]]))
    draws = krandom.categorical(logits, 5000, seed=0).numpy()
    assert draws.shape == (1, 5000) and abs(draws.mean() - 0.9) < 0.03
    s = krandom.shuffle(np.arange(10), seed=0).numpy()
    assert sorted(s.tolist()) == list(range(10)) and s.tolist() != list(range(10))


def test_random_dropout_scales_and_differentiates():
    x = dg.tensor(np.ones((200, 50)), requires_grad=True)
    y = krandom.dropout(x, 0.3, seed=1)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())
    shared = krandom.dropout(np.ones((4, 6)), 0.5, noise_shape=(None, 1), seed=2).numpy()
    assert all(len(set(row)) == 1 for row in shared)           # one draw per row
