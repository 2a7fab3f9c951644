r"""Pictures of a convolution layer: its kernels (:func:`filters`) and the feature maps it
makes from one input (:func:`activations`), for both fronts.

A 2-D convolution with kernel ``w`` (out, in, kh, kw) and bias ``b`` computes feature map
``o`` as the correlation of every input channel with that channel's slice of the kernel:

    y[o, i, j] = b[o] + \sum_{c} \sum_{u < kh} \sum_{v < kw} w[o, c, u, v] x[c, i + u, j + v].

So ``w[o]`` is the pattern that map ``o`` answers most to: ``y[o, i, j]`` is large where
the patch of ``x`` under the window looks like ``w[o]`` (a dot product). PyTorch stores
``w`` as (out, in, kh, kw) (``nn.Conv2d.weight``); Keras as (kh, kw, in, out)
(``Conv2D.kernel``); both are read here.
"""
import numpy as np

from deepgrad.plot._figures import (
    as_numpy, check_save_to, finish, grid_shape, new_figure, panel_axes, require_matplotlib)

_LAYOUTS = ("oihw", "hwio")


def _kernel_oihw(layer_or_weights, layout):
    """``(kernel as (out, in, kh, kw), where it came from)``."""
    obj = layer_or_weights
    kind = type(obj).__name__
    if "Transpose" in kind or "Depthwise" in kind or "Separable" in kind:
        raise TypeError(f"filters: expected a plain 2-D convolution (nn.Conv2d or keras "
                        f"Conv2D) or its kernel, received {kind}, whose kernel has another "
                        f"layout")
    if hasattr(obj, "kernel_size"):                     # a convolution layer, either front
        if layout is not None:
            raise ValueError(f"filters: layout= is for raw kernels; the layout of a {kind} "
                             f"is known (received layout={layout!r})")
        if hasattr(obj, "weight"):                      # nn.Conv2d: (out, in, kh, kw)
            w, layout = as_numpy(obj.weight, f"{kind}.weight"), "oihw"
        elif getattr(obj, "kernel", None) is not None:  # Keras Conv2D: (kh, kw, in, out)
            w, layout = as_numpy(obj.kernel, f"{kind}.kernel"), "hwio"
        else:
            raise ValueError(f"filters: the {kind} is not built yet (no kernel); call the "
                             f"model on data or build it first")
        source = kind
    else:
        layout = "oihw" if layout is None else layout
        if layout not in _LAYOUTS:
            raise ValueError(f"filters: layout must be 'oihw' (PyTorch's (out, in, kh, kw)) "
                             f"or 'hwio' (Keras's (kh, kw, in, out)), received {layout!r}")
        try:
            w = as_numpy(obj, "filters")
        except TypeError:
            raise TypeError(f"filters: expected an nn.Conv2d, a Keras Conv2D or a kernel "
                            f"array, received {kind}") from None
        source = f"a {layout} kernel"
    if w.ndim != 4:
        expected = "(out, in, kh, kw)" if layout == "oihw" else "(kh, kw, in, out)"
        raise ValueError(f"filters: expected a 2-D convolution kernel of shape {expected} "
                         f"from {source}, received shape {w.shape}")
    return (w.transpose(3, 2, 0, 1) if layout == "hwio" else w), source


