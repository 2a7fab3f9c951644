r"""``GradSampleModule``: a module whose backward also leaves per-sample gradients
``p.grad_sample`` (N, *p.shape) on its parameters (Opacus's class and arguments).

For a layer with parameters theta, sample n's gradient is (chain rule through the layer's
output y_n, which depends on sample n alone)

    d l_n / d theta = (d y_n / d theta)^T  g_n ,     g_n = d l_n / d y_n,

which for the usual layers is a closed form in the layer's input ("activations") and g
("backprops"): for Linear, dW_n = g_n^T x_n (see the rule files in this package). Each
layer with trainable parameters gets one forward hook; it hands the layer's output on
through :class:`_CaptureBackprops`, an identity op that keeps the layer's inputs in the
graph (so they are freed with it, never cached on the layer) and, in backward, receives
dL/dy, turns it into per-sample gradients with the layer's rule and passes dL/dy on
unchanged. The usual ``.grad`` is computed as before.

With ``loss_reduction='mean'`` the loss is the batch mean, so dL/dy_n = g_n / N and the
backprops are multiplied by N first: ``p.grad_sample[n]`` is then the gradient of sample
n's own loss, and ``p.grad_sample.sum(0) / N == p.grad``.

A layer without a registered rule is handled by :func:`generic_grad_sample`, correct for
any layer that treats samples independently, at the cost of one small forward and
backward per sample. BatchNorm mixes samples and is refused.
"""
import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.autograd.grad_mode import enable_grad, is_grad_enabled
from deepgrad.autograd.gradients import grad as _autograd_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.module import Module
from deepgrad.ops.shape import getitem, reshape
from deepgrad.privacy.grad_sample.utils import find_grad_sampler, trainable_parameters
from deepgrad.privacy.validators import check_no_batch_norm


class _CaptureBackprops(Function):
    """y = x (one output) or the raveled concatenation of several outputs; backward hands
    dL/dy to ``sink(layer, activations, backprops)`` and returns it unchanged."""

    def forward(self, *ys, sink=None, layer=None, activations=None):
        self.sink, self.layer, self.activations = sink, layer, activations
        if len(ys) == 1:
            return ys[0]
        self.shapes = [y.shape for y in ys]
        return np.concatenate([y.reshape(-1) for y in ys])

    def backward(self, g):
        if len(self.needs_grad) == 1:
            self.sink(self.layer, self.activations, g)
            return g
        parts, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape, dtype=np.int64))
            parts.append(g[start:start + size].reshape(shape))
            start += size
        self.sink(self.layer, self.activations, parts)
        return tuple(parts)


def _flatten(out, acc):
    if isinstance(out, Tensor):
        acc.append(out)
    elif isinstance(out, (tuple, list)):
        for o in out:
            _flatten(o, acc)
    return acc


def _rebuild(out, it):
    if isinstance(out, Tensor):
        return next(it)
    if isinstance(out, (tuple, list)):
        return type(out)(_rebuild(o, it) for o in out)
    return out


def _arrays(values):
    return [v.array if isinstance(v, Tensor) else v for v in values]


def generic_grad_sample(layer, activations, kwargs, backprops, batch_dim=0):
    """Per-sample gradients of any layer that treats samples independently: for each
    sample n, the layer is run again on sample n's inputs alone and differentiated with
    sample n's backprops (one small forward and backward per sample; Opacus's functorch
    path computes the same with vmap). Random layers inside (dropout) would draw new
    masks, so such layers need a rule of their own.
    """
    params = [p for _, p in trainable_parameters(layer)]
    backprops = backprops if isinstance(backprops, list) else [backprops]
    first = next(a for a in activations if isinstance(a, np.ndarray))
    B = first.shape[batch_dim]
    out = {p: np.zeros((B,) + p.shape, p.dtype) for p in params}

    def take(a, n):
        if isinstance(a, np.ndarray) and a.ndim > batch_dim and a.shape[batch_dim] == B:
            return Tensor(np.take(a, [n], axis=batch_dim))
        return a
    for n in range(B):
        with enable_grad():
            y = layer(*[take(a, n) for a in activations], **kwargs)
        ys = [t for t in _flatten(y, []) if t.requires_grad]
        gs = [Tensor(np.take(g, [n], axis=batch_dim)) for g in backprops if g is not None]
        if len(ys) != len(gs):
            raise RuntimeError(f"per-sample gradients of {type(layer).__name__}: the layer "
                               f"gave {len(ys)} differentiable outputs on one sample and "
                               f"{len(gs)} on the batch")
        grads = _autograd_grad(ys, params, grad_outputs=gs, allow_unused=True)
        for p, gp in zip(params, grads):
            if gp is not None:
                out[p][n] = gp.array
    return out


