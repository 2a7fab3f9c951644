"""ConvLSTM1D/2D/3D: Keras 3's outputs and states from the same weights, a NumPy reference
step, gradients, shapes, configs, refusals."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.keras import layers as L

RNG = np.random.default_rng(91)
X2 = RNG.standard_normal((2, 4, 6, 5, 2)).astype("float32")
X1 = X2[:, :, :, 0]
X3 = X2[..., None, :]

CASES = [("ConvLSTM2D", X2, dict(filters=3, kernel_size=2)),
         ("ConvLSTM2D", X2, dict(filters=3, kernel_size=3, padding="same",
                                 return_sequences=True, return_state=True,
                                 go_backwards=True)),
         ("ConvLSTM2D", X2, dict(filters=2, kernel_size=2, strides=2)),
         ("ConvLSTM1D", X1, dict(filters=3, kernel_size=2, padding="same")),
         ("ConvLSTM3D", X3, dict(filters=2, kernel_size=(2, 2, 1)))]


@pytest.mark.parametrize("name,x,kwargs", CASES)
def test_against_keras(name, x, kwargs):
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    theirs = getattr(keras.layers, name)(**kwargs)
    ref = theirs(x)
    ours = getattr(L, name)(**kwargs)
    ours.build(x.shape)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    out = ours(x)
    refs = list(ref) if isinstance(ref, (list, tuple)) else [ref]
    outs = out if isinstance(out, list) else [out]
    shapes = ours.compute_output_shape(x.shape)
    shapes = shapes if isinstance(shapes, list) else [shapes]
    for a, b, s in zip(outs, refs, shapes):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.detach().cpu()), atol=2e-6)
        assert tuple(s) == a.shape
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()


def test_one_step_numpy_reference_and_gradient():
    layer = L.ConvLSTM1D(2, 1, dtype="float64", recurrent_activation="sigmoid")
    x = RNG.standard_normal((1, 1, 3, 2))                 # one time step, kernel size 1
    y = layer(x).numpy()
    k, _, b = (w.numpy() for w in layer.weights)
    z = x[0, 0] @ k[0] + b                                 # h_0 = 0: no recurrent term
    sig = 1 / (1 + np.exp(-z))
    i, f, c, o = np.split(z, 4, -1)
    c_new = sig[:, :2] * np.tanh(c)
    np.testing.assert_allclose(y[0], sig[:, 6:] * np.tanh(c_new), atol=1e-12)
    t = dg.tensor(X1[:1, :2, :3].astype(np.float64), requires_grad=True)
    lstm = L.ConvLSTM1D(2, 2, padding="same", dtype="float64")
    assert dg.gradcheck(lambda v: lstm(v), (t,))
    with pytest.raises(NotImplementedError, match="stateful"):
        L.ConvLSTM2D(2, 2, stateful=True)
    with pytest.raises(ValueError, match="rank 5"):
        L.ConvLSTM2D(2, 2)(X1)
