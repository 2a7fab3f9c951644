"""NoiseTunnel (SmoothGrad, SmoothGrad^2, VarGrad) and GradientShap."""
import numpy as np

import deepgrad
from deepgrad.autograd.tensor import Tensor
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import Attribution, GradientAttribution

SUPPORTED_NOISE_TUNNEL_TYPES = ["smoothgrad", "smoothgrad_sq", "vargrad"]


def _numbers(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class NoiseTunnel(Attribution):
    r"""Averages another method's attributions over Gaussian-noised copies of the inputs.

    For ``S = nt_samples`` draws ``eps_s ~ N(0, stdev^2 I)`` and the wrapped method ``A``:

        smoothgrad:     (1/S) sum_s A(x + eps_s)                  (Smilkov et al., 2017)
        smoothgrad_sq:  (1/S) sum_s A(x + eps_s)^2
        vargrad:        (1/S) sum_s A(x + eps_s)^2 - ((1/S) sum_s A(x + eps_s))^2
                                                                  (Adebayo et al., 2018)

    smoothgrad is a Monte-Carlo estimate of ``A`` convolved with a Gaussian kernel; it
    removes the high-frequency noise of raw gradients.

    Random draws, as Captum makes them: the noise comes from deepgrad's default generator
    (``deepgrad.manual_seed``); with ``draw_baseline_from_distrib=True`` the baseline rows
    are chosen with NumPy's global ``np.random.choice`` (which ``manual_seed`` also
    seeds), so ``np.random.seed(s)`` picks the same rows as Captum does.

    Args:
        attribution_method (Attribution): the method to smooth, e.g. ``Saliency(model)``.
    """

    def __init__(self, attribution_method):
        if not isinstance(attribution_method, Attribution):
            raise TypeError(f"NoiseTunnel: expected an attribution method (Saliency, "
                            f"IntegratedGradients, ...), received "
                            f"{type(attribution_method).__name__}")
        super().__init__(attribution_method.forward_func)
        self.attribution_method = attribution_method
        self.is_delta_supported = attribution_method.has_convergence_delta()
        self._multiply_by_inputs = attribution_method.multiplies_by_inputs
        self.is_gradient_method = isinstance(attribution_method, GradientAttribution)

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs

    def has_convergence_delta(self):
        return self.is_delta_supported

    def attribute(self, inputs, nt_type="smoothgrad", nt_samples=5, nt_samples_batch_size=None,
                  stdevs=1.0, draw_baseline_from_distrib=False, **kwargs):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            nt_type (str): ``"smoothgrad"``, ``"smoothgrad_sq"`` or ``"vargrad"``.
            nt_samples (int): noisy copies per example.
            nt_samples_batch_size (int): copies evaluated at once (default: all).
            stdevs (float or tuple): the noise's standard deviation, one per input when a
                tuple.
            draw_baseline_from_distrib (bool): ``baselines`` (in kwargs) is a distribution
                whose rows are drawn at random, one per noisy copy.
            **kwargs: passed to the wrapped method's ``attribute`` (target, baselines,
                return_convergence_delta, n_steps, ...).
        Returns:
            the smoothed attributions (inputs' shapes), and the wrapped method's deltas for
            every noisy copy, shape ``(N * nt_samples,)``, when
            ``return_convergence_delta=True``.
        """
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        if nt_type not in SUPPORTED_NOISE_TUNNEL_TYPES:
            raise ValueError(f"nt_type: expected one of {SUPPORTED_NOISE_TUNNEL_TYPES}, "
                             f"received {nt_type!r}")
        _common.check_positive_int(nt_samples, "nt_samples")
        if nt_samples_batch_size is not None:
            _common.check_positive_int(nt_samples_batch_size, "nt_samples_batch_size")
        stdevs = self._check_stdevs(stdevs, xs)
        want_delta = bool(kwargs.get("return_convergence_delta", False))
        if want_delta and not self.is_delta_supported:
            raise ValueError(f"return_convergence_delta: "
                             f"{type(self.attribution_method).__name__} has no convergence "
                             f"delta")
        if "target" in kwargs:
            _common.check_target(kwargs["target"], xs[0].shape[0])
        batch = nt_samples if nt_samples_batch_size is None else min(nt_samples,
                                                                     nt_samples_batch_size)
        partitions = nt_samples // batch
        sums, deltas = [None, None], []
        kwargs_batch = dict(kwargs)
        self._expand_partial(batch, kwargs_batch, xs, draw_baseline_from_distrib)
        for _ in range(partitions):
            noisy = self._add_noise_to_inputs(batch, xs, stdevs)
            self._accumulate(sums, deltas, noisy, kwargs_batch, is_tuple, batch, want_delta)
        remaining = nt_samples - partitions * batch
        if remaining > 0:
            kwargs_rest = dict(kwargs)
            self._expand_partial(remaining, kwargs_rest, xs, draw_baseline_from_distrib)
            noisy = self._add_noise_to_inputs(remaining, xs, stdevs)
            self._accumulate(sums, deltas, noisy, kwargs_rest, is_tuple, remaining, want_delta)
        mean = tuple(s / nt_samples for s in sums[0])
        mean_sq = tuple(s / nt_samples for s in sums[1])
        if nt_type == "smoothgrad":
            attrs = mean
        elif nt_type == "smoothgrad_sq":
            attrs = mean_sq
        else:
            attrs = tuple(sq - m * m for m, sq in zip(mean, mean_sq))
        result = _common.format_output(attrs, is_tuple, as_numpy)
        if want_delta:
            return result, _common.format_values(deepgrad.cat(deltas), as_numpy)
        return result

    # ------------------------------------------------------------------ pieces
    @staticmethod
    def _check_stdevs(stdevs, xs):
        if isinstance(stdevs, tuple):
            if len(stdevs) != len(xs):
                raise ValueError(f"stdevs: received {len(stdevs)} values for {len(xs)} "
                                 f"input tensors; expected one per input")
            values = stdevs
        else:
            values = (stdevs,) * len(xs)
        for v in values:
            if not _numbers(v) or v < 0:
                raise ValueError(f"stdevs: expected non-negative numbers, received {stdevs!r}")
        return tuple(float(v) for v in values)

    def _add_noise_to_inputs(self, n, xs, stdevs):
        return tuple(self._add_noise_to_input(x, s, n) for x, s in zip(xs, stdevs))

    @staticmethod
    def _add_noise_to_input(x, stdev, n):
        """``n`` copies of each example (``repeat_interleave``) plus ``N(0, stdev^2)`` noise
        from deepgrad's default generator."""
        noise = deepgrad.randn(x.shape[0] * n, *x.shape[1:], dtype=_common.float_dtype(x))
        return x.detach().repeat_interleave(n, dim=0) + noise * stdev

    @staticmethod
    def _expand_partial(n, kwargs, xs, draw_baseline_from_distrib):
        """Repeat the per-example keyword arguments for ``n`` noisy copies per example."""
        if kwargs.get("additional_forward_args") is not None:
            extra = _common.format_additional_args(kwargs["additional_forward_args"])
            kwargs["additional_forward_args"] = _common.expand_additional_args(extra, n, True)
        if "target" in kwargs:
            kwargs["target"] = _common.expand_target(kwargs["target"], n, interleave=True)
        if "baselines" in kwargs:
            kwargs["baselines"] = _expand_baselines(kwargs["baselines"], xs, n,
                                                    draw_baseline_from_distrib)
        if kwargs.get("feature_mask") is not None:
            mask = kwargs["feature_mask"]
            masks = mask if isinstance(mask, tuple) else (mask,)
            masks = tuple(_common.to_tensor(m, "feature_mask") for m in masks)
            masks = tuple(m.repeat_interleave(n, dim=0) if m.shape[0] > 1 else m for m in masks)
            kwargs["feature_mask"] = masks if isinstance(mask, tuple) else masks[0]

    def _accumulate(self, sums, deltas, noisy, kwargs, is_tuple, n, want_delta):
        out = self.attribution_method.attribute(noisy if is_tuple else noisy[0], **kwargs)
        if want_delta:
            out, delta = out
            deltas.append(_common.to_tensor(delta))
        attrs = out if isinstance(out, tuple) else (out,)
        attrs = tuple(_common.to_tensor(a) for a in attrs)
        grouped = tuple(a.reshape(a.shape[0] // n, n, *a.shape[1:]) for a in attrs)
        part, part_sq = tuple(g.sum(1) for g in grouped), tuple((g * g).sum(1) for g in grouped)
        if sums[0] is None:
            sums[0], sums[1] = part, part_sq
        else:
            sums[0] = tuple(s + p for s, p in zip(sums[0], part))
            sums[1] = tuple(s + p for s, p in zip(sums[1], part_sq))


def _expand_baselines(baselines, xs, n, draw):
    """Baselines for the noisy batch: rows drawn at random from a distribution
    (``np.random.choice``, as Captum), or per-example baselines repeated ``n`` times."""
    base = _common.format_baselines(baselines, xs, draw_from_distribution=draw)
    out = []
    for b, x in zip(base, xs):
        if not isinstance(b, Tensor):
            out.append(b)
        elif draw:
            idx = np.random.choice(b.shape[0], n * x.shape[0]).tolist()
            out.append(b[np.asarray(idx, dtype=np.int64)])
        elif b.shape[0] == x.shape[0] and b.shape[0] > 1:
            out.append(b.repeat_interleave(n, dim=0))
        else:
            out.append(b)
    return tuple(out) if isinstance(baselines, tuple) else out[0]


class InputBaselineXGradient(GradientAttribution):
    r"""One random point on each example's path, as GradientShap uses it:

        attr_i = (x_i - x'_i) * dF(x' + a (x - x')) / dx_i,   a ~ U(0, 1) per example

    ``a`` is drawn with NumPy's global ``np.random.uniform`` (as Captum draws it).

    Args:
        forward_func: the model or function to explain.
        multiply_by_inputs (bool): multiply the gradient by ``(x - x')``.
    """

    def __init__(self, forward_func, multiply_by_inputs=True):
        super().__init__(forward_func)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  return_convergence_delta=False):
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        _common.check_float_inputs(xs, type(self).__name__)
        base = _common.format_baselines(baselines, xs)
        _common.check_target(target, xs[0].shape[0])
        extra = _common.format_additional_args(additional_forward_args)
        rand = np.random.uniform(0.0, 1.0, xs[0].shape[0])
        scaled = []
        for x, b in zip(xs, base):
            a = deepgrad.tensor(rand, dtype=x.dtype).reshape(-1, *([1] * (x.ndim - 1)))
            scaled.append(a * x.detach() + (1.0 - a) * b)
        grads = self.gradient_func(self.forward_func, tuple(scaled), target, extra)
        if self._multiply_by_inputs:
            grads = tuple((x.detach() - b) * g for x, b, g in zip(xs, base, grads))
        result = _common.format_output(grads, is_tuple, as_numpy)
        if not return_convergence_delta:
            return result
        delta = _common.convergence_delta(self.forward_func, grads, base, xs, target, extra)
        return result, _common.format_values(delta, as_numpy)

    def has_convergence_delta(self):
        return True

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs


class GradientShap(GradientAttribution):
    r"""Gradient SHAP (Lundberg & Lee, 2017): expected gradients over random baselines and
    random points on the path, with optional input noise:

        attr_i(x) ~ (1/S) sum_s (x~_i - x'_s,i) * dF(x'_s + a_s (x~ - x'_s)) / dx_i

    with ``x'_s`` drawn from the baseline distribution, ``a_s ~ U(0, 1)`` and
    ``x~ = x + N(0, stdevs^2)``. When the model is linear in its inputs and the features
    independent, this approximates the SHAP values: the expected attributions sum to
    ``F(x) - E[F(x')]`` (``return_convergence_delta`` gives each sample's gap).

    It is NoiseTunnel(smoothgrad, draw_baseline_from_distrib=True) around
    :class:`InputBaselineXGradient`, as in Captum, with the same random draws (see
    :class:`NoiseTunnel`).

    Args:
        forward_func: the model or function to explain.
        multiply_by_inputs (bool): multiply by ``(x - x')`` (True) or not.
    """

    def __init__(self, forward_func, multiply_by_inputs=True):
        super().__init__(forward_func)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    def attribute(self, inputs, baselines, n_samples=5, stdevs=0.0, target=None,
                  additional_forward_args=None, return_convergence_delta=False):
        """Args:
            inputs (Tensor, array or tuple): the batch to explain.
            baselines: a tensor (or tuple) of reference rows to draw from, shape
                ``(k, *input.shape[1:])``, or a function returning them.
            n_samples (int): random draws per example.
            stdevs (float or tuple): noise added to the inputs (0: none).
            target, additional_forward_args: as for the other methods.
            return_convergence_delta (bool): also return the per-draw completeness gaps.
        """
        baselines = _common.call_baselines(baselines, inputs)
        first = baselines[0] if isinstance(baselines, tuple) else baselines
        if not isinstance(first, (Tensor, np.ndarray)):
            raise TypeError(f"GradientShap: baselines must be a tensor (or tuple) of "
                            f"reference examples to draw from; received {type(first).__name__}")
        inner = InputBaselineXGradient(self.forward_func, self._multiply_by_inputs)
        inner.gradient_func = self.gradient_func
        return NoiseTunnel(inner).attribute(
            inputs, nt_type="smoothgrad", nt_samples=n_samples, stdevs=stdevs,
            draw_baseline_from_distrib=True, baselines=baselines, target=target,
            additional_forward_args=additional_forward_args,
            return_convergence_delta=return_convergence_delta)

    def has_convergence_delta(self):
        return True

    @property
    def multiplies_by_inputs(self):
        return self._multiply_by_inputs
