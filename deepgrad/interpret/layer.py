"""Layer attributions: GradCAM, Layer Integrated Gradients, upsampling to the input."""
import inspect

import numpy as np

import deepgrad
from deepgrad.interpret import _common, _layers
from deepgrad.interpret.attribution import Attribution, GradientAttribution
from deepgrad.interpret.integrated_gradients import (SUPPORTED_METHODS, check_steps,
                                                     integrate)


class LayerAttribution(Attribution):
    """Attributions to a layer's input or output rather than to the model's inputs.

    Args:
        forward_func: the model or function.
        layer: a :class:`deepgrad.nn.Module` or deepgrad.keras layer inside it.
        device_ids: Captum's DataParallel devices; deepgrad has one device, so only None.
    """

    _accepts_layer_list = False

    def __init__(self, forward_func, layer, device_ids=None):
        super().__init__(forward_func)
        _layers.check_layer(forward_func, layer, type(self).__name__,
                            allow_list=self._accepts_layer_list)
        _layers.check_device_ids(device_ids, type(self).__name__)
        self.layer = layer
        self.device_ids = device_ids

    @staticmethod
    def interpolate(layer_attribution, interpolate_dims, interpolate_mode="nearest", *,
                    data_format="channels_first"):
        """Resize a layer attribution to the input's size (``nn.functional.interpolate``),
        e.g. a GradCAM map of a conv layer's 7x7 output to the 28x28 image.

        Args:
            layer_attribution (Tensor or array): ``(N, C, *spatial)``, or
                ``(N, *spatial, C)`` with ``data_format="channels_last"`` (keras layers).
            interpolate_dims (int or tuple): the new spatial size.
            interpolate_mode (str): ``"nearest"``, ``"area"``, ``"linear"`` (3-D),
                ``"bilinear"``/``"bicubic"`` (4-D) or ``"trilinear"`` (5-D).
            data_format (str): ``"channels_first"`` (Captum's layout) or
                ``"channels_last"`` (a deepgrad extension for keras layers).
        Returns:
            the resized attribution, same kind and layout as given.
        """
        if data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"data_format: expected 'channels_first' or 'channels_last', "
                             f"received {data_format!r}")
        as_numpy = isinstance(layer_attribution, np.ndarray)
        t = _common.to_tensor(layer_attribution, "layer_attribution")
        if t.ndim not in (3, 4, 5):
            raise ValueError(f"layer_attribution: expected a 3-D, 4-D or 5-D tensor "
                             f"(batch, channels, spatial...), received shape {tuple(t.shape)}")
        last = data_format == "channels_last"
        if last:
            t = t.movedim(-1, 1)
        out = deepgrad.nn.functional.interpolate(t, interpolate_dims, mode=interpolate_mode)
        if last:
            out = out.movedim(1, -1)
        return _common.format_values(out, as_numpy)


def _grad_kwargs(grad_kwargs, method):
    grad_kwargs = dict(grad_kwargs or {})
    allowed = set(inspect.signature(deepgrad.autograd.grad).parameters) - {
        "outputs", "inputs", "grad_outputs"}
    unknown = sorted(set(grad_kwargs) - allowed)
    if unknown:
        raise TypeError(f"{method}: grad_kwargs {unknown} are not arguments of "
                        f"deepgrad.autograd.grad (accepted: {sorted(allowed)})")
    return grad_kwargs


