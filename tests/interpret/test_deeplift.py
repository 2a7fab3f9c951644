"""DeepLift (rescale rule): summation-to-delta and hand-computed multipliers in NumPy, then
Captum on PyTorch copies (nn CNN with and without softmax, an MLP with every elementwise
nonlinearity, a keras CNN)."""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as dnn
from deepgrad.interpret import DeepLift
from deepgrad.interpret.deep_lift import rescale_gradient
from interpret_twins import (assert_close, captum_attr, images, keras_cnn, nn_cnn, nn_mlp,
                             to_torch)

# Captum's DeepLift announces its hooks on every call
pytestmark = pytest.mark.filterwarnings("ignore:Setting forward, backward hooks")


def test_rescale_rule_by_hand():
    """One ReLU: m = (relu(x) - relu(x')) / (x - x'); the gradient where x == x'."""
    x = np.array([[2.0, -1.0, 3.0, 0.5]])
    ref = np.array([[-1.0, -2.0, 3.0, 1.0]])
    stacked = np.concatenate([x, ref])
    y = np.maximum(stacked, 0)
    g = np.ones_like(stacked)
    got = rescale_gradient("nonlinear", stacked, y, g, lambda v: v * (stacked > 0), 1e-10)
    expected = np.array([2 / 3, 0.0, 1.0, 1.0])            # 3 - 3 = 0: ordinary gradient 1
    np.testing.assert_allclose(got, np.concatenate([[expected], [expected]]))


@pytest.mark.parametrize("softmax", [False])
def test_summation_to_delta_with_adjacent_relu_and_maxpool(softmax):
    """ReLU feeding MaxPool directly (where Captum 0.9 reads a stale gradient,
    meta-pytorch/captum#1104): attributions still sum to F(x) - F(x') for any baseline."""
    model, _ = nn_cnn(softmax)
    x, base = images(3), images(3, seed=5) * 0.5
    attr, delta = DeepLift(model).attribute(x, base, target=2, return_convergence_delta=True)
    with deepgrad.no_grad():
        gap = (model(deepgrad.from_numpy(x)) - model(deepgrad.from_numpy(base)))[:, 2].numpy()
    np.testing.assert_allclose(attr.reshape(3, -1).sum(1), gap, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(delta, 0, atol=1e-12)


def test_every_elementwise_rule_keeps_summation_to_delta():
    model, _ = nn_mlp()
    x = np.random.default_rng(0).normal(size=(5, 5))
    base = np.random.default_rng(1).normal(size=(1, 5))
    _, delta = DeepLift(model).attribute(x, base, target=1, return_convergence_delta=True)
    np.testing.assert_allclose(delta, 0, atol=1e-12)


def test_linear_model_inplace_relu_reuse_and_options():
    deepgrad.manual_seed(0)
    lin = dnn.Linear(4, 2, dtype=deepgrad.float64)
    w = lin.weight.detach().numpy()
    x = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(DeepLift(lin).attribute(x, target=1), x * w[1])
    relu = dnn.ReLU(inplace=True)

    class Reuse(dnn.Module):                  # one ReLU module called twice, in place
        def __init__(self):
            super().__init__()
            self.a, self.b, self.relu = lin, dnn.Linear(2, 1, dtype=deepgrad.float64), relu

        def forward(self, t):
            return self.b(self.relu(self.a(self.relu(t * 1.0))))
    model = Reuse()
    attr, delta = DeepLift(model).attribute(x, 0.1, return_convergence_delta=True)
    np.testing.assert_allclose(delta, 0, atol=1e-12)
    mult = DeepLift(model, multiply_by_inputs=False).attribute(x, 0.1)
    np.testing.assert_allclose(attr, (x - 0.1) * mult, rtol=1e-12)
    custom = DeepLift(model).attribute(x, 0.1, custom_attribution_func=lambda m, i, b: (m[0] * 2,))
    np.testing.assert_allclose(custom, 2 * mult, rtol=1e-12)
    assert not any(m._forward_hooks for m in model.modules())      # hooks removed


@pytest.mark.parametrize("softmax", [False, True])
def test_deeplift_matches_captum_on_a_cnn(softmax):
    attr = captum_attr()
    model, make = nn_cnn(softmax)
    x, base = images(3), images(1, seed=6)
    for b in (None, base):
        ours = DeepLift(model).attribute(x, b, target=[3, 1, 0])
        theirs = attr.DeepLift(make()).attribute(to_torch(x), None if b is None else to_torch(b),
                                                 target=[3, 1, 0])
        assert_close(ours, theirs)


def test_deeplift_matches_captum_on_every_elementwise_nonlinearity():
    attr = captum_attr()
    model, make = nn_mlp()
    x = np.random.default_rng(0).normal(size=(4, 5))
    base = np.random.default_rng(1).normal(size=(4, 5))
    for multiply in (True, False):
        ours = DeepLift(model, multiply_by_inputs=multiply).attribute(x, base, target=2)
        theirs = attr.DeepLift(make(), multiply_by_inputs=multiply).attribute(
            to_torch(x), to_torch(base), target=2)
        assert_close(ours, theirs)


def test_deeplift_matches_captum_on_a_keras_model():
    """Keras activations inside Conv2D/Dense and MaxPooling2D get the same rules as the
    PyTorch copy's nn.ReLU/nn.MaxPool2d/nn.Tanh/nn.Softmax modules."""
    attr = captum_attr()
    model, make = keras_cnn()
    x, base = images(3, shape=(10, 10, 1)), images(1, seed=4, shape=(10, 10, 1))
    ours = DeepLift(model).attribute(x, base, target=1)
    theirs = attr.DeepLift(make()).attribute(to_torch(x), to_torch(base), target=1)
    assert_close(ours, theirs)
    from deepgrad.keras import activations
    assert model.layers[0].activation is activations.relu          # restored afterwards
    assert "call" not in model.layers[1].__dict__


def test_keras_activation_layers_keep_summation_to_delta():
    """keras ReLU/LeakyReLU/ELU layers, Activation('sigmoid') and Dense(..., 'softplus')
    are rescaled; with logits as the output the gaps vanish."""
    from deepgrad import keras
    keras.utils.set_random_seed(3)
    L = keras.layers
    d = "float64"
    model = keras.Sequential([
        L.Input((4,), dtype=d), L.Dense(6, dtype=d), L.ReLU(dtype=d), L.Dense(6, dtype=d),
        L.LeakyReLU(0.2, dtype=d), L.Dense(6, dtype=d), L.ELU(dtype=d), L.Dense(6, dtype=d),
        L.Activation("sigmoid", dtype=d), L.Dense(5, activation="softplus", dtype=d),
        L.Dense(2, dtype=d)])
    x = np.random.default_rng(0).normal(size=(3, 4))
    base = np.random.default_rng(1).normal(size=(3, 4))
    _, delta = DeepLift(model).attribute(x, base, target=1, return_convergence_delta=True)
    gap = model(x).numpy()[:, 1] - model(base).numpy()[:, 1]
    # a Sequential's own dtype policy is float32 (as in Keras 3): its inputs, and so the
    # gradients reaching them, pass through float32, hence float32's resolution here
    assert np.all(np.abs(delta) <= 1e-6 * np.abs(gap).max()), (delta, gap)
    plain = DeepLift(model, multiply_by_inputs=False).attribute(x, base, target=1)
    from deepgrad.interpret import Saliency
    assert not np.allclose(plain, Saliency(model).attribute(x, target=1, abs=False))
