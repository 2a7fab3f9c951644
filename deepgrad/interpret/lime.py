"""LIME and Kernel SHAP: weighted linear surrogates fitted on perturbed samples."""
import inspect
import math
import warnings

import numpy as np

import deepgrad
from deepgrad.autograd.tensor import Tensor
from deepgrad.interpret import _common
from deepgrad.interpret.attribution import PerturbationAttribution
from deepgrad.interpret.feature_ablation import format_feature_mask
from deepgrad.interpret.linear_model import Lasso, LinearRegression


def _flatten(inp):
    items = inp if isinstance(inp, tuple) else (inp,)
    return np.concatenate([np.asarray(_common.to_tensor(t).numpy(), dtype=np.float64).ravel()
                           for t in items])


def get_exp_kernel_similarity_function(distance_mode="cosine", kernel_width=1.0):
    r"""LIME's default similarity between the original and a perturbed input:

        pi(x, z) = exp(-d(x, z)^2 / (2 kernel_width^2))

    with ``d = 1 - cos(x, z)`` (``distance_mode="cosine"``) or ``d = ||x - z||_2``
    (``"euclidean"``), both over all input tensors flattened.
    """
    if distance_mode not in ("cosine", "euclidean"):
        raise ValueError(f"distance_mode: expected 'cosine' or 'euclidean', received "
                         f"{distance_mode!r}")

    def default_exp_kernel(original_inp, perturbed_inp, interpretable_sample, **kwargs):
        a, b = _flatten(original_inp), _flatten(perturbed_inp)
        if distance_mode == "cosine":
            norms = np.linalg.norm(a) * np.linalg.norm(b)
            distance = 1.0 - (a @ b / norms if norms > 0 else 0.0)
        else:
            distance = np.linalg.norm(a - b)
        return math.exp(-(distance ** 2) / (2 * kernel_width ** 2))
    return default_exp_kernel


def default_perturb_func(original_inp, **kwargs):
    """LIME's sampler: each interpretable feature kept with probability 1/2 (a
    ``(1, num_interp_features)`` 0/1 row from deepgrad's default generator)."""
    probs = deepgrad.full((1, kwargs["num_interp_features"]), 0.5, dtype=deepgrad.float64)
    return deepgrad.bernoulli(probs).to(deepgrad.int64)


def default_from_interp_rep_transform(curr_sample, original_inputs, **kwargs):
    """A 0/1 row over interpretable features -> an input: kept features from the input,
    the rest from the baselines."""
    masks, baselines = kwargs["feature_mask"], kwargs["baselines"]
    row = np.asarray(_common.to_tensor(curr_sample).numpy()).reshape(-1).astype(bool)
    single = not isinstance(original_inputs, tuple)
    xs = (original_inputs,) if single else original_inputs
    ms = (masks,) if single else masks
    bs = (baselines,) if single else baselines
    out = []
    for x, m, b in zip(xs, ms, bs):
        keep = deepgrad.from_numpy(row[np.asarray(m)]).to(x.dtype)
        out.append(keep * x + (1 - keep) * b)
    return out[0] if single else tuple(out)


def construct_feature_mask(feature_mask, xs):
    """``(masks, num_interp_features)``: ids shifted to start at 0 (with a warning, as
    Captum); the ids must then be ``0 .. M-1`` with none missing."""
    masks = format_feature_mask(feature_mask, xs)
    if feature_mask is not None:
        low = min(int(m.min()) for m in masks if m.size)
        if low != 0:
            warnings.warn("Minimum element in feature mask is not 0, shifting indices to "
                          "start at 0.", stacklevel=3)
            masks = tuple(m - low for m in masks)
    ids = np.unique(np.concatenate([m.ravel() for m in masks]))
    count = int(ids.max()) + 1
    if len(ids) != count:
        missing = sorted(set(range(count)) - set(ids.tolist()))[:10]
        raise ValueError(f"feature_mask: the ids must cover 0 .. {count - 1} (each id one "
                         f"interpretable feature); missing {missing}")
    return masks, count


def _reduce(items):
    if isinstance(items[0], tuple):
        return tuple(deepgrad.cat([it[i] for it in items]) for i in range(len(items[0])))
    return deepgrad.cat(list(items))


