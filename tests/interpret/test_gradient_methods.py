"""Saliency, InputXGradient, IntegratedGradients, NoiseTunnel and GradientShap: NumPy
references (linear models, quadrature rules, completeness) and Captum on PyTorch copies of
the same models (float64, equal within 1e-5 relative to the largest attribution)."""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as dnn
from deepgrad.interpret import (GradientShap, InputXGradient, IntegratedGradients, NoiseTunnel,
                                Saliency)
from deepgrad.interpret.integrated_gradients import approximation_parameters
from interpret_twins import (assert_close, captum_attr, images, nn_cnn, to_np, to_torch,
                             torch_module)

METHODS = ["riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid",
           "gausslegendre"]


def linear_model(seed=0):
    deepgrad.manual_seed(seed)
    return dnn.Linear(6, 3, dtype=deepgrad.float64)


def weights(model):
    return model.weight.detach().numpy(), model.bias.detach().numpy()


# ------------------------------------------------------------------------------ NumPy refs
def test_saliency_and_input_x_gradient_of_a_linear_model():
    model = linear_model()
    w, _ = weights(model)
    x = np.random.default_rng(0).normal(size=(4, 6))
    np.testing.assert_allclose(Saliency(model).attribute(x, target=1), np.abs(w[1]) * np.ones((4, 1)))
    np.testing.assert_allclose(Saliency(model).attribute(x, target=2, abs=False), w[2] * np.ones((4, 1)))
    np.testing.assert_allclose(InputXGradient(model).attribute(x, target=0), x * w[0])