def filters(layer_or_weights, *, layout=None, in_channel=None, max_filters=64, ncols=None,
            cmap="RdBu_r", title=None, figsize=None, save_to=None):
    """The kernels of a 2-D convolution, one panel per output channel (filter).

    A first layer on grey images has one input channel: each panel is the (kh, kw) kernel
    ``w[o, 0]`` on a colour scale shared by all panels and centred on 0 (red positive,
    blue negative: the filter answers to light where it is red, to dark where it is
    blue). On RGB images (3 input channels) each panel is the (kh, kw, 3) kernel drawn as
    colours, every filter rescaled to [0, 1] by its own min and max. For other layers pick
    an input channel with ``in_channel``: panels are then ``w[o, in_channel]``.

    Args:
        layer_or_weights: an ``nn.Conv2d`` (``weight`` (out, in, kh, kw)), a Keras
            ``Conv2D`` (``kernel`` (kh, kw, in, out)), or a kernel array/tensor.
        layout ({"oihw", "hwio"}, optional): the layout of a raw kernel (default "oihw",
            PyTorch's; "hwio" is Keras's). Refused with a layer (its layout is known).
        in_channel (int, optional): the input channel whose slices are drawn (needed when
            the kernel has neither 1 nor 3 input channels).
        max_filters (int): draw the first ``max_filters`` filters.
        ncols (int, optional), cmap (str), title (str, optional), figsize (tuple,
            optional), save_to (str or path, optional): as :func:`deepgrad.plot.image_grid`
            (``cmap`` colours the single-channel slices).
    Returns:
        matplotlib.figure.Figure: one axis per filter drawn, each holding one image
        (``w[o, c]`` for one channel, the rescaled (kh, kw, 3) kernel for RGB), then a
        colour bar axis for single-channel slices.
    """
    check_save_to(save_to)
    w, _ = _kernel_oihw(layer_or_weights, layout)
    out, inputs = w.shape[:2]
    if in_channel is not None:
        if not isinstance(in_channel, (int, np.integer)) or not 0 <= in_channel < inputs:
            raise ValueError(f"filters: in_channel must be an integer in [0, {inputs}), "
                             f"received {in_channel!r}")
    elif inputs not in (1, 3):
        raise ValueError(f"filters: the kernel has {inputs} input channels; pass "
                         f"in_channel= to choose the one whose slices are drawn")
    if not isinstance(max_filters, int) or max_filters < 1:
        raise ValueError(f"max_filters: expected a positive integer, received {max_filters!r}")
    n = min(out, max_filters)
    rows, cols = grid_shape(n, ncols)
    require_matplotlib("deepgrad.plot.filters")
    w = w[:n].astype(np.float32)
    fig = new_figure(figsize or (1.1 * cols + 1.0, 1.1 * rows + 0.4))
    axes = panel_axes(fig, n, ncols)
    if inputs == 3 and in_channel is None:
        for ax, k in zip(axes, w):
            span = float(k.max() - k.min()) or 1.0
            ax.imshow((k.transpose(1, 2, 0) - k.min()) / span)
    else:
        c = 0 if in_channel is None else int(in_channel)
        bound = float(np.abs(w[:, c]).max()) or 1.0
        for ax, k in zip(axes, w[:, c]):
            image = ax.imshow(k, cmap=cmap, vmin=-bound, vmax=bound)
        fig.colorbar(image, ax=axes, shrink=0.8)
    for o, ax in enumerate(axes):
        ax.set_title(str(o), fontsize=7)
    fig.suptitle(title if title is not None else f"{out} filters {w.shape[2]}x{w.shape[3]}"
                 + (f", input channel {in_channel}" if in_channel is not None else ""))
    return finish(fig, save_to)


# ====================================================================== activations
def _nn_feature_maps(model, layer, x):
    """The output of submodule ``layer`` for input ``x``, caught by a forward hook."""
    import deepgrad
    if isinstance(layer, str):
        layer = model.get_submodule(layer)
    if not any(m is layer for m in model.modules()):
        raise ValueError(f"activations: the layer {type(layer).__name__} is not a submodule "
                         f"of the model")
    x = x if isinstance(x, deepgrad.Tensor) else deepgrad.tensor(
        np.asarray(as_numpy(x, "x"), dtype=np.float32))
    if x.ndim == 3:
        x = x.unsqueeze(0)
    _check_one(x.shape)
    caught = []
    handle = layer.register_forward_hook(lambda mod, args, out: caught.append(out))
    training = model.training
    model.eval()
    try:
        with deepgrad.no_grad():
            model(x)
    finally:
        handle.remove()
        model.train(training)
    if not caught:
        raise ValueError(f"activations: the model's forward never called the layer "
                         f"{type(layer).__name__}")
    return as_numpy(caught[0], "the layer's output"), "channels_first"


