"""Pictures of attributions through matplotlib (an optional extra: ``pip install matplotlib``
or ``deepgrad[interpret]``), with Captum's ``visualization`` names and arguments.

Images are ``(H, W, C)`` or ``(H, W)`` arrays (channels last, as matplotlib draws them;
transpose a ``(C, H, W)`` attribution first). Before drawing, attributions are summed over
channels, filtered by ``sign`` and divided by a robust maximum: the value below which
``100 - outlier_perc`` percent of the total absolute attribution lies, then clipped to
[-1, 1] (Captum's normalisation), so a few extreme pixels do not wash out the map.
"""
import warnings

import numpy as np

from deepgrad.plot._figures import new_figure, require_matplotlib

_METHODS = ("heat_map", "blended_heat_map", "original_image", "masked_image", "alpha_scaling")
_SIGNS = ("positive", "absolute_value", "negative", "all")


def _plt():
    return require_matplotlib("deepgrad.interpret.visualization")


def _array(a, name):
    if a is None:
        return None
    if hasattr(a, "detach"):
        a = a.detach()
    if hasattr(a, "numpy") and not isinstance(a, np.ndarray):
        a = a.numpy()
    a = np.asarray(a)
    if a.ndim not in (2, 3):
        raise ValueError(f"{name}: expected an image of shape (H, W) or (H, W, C), received "
                         f"shape {a.shape}")
    return a


def cumulative_sum_threshold(values, percentile):
    """The smallest value ``t`` of ``values`` such that the values up to ``t`` (sorted)
    hold ``percentile`` percent of their total."""
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be between 0 and 100, received {percentile}")
    ordered = np.sort(values.ravel())
    sums = np.cumsum(ordered)
    return ordered[np.flatnonzero(sums >= sums[-1] * 0.01 * percentile)[0]]


def normalize_attr(attr, sign, outlier_perc=2):
    r"""Attributions scaled to [-1, 1] for drawing (Captum's ``_normalize_attr``):

        a = attr summed over channels, filtered by sign (max(a, 0), min(a, 0), |a| or a)
        t = cumulative_sum_threshold(|a|, 100 - outlier_perc)   (negated for "negative")
        result = clip(a / t, -1, 1)

    An all-zero map stays zero (with a warning) instead of dividing by zero.
    """
    if sign not in _SIGNS:
        raise ValueError(f"sign: expected one of {_SIGNS}, received {sign!r}")
    attr = np.asarray(attr, dtype=np.float64)
    if attr.ndim == 3:
        attr = attr.sum(axis=2)
    attr = {"all": attr, "positive": np.maximum(attr, 0), "negative": np.minimum(attr, 0),
            "absolute_value": np.abs(attr)}[sign]
    threshold = cumulative_sum_threshold(np.abs(attr), 100.0 - outlier_perc)
    if sign == "negative":
        threshold = -threshold
    if threshold == 0:
        warnings.warn("the attributions are all zero for this sign; the map is blank",
                      stacklevel=2)
        return np.zeros_like(attr)
    if abs(threshold) < 1e-5:
        warnings.warn("normalising by a value close to 0: the attributions are all close to "
                      "0 and the picture may mislead", stacklevel=2)
    return np.clip(attr / threshold, -1, 1)


def _prepare_image(values):
    return np.clip(values.astype(int), 0, 255)


def _default_cmap(sign):
    from matplotlib.colors import LinearSegmentedColormap
    if sign == "all":
        return LinearSegmentedColormap.from_list("RdWhGn", ["red", "white", "green"]), -1, 1
    return {"positive": "Greens", "negative": "Reds", "absolute_value": "Blues"}[sign], 0, 1


def _figure(plt_fig_axis, use_pyplot, fig_size, **kwargs):
    if plt_fig_axis is not None:
        return plt_fig_axis
    fig = new_figure(fig_size, use_pyplot=use_pyplot)
    return fig, fig.subplots(**kwargs)


