"""What every attribution method shares: inputs, baselines, targets, forward and gradients.

Inputs are a tensor or a tuple of tensors whose first axis is the batch (Captum's
convention). deepgrad tensors and NumPy arrays are both accepted; attributions come back
as the same kind (NumPy arrays in, NumPy arrays out), with the inputs' shapes.

Targets follow Captum's ``_select_targets`` rules. With a model output ``F(x)`` of shape
``(N, C)``:

* ``None``: the output itself (it must hold one scalar per example, shape ``(N,)``);
* an int ``t`` (or a one-element integer tensor): ``F(x)[:, t]`` for every example;
* a tuple ``(i, j, ...)``: ``F(x)[:, i, j, ...]`` for outputs with more axes;
* a list of ints or a 1-D integer tensor/array of length ``N``: ``F(x)[n, t_n]``;
* a list of ``N`` tuples: ``F(x)[(n,) + t_n]``.

An index out of range raises an ``IndexError`` naming the target and the output's shape
before any gradient or attribution is computed.
"""
import sys

import numpy as np

import deepgrad
from deepgrad.autograd.tensor import Tensor


# ------------------------------------------------------------------------------ kinds
def keras_layer_class():
    """deepgrad.keras's ``Layer`` class if deepgrad.keras is loaded, else None (a keras
    model cannot exist without it, so nothing is imported here)."""
    mod = sys.modules.get("deepgrad.keras.layers.layer")
    return getattr(mod, "Layer", None)


def is_keras_layer(obj):
    cls = keras_layer_class()
    return cls is not None and isinstance(obj, cls)


def _kind(x):
    return "a " + type(x).__name__


# ------------------------------------------------------------------------------ inputs
def to_tensor(x, what="inputs"):
    """A deepgrad tensor from a tensor or NumPy array (no copy for arrays)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return deepgrad.from_numpy(x)
    raise TypeError(f"{what}: expected a deepgrad Tensor or a NumPy array, received "
                    f"{_kind(x)}")


def format_inputs(inputs):
    """``(tuple of tensors, is_tuple, as_numpy)``; every input must share the batch size."""
    is_tuple = isinstance(inputs, tuple)
    items = inputs if is_tuple else (inputs,)
    if not items:
        raise ValueError("inputs: expected a tensor or a non-empty tuple of tensors, "
                         "received an empty tuple")
    as_numpy = all(isinstance(x, np.ndarray) for x in items)
    tensors = tuple(to_tensor(x, f"inputs[{i}]" if is_tuple else "inputs")
                    for i, x in enumerate(items))
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"inputs[{i}] is a scalar: expected a batch whose first axis "
                             f"indexes the examples")
        if t.shape[0] != tensors[0].shape[0]:
            raise ValueError(f"inputs[{i}] has {t.shape[0]} examples but inputs[0] has "
                             f"{tensors[0].shape[0]}: every input needs the same batch size")
    return tensors, is_tuple, as_numpy


def format_output(values, is_tuple, as_numpy):
    """Attributions in the caller's form: a tuple when the inputs were one, NumPy arrays
    when they were arrays; deepgrad tensors (detached) otherwise."""
    out = tuple(v.detach().numpy() if as_numpy else v.detach() for v in values)
    return out if is_tuple else out[0]


def format_values(value, as_numpy):
    return value.detach().numpy() if as_numpy else value.detach()


def float_dtype(t):
    """The dtype attributions of ``t`` take: its own when floating, else the default."""
    return t.dtype if t.is_floating_point() else deepgrad.get_default_dtype()


def check_float_inputs(inputs, method):
    """Gradient methods need floating inputs (integers carry no gradient)."""
    for i, x in enumerate(inputs):
        if not x.is_floating_point():
            raise TypeError(
                f"{method}: inputs[{i}] has dtype {x.dtype}, which carries no gradient "
                f"(integer token ids into an Embedding, for example): attribute to the "
                f"embedding's output with LayerIntegratedGradients(model, model.<embedding>)"
                f" instead, or pass floating-point inputs")


# ------------------------------------------------------------------------------ baselines
def format_baselines(baselines, inputs, draw_from_distribution=False):
    """One baseline per input: 0 (False for bool inputs) when None, a number, or a tensor
    of the input's shape, or of shape ``(1, *input.shape[1:])`` (broadcast over the batch);
    with ``draw_from_distribution`` any number of rows (a distribution to draw from)."""
    if baselines is None:
        return tuple(False if x.dtype == np.bool_ else 0 for x in inputs)
    items = baselines if isinstance(baselines, tuple) else (baselines,)
    if len(items) != len(inputs):
        raise ValueError(f"baselines: received {len(items)} baseline(s) for {len(inputs)} "
                         f"input tensor(s); expected one per input")
    out = []
    for i, (b, x) in enumerate(zip(items, inputs)):
        if isinstance(b, (bool, int, float, np.integer, np.floating)):
            out.append(b)
            continue
        b = to_tensor(b, f"baselines[{i}]")
        if b.dtype != x.dtype and x.is_floating_point():
            b = b.to(x.dtype)
        shape, want = tuple(b.shape), tuple(x.shape)
        if draw_from_distribution:
            ok = b.ndim == x.ndim and shape[1:] == want[1:]
            expected = f"(k, {', '.join(map(str, want[1:]))}) for any k"
        else:
            ok = shape == want or (b.ndim == x.ndim and shape[0] == 1 and shape[1:] == want[1:])
            expected = f"{want}, {(1,) + want[1:]} or a number"
        if not ok:
            raise ValueError(f"baselines[{i}] has shape {shape} but inputs[{i}] has shape "
                             f"{want}: expected {expected}")
        out.append(b)
    return tuple(out)


def tensorize_baselines(inputs, baselines):
    """Baselines as tensors of the inputs' shapes (numbers filled, one row repeated)."""
    out = []
    for x, b in zip(inputs, baselines):
        if not isinstance(b, Tensor):
            out.append(deepgrad.full_like(x, b))
        elif b.shape[0] != x.shape[0]:
            out.append(b.expand(*x.shape).contiguous())
        else:
            out.append(b)
    return tuple(out)


