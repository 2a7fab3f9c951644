"""The same attribution classes on a deepgrad.keras model (channels-last CNN with its
activations inside Conv2D/Dense), against Captum on a PyTorch copy that takes the same
NHWC input."""
import itertools

import numpy as np
import pytest

import deepgrad
from deepgrad import interpret
from interpret_twins import (assert_close, captum_attr, images, keras_cnn, to_torch,
                             torch_module)


def test_keras_model_attributions_follow_the_input_kind():
    model, _ = keras_cnn(dtype="float32")
    x = images(2, shape=(10, 10, 1)).astype(np.float32)
    attr, delta = interpret.IntegratedGradients(model).attribute(
        x, target=1, n_steps=50, return_convergence_delta=True)
    assert isinstance(attr, np.ndarray) and attr.dtype == np.float32 and attr.shape == x.shape
    out = model(x).numpy()[:, 1] - model(np.zeros_like(x)).numpy()[:, 1]
    assert np.all(np.abs(delta) <= 0.01 * np.abs(out))           # completeness, 50 steps
    t = interpret.Saliency(model).attribute(deepgrad.from_numpy(x), target=0)
    assert isinstance(t, deepgrad.Tensor) and t.dtype == deepgrad.float32


@pytest.mark.parametrize("name,kwargs", [
    ("Saliency", {}), ("InputXGradient", {}), ("IntegratedGradients", {"n_steps": 12}),
    ("IntegratedGradients", {"n_steps": 6, "method": "riemann_left", "baselines": 0.5}),
    ("Occlusion", {"sliding_window_shapes": (3, 3, 1), "strides": (2, 2, 1)}),
    ("FeatureAblation", {})])
def test_keras_model_matches_captum(name, kwargs):
    attr = captum_attr()
    model, make = keras_cnn()
    x = images(3, shape=(10, 10, 1))
    ours = getattr(interpret, name)(model).attribute(x, target=[0, 3, 2], **kwargs)
    theirs = getattr(attr, name)(make()).attribute(to_torch(x), target=[0, 3, 2], **kwargs)
    assert_close(ours, theirs)


def test_keras_model_noise_tunnel_and_gradient_shap_match_captum(monkeypatch):
    attr = captum_attr()
    from captum.attr._core.noise_tunnel import NoiseTunnel as CaptumNoiseTunnel
    torch = torch_module()
    model, make = keras_cnn()
    tmodel = make()
    x, base = images(2, shape=(10, 10, 1)), images(3, seed=2, shape=(10, 10, 1))

    def same_noise(inp, stdev, n):
        noisy = interpret.NoiseTunnel._add_noise_to_input(
            deepgrad.from_numpy(inp.detach().numpy()), stdev, n)
        return torch.tensor(noisy.numpy())
    monkeypatch.setattr(CaptumNoiseTunnel, "_add_noise_to_input", staticmethod(same_noise))
    for seed in (0, 1):
        np.random.seed(seed)
        deepgrad.manual_seed(seed)
        ours = interpret.GradientShap(model).attribute(x, base, n_samples=4, stdevs=0.05,
                                                       target=1)
        np.random.seed(seed)
        deepgrad.manual_seed(seed)
        theirs = attr.GradientShap(tmodel).attribute(to_torch(x), to_torch(base), n_samples=4,
                                                     stdevs=0.05, target=1)
        assert_close(ours, theirs)
    deepgrad.manual_seed(2)
    ours = interpret.NoiseTunnel(interpret.Saliency(model)).attribute(
        x, nt_type="vargrad", nt_samples=4, stdevs=0.1, target=3)
    deepgrad.manual_seed(2)
    theirs = attr.NoiseTunnel(attr.Saliency(tmodel)).attribute(
        to_torch(x), nt_type="vargrad", nt_samples=4, stdevs=0.1, target=3)
    assert_close(ours, theirs)


def test_keras_model_kernel_shap_matches_captum():
    attr = captum_attr()
    pytest.importorskip("sklearn")
    torch = torch_module()
    from captum._utils.models.linear_model import SkLearnLinearRegression
    model, make = keras_cnn()
    tmodel = make()
    x = images(1, shape=(10, 10, 1))
    rows, cols = np.indices((10, 10))
    mask = (cols // 4 + 3 * (rows // 4))[None, :, :, None]             # 9 patches
    deepgrad.manual_seed(4)
    ours = interpret.KernelShap(lambda t: model(t).to(deepgrad.float32).to(deepgrad.float64)) \
        .attribute(x, target=2, feature_mask=mask, n_samples=30)
    deepgrad.manual_seed(4)
    probe = interpret.KernelShap(lambda t: t)
    sizes = np.arange(9.0)
    probs = np.zeros(9)
    probs[1:] = 8 / (sizes[1:] * (9 - sizes[1:]))
    samples = [torch.tensor(r.numpy()) for r in itertools.islice(
        probe.kernel_shap_perturb_generator(None, num_interp_features=9,
                                            num_select_distribution=probs / probs.sum()), 30)]

    class LR64(SkLearnLinearRegression):
        def fit(self, train_data, **kwargs):
            return super().fit([tuple(t.double() for t in b) for b in train_data], **kwargs)

    def same_samples(original_inp, **kwargs):
        yield from samples
    theirs = attr.KernelShap(lambda t: tmodel(t).float().double())
    theirs.interpretable_model, theirs.perturb_func = LR64(), same_samples
    assert_close(ours, theirs.attribute(to_torch(x), target=2, feature_mask=to_torch(mask),
                                        n_samples=30))
