"""keras.ops.nn (activations, losses, normalizations, conv/pool, attention) against Keras 3
(values) and NumPy formulas, gradients by float64 gradcheck."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import gradcheck
from deepgrad.keras import ops

RNG = np.random.default_rng(2)
A = (RNG.standard_normal((3, 5)) * 2).astype("float32")
IMG = RNG.standard_normal((2, 6, 5, 3)).astype("float32")         # N, H, W, C
SEQ = RNG.standard_normal((2, 7, 3)).astype("float32")            # N, L, C
VOL = RNG.standard_normal((1, 4, 4, 4, 2)).astype("float32")
K2 = RNG.standard_normal((3, 2, 3, 4)).astype("float32")           # kh, kw, in, out
K1 = RNG.standard_normal((3, 3, 4)).astype("float32")
K3 = RNG.standard_normal((2, 2, 2, 2, 3)).astype("float32")
KG = RNG.standard_normal((3, 3, 1, 6)).astype("float32")           # groups = 3
KT = RNG.standard_normal((4, 4, 2, 3)).astype("float32")            # kh, kw, out, in
DW = RNG.standard_normal((3, 3, 3, 2)).astype("float32")           # kh, kw, in, mult
PW = RNG.standard_normal((1, 1, 6, 4)).astype("float32")
Q = RNG.standard_normal((2, 4, 2, 3)).astype("float32")            # B, T, heads, dim
KV = RNG.standard_normal((2, 5, 2, 3)).astype("float32")
LAB = np.array([[1, 2, 0], [3, 3, 1]])
MEAN, VAR = RNG.standard_normal(3).astype("float32"), (RNG.random(3) + 0.5).astype("float32")
GAMMA, BETA = (RNG.random(5) + 0.5).astype("float32"), RNG.standard_normal(5).astype("float32")
D2S = RNG.standard_normal((1, 2, 3, 8)).astype("float32")
ZS = RNG.standard_normal((2, 4, 6)).astype("float32")        # CTC logits (batch, time, cls)

# name -> (args, kwargs); compared with keras.ops.<name>
CASES = {
    "celu": ((A,), {"alpha": 0.7}), "glu": ((A[:, :4],), {}), "hard_sigmoid": ((A,), {}),
    "hard_silu": ((A,), {}), "hard_swish": ((A,), {}), "hard_tanh": ((A,), {}),
    "hard_shrink": ((A,), {"threshold": 0.7}), "soft_shrink": ((A,), {}),
    "tanh_shrink": ((A,), {}), "threshold": ((A, 0.3, -2.0), {}), "log_sigmoid": ((A,), {}),
    "sparse_plus": ((A,), {}), "sparse_sigmoid": ((A,), {}), "squareplus": ((A,), {"b": 3}),
    "sparsemax": ((np.array([[5.0, 0.0, 0.0], [0.0, 6.0, 1.0]]),), {}),
    "softmax": ((A,), {"axis": (0, 1)}),
    "log_softmax": ((A,), {"axis": 0}), "gelu": ((A,), {"approximate": False}),
    "multi_hot": ((LAB,), {"num_classes": 5}),
    "psnr": ((IMG, IMG * 0.9, 3.0), {}),
    "batch_normalization": ((IMG, MEAN, VAR, -1),
                            {"offset": MEAN, "scale": VAR}),
    "layer_normalization": ((A, GAMMA, BETA), {}),
    "rms_normalization": ((A, GAMMA), {"epsilon": 1e-5}),
    "normalize": ((A,), {"axis": 0, "order": 3}),
    "conv": ((IMG, K2), {"strides": 2, "padding": "same"}),
    "conv_dilated": ((IMG, K2), {"dilation_rate": (2, 1)}),
    "conv_1d": ((SEQ, K1), {"padding": "same"}),
    "conv_3d": ((VOL, K3), {"strides": (1, 2, 1)}),
    "conv_groups": ((IMG, KG), {"padding": "same"}),
    "conv_channels_first": ((np.moveaxis(IMG, -1, 1), K2), {"data_format": "channels_first"}),
    "conv_transpose": ((IMG, KT), {"strides": 2, "padding": "same"}),
    "conv_transpose_valid": ((IMG, KT), {"strides": 2}),
    "depthwise_conv": ((IMG, DW), {"padding": "same"}),
    "separable_conv": ((IMG, DW, PW), {"strides": 2}),
    "max_pool": ((IMG, 2), {"padding": "same"}),
    "max_pool_1d": ((SEQ, 3), {"strides": 2}),
    "average_pool": ((IMG, 3), {"strides": 1, "padding": "same"}),
    "average_pool_3d": ((VOL, 2), {}),
    "adaptive_average_pool": ((IMG, (3, 2)), {}),
    "adaptive_max_pool": ((IMG, 2), {}),
    "depth_to_space": ((D2S, 2), {}), "space_to_depth": ((IMG[:, :6, :4], 2), {}),
    "dot_product_attention": ((Q, KV, KV), {}),
    "dot_product_attention_causal": ((Q, Q, Q), {"is_causal": True, "scale": 0.3}),
    "dot_product_attention_mask": ((Q, KV, KV), {"mask": RNG.random((2, 2, 4, 5)) > 0.3}),
    "dot_product_attention_bias": ((Q, KV, KV), {"bias": RNG.random((2, 2, 4, 5)) * 0.5}),
    "ctc_loss": ((np.array([[1, 2, 0], [3, 1, 0]]), ZS, np.array([2, 2]),
                  np.array([4, 3])), {}),
}


def _keras_name(name):
    return {"conv_dilated": "conv", "conv_1d": "conv", "conv_3d": "conv",
            "conv_groups": "conv", "conv_channels_first": "conv",
            "conv_transpose_valid": "conv_transpose", "max_pool_1d": "max_pool",
            "average_pool_3d": "average_pool", "dot_product_attention_causal":
            "dot_product_attention", "dot_product_attention_mask": "dot_product_attention",
            "dot_product_attention_bias": "dot_product_attention"
            }.get(name, name)


def test_matches_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    bad = []
    for name, (args, kwargs) in sorted(CASES.items()):
        ref = keras.ops.convert_to_numpy(getattr(keras.ops, _keras_name(name))(*args, **kwargs))
        got = getattr(ops, _keras_name(name))(*args, **kwargs).numpy()
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-4, atol=1e-5):
            bad.append(f"{name}: {got.shape} vs {ref.shape}, max diff "
                       f"{np.abs(got - ref).max() if got.shape == ref.shape else '-'}")
    assert not bad, "\n".join(bad)


def test_formulas_against_numpy():
    """The same functions on NumPy's formulas (runs without Keras)."""
    x = A.astype(np.float64)
    ref = {"sparse_plus": np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
           "sparse_sigmoid": np.clip((x + 1) / 2, 0, 1),
           "hard_sigmoid": np.clip(x + 3, 0, 6) / 6, "hard_silu": x * np.clip(x + 3, 0, 6) / 6,
           "log_sigmoid": -np.log1p(np.exp(-x)), "tanh_shrink": x - np.tanh(x),
           "soft_shrink": np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
           "squareplus": (x + np.sqrt(x * x + 4)) / 2}
    for name, r in ref.items():
        np.testing.assert_allclose(getattr(ops, name)(x).numpy(), r, rtol=1e-6, err_msg=name)
    sm = ops.sparsemax(x).numpy()
    np.testing.assert_allclose(sm.sum(-1), 1.0, rtol=1e-6)
    assert (sm >= 0).all()
    # sparsemax of well-separated scores is one-hot; of equal scores, uniform
    np.testing.assert_allclose(ops.sparsemax(np.array([[5.0, 0.0, 0.0]])).numpy(), [[1, 0, 0]])
    np.testing.assert_allclose(ops.sparsemax(np.zeros((1, 4))).numpy(), np.full((1, 4), 0.25))
    np.testing.assert_allclose(ops.sparsemax(np.array([1.0, 1.0])).numpy(), [0.5, 0.5])
    # 'same' average pooling averages the real entries only (TensorFlow's rule; Keras's
    # torch backend counts the zero padding when it is asymmetric)
    avg = ops.average_pool(IMG, (3, 2), strides=1, padding="same").numpy()
    padded = np.pad(IMG, ((0, 0), (1, 1), (0, 1), (0, 0)), constant_values=np.nan)
    windows = np.stack([padded[:, i:i + 6, j:j + 5] for i in range(3) for j in range(2)])
    np.testing.assert_allclose(avg, np.nanmean(windows, 0), rtol=1e-5, atol=1e-6)
    conv = ops.conv(IMG.astype(np.float64), K2.astype(np.float64)).numpy()
    manual = np.zeros((2, 4, 4, 4))
    for i in range(4):
        for j in range(4):
            manual[:, i, j] = np.einsum("nhwc,hwco->no", IMG[:, i:i + 3, j:j + 2], K2)
    np.testing.assert_allclose(conv, manual, rtol=1e-5, atol=1e-6)
    pooled = ops.max_pool(IMG, 2).numpy()
    np.testing.assert_allclose(pooled, IMG[:, :6, :4].reshape(2, 3, 2, 2, 2, 3).max((2, 4)))
    d2s = ops.depth_to_space(D2S, 2).numpy()
    np.testing.assert_allclose(ops.space_to_depth(d2s, 2).numpy(), D2S)
    logits = np.einsum("bqhd,bkhd->bhqk", Q, KV) / np.sqrt(3)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(ops.dot_product_attention(Q, KV, KV).numpy(),
                               np.einsum("bhqk,bkhd->bqhd", w, KV), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ops.multi_hot(LAB, 5).numpy(),
                                  [[1, 1, 1, 0, 0], [0, 1, 0, 1, 0]])
    dec, scores = ops.ctc_decode(ZS, np.array([4, 3]))
    best = ZS.argmax(-1)
    for b, n in enumerate([4, 3]):
        path = [int(c) for i, c in enumerate(best[b, :n]) if (i == 0 or c != best[b, i - 1])
                and c != 0]
        assert dec.numpy()[0, b, :len(path)].tolist() == path
        assert (dec.numpy()[0, b, len(path):] == -1).all()