def call_baselines(baselines, inputs):
    """Captum's callable baselines: ``baselines(inputs)`` (or ``baselines()``)."""
    if not callable(baselines) or isinstance(baselines, (Tensor, np.ndarray)):
        return baselines
    import inspect
    takes_args = len(inspect.signature(baselines).parameters) > 0
    return baselines(inputs) if takes_args else baselines()


# ------------------------------------------------------------------------------ targets
def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def check_target(target, num_examples):
    """Validate a target's form (its range is checked against the output in
    :func:`select_targets`)."""
    if target is None or _is_int(target):
        return
    if isinstance(target, tuple):
        if not all(_is_int(t) or isinstance(t, slice) for t in target):
            raise TypeError(f"target: a tuple target holds ints (or slices); received "
                            f"{target!r}")
        return
    if isinstance(target, (Tensor, np.ndarray)):
        arr = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"target: expected integer indices, received an array of "
                            f"dtype {arr.dtype}")
        if arr.size != 1 and (arr.ndim != 1 or arr.size != num_examples):
            raise ValueError(f"target: an array target holds one index, or one per "
                             f"example ({num_examples}); received shape {arr.shape}")
        return
    if isinstance(target, list):
        if len(target) != num_examples:
            raise ValueError(f"target: a list target holds one entry per example: received "
                             f"{len(target)} for {num_examples} example(s)")
        if not (all(_is_int(t) for t in target) or all(isinstance(t, tuple) for t in target)):
            raise TypeError("target: a list target holds ints or tuples of ints")
        return
    raise TypeError(f"target: expected None, an int, a tuple, a list or an integer "
                    f"tensor/array; received {_kind(target)}")


def _check_index(t, size, target, shape):
    if not -size <= t < size:
        raise IndexError(f"target index {t} is out of range for the model's output of "
                         f"shape {shape}: indices along that axis go from 0 to {size - 1}")


def _check_tuple(idx, output, target):
    if len(idx) > output.ndim - 1:
        raise IndexError(f"target {idx!r} has {len(idx)} index(es) but the model's output "
                         f"of shape {tuple(output.shape)} has only {output.ndim - 1} axis "
                         f"after the batch axis")
    for k, t in enumerate(idx):
        if _is_int(t):
            _check_index(int(t), output.shape[k + 1], target, tuple(output.shape))


def select_targets(output, target):
    """The entries of ``output`` that ``target`` names (Captum's rules, module docstring)."""
    if target is None:
        return output
    if isinstance(target, (Tensor, np.ndarray)):
        arr = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
        target = int(arr.reshape(())) if arr.size == 1 else [int(v) for v in arr]
    if _is_int(target) or isinstance(target, tuple):
        idx = (int(target),) if _is_int(target) else target
        _check_tuple(idx, output, target)
        return output[(slice(None),) + tuple(idx)]
    n = output.shape[0]
    if len(target) != n:
        raise ValueError(f"target: a per-example target holds {n} entries (the batch of "
                         f"the model's output {tuple(output.shape)}); received {len(target)}")
    if _is_int(target[0]):
        if output.ndim != 2:
            raise ValueError(f"target: a list of ints picks one column per example of a 2-D "
                             f"output, but the model's output has shape {tuple(output.shape)}")
        for t in target:
            _check_index(int(t), output.shape[1], target, tuple(output.shape))
        cols = np.array([int(t) % output.shape[1] for t in target])
        return output[np.arange(n), cols]
    for t in target:
        _check_tuple(t, output, target)
    return deepgrad.stack([output[(i,) + tuple(t)] for i, t in enumerate(target)])


def expand_target(target, n, interleave=False):
    """The target for inputs repeated ``n`` times (``cat([x] * n)``, or
    ``repeat_interleave(n)`` with ``interleave``)."""
    if isinstance(target, (Tensor, np.ndarray)):
        arr = np.asarray(target.numpy() if isinstance(target, Tensor) else target)
        if arr.size == 1:
            return target
        target = [int(v) for v in arr]
    if isinstance(target, list):
        if interleave:
            return [t for t in target for _ in range(n)]
        return target * n
    return target


