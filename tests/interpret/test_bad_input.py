"""Bad input gets a clear error naming what was received and what was expected; checks
that need no model output run before the model is called at all."""
import numpy as np
import pytest

import deepgrad
from deepgrad import interpret
from interpret_twins import images, keras_cnn, nn_cnn, nn_embed


class Counting:
    """A forward function that counts its calls."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self, *args):
        self.calls += 1
        return self.model(*args)


@pytest.fixture
def cnn():
    model, _ = nn_cnn()
    return Counting(model), images(3)


def test_targets_out_of_range(cnn):
    f, x = cnn
    with pytest.raises(IndexError, match=r"target index 7 is out of range .* shape \(3, 4\)"):
        interpret.Saliency(f).attribute(x, target=7)
    with pytest.raises(IndexError, match=r"target index 9 is out of range .* 0 to 3"):
        interpret.IntegratedGradients(f).attribute(x, target=[0, 9, 1])
    with pytest.raises(IndexError, match="has 2 index"):
        interpret.Occlusion(f).attribute(x, (1, 2, 2), target=(1, 0))
    with pytest.raises(ValueError, match="one entry per example: received 2 for 3"):
        interpret.DeepLift(f.model).attribute(x, target=[0, 1])
    with pytest.raises(ValueError, match="pass target="):
        interpret.Saliency(f).attribute(x)
    with pytest.raises(TypeError, match="integer indices"):
        interpret.Saliency(f).attribute(x, target=np.array([0.5, 1.0, 2.0]))


def test_baselines_of_the_wrong_shape(cnn):
    f, x = cnn
    for method in (interpret.IntegratedGradients(f), interpret.DeepLift(f.model),
                   interpret.FeatureAblation(f), interpret.KernelShap(f)):
        with pytest.raises(ValueError, match=r"baselines\[0\] has shape \(2, 1, 10, 10\) but "
                                             r"inputs\[0\] has shape \(3, 1, 10, 10\)"):
            method.attribute(x, np.zeros((2, 1, 10, 10)), target=0)
    with pytest.raises(ValueError, match="received 2 baseline"):
        interpret.IntegratedGradients(f).attribute(x, (0.0, 0.0), target=0)
    with pytest.raises(ValueError, match=r"\(k, 1, 10, 10\) for any k"):
        interpret.GradientShap(f).attribute(x, np.zeros((4, 10, 10)), target=0)
    assert f.calls == 0


def test_layers_that_are_not_part_of_the_model():
    model, _ = nn_cnn()
    other, _ = nn_cnn(seed=1)
    with pytest.raises(ValueError, match="not part of the model NNCnn"):
        interpret.LayerGradCam(model, other.conv)
    with pytest.raises(ValueError, match="not part of the model"):
        interpret.LayerIntegratedGradients(model, other.fc1)
    kmodel, _ = keras_cnn()
    kother, _ = keras_cnn(seed=2)
    with pytest.raises(ValueError, match="not part of the model Sequential"):
        interpret.LayerGradCam(kmodel, kother.layers[0])
    with pytest.raises(TypeError, match="layer must be a deepgrad.nn.Module"):
        interpret.LayerGradCam(model, "conv")
    with pytest.raises(ValueError, match="was not called during the forward pass"):
        interpret.LayerGradCam(lambda t: model(t), other.conv).attribute(images(2), target=0)
    with pytest.raises(ValueError, match="device_ids"):
        interpret.LayerGradCam(model, model.conv, device_ids=[0, 1])


def test_steps_and_methods(cnn):
    f, x = cnn
    ig = interpret.IntegratedGradients(f)
    with pytest.raises(ValueError, match="n_steps: expected an integer >= 1, received 0"):
        ig.attribute(x, target=0, n_steps=0)
    with pytest.raises(ValueError, match="n_steps: expected an integer >= 2, received 1"):
        ig.attribute(x, target=0, n_steps=1, method="riemann_left")
    with pytest.raises(ValueError, match="method: expected one of"):
        ig.attribute(x, target=0, method="simpson")
    with pytest.raises(ValueError, match="n_steps"):
        interpret.LayerIntegratedGradients(f.model, f.model.conv).attribute(x, target=0,
                                                                            n_steps=-3)
    with pytest.raises(ValueError, match="internal_batch_size"):
        ig.attribute(x, target=0, internal_batch_size=0)
    assert f.calls == 0


def test_feature_masks_that_do_not_cover_the_input(cnn):
    f, x = cnn
    with pytest.raises(ValueError, match=r"feature_mask\[0\] of shape \(1, 1, 9, 10\) does not "
                                         r"cover inputs\[0\] of shape \(3, 1, 10, 10\)"):
        interpret.FeatureAblation(f).attribute(x, target=0, feature_mask=np.zeros((1, 1, 9, 10),
                                                                                  dtype=int))
    with pytest.raises(ValueError, match="does not cover"):
        interpret.Lime(f).attribute(x[:1], target=0, feature_mask=np.zeros((2, 1, 10, 10),
                                                                           dtype=int))
    with pytest.raises(TypeError, match="integer feature ids"):
        interpret.KernelShap(f).attribute(x[:1], target=0, feature_mask=np.zeros((1, 1, 10, 10)))
    gaps = np.zeros((1, 1, 10, 10), dtype=int)
    gaps[..., 5:] = 2
    with pytest.raises(ValueError, match=r"must cover 0 \.\. 2 .* missing \[1\]"):
        interpret.KernelShap(f).attribute(x[:1], target=0, feature_mask=gaps)
    with pytest.raises(ValueError, match="at least 2 interpretable features"):
        interpret.KernelShap(f).attribute(x[:1], target=0,
                                          feature_mask=np.zeros((1, 1, 10, 10), dtype=int))
    assert f.calls == 0


def test_integer_inputs_and_models_without_gradients():
    model, _ = nn_embed()
    f = Counting(model)
    ids = np.ones((2, 6), dtype=np.int64)
    for method in (interpret.Saliency(f), interpret.IntegratedGradients(f),
                   interpret.InputXGradient(f), interpret.DeepLift(model)):
        with pytest.raises(TypeError, match="LayerIntegratedGradients"):
            method.attribute(ids, target=0)
    assert f.calls == 0

    def detached(t):
        return deepgrad.from_numpy(t.detach().numpy()).sum(1)
    with pytest.raises(RuntimeError, match="does not depend on its inputs"):
        interpret.Saliency(detached).attribute(images(2).reshape(2, -1))


def test_other_arguments(cnn):
    f, x = cnn
    with pytest.raises(ValueError, match="nt_type"):
        interpret.NoiseTunnel(interpret.Saliency(f)).attribute(x, nt_type="smooth", target=0)
    with pytest.raises(ValueError, match="stdevs"):
        interpret.NoiseTunnel(interpret.Saliency(f)).attribute(x, stdevs=-1.0, target=0)
    with pytest.raises(ValueError, match="has no convergence delta"):
        interpret.NoiseTunnel(interpret.Saliency(f)).attribute(x, target=0,
                                                               return_convergence_delta=True)
    with pytest.raises(TypeError, match="DeepLift: model must be"):
        interpret.DeepLift(f)
    with pytest.raises(ValueError, match="perturbations_per_eval"):
        interpret.FeatureAblation(f).attribute(x, target=0, perturbations_per_eval=0)
    with pytest.raises(ValueError, match=r"sliding_window_shapes\[0\] is \(3, 3\)"):
        interpret.Occlusion(f).attribute(x, (3, 3), target=0)
    with pytest.raises(ValueError, match="larger than the sliding window"):
        interpret.Occlusion(f).attribute(x, (1, 2, 2), strides=(1, 3, 3), target=0)
    with pytest.raises(ValueError, match="same batch size"):
        interpret.Saliency(lambda a, b: a.sum(1)).attribute((x, x[:2]), target=None)
    with pytest.raises(TypeError, match="expected a deepgrad Tensor or a NumPy array"):
        interpret.Saliency(f).attribute([[1.0, 2.0]], target=0)
    assert f.calls == 0