class LimeBase(PerturbationAttribution):
    r"""The LIME procedure (Ribeiro et al., 2016, https://arxiv.org/abs/1602.04938) with
    every part pluggable, as Captum's ``LimeBase``:

    1. draw ``n_samples`` perturbations with ``perturb_func`` (in the interpretable space
       when ``perturb_interpretable_space``, then ``from_interp_rep_transform`` maps them
       to inputs; else in input space, mapped back by ``to_interp_rep_transform``);
    2. evaluate the model on them and weigh each by ``similarity_func``;
    3. fit ``interpretable_model`` (``fit(X, y, sample_weight)``, scikit-learn's API) and
       return its ``coef_`` as a ``(1, M)`` tensor.

    ``perturb_func(original_inp, **kwargs)`` may be a function called once per sample or
    a generator function; ``similarity_func(original_inp, perturbed_inp,
    interpretable_sample, **kwargs)`` returns a number. The kwargs are those given to
    :meth:`attribute`.
    """

    def __init__(self, forward_func, interpretable_model, similarity_func, perturb_func,
                 perturb_interpretable_space, from_interp_rep_transform,
                 to_interp_rep_transform):
        super().__init__(forward_func)
        if not hasattr(interpretable_model, "fit"):
            raise TypeError(f"interpretable_model needs fit(X, y, sample_weight) and coef_ "
                            f"(scikit-learn's API); received {type(interpretable_model)}")
        for name, fn in (("similarity_func", similarity_func), ("perturb_func", perturb_func)):
            if not callable(fn):
                raise TypeError(f"{name} must be callable")
        if perturb_interpretable_space and from_interp_rep_transform is None:
            raise ValueError("from_interp_rep_transform is needed when sampling in the "
                             "interpretable space")
        if not perturb_interpretable_space and to_interp_rep_transform is None:
            raise ValueError("to_interp_rep_transform is needed when sampling in the input "
                             "space")
        self.interpretable_model = interpretable_model
        self.similarity_func = similarity_func
        self.perturb_func = perturb_func
        self.perturb_interpretable_space = perturb_interpretable_space
        self.from_interp_rep_transform = from_interp_rep_transform
        self.to_interp_rep_transform = to_interp_rep_transform

    def attribute(self, inputs, target=None, additional_forward_args=None, n_samples=50,
                  perturbations_per_eval=1, show_progress=False, **kwargs):
        """Returns the surrogate's coefficients, a ``(1, M)`` tensor."""
        _common.check_positive_int(n_samples, "n_samples")
        _common.check_positive_int(perturbations_per_eval, "perturbations_per_eval")
        extra = _common.format_additional_args(additional_forward_args)
        draw = self._get_perturb_generator_func(inputs, **kwargs)
        interps, sims, outputs, batch = [], [], [], []
        bar = _common.Progress(show_progress, math.ceil(n_samples / perturbations_per_eval),
                               f"{type(self).__name__} attribution")
        for _ in range(n_samples):
            try:
                interp, model_input = draw()
            except StopIteration:
                warnings.warn("Generator completed prior to given n_samples iterations!",
                              stacklevel=2)
                break
            interps.append(np.asarray(_common.to_tensor(interp).numpy(), dtype=np.float64)
                           .reshape(1, -1))
            sims.append(float(np.asarray(_value(self.similarity_func(
                inputs, model_input, interp, **kwargs))).reshape(())))
            batch.append(model_input)
            if len(batch) == perturbations_per_eval:
                outputs.append(self._evaluate(batch, target, extra))
                batch = []
                bar.update()
        if batch:
            outputs.append(self._evaluate(batch, target, extra))
            bar.update()
        bar.close()
        X, y = np.concatenate(interps), np.concatenate(outputs)
        self.interpretable_model.fit(X, y, sample_weight=np.asarray(sims))
        coef = np.asarray(self.interpretable_model.coef_, dtype=np.float64).reshape(1, -1)
        return deepgrad.from_numpy(coef)

    def _get_perturb_generator_func(self, inputs, **kwargs):
        generator = (self.perturb_func(inputs, **kwargs)
                     if inspect.isgeneratorfunction(self.perturb_func) else None)

        def draw():
            sample = next(generator) if generator is not None else self.perturb_func(
                inputs, **kwargs)
            if self.perturb_interpretable_space:
                return sample, self.from_interp_rep_transform(sample, inputs, **kwargs)
            return self.to_interp_rep_transform(sample, inputs, **kwargs), sample
        return draw

    def _evaluate(self, batch, target, extra):
        k = len(batch)
        model_in = _reduce([b if isinstance(b, tuple) else _common.to_tensor(b) for b in batch])
        model_in = model_in if isinstance(model_in, tuple) else (model_in,)
        with deepgrad.no_grad():
            out = _common.run_forward(self.forward_func, model_in,
                                      _common.expand_target(target, k),
                                      _common.expand_additional_args(extra, k))
        out = np.asarray(out.numpy(), dtype=np.float64).reshape(-1)
        if out.size != k:
            raise ValueError(f"the forward function returned {out.size} value(s) for {k} "
                             f"perturbed input(s); it must return one scalar per input "
                             f"(pass target= to pick one output)")
        return out


def _value(v):
    return v.numpy() if isinstance(v, Tensor) else v