@pytest.mark.parametrize("name", ["sparse_plus", "sparsemax", "squareplus", "celu", "glu",
                                  "layer_normalization", "rms_normalization",
                                  "batch_normalization", "normalize", "psnr", "conv",
                                  "conv_1d", "conv_groups", "conv_transpose", "depthwise_conv",
                                  "separable_conv", "max_pool", "average_pool",
                                  "adaptive_average_pool", "depth_to_space",
                                  "dot_product_attention_mask", "dot_product_attention_bias",
                                  "ctc_loss"])
def test_gradients(name):
    args, kwargs = CASES[name]
    small = [np.asarray(a)[:1] if isinstance(a, np.ndarray) and a.ndim >= 4 and i == 0
             else a for i, a in enumerate(args)] if name not in ("psnr", "ctc_loss",
                                                                 "dot_product_attention_mask",
                                                                 "dot_product_attention_bias") \
        else args
    lifted = [dg.tensor(a.astype(np.float64), requires_grad=True)
              if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in small]
    tensors = tuple(a for a in lifted if isinstance(a, dg.Tensor))

    def fn(*ts):
        it = iter(ts)
        return getattr(ops, _keras_name(name))(
            *[next(it) if isinstance(a, dg.Tensor) else a for a in lifted], **kwargs)
    assert gradcheck(fn, tensors, atol=1e-5, rtol=1e-3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding"):
        ops.conv(IMG, K2, padding="full")
    with pytest.raises(ValueError, match="data_format"):
        ops.max_pool(IMG, 2, data_format="NHWC")
    with pytest.raises(ValueError, match="channels"):
        ops.conv(IMG, RNG.standard_normal((3, 3, 2, 4)))
    with pytest.raises(ValueError, match="greedy"):
        ops.ctc_decode(ZS, np.array([4, 3]), strategy="beam_search")
    with pytest.raises(ValueError, match="bias"):
        ops.dot_product_attention(Q, KV, KV, bias=np.zeros((2, 2, 4, 5)),
                                  mask=np.ones((2, 2, 4, 5), bool))
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))