class GradSampleModule(Module):
    """Wraps ``m`` so that backward also computes per-sample gradients (``p.grad_sample``).

    Args:
        m (Module): the model.
        batch_first (bool): the batch is axis 0 of every layer's input and output (False:
            axis 1, as a time-major recurrent model).
        loss_reduction (str): 'mean' (the loss is the batch mean: backprops are scaled by
            the batch size) or 'sum'.
        strict (bool): check the model first: BatchNorm layers (which mix samples) raise.
        force_functorch (bool): compute every layer with the generic per-sample path
            (:func:`generic_grad_sample`) instead of the closed forms (Opacus: functorch).

    ``p.grad_sample`` is a Tensor (N, *p.shape) after one backward, a list of them after
    several backward passes without ``zero_grad`` (each pass is one batch). Calls of the
    same layer within one pass (shared weights, time steps) add up.

    Example:
        >>> gsm = GradSampleModule(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
        >>> F.cross_entropy(gsm(x), y).backward()
        >>> gsm._module[0].weight.grad_sample.shape        # (N, 3, 4)
    """

    def __init__(self, m, *, batch_first=True, loss_reduction="mean", strict=True,
                 force_functorch=False):
        super().__init__()
        if not isinstance(m, Module):
            raise TypeError(f"GradSampleModule: expected a deepgrad.nn.Module, received "
                            f"{type(m).__name__}")
        if loss_reduction not in ("mean", "sum"):
            raise ValueError(f"GradSampleModule: loss_reduction must be 'mean' or 'sum', "
                             f"received {loss_reduction!r}")
        if strict:
            check_no_batch_norm(m)
        self._module = m
        self.batch_first, self.loss_reduction = batch_first, loss_reduction
        self.force_functorch = force_functorch
        self.hooks_enabled = False
        self._handles = []
        self._pass = 0           # forward passes so far: a capture remembers its pass
        self._last_pass = {}     # id(p) -> the pass p.grad_sample's last entry comes from
        self.add_hooks()

    def forward(self, *args, **kwargs):
        self._pass += 1
        return self._module(*args, **kwargs)

    # ------------------------------------------------------------------ hooks
    def trainable_layers(self):
        """[(name, layer)] of the submodules that own trainable parameters."""
        return [(n, m) for n, m in self._module.named_modules() if trainable_parameters(m)]

    def add_hooks(self):
        """Hook every layer with trainable parameters; ``p.grad_sample`` starts as None."""
        if self._handles:
            raise ValueError("GradSampleModule: hooks are already attached")
        for _, layer in self.trainable_layers():
            for _, p in trainable_parameters(layer):
                p.grad_sample = None
            self._handles.append(layer.register_forward_hook(self._capture, with_kwargs=True))
        self.hooks_enabled = True

    def remove_hooks(self):
        for h in self._handles:
            h.remove()
        self._handles = []
        self.hooks_enabled = False

    def disable_hooks(self):
        """Stop computing per-sample gradients (the hooks stay attached)."""
        self.hooks_enabled = False

    def enable_hooks(self):
        self.hooks_enabled = True

    def _capture(self, layer, args, kwargs, output):
        if not self.hooks_enabled or not is_grad_enabled():
            return None
        outs = [t for t in _flatten(output, []) if t.requires_grad]
        if not outs:
            return None
        activations = (self._pass, _arrays(args), {k: v.array if isinstance(v, Tensor) else v
                                       for k, v in kwargs.items()})
        captured = _CaptureBackprops.apply(*outs, sink=self._on_backprops, layer=layer,
                                           activations=activations)
        if len(outs) == 1:
            new = [captured]
        else:
            new, start = [], 0
            for t in outs:
                new.append(reshape(getitem(captured, slice(start, start + t.array.size)),
                                   t.shape))
                start += t.array.size
        it = iter(new)
        return _rebuild(output, iter([next(it) if isinstance(t, Tensor) and t.requires_grad
                                      else t for t in _flatten(output, [])]))

    # ------------------------------------------------------------------ per-sample rule
    def _on_backprops(self, layer, activations, backprops):
        pass_id, args, kwargs = activations
        rule = None if self.force_functorch else find_grad_sampler(layer)
        layout_aware = getattr(rule, "handles_batch_dim", False)
        batch_dim = 0 if (self.batch_first or layout_aware) else 1
        if rule is not None and layout_aware:
            grads = rule(layer, args, backprops, kwargs=kwargs, loss_reduction=self.loss_reduction)
        else:
            first = next((a for a in args if isinstance(a, np.ndarray)), None)
            if first is None:
                raise ValueError(f"per-sample gradients of {type(layer).__name__}: the layer "
                                 f"received no array input to take the batch size from")
            n = first.shape[batch_dim]
            gs = backprops if isinstance(backprops, list) else [backprops]
            if self.loss_reduction == "mean":
                gs = [None if g is None else g * n for g in gs]
            if rule is None:
                enabled, self.hooks_enabled = self.hooks_enabled, False   # no capture inside
                try:
                    grads = generic_grad_sample(layer, args, kwargs,
                                                gs if isinstance(backprops, list) else gs[0],
                                                batch_dim)
                finally:
                    self.hooks_enabled = enabled
            else:
                if batch_dim == 1:
                    args = [np.swapaxes(a, 0, 1) if isinstance(a, np.ndarray) else a
                            for a in args]
                    gs = [None if g is None else np.swapaxes(g, 0, 1) for g in gs]
                grads = rule(layer, args, gs if isinstance(backprops, list) else gs[0])
        for p, gs in grads.items():
            self._accumulate(p, gs, pass_id)

    def _accumulate(self, p, grad_sample, pass_id):
        """Add to p's per-sample gradients of the same forward pass (shared weights, time
        steps), or start a new entry for a new pass (a list after the first)."""
        current = getattr(p, "grad_sample", None)
        if current is not None and self._last_pass.get(id(p)) == pass_id:
            last = current[-1] if isinstance(current, list) else current
            if last.shape == grad_sample.shape:
                np.add(last.array, grad_sample, out=last.array)
                return
        self._last_pass[id(p)] = pass_id
        gs = Tensor._wrap(np.asarray(grad_sample))
        if current is None:
            p.grad_sample = gs
        elif isinstance(current, list):
            current.append(gs)
        else:
            p.grad_sample = [current, gs]

    # ------------------------------------------------------------------ housekeeping
    def zero_grad(self, set_to_none=True):
        """Clear ``.grad`` and ``.grad_sample`` of every parameter."""
        self.del_grad_sample()
        super().zero_grad(set_to_none)

    def del_grad_sample(self):
        for p in self.parameters():
            if getattr(p, "grad_sample", None) is not None:
                p.grad_sample = None
        self._last_pass.clear()

    def to_standard_module(self):
        """The wrapped model, hooks removed."""
        self._close()
        return self._module

    def _close(self):
        self.del_grad_sample()
        self.remove_hooks()

    def __repr__(self):
        return f"GradSampleModule({self._module!r})"