class Lime(LimeBase):
    r"""LIME with interpretable features given by ``feature_mask`` (Captum's ``Lime``).

    A sample is a 0/1 vector ``z`` over the ``M`` features; the model sees the input with
    the features where ``z_f = 0`` replaced by the baselines. LIME then fits

        g = argmin_g  sum_z pi(x, z) (F(x_z) - g(z))^2 + Omega(g)

    with ``pi`` the exponential cosine kernel and, by default, ``Omega`` the Lasso
    penalty ``alpha = 0.01`` (:class:`~deepgrad.interpret.linear_model.Lasso`, solved in
    NumPy); each input element receives its feature's coefficient. Samples come from
    deepgrad's default generator (``deepgrad.manual_seed`` makes them reproducible).

    Args:
        forward_func: the model or any function of the inputs (no gradients needed).
        interpretable_model: an estimator with ``fit(X, y, sample_weight)`` and ``coef_``
            (default ``Lasso(alpha=0.01)``).
        similarity_func: default ``get_exp_kernel_similarity_function("cosine", 1.0)``.
        perturb_func: default: each feature kept with probability 1/2.
    """

    def __init__(self, forward_func, interpretable_model=None, similarity_func=None,
                 perturb_func=None):
        super().__init__(forward_func,
                         Lasso(alpha=0.01) if interpretable_model is None else interpretable_model,
                         similarity_func or get_exp_kernel_similarity_function(),
                         perturb_func or default_perturb_func, True,
                         default_from_interp_rep_transform, None)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  feature_mask=None, n_samples=25, perturbations_per_eval=1,
                  return_input_shape=True, show_progress=False):
        """Args:
            inputs (Tensor, array or tuple): the example(s) to explain; several examples
                get one surrogate each.
            baselines: values of the removed features (None: 0).
            target, additional_forward_args: as for the other methods.
            feature_mask: integer feature ids ``0 .. M-1`` per input element (default:
                every scalar its own feature).
            n_samples (int): perturbed samples per example.
            perturbations_per_eval (int): samples evaluated in one forward call.
            return_input_shape (bool): coefficients spread over the inputs' shapes (True)
                or the ``(N, M)`` coefficients.
            show_progress (bool): print progress.
        """
        return self._attribute_kwargs(inputs, baselines, target, additional_forward_args,
                                      feature_mask, n_samples, perturbations_per_eval,
                                      return_input_shape, show_progress)

    def _attribute_kwargs(self, inputs, baselines, target, additional_forward_args,
                          feature_mask, n_samples, perturbations_per_eval,
                          return_input_shape, show_progress, **kwargs):
        xs, is_tuple, as_numpy = _common.format_inputs(inputs)
        num = xs[0].shape[0]
        base = _common.format_baselines(baselines, xs)
        _common.check_target(target, num)
        _common.check_positive_int(n_samples, "n_samples")
        masks, count = construct_feature_mask(feature_mask, xs)
        extra = _common.format_additional_args(additional_forward_args)
        common = dict(n_samples=n_samples, perturbations_per_eval=perturbations_per_eval,
                      show_progress=show_progress, num_interp_features=count, **kwargs)
        if num > 1:
            with deepgrad.no_grad():
                test = _common.as_output_tensor(_common.call_forward(self.forward_func, xs,
                                                                     extra))
                test = _common.select_targets(test, target)
            if test.numel() == num:
                warnings.warn("You are providing multiple inputs for Lime / Kernel SHAP "
                              "attributions. This trains a separate interpretable model for "
                              "each example, which can be time consuming. It is recommended "
                              "to compute attributions for one example at a time.",
                              stacklevel=3)
                parts = []
                for i in range(num):
                    one = tuple(x[i:i + 1] for x in xs)
                    own = tuple(m[i:i + 1] if m.ndim == x.ndim and m.shape[0] == num else m
                                for m, x in zip(masks, xs))
                    coefs = self._one(one, _pick(base, i, num), _pick_target(target, i),
                                      _common.slice_additional_args(extra, i, num), own,
                                      common)
                    parts.append(_spread(one, own, coefs) if return_input_shape else (coefs,))
                attrs = tuple(deepgrad.cat([p[j] for p in parts]) for j in range(len(parts[0])))
                return _common.format_output(attrs, is_tuple if return_input_shape else False,
                                             as_numpy)
            if test.numel() != 1:
                raise ValueError(f"the forward function returned {test.numel()} values for "
                                 f"{num} examples; it must return one scalar per example or "
                                 f"one for the whole batch")
            if perturbations_per_eval != 1:
                raise ValueError("perturbations_per_eval must be 1 when the forward function "
                                 "returns one value for the whole batch")
        coefs = self._one(xs, base, target, extra, masks, common)
        if not return_input_shape:
            return _common.format_values(coefs, as_numpy)
        attrs = _spread(xs, masks, coefs)
        if num > 1:
            attrs = tuple(a[0:1] for a in attrs)
        return _common.format_output(attrs, is_tuple, as_numpy)

    def _one(self, xs, base, target, extra, masks, common):
        single = len(xs) == 1
        return LimeBase.attribute(
            self, xs[0] if single else xs, target=target, additional_forward_args=extra,
            baselines=base[0] if single else base,
            feature_mask=masks[0] if single else masks, **common)


