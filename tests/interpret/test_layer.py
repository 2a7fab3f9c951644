"""LayerGradCam, LayerAttribution.interpolate and LayerIntegratedGradients: references
computed with deepgrad's own autograd, then Captum on PyTorch copies (nn and keras)."""
import numpy as np
import pytest

import deepgrad
from deepgrad.interpret import LayerAttribution, LayerGradCam, LayerIntegratedGradients
from interpret_twins import (assert_close, captum_attr, images, keras_cnn, nn_cnn, nn_embed,
                             to_np, to_torch, torch_module)


def test_gradcam_formula():
    """attr = sum_c mean_u(dF/dA_cu) A_cu, from the conv output and its gradient."""
    model, _ = nn_cnn()
    x = images(2)
    acts = model.conv(deepgrad.from_numpy(x)).detach().requires_grad_()
    out = model.fc2(model.act(model.fc1(model.pool(model.relu(acts)).flatten(1))))
    grad, = deepgrad.autograd.grad(out[:, 1].sum(), acts)
    a, g = acts.detach().numpy(), grad.numpy()
    expected = (g.mean(axis=(2, 3), keepdims=True) * a).sum(1, keepdims=True)
    got = LayerGradCam(model, model.conv).attribute(x, target=1)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    relu = LayerGradCam(model, model.conv).attribute(x, target=1, relu_attributions=True)
    np.testing.assert_allclose(relu, np.maximum(expected, 0), rtol=1e-12)


def test_gradcam_on_a_keras_layer_is_channels_last():
    model, _ = keras_cnn()
    x = images(2, shape=(10, 10, 1))
    got = LayerGradCam(model, model.layers[0]).attribute(x, target=3)
    assert got.shape == (2, 8, 8, 1)
    up = LayerAttribution.interpolate(got, (10, 10), data_format="channels_last")
    assert up.shape == (2, 10, 10, 1)
    np.testing.assert_array_equal(up[0, :, :, 0][::5, ::5], got[0, :, :, 0][::4, ::4])


def test_layer_integrated_gradients_on_token_ids():
    """Integer ids: attribute to the embedding's output; completeness holds."""
    model, _ = nn_embed()
    ids = np.random.default_rng(0).integers(1, 20, (3, 6))
    attr, delta = LayerIntegratedGradients(model, model.emb).attribute(
        ids, target=1, n_steps=40, return_convergence_delta=True)
    assert attr.shape == (3, 6, 4)
    with deepgrad.no_grad():
        gap = (model(deepgrad.from_numpy(ids)) - model(deepgrad.zeros(3, 6, dtype=deepgrad.int64)))
    gap = gap[:, 1].numpy()
    assert np.all(np.abs(attr.reshape(3, -1).sum(1) - gap) <= 1e-6 * np.abs(gap).max())
    np.testing.assert_allclose(delta, attr.reshape(3, -1).sum(1) - gap, atol=1e-12)


def test_layer_integrated_gradients_equals_integrated_gradients_at_the_input():
    """Attributing to the first layer's input is IG on the model's input."""
    from deepgrad.interpret import IntegratedGradients
    model, _ = nn_cnn()
    x = images(2)
    lig = LayerIntegratedGradients(model, model.conv).attribute(
        x, target=2, n_steps=8, attribute_to_layer_input=True)
    ig = IntegratedGradients(model).attribute(x, target=2, n_steps=8)
    np.testing.assert_allclose(lig, ig, rtol=1e-12)


# ------------------------------------------------------------------------------ Captum
@pytest.mark.parametrize("kwargs", [{}, {"relu_attributions": True},
                                    {"attr_dim_summation": False},
                                    {"attribute_to_layer_input": True}])
def test_gradcam_matches_captum(kwargs):
    attr = captum_attr()
    model, make = nn_cnn(softmax=True)
    tmodel = make()
    x = images(3)
    assert_close(LayerGradCam(model, model.conv).attribute(x, target=[1, 2, 0], **kwargs),
                 attr.LayerGradCam(tmodel, tmodel.conv).attribute(to_torch(x), target=[1, 2, 0],
                                                                  **kwargs))
    assert_close(LayerGradCam(model, model.fc1).attribute(x, target=1, **kwargs),
                 attr.LayerGradCam(tmodel, tmodel.fc1).attribute(to_torch(x), target=1, **kwargs))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_interpolate_matches_captum(mode):
    attr = captum_attr()
    cam = np.random.default_rng(0).normal(size=(2, 1, 4, 4))
    assert_close(LayerAttribution.interpolate(cam, (10, 10), mode),
                 attr.LayerAttribution.interpolate(to_torch(cam), (10, 10), mode))
    tensor = LayerAttribution.interpolate(deepgrad.from_numpy(cam), (7, 9), mode)
    assert isinstance(tensor, deepgrad.Tensor) and tuple(tensor.shape) == (2, 1, 7, 9)


def test_keras_gradcam_matches_captum():
    attr = captum_attr()
    model, make = keras_cnn()
    tmodel = make()
    x = images(3, shape=(10, 10, 1))
    ours = LayerGradCam(model, model.layers[0]).attribute(x, target=2)
    theirs = attr.LayerGradCam(tmodel, tmodel.relu).attribute(to_torch(x), target=2)
    assert_close(ours.transpose(0, 3, 1, 2), theirs)
    up = LayerAttribution.interpolate(ours, (10, 10), "bilinear", data_format="channels_last")
    assert_close(up.transpose(0, 3, 1, 2),
                 attr.LayerAttribution.interpolate(theirs, (10, 10), "bilinear"))


