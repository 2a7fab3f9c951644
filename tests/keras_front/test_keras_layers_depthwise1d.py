"""DepthwiseConv1D and SeparableConv1D: Keras 3's outputs and weight shapes from the same
weights, a NumPy reference, gradients, configs."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import layers as L

RNG = np.random.default_rng(81)
X = RNG.standard_normal((2, 9, 4)).astype("float32")

CASES = [("DepthwiseConv1D", dict(kernel_size=3)),
         ("DepthwiseConv1D", dict(kernel_size=2, strides=2, padding="same",
                                  depth_multiplier=2)),
         ("DepthwiseConv1D", dict(kernel_size=2, dilation_rate=2,
                                  data_format="channels_first")),
         ("SeparableConv1D", dict(filters=5, kernel_size=3)),
         ("SeparableConv1D", dict(filters=3, kernel_size=2, padding="same",
                                  depth_multiplier=2))]


@pytest.mark.parametrize("name,kwargs", CASES)
def test_against_keras(name, kwargs):
    keras = pytest.importorskip("keras")
    theirs = getattr(keras.layers, name)(**kwargs)
    ref = np.asarray(theirs(X).detach().cpu())
    ours = getattr(L, name)(**kwargs)
    ours.build(X.shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(X).numpy(), ref, rtol=1e-5, atol=1e-6)
    assert tuple(ours.compute_output_shape(X.shape)) == ref.shape
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_numpy_reference_and_gradient():
    layer = L.DepthwiseConv1D(3, depth_multiplier=2, dtype="float64")
    x = X.astype(np.float64)
    y = layer(x).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    ref = np.zeros((2, 7, 4, 2))
    for t in range(7):
        ref[:, t] = np.einsum("bkc,kcm->bcm", x[:, t:t + 3], k)
    np.testing.assert_allclose(y, ref.reshape(2, 7, 8) + b, atol=1e-12)
    sep = L.SeparableConv1D(2, 2, dtype="float64")
    t = dg.tensor(x[:1, :4], dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda v: sep(v), (t,))
    assert L.SeparableConvolution1D is L.SeparableConv1D