class LayerGradCam(LayerAttribution, GradientAttribution):
    r"""GradCAM (Selvaraju et al., 2017, https://arxiv.org/abs/1610.02391) on a layer.

    With the layer's activations ``A`` (channels ``c``, spatial positions ``u``):

        w_c = mean_u dF_target / dA_{c,u}           (gradients averaged over positions)
        attr_u = sum_c w_c * A_{c,u}                (attr_dim_summation=True)

    optionally followed by ReLU (``relu_attributions=True``, the paper's form). For a
    4-D output the result has shape ``(N, 1, H, W)`` (``(N, H, W, 1)`` for a
    channels-last keras layer); upsample it with :meth:`LayerAttribution.interpolate`.
    A 2-D output (no positions) uses the gradients themselves.

    Args:
        forward_func: the model or function.
        layer: the layer, usually the last convolution.
        device_ids: only None (one device).
    """

    def attribute(self, inputs, target=None, additional_forward_args=None,
                  attribute_to_layer_input=False, relu_attributions=False,
                  attr_dim_summation=True, grad_kwargs=None):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            target, additional_forward_args: as for the other methods.
            attribute_to_layer_input (bool): use the layer's input instead of its output.
            relu_attributions (bool): keep only positive evidence.
            attr_dim_summation (bool): sum over the channel axis (False keeps ``w_c A_c``).
            grad_kwargs (dict): extra arguments for :func:`deepgrad.autograd.grad`.
        Returns:
            the GradCAM map(s), a tuple when the layer has several tensors.
        """
        xs, _, as_numpy = _common.format_inputs(inputs)
        _common.check_target(target, xs[0].shape[0])
        kwargs = _grad_kwargs(grad_kwargs, "LayerGradCam")
        extra = _common.format_additional_args(additional_forward_args)
        grads, evals = layer_gradients(self.forward_func, self.layer, xs, target, extra,
                                       attribute_to_layer_input, kwargs, "LayerGradCam")
        axis = _layers.channel_axis(self.layer)
        out = []
        for g, a in zip(grads, evals):
            if g.ndim > 2:
                c = axis % g.ndim
                spatial = tuple(d for d in range(1, g.ndim) if d != c)
                g = g.mean(dim=spatial, keepdim=True)
            scaled = g * a
            if attr_dim_summation:
                scaled = scaled.sum(dim=axis % scaled.ndim, keepdim=True)
            if relu_attributions:
                scaled = deepgrad.nn.functional.relu(scaled)
            out.append(scaled)
        return _common.format_output(tuple(out), len(out) > 1, as_numpy)


def layer_gradients(forward_func, layer, xs, target, extra, to_input, grad_kwargs, method):
    """``(dF_target/dA, A)`` for the layer's value ``A`` (tuples, one entry per tensor)."""
    calls = []

    def capture(tensors):
        fresh = tuple(t.detach().requires_grad_() if t.is_floating_point() else t
                      for t in tensors)
        calls.append(fresh)
        return fresh
    with deepgrad.enable_grad(), _layers.tap(layer, to_input, capture):
        out = _common.run_forward(forward_func, xs, target, extra)
    acts = _layers.one_call(calls, layer, method)
    _common.check_scalar_per_example(out, xs[0].shape[0], method)
    wanted = tuple(a for a in acts if a.requires_grad)
    if not out.requires_grad or not wanted:
        raise RuntimeError(f"{method}: the model's output does not depend on the layer's "
                           f"{'input' if to_input else 'output'} through differentiable "
                           f"operations")
    grad_kwargs.setdefault("allow_unused", True)
    grads = iter(deepgrad.autograd.grad(out.sum(), wanted, **grad_kwargs))
    full = tuple(_common.zeros_if_none(next(grads), a) if a.requires_grad
                 else deepgrad.zeros_like(a) for a in acts)
    return full, tuple(a.detach() for a in acts)


def layer_values(forward_func, layers, xs, extra, to_input, method):
    """Each layer's value (a tuple of detached tensors) when the model runs on ``xs``."""
    calls = [[] for _ in layers]
    with deepgrad.no_grad(), _layers.tap_all(layers, to_input, [c.append for c in calls]):
        _common.call_forward(forward_func, xs, extra)
    return [tuple(t.detach() for t in _layers.one_call(c, layer, method))
            for c, layer in zip(calls, layers)]