def test_layer_integrated_gradients_matches_captum():
    attr = captum_attr()
    torch = torch_module()
    model, make = nn_embed()
    tmodel = make()
    ids = np.random.default_rng(1).integers(1, 20, (3, 6))
    for method in ("gausslegendre", "riemann_right"):
        ours, delta = LayerIntegratedGradients(model, model.emb).attribute(
            ids, target=[2, 0, 1], n_steps=12, method=method, return_convergence_delta=True)
        theirs, tdelta = attr.LayerIntegratedGradients(tmodel, tmodel.emb).attribute(
            torch.tensor(ids), target=[2, 0, 1], n_steps=12, method=method,
            return_convergence_delta=True)
        assert_close(ours, theirs)
        np.testing.assert_allclose(delta, to_np(tdelta), atol=1e-7)
    base = np.full((1, 6), 3)
    assert_close(LayerIntegratedGradients(model, model.emb, multiply_by_inputs=False).attribute(
                     ids, base, target=0, n_steps=5, internal_batch_size=7),
                 attr.LayerIntegratedGradients(tmodel, tmodel.emb, multiply_by_inputs=False)
                 .attribute(torch.tensor(ids), torch.tensor(base), target=0, n_steps=5,
                            internal_batch_size=7))


def test_layer_integrated_gradients_on_keras_and_layer_inputs_match_captum():
    attr = captum_attr()
    model, make = keras_cnn()
    tmodel = make()
    x = images(2, shape=(10, 10, 1))
    # keras Dense(8, tanh)'s output is the PyTorch copy's Tanh output
    assert_close(LayerIntegratedGradients(model, model.layers[3]).attribute(x, target=1,
                                                                            n_steps=8),
                 attr.LayerIntegratedGradients(tmodel, tmodel.act).attribute(
                     to_torch(x), target=1, n_steps=8))
    nn_model, make_nn = nn_cnn()
    t_nn = make_nn()
    x = images(2)
    assert_close(LayerIntegratedGradients(nn_model, nn_model.fc1).attribute(
                     x, target=2, n_steps=6, attribute_to_layer_input=True),
                 attr.LayerIntegratedGradients(t_nn, t_nn.fc1).attribute(
                     to_torch(x), target=2, n_steps=6, attribute_to_layer_input=True))


def test_gradcam_grad_kwargs_and_progress(capsys):
    model, _ = nn_cnn()
    x = images(2)
    a = LayerGradCam(model, model.conv).attribute(x, target=0, grad_kwargs={"retain_graph": True})
    np.testing.assert_allclose(a, LayerGradCam(model, model.conv).attribute(x, target=0))
    with pytest.raises(TypeError, match=r"grad_kwargs \['inputs_list'\]"):
        LayerGradCam(model, model.conv).attribute(x, target=0, grad_kwargs={"inputs_list": 1})
    from deepgrad.interpret import Occlusion
    Occlusion(model).attribute(x, (1, 5, 5), strides=(1, 5, 5), target=0, show_progress=True)
    assert "5/5" in capsys.readouterr().err


def test_layer_integrated_gradients_on_a_list_of_layers():
    """Each layer gets its own attribution; a replaced layer downstream cuts an upstream
    one's gradient (zeros; Captum raises there); two branches match Captum."""
    import deepgrad.nn as dnn
    from interpret_twins import _copy_state
    model, _ = nn_cnn()
    x = images(2)
    both = LayerIntegratedGradients(model, [model.conv, model.fc2]).attribute(
        x, target=1, n_steps=6)
    assert isinstance(both, list) and [b.shape for b in both] == [(2, 3, 8, 8), (2, 4)]
    alone = LayerIntegratedGradients(model, model.fc2).attribute(x, target=1, n_steps=6)
    np.testing.assert_allclose(both[1], alone, rtol=1e-12)
    np.testing.assert_array_equal(both[0], 0)
    with pytest.raises(TypeError, match="takes one layer"):
        LayerGradCam(model, [model.conv])

    class Branches(dnn.Module):
        def __init__(self):
            super().__init__()
            self.a = dnn.Linear(3, 2, dtype=deepgrad.float64)
            self.b = dnn.Linear(3, 2, dtype=deepgrad.float64)

        def forward(self, t):
            return self.a(t) * deepgrad.tanh(self.b(t))
    deepgrad.manual_seed(4)
    branches = Branches()
    xb = np.random.default_rng(5).normal(size=(4, 3))
    ours, delta = LayerIntegratedGradients(branches, [branches.a, branches.b]).attribute(
        xb, target=0, n_steps=30, return_convergence_delta=True)
    assert np.abs(delta).max() < 1e-3
    attr = captum_attr()
    torch = torch_module()

    class TorchBranches(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)

        def forward(self, t):
            return self.a(t) * torch.tanh(self.b(t))
    tb = _copy_state(branches, TorchBranches())
    theirs = attr.LayerIntegratedGradients(tb, [tb.a, tb.b]).attribute(to_torch(xb), target=0,
                                                                       n_steps=30)
    for o, t in zip(ours, theirs):
        assert_close(o, t)
