"""Perturbation attributions: FeatureAblation and Occlusion (no gradients needed)."""
import math

import numpy as np

import deepgrad
from deepgrad.autograd.tensor import Tensor
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import PerturbationAttribution


def format_feature_mask(feature_mask, xs):
    """Integer masks, one per input, broadcastable to it (first axis 1 or N); None gives
    every scalar of an example its own feature, numbered across the inputs."""
    if feature_mask is None:
        masks, start = [], 0
        for x in xs:
            count = int(np.prod(x.shape[1:], dtype=np.int64))
            masks.append(np.arange(start, start + count).reshape((1,) + tuple(x.shape[1:])))
            start += count
        return tuple(masks)
    items = feature_mask if isinstance(feature_mask, tuple) else (feature_mask,)
    if len(items) != len(xs):
        raise ValueError(f"feature_mask: received {len(items)} mask(s) for {len(xs)} input "
                         f"tensor(s); expected one per input")
    masks = []
    for i, (m, x) in enumerate(zip(items, xs)):
        arr = np.asarray(m.numpy() if isinstance(m, Tensor) else m)
        if arr.dtype.kind not in "iub":
            raise TypeError(f"feature_mask[{i}]: expected integer feature ids, received "
                            f"dtype {arr.dtype}")
        shape = tuple(x.shape)
        try:
            covered = np.broadcast_shapes(arr.shape, shape) == shape
        except ValueError:
            covered = False
        if not covered or (arr.ndim == len(shape) and arr.shape[0] not in (1, shape[0])):
            raise ValueError(f"feature_mask[{i}] of shape {arr.shape} does not cover "
                             f"inputs[{i}] of shape {shape}: expected a shape that "
                             f"broadcasts to it, e.g. {(1,) + shape[1:]} or {shape}")
        masks.append(arr.astype(np.int64))
    return tuple(masks)


def _ablate(forward, xs, baselines, target, extra, features, per_eval, use_weights, progress):
    """``total[i] += (F(x) - F(x with feature f set to its baseline)) * mask_f`` for every
    feature ``f``; divided by how many features cover each element when ``use_weights``.

    ``features`` is a list of ``{input index: boolean mask}`` dicts.
    """
    num = xs[0].shape[0]
    with deepgrad.no_grad():
        initial = _common.run_forward(forward, xs, target, extra)
        flat = initial.reshape(1, -1)
        n_out = flat.shape[1]
        dtype = _common.float_dtype(initial)
        totals = [np.zeros((n_out,) + tuple(x.shape[1:]), dtype=dtype) for x in xs]
        weights = [np.zeros((n_out,) + tuple(x.shape[1:]), dtype=dtype) for x in xs]
        flat = flat.to(dtype).numpy()
        bar = _common.Progress(progress, 1 + math.ceil(len(features) / per_eval),
                               "attribution")
        bar.update()
        for start in range(0, len(features), per_eval):
            chunk = features[start:start + per_eval]
            k = len(chunk)
            ablated = []
            for i, (x, b) in enumerate(zip(xs, baselines)):
                if not any(i in f for f in chunk):
                    ablated.append(deepgrad.cat([x] * k) if k > 1 else x)
                    continue
                parts = []
                for f in chunk:
                    if i not in f:
                        parts.append(x)
                        continue
                    m = deepgrad.from_numpy(f[i]).to(x.dtype)
                    parts.append(x * (1 - m) + b * m)
                ablated.append(deepgrad.cat(parts) if k > 1 else parts[0])
            out = _common.run_forward(forward, tuple(ablated), _common.expand_target(target, k),
                                      _common.expand_additional_args(extra, k))
            if per_eval > 1 and (out.ndim == 0 or initial.ndim == 0
                                 or out.shape[0] != k * initial.shape[0]):
                raise ValueError(f"perturbations_per_eval={per_eval}: the forward function's "
                                 f"output must grow with the batch; with {num} example(s) it "
                                 f"has shape {tuple(initial.shape)}, with {k * num} shape "
                                 f"{tuple(out.shape)}")
            diff = flat - out.reshape(-1, n_out).to(dtype).numpy()
            for j, f in enumerate(chunk):
                for i, m in f.items():
                    d = diff[j].reshape((n_out,) + (1,) * (xs[i].ndim - 1))
                    totals[i] += d * m
                    if use_weights:
                        weights[i] += m
            bar.update()
        bar.close()
    if use_weights:
        totals = [t / w for t, w in zip(totals, weights)]
    return tuple(deepgrad.from_numpy(t) for t in totals)