class LayerIntegratedGradients(LayerAttribution, GradientAttribution):
    r"""Integrated Gradients with respect to a layer's output (or input) ``A(x)``:

        LIG_j(x) = (A_j(x) - A_j(x')) * int_0^1 dF / dA_j at A(x') + a (A(x) - A(x')) da

    The model runs on the inputs with the layer's value replaced by the interpolated
    activations. Because the inputs themselves need no gradient, this explains models
    whose inputs are integers, such as token ids into an ``Embedding``: attribute to the
    embedding's output and sum over the embedding axis to get one score per token.

    Guarantee (completeness): ``sum_j LIG_j = F(x) - F(x')`` for the exact integral when
    every path from the input to the output passes through the layer;
    ``return_convergence_delta=True`` returns the gap (measured with ``F`` on the inputs).

    With a list of layers, every layer's value is replaced by its own interpolation in the
    same forward pass (Captum's rule: a layer downstream of another then cuts the upstream
    one's gradient), and a list of attributions comes back, one entry per layer.

    Args:
        forward_func: the model or function.
        layer: the layer (a module or keras layer), or a list of them.
        device_ids: only None.
        multiply_by_inputs (bool): multiply by ``A(x) - A(x')``.
    """

    _accepts_layer_list = True

    def __init__(self, forward_func, layer, device_ids=None, multiply_by_inputs=True):
        super().__init__(forward_func, layer, device_ids)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    def has_convergence_delta(self):
        return True

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps=50, method="gausslegendre", internal_batch_size=None,
                  return_convergence_delta=False, attribute_to_layer_input=False,
                  grad_kwargs=None):
        """Args:
            inputs: the batch to explain (integer token ids are fine).
            baselines: input-space baselines (None: zeros, e.g. a padding token id 0).
            target, additional_forward_args, n_steps, method, internal_batch_size,
            return_convergence_delta: as :meth:`IntegratedGradients.attribute`.
            attribute_to_layer_input (bool): attribute to the layer's input.
            grad_kwargs (dict): extra arguments for :func:`deepgrad.autograd.grad`.
        Returns:
            attributions with the layer value's shape (a tuple for several tensors; a list
            of those for a list of layers), and the deltas ``(N,)`` when asked.
        """
        name = "LayerIntegratedGradients"
        xs, _, as_numpy = _common.format_inputs(inputs)
        base = _common.tensorize_baselines(xs, _common.format_baselines(baselines, xs))
        if method not in SUPPORTED_METHODS:
            raise ValueError(f"method: expected one of {SUPPORTED_METHODS}, received "
                             f"{method!r}")
        check_steps(n_steps, method)
        _common.check_target(target, xs[0].shape[0])
        kwargs = _grad_kwargs(grad_kwargs, name)
        kwargs.setdefault("allow_unused", True)
        extra = _common.format_additional_args(additional_forward_args)
        layers = self.layer if isinstance(self.layer, list) else [self.layer]
        acts = layer_values(self.forward_func, layers, xs, extra, attribute_to_layer_input, name)
        acts_base = layer_values(self.forward_func, layers, base, extra,
                                 attribute_to_layer_input, name)
        sizes = [len(a) for a in acts]
        acts, acts_base = sum(acts, ()), sum(acts_base, ())
        for a in acts:
            if not a.is_floating_point():
                raise TypeError(f"{name}: the layer's value has dtype {a.dtype}, which "
                                f"carries no gradient; choose a layer with float outputs "
                                f"(e.g. the embedding)")
        carried = xs + (extra or ())

        def grad_fn(scaled, tgt, args):
            return self._layer_grads(scaled, tgt, args[:len(xs)], args[len(xs):] or None,
                                     attribute_to_layer_input, kwargs, layers, sizes)
        attrs = integrate(grad_fn, acts, acts_base, target, carried, n_steps, method,
                          internal_batch_size, self._multiply_by_inputs)
        groups = _split(attrs, sizes)
        per_layer = [_common.format_output(g, len(g) > 1, as_numpy) for g in groups]
        result = per_layer if isinstance(self.layer, list) else per_layer[0]
        if not return_convergence_delta:
            return result
        delta = _common.convergence_delta(self.forward_func, attrs, base, xs, target, extra)
        return result, _common.format_values(delta, as_numpy)

    def _layer_grads(self, scaled, target, xs, extra, to_input, grad_kwargs, layers, sizes):
        leaves = tuple(s.detach().requires_grad_() for s in scaled)
        calls = [[] for _ in layers]

        def replacer(own, record):
            def replace(tensors):
                if len(tensors) != len(own) or any(t.shape != s.shape
                                                   for t, s in zip(tensors, own)):
                    raise ValueError(
                        f"LayerIntegratedGradients: the layer's value has shapes "
                        f"{[tuple(t.shape) for t in tensors]} when the batch is repeated "
                        f"along its first axis, not {[tuple(s.shape) for s in own]}: the "
                        f"layer must keep the batch on its first axis")
                record.append(own)
                return own
            return replace
        fns = [replacer(own, record) for own, record in zip(_split(leaves, sizes), calls)]
        with deepgrad.enable_grad(), _layers.tap_all(layers, to_input, fns):
            out = _common.run_forward(self.forward_func, xs, target, extra)
        for record, layer in zip(calls, layers):
            _layers.one_call(record, layer, "LayerIntegratedGradients")
        _common.check_scalar_per_example(out, xs[0].shape[0], "LayerIntegratedGradients")
        if not out.requires_grad:
            raise RuntimeError("LayerIntegratedGradients: the model's output does not depend "
                               "on the layer through differentiable operations")
        grads = deepgrad.autograd.grad(out.sum(), leaves, **grad_kwargs)
        return tuple(_common.zeros_if_none(g, s) for g, s in zip(grads, leaves))


def _split(values, sizes):
    """``values`` cut into consecutive groups of the given sizes."""
    out, start = [], 0
    for n in sizes:
        out.append(tuple(values[start:start + n]))
        start += n
    return out