@pytest.mark.parametrize("method", METHODS)
def test_integrated_gradients_of_a_linear_model_is_exact(method):
    model = linear_model()
    w, _ = weights(model)
    x = np.random.default_rng(1).normal(size=(3, 6))
    base = np.random.default_rng(2).normal(size=(1, 6))
    attr, delta = IntegratedGradients(model).attribute(x, base, target=[0, 2, 1], n_steps=4,
                                                       method=method,
                                                       return_convergence_delta=True)
    weight_sum = {"riemann_trapezoid": 1 - 1 / 4}.get(method, 1.0)   # Captum's trapezoid weights
    expected = (x - base) * w[[0, 2, 1]] * weight_sum
    np.testing.assert_allclose(attr, expected, rtol=1e-12, atol=1e-14)
    if method != "riemann_trapezoid":
        np.testing.assert_allclose(delta, 0, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_quadrature_rules(method):
    steps_fn, alphas_fn = approximation_parameters(method)
    n = 6
    steps, alphas = np.array(steps_fn(n)), np.array(alphas_fn(n))
    grid = {"riemann_left": np.arange(n) / n, "riemann_right": np.arange(1, n + 1) / n,
            "riemann_middle": (np.arange(n) + 0.5) / n,
            "riemann_trapezoid": np.linspace(0, 1, n)}
    if method in grid:
        np.testing.assert_allclose(alphas, grid[method])
        np.testing.assert_allclose(steps.sum(), 1 - (1 / n if method.endswith("trapezoid") else 0))
    else:                                  # Gauss-Legendre: exact up to degree 2n - 1
        for degree in range(2 * n):
            np.testing.assert_allclose(steps @ alphas ** degree, 1 / (degree + 1), rtol=1e-12)


def test_integrated_gradients_completeness_at_50_steps():
    """The issue's check: sum of attributions = F(x) - F(x') within 1% at n_steps=50."""
    model, _ = nn_cnn(softmax=True)
    x = images(4)
    for method in ("gausslegendre", "riemann_middle"):      # (Captum's trapezoid weights
        # sum to 1 - 1/n: see test_integrated_gradients_of_a_linear_model_is_exact)
        attr = IntegratedGradients(model).attribute(x, target=[0, 1, 2, 3], n_steps=50,
                                                    method=method)
        with deepgrad.no_grad():
            out = model(deepgrad.from_numpy(x)).numpy()
            out0 = model(deepgrad.zeros(4, 1, 10, 10, dtype=deepgrad.float64)).numpy()
        gap = out[np.arange(4), [0, 1, 2, 3]] - out0[np.arange(4), [0, 1, 2, 3]]
        total = attr.reshape(4, -1).sum(1)
        assert np.all(np.abs(total - gap) <= 0.01 * np.abs(gap)), (method, total, gap)


def test_internal_batch_size_gives_the_same_result():
    model, _ = nn_cnn()
    x = images(3)
    full = IntegratedGradients(model).attribute(x, target=1, n_steps=10)
    for size in (3, 7, 30):
        np.testing.assert_allclose(IntegratedGradients(model).attribute(
            x, target=1, n_steps=10, internal_batch_size=size), full, rtol=1e-12)
    with pytest.warns(UserWarning, match="internal_batch_size"):
        IntegratedGradients(model).attribute(x, target=1, n_steps=4, internal_batch_size=2)


def test_kinds_dtypes_and_tuples():
    model, _ = nn_cnn()
    x = images(2)
    t = deepgrad.from_numpy(x)
    assert isinstance(IntegratedGradients(model).attribute(x, target=0, n_steps=3), np.ndarray)
    out = IntegratedGradients(model).attribute(t, target=0, n_steps=3)
    assert isinstance(out, deepgrad.Tensor) and out.dtype == deepgrad.float64
    assert not t.requires_grad                       # the caller's tensor is left alone
    model32 = dnn.Linear(4, 2)
    x32 = np.ones((2, 4), dtype=np.float32)
    assert Saliency(model32).attribute(x32, target=0).dtype == np.float32

    class TwoInputs(dnn.Module):
        def forward(self, a, b, scale):
            return (a * b).sum(1) * scale
    a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
    ga, gb = Saliency(TwoInputs()).attribute((a, b), abs=False, additional_forward_args=3.0)
    np.testing.assert_allclose(ga, 3 * b)
    np.testing.assert_allclose(gb, 3 * a)


def test_noise_tunnel_types_on_a_linear_model():
    """For a linear model InputXGradient(x + eps) = (x + eps) w: the smoothing formulas
    can be checked against the noise itself."""
    model = linear_model()
    w, _ = weights(model)
    x = np.random.default_rng(3).normal(size=(2, 6))
    deepgrad.manual_seed(7)
    noisy = NoiseTunnel._add_noise_to_input(deepgrad.from_numpy(x), 0.5, 8).numpy()
    samples = (noisy * w[1]).reshape(2, 8, 6)
    for nt_type, ref in (("smoothgrad", samples.mean(1)),
                         ("smoothgrad_sq", (samples ** 2).mean(1)),
                         ("vargrad", samples.var(1))):
        deepgrad.manual_seed(7)
        got = NoiseTunnel(InputXGradient(model)).attribute(x, nt_type=nt_type, nt_samples=8,
                                                           stdevs=0.5, target=1)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_gradient_shap_of_a_linear_model():
    """E over baselines and path points of (x - x') w = (x - mean x') w for linear F."""
    model = linear_model()
    w, _ = weights(model)
    x = np.random.default_rng(4).normal(size=(2, 6))
    base = np.random.default_rng(5).normal(size=(3, 6))
    np.random.seed(0)
    attr, delta = GradientShap(model).attribute(x, base, n_samples=6, target=2,
                                                return_convergence_delta=True)
    np.random.seed(0)
    rows = base[np.random.choice(3, 12)].reshape(2, 6, 6)
    np.testing.assert_allclose(attr, ((x[:, None] - rows) * w[2]).mean(1), rtol=1e-10)
    assert delta.shape == (12,)
    np.testing.assert_allclose(delta, 0, atol=1e-12)


# ------------------------------------------------------------------------------ Captum
@pytest.mark.parametrize("name,kwargs", [("Saliency", {}), ("Saliency", {"abs": False}),
                                         ("InputXGradient", {})])
def test_simple_gradients_match_captum(name, kwargs):
    attr = captum_attr()
    model, make = nn_cnn(softmax=True)
    x = images(3)
    ours = getattr(__import__("deepgrad.interpret", fromlist=[name]), name)(model)
    theirs = getattr(attr, name)(make())
    for target in (2, [0, 3, 1]):
        assert_close(ours.attribute(x, target=target, **kwargs),
                     theirs.attribute(to_torch(x).requires_grad_(), target=target, **kwargs))


@pytest.mark.parametrize("method", METHODS)
def test_integrated_gradients_matches_captum(method):
    attr = captum_attr()
    torch = torch_module()
    model, make = nn_cnn(softmax=True)
    tmodel = make()
    x = images(3)
    base = images(1, seed=9)
    for baselines, tbase in ((None, None), (0.2, 0.2), (base, to_torch(base))):
        ours, delta = IntegratedGradients(model).attribute(
            x, baselines, target=torch.tensor([1, 0, 3]).numpy(), n_steps=9, method=method,
            return_convergence_delta=True)
        theirs, tdelta = attr.IntegratedGradients(tmodel).attribute(
            to_torch(x), tbase, target=torch.tensor([1, 0, 3]), n_steps=9, method=method,
            return_convergence_delta=True)
        assert_close(ours, theirs)
        # deltas are differences of O(|F|) numbers: compare on the outputs' scale
        scale = np.abs(to_np(tmodel(to_torch(x)))).max()
        np.testing.assert_allclose(delta, to_np(tdelta), atol=1e-6 * scale)


def test_integrated_gradients_internal_batching_and_no_multiply_match_captum():
    attr = captum_attr()
    model, make = nn_cnn()
    x = images(3)
    ours = IntegratedGradients(model, multiply_by_inputs=False).attribute(
        x, target=2, n_steps=11, internal_batch_size=10)
    theirs = attr.IntegratedGradients(make(), multiply_by_inputs=False).attribute(
        to_torch(x), target=2, n_steps=11, internal_batch_size=10)
    assert_close(ours, theirs)


@pytest.mark.parametrize("nt_type", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_noise_tunnel_matches_captum(nt_type, monkeypatch):
    attr = captum_attr()
    from captum.attr._core.noise_tunnel import NoiseTunnel as CaptumNoiseTunnel
    torch = torch_module()
    model, make = nn_cnn()
    x = images(2)

    def same_noise(inp, stdev, n):                 # deepgrad's draws, fed to Captum
        noisy = NoiseTunnel._add_noise_to_input(deepgrad.from_numpy(inp.detach().numpy()),
                                                stdev, n)
        return torch.tensor(noisy.numpy())
    monkeypatch.setattr(CaptumNoiseTunnel, "_add_noise_to_input", staticmethod(same_noise))
    deepgrad.manual_seed(11)
    ours, delta = NoiseTunnel(IntegratedGradients(model)).attribute(
        x, nt_type=nt_type, nt_samples=5, nt_samples_batch_size=2, stdevs=0.3, target=1,
        n_steps=6, return_convergence_delta=True)
    deepgrad.manual_seed(11)
    theirs, tdelta = attr.NoiseTunnel(attr.IntegratedGradients(make())).attribute(
        to_torch(x), nt_type=nt_type, nt_samples=5, nt_samples_batch_size=2, stdevs=0.3,
        target=1, n_steps=6, return_convergence_delta=True)
    assert_close(ours, theirs)
    assert delta.shape == tuple(tdelta.shape) == (10,)
    deepgrad.manual_seed(11)
    ours = NoiseTunnel(Saliency(model)).attribute(x, nt_samples=3, stdevs=0.2, target=0)
    deepgrad.manual_seed(11)
    theirs = attr.NoiseTunnel(attr.Saliency(make())).attribute(to_torch(x), nt_samples=3,
                                                               stdevs=0.2, target=0)
    assert_close(ours, theirs)


def test_gradient_shap_matches_captum(monkeypatch):
    """Baseline rows and path points come from NumPy's global state in both (same seed);
    the input noise from deepgrad's generator, fed to Captum."""
    attr = captum_attr()
    from captum.attr._core.noise_tunnel import NoiseTunnel as CaptumNoiseTunnel
    torch = torch_module()
    model, make = nn_cnn(softmax=True)
    tmodel = make()
    x, base = images(2), images(4, seed=8)
    np.random.seed(5)
    ours, delta = GradientShap(model).attribute(x, base, n_samples=7, target=[1, 2],
                                                return_convergence_delta=True)
    np.random.seed(5)
    theirs, tdelta = attr.GradientShap(tmodel).attribute(
        to_torch(x), to_torch(base), n_samples=7, target=[1, 2], return_convergence_delta=True)
    assert_close(ours, theirs)
    np.testing.assert_allclose(delta, to_np(tdelta), atol=1e-9)

    def same_noise(inp, stdev, n):
        noisy = NoiseTunnel._add_noise_to_input(deepgrad.from_numpy(inp.detach().numpy()),
                                                stdev, n)
        return torch.tensor(noisy.numpy())
    monkeypatch.setattr(CaptumNoiseTunnel, "_add_noise_to_input", staticmethod(same_noise))
    np.random.seed(6)
    deepgrad.manual_seed(6)
    ours = GradientShap(model, multiply_by_inputs=False).attribute(
        x, lambda: base, n_samples=3, stdevs=0.1, target=0)
    np.random.seed(6)
    deepgrad.manual_seed(6)
    theirs = attr.GradientShap(tmodel, multiply_by_inputs=False).attribute(
        to_torch(x), lambda: to_torch(base), n_samples=3, stdevs=0.1, target=0)
    assert_close(ours, theirs)