class FeatureAblation(PerturbationAttribution):
    r"""Feature ablation: replace one feature (group) at a time by its baseline.

        attr_i(x) = F(x) - F(x with feature f(i) set to x'),

    every element ``i`` of a group ``f`` getting the group's value. ``feature_mask``
    groups elements (equal ids form one feature, across the input tensors too); by
    default every scalar is its own feature.

    The forward function returns one scalar per example (after ``target``), or one value
    for the whole batch (then attributions have a first axis of 1 and
    ``perturbations_per_eval`` must be 1).

    Args:
        forward_func: the model or function (it need not be differentiable).
    """

    use_weights = False

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  feature_mask=None, perturbations_per_eval=1, show_progress=False):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            baselines: the replacement values (None: 0; a number; a tensor of the inputs'
                shape or ``(1, ...)``; a tuple per input).
            target, additional_forward_args: as for the other methods.
            feature_mask (tensor, array or tuple): integer ids, broadcastable to each
                input (first axis 1 or N).
            perturbations_per_eval (int): ablations evaluated in one forward call.
            show_progress (bool): print progress (tqdm when installed).
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        base = _common.format_baselines(baselines, xs)
        _common.check_target(target, xs[0].shape[0])
        _common.check_positive_int(perturbations_per_eval, "perturbations_per_eval")
        masks = format_feature_mask(feature_mask, xs)
        ids = sorted(set().union(*(np.unique(m).tolist() for m in masks)))
        features = [{i: m == f for i, m in enumerate(masks) if (m == f).any()} for f in ids]
        extra = _common.format_additional_args(additional_forward_args)
        attrs = _ablate(self.forward_func, xs, base, target, extra, features,
                        perturbations_per_eval, self.use_weights, show_progress)
        return _common.format_output(attrs, is_tuple, as_numpy)


class Occlusion(FeatureAblation):
    r"""Occlusion (Zeiler & Fergus, 2014, https://arxiv.org/abs/1311.2901): slide a
    window over each input, set it to the baseline, and record the output's drop:

        attr_i(x) = mean over windows W containing i of ( F(x) - F(x with W set to x') )

    Windows start at multiples of ``strides`` along each axis after the batch axis;
    ``ceil((D - w) / s) + 1`` positions per axis, the last one cut at the border (Captum's
    layout).

    Args:
        forward_func: the model or function.
    """

    use_weights = True

    def attribute(self, inputs, sliding_window_shapes, strides=None, baselines=None,
                  target=None, additional_forward_args=None, perturbations_per_eval=1,
                  show_progress=False):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            sliding_window_shapes (tuple): the window, one size per axis after the batch
                axis (a tuple of such tuples for several inputs).
            strides (int or tuple): the step per axis (default 1).
            baselines, target, additional_forward_args, perturbations_per_eval,
            show_progress: as :meth:`FeatureAblation.attribute`.
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        windows = _per_input(sliding_window_shapes, xs, "sliding_window_shapes")
        steps = _strides(strides, xs, windows)
        base = _common.format_baselines(baselines, xs)
        _common.check_target(target, xs[0].shape[0])
        _common.check_positive_int(perturbations_per_eval, "perturbations_per_eval")
        features = []
        for i, (x, w, s) in enumerate(zip(xs, windows, steps)):
            dims = tuple(x.shape[1:])
            counts = [math.ceil((d - k) / st) + 1 for d, k, st in zip(dims, w, s)]
            for pos in range(int(np.prod(counts))):
                mask = np.zeros((1,) + dims, dtype=bool)
                index, rest = [slice(0, 1)], pos
                for d, k, st, c in zip(dims, w, s, counts):
                    begin = (rest % c) * st
                    index.append(slice(begin, min(begin + k, d)))
                    rest //= c
                mask[tuple(index)] = True
                features.append({i: mask})
        extra = _common.format_additional_args(additional_forward_args)
        attrs = _ablate(self.forward_func, xs, base, target, extra, features,
                        perturbations_per_eval, True, show_progress)
        return _common.format_output(attrs, is_tuple, as_numpy)


def _per_input(shapes, xs, name):
    if isinstance(shapes, tuple) and shapes and all(isinstance(v, (int, np.integer))
                                                     for v in shapes):
        shapes = (shapes,)
    if not isinstance(shapes, tuple) or len(shapes) != len(xs):
        raise ValueError(f"{name}: expected one tuple per input tensor ({len(xs)}), "
                         f"received {shapes!r}")
    for i, (w, x) in enumerate(zip(shapes, xs)):
        if not isinstance(w, tuple) or len(w) != x.ndim - 1:
            raise ValueError(f"{name}[{i}] is {w!r} but inputs[{i}] has shape "
                             f"{tuple(x.shape)}: expected a tuple of {x.ndim - 1} sizes "
                             f"(one per axis after the batch axis)")
        if any(int(k) < 1 or int(k) > d for k, d in zip(w, x.shape[1:])):
            raise ValueError(f"{name}[{i}] = {w} must be between 1 and the input's sizes "
                             f"{tuple(x.shape[1:])}")
    return tuple(tuple(int(k) for k in w) for w in shapes)


def _strides(strides, xs, windows):
    if strides is None:
        strides = tuple(1 for _ in xs)
    if len(xs) == 1 and not (isinstance(strides, tuple) and len(strides) == 1):
        strides = (strides,)
    if not isinstance(strides, tuple) or len(strides) != len(xs):
        raise ValueError(f"strides: expected one entry per input tensor ({len(xs)}), "
                         f"received {strides!r}")
    out = []
    for i, (s, x, w) in enumerate(zip(strides, xs, windows)):
        s = (s,) * (x.ndim - 1) if isinstance(s, (int, np.integer)) else s
        if not isinstance(s, tuple) or len(s) != x.ndim - 1 or any(int(v) < 1 for v in s):
            raise ValueError(f"strides[{i}] is {s!r}: expected a positive int or a tuple of "
                             f"{x.ndim - 1} positive ints")
        for v, k, d in zip(s, w, x.shape[1:]):
            if d - k > 0 and v > k:
                raise ValueError(f"strides[{i}] = {s} is larger than the sliding window "
                                 f"{w}: some elements would never be occluded")
        out.append(tuple(int(v) for v in s))
    return tuple(out)