def visualize_image_attr(attr, original_image=None, method="heat_map", sign="absolute_value",
                         plt_fig_axis=None, outlier_perc=2, cmap=None, alpha_overlay=0.5,
                         show_colorbar=False, title=None, fig_size=(6, 6), use_pyplot=True):
    """Draw one image attribution.

    Args:
        attr (array or tensor): ``(H, W, C)`` or ``(H, W)`` attributions.
        original_image: the image, ``(H, W, C)`` or ``(H, W)``; values in [0, 1] are
            scaled to [0, 255]. Needed by every method but ``"heat_map"``.
        method (str): ``"heat_map"`` (the normalised map), ``"blended_heat_map"`` (the map
            over the grey image, ``alpha_overlay`` opaque), ``"original_image"``,
            ``"masked_image"`` (the image times the normalised map) or
            ``"alpha_scaling"`` (the map as the image's alpha channel).
        sign (str): ``"positive"``, ``"negative"``, ``"absolute_value"`` or ``"all"``
            (masked_image and alpha_scaling need a single sign).
        plt_fig_axis (tuple): ``(figure, axis)`` to draw into (else a new figure).
        outlier_perc (float): percent of the total attribution treated as outliers.
        cmap: a matplotlib colormap (default: Greens/Reds/Blues, red-white-green for all).
        alpha_overlay (float): opacity of the blended heat map.
        show_colorbar (bool): add a colour bar below the axis.
        title (str): the axis title.
        fig_size (tuple): size of a new figure, inches.
        use_pyplot (bool): create the figure with pyplot and ``plt.show()`` it; False
            draws on a plain ``Figure`` (no window; save it with ``fig.savefig``).
    Returns:
        ``(figure, axis)``.
    """
    _plt()
    if method not in _METHODS:
        raise ValueError(f"method: expected one of {_METHODS}, received {method!r}")
    if sign not in _SIGNS:
        raise ValueError(f"sign: expected one of {_SIGNS}, received {sign!r}")
    attr = _array(attr, "attr")
    image = _array(original_image, "original_image")
    if image is None and method != "heat_map":
        raise ValueError(f"method={method!r} draws on the image: pass original_image")
    if image is not None:
        if image.shape[:2] != attr.shape[:2]:
            raise ValueError(f"original_image has shape {image.shape} but attr has "
                             f"{attr.shape}: their (H, W) must match")
        if image.ndim == 2:
            image = image[:, :, None]
        if np.max(image) <= 1.0:
            image = _prepare_image(image * 255)
    if method in ("masked_image", "alpha_scaling") and sign == "all":
        raise ValueError(f"method={method!r} cannot show positive and negative attributions "
                         f"together; choose sign='positive', 'negative' or 'absolute_value'")
    fig, axis = _figure(plt_fig_axis, use_pyplot, fig_size)
    axis.set_xticks([])
    axis.set_yticks([])
    axis.grid(visible=False)
    norm = normalize_attr(attr, sign, outlier_perc)
    default, vmin, vmax = _default_cmap(sign)
    cmap = default if cmap is None else cmap
    heat = None
    if method == "heat_map":
        heat = axis.imshow(norm, cmap=cmap, vmin=vmin, vmax=vmax)
    elif method == "blended_heat_map":
        axis.imshow(image.mean(axis=2), cmap="gray")
        heat = axis.imshow(norm, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha_overlay)
    elif method == "original_image":
        axis.imshow(image[:, :, 0] if image.shape[2] == 1 else image,
                    cmap="gray" if image.shape[2] == 1 else None)
    elif method == "masked_image":
        masked = _prepare_image(image * norm[:, :, None])
        axis.imshow(masked[:, :, 0] if masked.shape[2] == 1 else masked,
                    cmap="gray" if masked.shape[2] == 1 else None, vmin=0, vmax=255)
    else:
        rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image
        axis.imshow(np.concatenate([rgb, _prepare_image(norm[:, :, None] * 255)],
                                   axis=2).astype(np.uint8))
    if show_colorbar:
        from mpl_toolkits.axes_grid1 import make_axes_locatable
        cax = make_axes_locatable(axis).append_axes("bottom", size="5%", pad=0.1)
        if heat is not None:
            fig.colorbar(heat, orientation="horizontal", cax=cax)
        else:
            cax.axis("off")
    if title:
        axis.set_title(title)
    if use_pyplot and plt_fig_axis is None:
        import matplotlib.pyplot as plt
        plt.show()
    return fig, axis