# ------------------------------------------------------------------------------ extra args
def format_additional_args(args):
    if args is None:
        return None
    return args if isinstance(args, tuple) else (args,)


def expand_additional_args(args, n, interleave=False):
    """Tensor/array arguments repeated along their first axis like the inputs; anything
    else passed on unchanged."""
    if args is None:
        return None
    out = []
    for a in args:
        if isinstance(a, (Tensor, np.ndarray)) and np.ndim(a) > 0:
            t = to_tensor(a)
            t = t.repeat_interleave(n, dim=0) if interleave else deepgrad.cat([t] * n)
            out.append(t)
        else:
            out.append(a)
    return tuple(out)


def slice_additional_args(args, index, num_examples):
    """Example ``index``'s share of the extra arguments (tensors with a batch axis)."""
    if args is None:
        return None
    return tuple(a[index:index + 1] if isinstance(a, (Tensor, np.ndarray)) and np.ndim(a) > 0
                 and a.shape[0] == num_examples else a for a in args)


# ------------------------------------------------------------------------------ forward
def call_forward(forward_func, inputs, additional_args=None):
    """``forward_func(*inputs, *additional_args)``; a keras model takes its inputs as one
    list (Keras's convention for several inputs)."""
    if is_keras_layer(forward_func):
        if additional_args:
            raise TypeError("additional_forward_args: a keras model takes one input "
                            "structure; wrap it in a function to pass more arguments")
        return forward_func(list(inputs) if len(inputs) > 1 else inputs[0])
    return forward_func(*inputs, *(additional_args or ()))


def as_output_tensor(out):
    """The forward function's result as a tensor (numbers and arrays are wrapped)."""
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (np.ndarray, np.generic, int, float)):
        return deepgrad.from_numpy(np.asarray(out))
    raise TypeError(f"the forward function returned {_kind(out)}; expected a tensor, a "
                    f"NumPy array or a number")


def run_forward(forward_func, inputs, target=None, additional_args=None):
    """The forward function's output at ``inputs``, reduced to the ``target`` entries."""
    out = as_output_tensor(call_forward(forward_func, inputs, additional_args))
    return select_targets(out, target)


def gradients(forward_func, inputs, target=None, additional_args=None, method="attribution"):
    """``d sum_n F_target(x)_n / d x`` for each input: the gradient of every example's
    selected output with respect to that example's inputs."""
    xs = tuple(x.detach().requires_grad_() for x in inputs)
    with deepgrad.enable_grad():
        out = run_forward(forward_func, xs, target, additional_args)
        check_scalar_per_example(out, xs[0].shape[0], method)
        if not out.requires_grad:
            raise RuntimeError(f"{method}: the model's output does not depend on its inputs "
                               f"through differentiable operations (it has no gradient); "
                               f"for integer inputs use LayerIntegratedGradients on the "
                               f"embedding layer")
        grads = deepgrad.autograd.grad(out.sum(), xs, allow_unused=True)
    return tuple(zeros_if_none(g, x) for g, x in zip(grads, xs))


def zeros_if_none(g, x):
    return deepgrad.zeros_like(x) if g is None else g.detach()


def check_scalar_per_example(out, num_examples, method):
    """One output per example (shape ``(N,)`` or ``(N, 1, ...)``), or one for the batch."""
    if out.ndim > 0 and (out.shape[0] != num_examples or out.numel() != num_examples):
        raise ValueError(f"{method}: the selected output has shape {tuple(out.shape)}, not "
                         f"one scalar per example: pass target= to pick one output per "
                         f"example (e.g. target=class index)")


def sum_rows(t):
    return t.reshape(t.shape[0], -1).sum(1)


def convergence_delta(forward_func, attributions, start, end, target, additional_args):
    """Completeness gap per example: ``sum_i attr_i - (F(end) - F(start))``."""
    start = tensorize_baselines(end, start)
    with deepgrad.no_grad():
        f_start = sum_rows(run_forward(forward_func, start, target, additional_args))
        f_end = sum_rows(run_forward(forward_func, end, target, additional_args))
        total = sum(sum_rows(a) for a in attributions)
        return total - (f_end - f_start).to(total.dtype)


def check_positive_int(value, name, minimum=1):
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, received {value!r}")


class Progress:
    """``show_progress``: tqdm when installed, else one line of text on stderr."""

    def __init__(self, enabled, total, desc):
        self.bar, self.count, self.total, self.desc = None, 0, total, desc
        self.enabled = enabled
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, desc=desc)
            except ImportError:
                self.bar = None

    def update(self):
        if not self.enabled:
            return
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)
        else:
            sys.stderr.write(f"\r{self.desc}: {self.count}/{self.total}")

    def close(self):
        if self.enabled:
            if self.bar is not None:
                self.bar.close()
            else:
                sys.stderr.write("\n")