def _keras_feature_maps(model, layer, x):
    """The output of Keras layer ``layer`` for input ``x``: a Sequential runs its layers up
    to ``layer``; a functional model is cut at ``layer``'s output (a sub-model)."""
    from deepgrad.keras.models import Model, Sequential
    if isinstance(layer, str):
        layer = model.get_layer(layer)
    if not any(lyr is layer for lyr in model.layers):
        raise ValueError(f"activations: the layer {layer.name!r} is not one of the model's "
                         f"layers {[lyr.name for lyr in model.layers]}")
    x = np.asarray(as_numpy(x, "x"), dtype=np.float32)
    if isinstance(model, Sequential):
        shape = model._build_shape or model._input_shape_known
    elif getattr(model, "_functional", False):
        shape = model.inputs[0].shape if len(model.inputs) == 1 else None
    else:
        raise TypeError(f"activations: a subclassed Keras model ({type(model).__name__}) has "
                        f"no layer graph to cut; use a Sequential or functional model")
    if shape is None:
        raise ValueError("activations: the model's input shape is unknown (build it first, "
                         "one input only)")
    if x.ndim == len(shape) - 1:
        x = x[None]
    if x.ndim != len(shape):
        raise ValueError(f"activations: expected one input of shape {tuple(shape[1:])} (or "
                         f"a batch of one), received shape {x.shape}")
    _check_one(x.shape)
    if isinstance(model, Sequential):
        out = x
        for lyr in model.layers:
            out = lyr(out, training=False)
            if lyr is layer:
                break
    else:
        outputs = [t for node in model._nodes if node.layer is layer for t in node.outputs]
        if len(outputs) != 1:
            raise ValueError(f"activations: the layer {layer.name!r} has {len(outputs)} "
                             f"outputs in this model; expected one")
        out = Model(model.inputs, outputs[0])(x, training=False)
    return as_numpy(out, "the layer's output"), getattr(layer, "data_format", "channels_last")


def _check_one(shape):
    if shape[0] != 1:
        raise ValueError(f"activations: draws the feature maps of one input; received a "
                         f"batch of {shape[0]} (pass x[:1] or a single sample)")


def activations(model, layer, x, *, max_maps=64, ncols=None, cmap="viridis", title=None,
                figsize=None, save_to=None):
    """The feature maps of one layer for one input, one panel per channel.

    Panel ``o`` is ``y[o]``, the layer's output channel ``o`` (for a convolution, the map
    of the formula in this module's docstring, after the layer's own activation when it
    has one: Keras's ``Conv2D(activation="relu")``; an ``nn.Conv2d`` is pre-ReLU). Each
    panel has its own colour scale (``imshow``'s default), so the shape of every map is
    visible; compare strengths across maps with the colour bars' ranges in mind.

    Args:
        model: an ``nn.Module`` (the output is caught by a forward hook, the model run in
            eval mode under ``no_grad``) or a Keras ``Sequential``/functional model (run
            up to the layer, ``training=False``).
        layer: the layer, or its name (a dotted submodule path for ``nn``, the layer name
            for Keras); its output must be a 4-D image batch, (1, C, H, W) for ``nn`` and
            as the layer's ``data_format`` says for Keras (channels last by default).
        x: one input without the batch axis, or a batch of one.
        max_maps (int): draw the first ``max_maps`` channels.
        ncols, cmap, title, figsize, save_to: as :func:`deepgrad.plot.image_grid`.
    Returns:
        matplotlib.figure.Figure: one axis per channel drawn, each holding one (H, W)
        image, the channel's values.
    """
    check_save_to(save_to)
    if not isinstance(max_maps, int) or max_maps < 1:
        raise ValueError(f"max_maps: expected a positive integer, received {max_maps!r}")
    if hasattr(model, "register_forward_hook"):
        y, data_format = _nn_feature_maps(model, layer, x)
    elif hasattr(model, "get_layer"):
        y, data_format = _keras_feature_maps(model, layer, x)
    else:
        raise TypeError(f"activations: expected an nn.Module or a Keras model, received "
                        f"{type(model).__name__}")
    if y.ndim != 4:
        raise ValueError(f"activations: the layer's output has shape {y.shape}; expected "
                         f"feature maps (1, C, H, W) or (1, H, W, C)")
    maps = y[0] if data_format == "channels_first" else y[0].transpose(2, 0, 1)
    n = min(len(maps), max_maps)
    rows, cols = grid_shape(n, ncols)
    require_matplotlib("deepgrad.plot.activations")
    fig = new_figure(figsize or (1.3 * cols + 0.2, 1.3 * rows + 0.4))
    for c, ax in enumerate(panel_axes(fig, n, ncols)):
        ax.imshow(maps[c], cmap=cmap)
        ax.set_title(str(c), fontsize=7)
    name = layer if isinstance(layer, str) else getattr(layer, "name", type(layer).__name__)
    fig.suptitle(title if title is not None else
                 f"{name}: {len(maps)} feature maps {maps.shape[1]}x{maps.shape[2]}")
    return finish(fig, save_to)
