"""3-D convolution, pooling, padding, cropping and upsampling layers: outputs vs Keras 3
from the same weights (when installed) and vs NumPy references, gradients, shapes."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import Input, Model
from deepgrad.keras import layers as L

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 5, 6, 7, 3)).astype("float32")

CASES = [
    ("Conv3D", dict(filters=4, kernel_size=3)),
    ("Conv3D", dict(filters=4, kernel_size=(2, 3, 2), strides=2, padding="same")),
    ("Conv3D", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same")),
    ("Conv3D", dict(filters=10, kernel_size=2, groups=5, data_format="channels_first")),
    ("Conv3D", dict(filters=6, kernel_size=2, groups=3)),
    ("Conv3DTranspose", dict(filters=4, kernel_size=3)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=(2, 3, 2), strides=2, padding="same")),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1)),
    ("MaxPooling3D", dict()), ("MaxPooling3D", dict(pool_size=3, strides=2, padding="same")),
    ("AveragePooling3D", dict(pool_size=2)),
    ("AveragePooling3D", dict(pool_size=(2, 3, 2), data_format="channels_first")),
    ("GlobalMaxPooling3D", dict()), ("GlobalAveragePooling3D", dict(keepdims=True)),
    ("ZeroPadding3D", dict(padding=(1, 2, 0))),
    ("Cropping3D", dict(cropping=((1, 0), (2, 1), (0, 3)))),
    ("UpSampling3D", dict(size=(2, 1, 3))),
]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_against_keras_same_weights(name, kwargs):
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**kwargs)
    ref = np.asarray(theirs(X).detach().cpu())
    ours = getattr(L, name)(**kwargs)
    ours.build(X.shape)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    y = ours(X).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=2e-5)
    assert tuple(ours.compute_output_shape(X.shape)) == ref.shape
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def _conv3d_reference(x, k, b):
    """Valid 3-D cross-correlation, channels last, by explicit loops over the kernel."""
    kd, kh, kw, _, _ = k.shape
    n, d, h, w, _ = x.shape
    out = np.zeros((n, d - kd + 1, h - kh + 1, w - kw + 1, k.shape[-1]))
    for i in range(kd):
        for j in range(kh):
            for m in range(kw):
                patch = x[:, i:i + out.shape[1], j:j + out.shape[2], m:m + out.shape[3]]
                out += patch @ k[i, j, m]
    return out + b


def test_numpy_references_and_gradients():
    layer = L.Conv3D(2, (2, 3, 2), dtype="float64")
    x = X[:1, :4, :4, :4].astype(np.float64)
    y = layer(x).numpy()
    np.testing.assert_allclose(y, _conv3d_reference(x, *[w.numpy() for w in layer.weights]),
                               rtol=1e-10)
    t = dg.tensor(x, requires_grad=True)
    assert dg.gradcheck(lambda v: layer(v), (t,))
    pool = L.MaxPooling3D(2, dtype="float64")
    ref = x[:, :4, :4, :4].reshape(1, 2, 2, 2, 2, 2, 2, 3).max(axis=(2, 4, 6))
    np.testing.assert_allclose(pool(x).numpy(), ref)
    up = L.UpSampling3D((2, 1, 3), dtype="float64")
    np.testing.assert_allclose(up(x).numpy(), x.repeat(2, 1).repeat(3, 3))
    assert dg.gradcheck(lambda v: L.AveragePooling3D(2, dtype="float64")(v), (t,))


def test_functional_model_and_errors():
    inp = Input((5, 6, 7, 3))
    h = L.Conv3D(4, 3, padding="same", activation="relu")(inp)
    h = L.MaxPool3D()(h)
    out = L.GlobalAvgPool3D()(L.Convolution3DTranspose(2, 2, strides=2)(h))
    model = Model(inp, out)
    assert model(X).shape == (2, 2) and out.shape == (None, 2)
    with pytest.raises(ValueError, match="ndim=5"):
        L.Conv3D(2, 3)(X[0])
    with pytest.raises(ValueError, match="cropping.*too large"):
        L.Cropping3D(3)(X)
    with pytest.raises(ValueError, match="3 elements"):
        L.ZeroPadding3D((1, 2))
