"""Attention, AdditiveAttention, MultiHeadAttention, GroupQueryAttention: outputs and
scores vs Keras 3 from the same weights (when installed), NumPy references, masks, causal
masks, gradients, functional models, configs, errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Model
from deepgrad.keras import layers as L

RNG = np.random.default_rng(21)
Q = RNG.standard_normal((2, 3, 4)).astype("float32")
V = RNG.standard_normal((2, 5, 4)).astype("float32")
K = RNG.standard_normal((2, 5, 4)).astype("float32")
VM = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
QM = np.array([[1, 1, 0], [1, 1, 1]], bool)


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np(t):
    return np.asarray(t.detach().cpu()) if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("name,kwargs", [("Attention", {}),
                                         ("Attention", dict(use_scale=True,
                                                            score_mode="concat")),
                                         ("AdditiveAttention", {}),
                                         ("AdditiveAttention", dict(use_scale=False))])
def test_luong_bahdanau_against_keras(name, kwargs):
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs([Q, V, K])
    ours = getattr(L, name)(**kwargs)
    ours([Q, V, K])
    weights = [np.asarray(w) * 1.3 for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours([Q, V, K], mask=[QM, VM]).numpy(),
                               _np(theirs([Q, V, K], mask=[QM, VM])), atol=1e-6)
    y, s = ours([Q, V], use_causal_mask=True, return_attention_scores=True)
    ry, rs = theirs([Q, V], use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(y.numpy(), _np(ry), atol=1e-6)
    np.testing.assert_allclose(s.numpy(), _np(rs), atol=1e-6)


def test_multi_head_and_group_query_against_keras():
    keras = pytest.importorskip("keras")
    for make in (lambda m: m.MultiHeadAttention(2, 3, value_dim=5, output_shape=6),
                 lambda m: m.MultiHeadAttention(3, 2, use_bias=False),
                 lambda m: m.GroupQueryAttention(3, 4, 2)):
        theirs, ours = make(keras.layers), make(L)
        ref = _np(theirs(Q, V, K, value_mask=VM))
        ours(Q, V, K)
        ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
        np.testing.assert_allclose(ours(Q, V, K, value_mask=VM).numpy(), ref, atol=1e-6)
        ry, rs = theirs(Q, Q, use_causal_mask=True, return_attention_scores=True)
        y, s = ours(Q, Q, use_causal_mask=True, return_attention_scores=True)
        np.testing.assert_allclose(y.numpy(), _np(ry), atol=1e-6)
        np.testing.assert_allclose(s.numpy(), _np(rs), atol=1e-6)
        assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape)
                                                           for w in theirs.weights]


def test_numpy_references_and_gradients():
    q, v = Q.astype(np.float64), V.astype(np.float64)
    y = L.Attention(dtype="float64")([q, v], mask=[None, VM]).numpy()
    s = q @ v.transpose(0, 2, 1) - 1e9 * ~VM[:, None]
    np.testing.assert_allclose(y, _softmax(s) @ v, atol=1e-12)
    mha = L.MultiHeadAttention(2, 3, dtype="float64")
    out = mha(q, v)
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = [(mha.__dict__[n].kernel.numpy(),
                                               mha.__dict__[n].bias.numpy())
                                              for n in ("query_dense", "key_dense",
                                                        "value_dense", "output_dense")]
    qh = np.einsum("btd,dhk->bthk", q, wq) + bq
    kh = np.einsum("btd,dhk->bthk", v, wk) + bk
    vh = np.einsum("btd,dhk->bthk", v, wv) + bv
    a = _softmax(np.einsum("bqhk,bshk->bhqs", qh, kh) / np.sqrt(3))
    ref = np.einsum("bqhk,hkd->bqd", np.einsum("bhqs,bshk->bqhk", a, vh), wo) + bo
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    tq = dg.tensor(q[:1, :2], dtype=dg.float64, requires_grad=True)
    tv = dg.tensor(v[:1, :3], dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda a, b: mha(a, b), (tq, tv))
    additive = L.AdditiveAttention(dtype="float64")
    assert dg.gradcheck(lambda a, b: additive([a, b]), (tq, tv))


def test_functional_model_dropout_config_and_errors():
    x = Input((3, 4))
    y = L.MultiHeadAttention(2, 2)(x, x)
    z = L.Attention()([y, x])
    model = Model(x, L.GroupQueryAttention(2, 2, 1)(z, z))
    assert model(Q).shape == (2, 3, 4) and model.outputs[0].shape == (None, 3, 4)
    drop = L.Attention(dropout=0.5, seed=1)
    np.testing.assert_allclose(drop([Q, V]).numpy(), L.Attention()([Q, V]).numpy(), atol=1e-6)
    assert not np.allclose(drop([Q, V], training=True).numpy(), drop([Q, V]).numpy())
    mha = L.MultiHeadAttention(2, 3, value_dim=5, dropout=0.1)
    cfg = mha.get_config()
    assert L.MultiHeadAttention.from_config(cfg).get_config() == cfg
    with pytest.raises(ValueError, match="list of inputs.*\\[query, value\\]"):
        L.Attention()(Q)
    with pytest.raises(ValueError, match="score_mode.*score_mode=add"):
        L.Attention(score_mode="add")
    with pytest.raises(ValueError, match="divisible.*num_key_value_heads=2"):
        L.GroupQueryAttention(2, 3, 2)
    with pytest.raises(NotImplementedError, match="attention_axes"):
        L.MultiHeadAttention(2, 2, attention_axes=(1,))
    with pytest.raises(ValueError, match="needs `value`"):
        L.MultiHeadAttention(2, 2)(Q)
