"""deepgrad.interpret.visualization: the normalisation (NumPy and Captum), what each method
draws, the tabular bar chart, and bad arguments. Needs matplotlib (an optional extra)."""
import numpy as np
import pytest

import deepgrad
from deepgrad.interpret import visualization as viz


def attribution(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 8, 1)) * np.linspace(0.1, 3, 64).reshape(8, 8, 1)


def test_normalisation_by_the_cumulative_sum_threshold():
    a = attribution()[:, :, 0]
    flat = np.sort(np.abs(a).ravel())
    t = flat[np.searchsorted(np.cumsum(flat), np.cumsum(flat)[-1] * 0.98)]
    np.testing.assert_allclose(viz.normalize_attr(a, "absolute_value"), np.clip(np.abs(a) / t, 0, 1))
    np.testing.assert_allclose(viz.normalize_attr(a, "all", 0), a / np.abs(a).max())
    neg = viz.normalize_attr(a, "negative", 5)
    assert neg.min() >= 0 and neg[a > 0].max() == 0
    with pytest.warns(UserWarning, match="all zero"):
        np.testing.assert_array_equal(viz.normalize_attr(np.zeros((3, 3)), "positive"), 0)


@pytest.mark.parametrize("sign", ["positive", "negative", "absolute_value", "all"])
def test_normalisation_matches_captum(sign):
    _normalize_attr = pytest.importorskip("captum.attr._utils.visualization")._normalize_attr
    a = attribution(1)
    np.testing.assert_allclose(viz.normalize_attr(a, sign, 3), _normalize_attr(a[:, :, 0], sign, 3))


def test_each_method_draws_what_it_says():
    pytest.importorskip("matplotlib")
    a = attribution(2)
    image = np.random.default_rng(3).uniform(0, 1, (8, 8, 1))
    norm = viz.normalize_attr(a, "absolute_value")
    fig, ax = viz.visualize_image_attr(a, use_pyplot=False)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), norm)
    fig, ax = viz.visualize_image_attr(deepgrad.from_numpy(a), image, "blended_heat_map",
                                       "all", use_pyplot=False, show_colorbar=True, title="t")
    layers = ax.get_images()
    np.testing.assert_allclose(layers[0].get_array(), (image * 255).astype(int)[:, :, 0])
    assert layers[1].get_alpha() == 0.5 and ax.get_title() == "t"
    fig, ax = viz.visualize_image_attr(a, image, "masked_image", "positive", use_pyplot=False)
    expected = np.clip(((image * 255).astype(int) * viz.normalize_attr(a, "positive")[:, :, None])
                       .astype(int), 0, 255)[:, :, 0]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), expected)
    for method in ("original_image", "alpha_scaling"):
        fig, ax = viz.visualize_image_attr(a, image, method, "absolute_value", use_pyplot=False)
        assert len(ax.get_images()) == 1
    fig, axes = viz.visualize_image_attr_multiple(a, image, ["heat_map", "masked_image"],
                                                  ["all", "positive"], use_pyplot=False)
    assert len(axes) == 2


def test_tabular_bar_chart():
    pytest.importorskip("matplotlib")
    values = {"KernelShap": np.array([0.5, -1.0, 0.1]), "Lime": np.array([0.4, -0.8, 0.0])}
    fig, ax = viz.visualize_tabular_attr(values, ["a", "b", "c"], title="house", sort=True,
                                         use_pyplot=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a", "c"]
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, sorted(np.concatenate(list(values.values()))))
    with pytest.raises(ValueError, match="one value per feature"):
        viz.visualize_tabular_attr({"a": np.ones(3), "b": np.ones(2)}, use_pyplot=False)


def test_bad_arguments():
    pytest.importorskip("matplotlib")
    a = attribution()
    with pytest.raises(ValueError, match="pass original_image"):
        viz.visualize_image_attr(a, method="blended_heat_map", use_pyplot=False)
    with pytest.raises(ValueError, match="method: expected one of"):
        viz.visualize_image_attr(a, method="contour", use_pyplot=False)
    with pytest.raises(ValueError, match="cannot show positive and negative"):
        viz.visualize_image_attr(a, a, method="masked_image", sign="all", use_pyplot=False)
    with pytest.raises(ValueError, match=r"\(H, W\) must match"):
        viz.visualize_image_attr(a, np.ones((7, 8, 1)), method="masked_image", use_pyplot=False)
    with pytest.raises(ValueError, match=r"expected an image of shape \(H, W\)"):
        viz.visualize_image_attr(np.ones((1, 8, 8, 1)), use_pyplot=False)