def visualize_image_attr_multiple(attr, original_image, methods, signs, titles=None,
                                  fig_size=(8, 6), use_pyplot=True, **kwargs):
    """Several views of one attribution side by side (one axis per method/sign pair).

    Args:
        attr, original_image: as :func:`visualize_image_attr`.
        methods (list of str), signs (list of str): one entry per panel.
        titles (list of str): panel titles.
        fig_size (tuple), use_pyplot (bool): as :func:`visualize_image_attr`.
        **kwargs: passed to :func:`visualize_image_attr` (outlier_perc, cmap, ...).
    Returns:
        ``(figure, list of axes)``.
    """
    _plt()
    if len(methods) != len(signs) or (titles is not None and len(titles) != len(methods)):
        raise ValueError(f"methods ({len(methods)}), signs ({len(signs)}) and titles must "
                         f"have the same length")
    fig, axes = _figure(None, use_pyplot, fig_size, nrows=1, ncols=len(methods))
    axes = list(np.atleast_1d(axes))
    for i, (m, s) in enumerate(zip(methods, signs)):
        visualize_image_attr(attr, original_image, method=m, sign=s, plt_fig_axis=(fig, axes[i]),
                             use_pyplot=False, title=titles[i] if titles else None, **kwargs)
    fig.tight_layout()
    if use_pyplot:
        import matplotlib.pyplot as plt
        plt.show()
    return fig, axes


def visualize_tabular_attr(attrs, feature_names=None, title=None, plt_fig_axis=None,
                           fig_size=(7, 4), use_pyplot=True, sort=False):
    """A horizontal bar chart of tabular attributions (a deepgrad addition; Captum's
    tutorials draw it by hand): one group of bars per feature, one bar per method.

    Args:
        attrs: a 1-D array/tensor of attributions, or a dict ``{label: 1-D attributions}``
            comparing several methods (equal lengths).
        feature_names (list of str): the features' names (default ``x0, x1, ...``).
        title (str): the axis title.
        plt_fig_axis, fig_size, use_pyplot: as :func:`visualize_image_attr`.
        sort (bool): order features by the first method's absolute attribution.
    Returns:
        ``(figure, axis)``.
    """
    _plt()
    series = attrs if isinstance(attrs, dict) else {"attribution": attrs}
    values = {k: np.asarray(getattr(v, "numpy", lambda v=v: v)(), dtype=float).reshape(-1)
              for k, v in series.items()}
    lengths = {len(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError(f"visualize_tabular_attr: every method needs one value per feature; "
                         f"received lengths {sorted(lengths)}")
    count = lengths.pop()
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(count)]
    if len(names) != count:
        raise ValueError(f"feature_names has {len(names)} names for {count} features")
    order = np.arange(count)
    if sort:
        order = np.argsort(-np.abs(next(iter(values.values()))), kind="stable")
    fig, axis = _figure(plt_fig_axis, use_pyplot, fig_size)
    height = 0.8 / len(values)
    positions = np.arange(count)
    for k, (label, v) in enumerate(values.items()):
        axis.barh(positions + (k - (len(values) - 1) / 2) * height, v[order], height=height,
                  label=label)
    axis.set_yticks(positions)
    axis.set_yticklabels([names[i] for i in order])
    axis.invert_yaxis()
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_xlabel("attribution")
    if len(values) > 1:
        axis.legend()
    if title:
        axis.set_title(title)
    if use_pyplot and plt_fig_axis is None:
        import matplotlib.pyplot as plt
        plt.show()
    return fig, axis
