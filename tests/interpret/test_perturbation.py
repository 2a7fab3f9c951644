"""FeatureAblation and Occlusion: NumPy references on linear models, then Captum."""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as dnn
from deepgrad.interpret import FeatureAblation, Occlusion
from interpret_twins import assert_close, captum_attr, images, nn_cnn, to_torch


def linear_model(n_in=6, seed=0):
    deepgrad.manual_seed(seed)
    return dnn.Linear(n_in, 3, dtype=deepgrad.float64)


def test_feature_ablation_of_a_linear_model():
    model = linear_model()
    w = model.weight.detach().numpy()
    x = np.random.default_rng(0).normal(size=(4, 6))
    np.testing.assert_allclose(FeatureAblation(model).attribute(x, target=1), x * w[1])
    mask = np.array([[0, 0, 1, 1, 2, 2]])
    got = FeatureAblation(model).attribute(x, baselines=0.5, target=2, feature_mask=mask,
                                           perturbations_per_eval=2)
    contrib = (x - 0.5) * w[2]
    groups = np.stack([contrib[:, 0:2].sum(1), contrib[:, 2:4].sum(1), contrib[:, 4:6].sum(1)], 1)
    np.testing.assert_allclose(got, np.repeat(groups, 2, axis=1), rtol=1e-12)


def test_feature_ablation_per_example_masks_tuples_and_batch_outputs():
    model = linear_model(4)
    w = model.weight.detach().numpy()

    def two_inputs(a, b):
        return model(deepgrad.cat([a, b], dim=1))
    a, b = np.ones((2, 2)), np.full((2, 2), 2.0)
    masks = (np.array([[0, 1], [0, 0]]), np.array([[1, 1], [1, 0]]))   # cross-input groups
    ga, gb = FeatureAblation(two_inputs).attribute((a, b), target=0, feature_mask=masks)
    contrib = np.concatenate([a, b], 1) * w[0]
    g0 = np.array([contrib[0, 0], contrib[1, :2].sum() + contrib[1, 3]])
    g1 = np.array([contrib[0, 1:].sum(), contrib[1, 2]])
    np.testing.assert_allclose(ga, [[g0[0], g1[0]], [g0[1], g0[1]]])
    np.testing.assert_allclose(gb, [[g1[0], g1[0]], [g1[1], g0[1]]])
    # one value for the whole batch: attributions with a first axis of 1
    total = FeatureAblation(lambda t: model(t)[:, 1].sum()).attribute(np.ones((3, 4)))
    np.testing.assert_allclose(total, 3 * w[1][None, :])


def test_occlusion_of_a_linear_model():
    """Each element's attribution is the mean over the windows covering it of the
    window's total contribution."""
    model = linear_model(6)
    w = model.weight.detach().numpy()
    x = np.random.default_rng(1).normal(size=(2, 6))
    contrib = x * w[0]
    windows = [(0, 3), (2, 5), (4, 6)]          # width 3, stride 2, cut at the border
    total, count = np.zeros_like(x), np.zeros(6)
    for s, e in windows:
        total[:, s:e] += contrib[:, s:e].sum(1, keepdims=True)
        count[s:e] += 1
    got = Occlusion(model).attribute(x, sliding_window_shapes=(3,), strides=2, target=0,
                                     perturbations_per_eval=3)
    np.testing.assert_allclose(got, total / count, rtol=1e-12)


def test_results_do_not_depend_on_perturbations_per_eval():
    model, _ = nn_cnn()
    x = images(2)
    one = Occlusion(model).attribute(x, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2),
                                     target=1)
    many = Occlusion(model).attribute(x, sliding_window_shapes=(1, 3, 3), strides=(1, 2, 2),
                                      target=1, perturbations_per_eval=7)
    np.testing.assert_allclose(one, many, rtol=1e-12)


# ------------------------------------------------------------------------------ Captum
@pytest.mark.parametrize("kwargs", [
    dict(sliding_window_shapes=(1, 3, 3)),
    dict(sliding_window_shapes=(1, 4, 3), strides=(1, 3, 2), baselines=0.3,
         perturbations_per_eval=4),
    dict(sliding_window_shapes=(1, 2, 5), strides=2, perturbations_per_eval=2)])
def test_occlusion_matches_captum(kwargs):
    attr = captum_attr()
    model, make = nn_cnn(softmax=True)
    x = images(3)
    assert_close(Occlusion(model).attribute(x, target=[2, 0, 1], **kwargs),
                 attr.Occlusion(make()).attribute(to_torch(x), target=[2, 0, 1], **kwargs))


def test_occlusion_with_tensor_baselines_matches_captum():
    attr = captum_attr()
    model, make = nn_cnn()
    x, base = images(2), images(2, seed=3)
    ours = Occlusion(model).attribute(x, (1, 3, 3), (1, 2, 2), base, target=3)
    theirs = attr.Occlusion(make()).attribute(to_torch(x), (1, 3, 3), (1, 2, 2), to_torch(base),
                                              target=3)
    assert_close(ours, theirs)


def test_feature_ablation_matches_captum():
    attr = captum_attr()
    model, make = nn_cnn(softmax=True)
    tmodel = make()
    x = images(3)
    mask = np.arange(100).reshape(1, 1, 10, 10) // 10
    per_example = np.stack([np.arange(100).reshape(1, 10, 10) % k for k in (3, 5, 7)])
    for kw, tkw in ((dict(), dict()),
                    (dict(feature_mask=mask, perturbations_per_eval=3),
                     dict(feature_mask=to_torch(mask), perturbations_per_eval=3)),
                    (dict(feature_mask=per_example, baselines=0.2),
                     dict(feature_mask=to_torch(per_example), baselines=0.2))):
        assert_close(FeatureAblation(model).attribute(x, target=[0, 1, 3], **kw),
                     attr.FeatureAblation(tmodel).attribute(to_torch(x), target=[0, 1, 3], **tkw))