def _pick(base, i, num):
    return tuple(b[i:i + 1] if isinstance(b, Tensor) and b.shape[0] == num and num > 1 else b
                 for b in base)


def _pick_target(target, i):
    if isinstance(target, list):
        return target[i:i + 1]
    if isinstance(target, (Tensor, np.ndarray)) and np.size(target) > 1:
        return [int(np.asarray(_value(target)).reshape(-1)[i])]
    return target


def _spread(xs, masks, coefs):
    """Each element gets its feature's coefficient: ``attr = coef[mask]``, in the
    inputs' shapes."""
    c = coefs.numpy().reshape(-1)
    return tuple(deepgrad.from_numpy(np.ascontiguousarray(np.broadcast_to(c[m], tuple(x.shape))))
                 .to(_common.float_dtype(x)) for x, m in zip(xs, masks))


class KernelShap(Lime):
    r"""Kernel SHAP (Lundberg & Lee, 2017, https://arxiv.org/abs/1705.07874) in Captum's
    form: LIME with the Shapley kernel.

    Coalitions ``z`` with ``k`` of the ``M`` features present are sampled with probability
    proportional to the Shapley kernel's mass ``(M - 1) / (k (M - k))`` for
    ``k = 1 .. M-1`` (all coalitions of a size equally likely), so every sample gets
    weight 1; the full and the empty coalition come first with weight 1e6 (they pin the
    surrogate to ``F(x)`` and ``F(x')``). A weighted :class:`LinearRegression` then gives
    the attributions ``phi``.

    Guarantee (local accuracy): ``sum_f phi_f = F(x) - F(x')`` (up to the finite weight of
    the two pinned samples), and with enough samples ``phi`` converges to the Shapley
    values of the game ``v(S) = F(x with the features outside S at the baseline)``.

    Args:
        forward_func: the model or any function of the inputs.
    """

    inf_weight = 1000000.0

    def __init__(self, forward_func):
        super().__init__(forward_func, interpretable_model=LinearRegression(),
                         similarity_func=self.kernel_shap_similarity_kernel,
                         perturb_func=self.kernel_shap_perturb_generator)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  feature_mask=None, n_samples=25, perturbations_per_eval=1,
                  return_input_shape=True, show_progress=False):
        """Arguments as :meth:`Lime.attribute`."""
        xs, _, _ = _common.format_inputs(inputs)
        _, count = construct_feature_mask(feature_mask, xs)
        if count < 2:
            raise ValueError(f"KernelShap needs at least 2 interpretable features; the "
                             f"feature_mask defines {count}")
        sizes = np.arange(count, dtype=np.float64)
        probs = np.zeros(count)
        probs[1:] = (count - 1) / (sizes[1:] * (count - sizes[1:]))
        return self._attribute_kwargs(inputs, baselines, target, additional_forward_args,
                                      feature_mask, n_samples, perturbations_per_eval,
                                      return_input_shape, show_progress,
                                      num_select_distribution=probs / probs.sum())

    def kernel_shap_similarity_kernel(self, original_inp, perturbed_inp, interpretable_sample,
                                      **kwargs):
        """1 for every sampled coalition; ``inf_weight`` for the empty and full ones."""
        selected = int(np.asarray(_value(interpretable_sample)).sum())
        return self.inf_weight if selected in (0, kwargs["num_interp_features"]) else 1.0

    def kernel_shap_perturb_generator(self, original_inp, **kwargs):
        """All features, no features, then coalitions: a size ``k`` drawn from
        ``num_select_distribution``, and the ``k`` features with the largest of ``M``
        standard normal draws (a uniformly random subset), from deepgrad's default
        generator."""
        count = kwargs["num_interp_features"]
        probs = deepgrad.from_numpy(np.asarray(kwargs["num_select_distribution"]))
        yield deepgrad.ones(1, count, dtype=deepgrad.int64)
        yield deepgrad.zeros(1, count, dtype=deepgrad.int64)
        while True:
            k = int(deepgrad.multinomial(probs, 1).item())
            scores = deepgrad.randn(count, dtype=deepgrad.float64).numpy()
            row = np.zeros((1, count), dtype=np.int64)
            row[0, np.argsort(-scores, kind="stable")[:k]] = 1
            yield deepgrad.from_numpy(row)
