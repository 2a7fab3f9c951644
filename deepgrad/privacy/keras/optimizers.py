r"""TensorFlow Privacy's DP Keras optimizers on ``deepgrad.keras``: ``DPKerasSGDOptimizer``,
``DPKerasAdamOptimizer``, ``DPKerasAdagradOptimizer`` (``make_keras_optimizer_class``).

Used as TF Privacy documents them: the loss returns one value per example
(``reduction='none'``) and the optimizer goes to ``compile``::

    optimizer = DPKerasSGDOptimizer(l2_norm_clip=1.0, noise_multiplier=1.1,
                                    num_microbatches=256, learning_rate=0.15)
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, reduction="none")
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    model.fit(x, y, batch_size=256, epochs=10)

Each ``fit`` step (TF Privacy's GaussianSumQuery), with the batch's B per-example losses
l_n split into M = ``num_microbatches`` (default B) consecutive microbatches of k = B / M:

    G_m  = grad of mean_{n in microbatch m} l_n                  (per-microbatch gradient)
    G_m <- G_m * C / max(||G_m||, C)                             (tf.clip_by_global_norm)
    g    = (sum_m G_m + N(0, (C sigma)^2 I)) / M                 (noise, then average)

then the base optimizer's update with g (C = ``l2_norm_clip``, sigma = ``noise_multiplier``).
The per-example gradients come from :mod:`deepgrad.privacy.keras.grad_sample`; a weight
regularizer's gradient, the same for every example, is added to each one, as TF
Privacy's per-example losses include the penalty. ``compute_dp_sgd_privacy`` gives the
epsilon of such a run.
"""
import numpy as np

from deepgrad import backend
from deepgrad.autograd.gradients import grad as _autograd_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import optimizers as keras_optimizers
from deepgrad.privacy.keras.grad_sample import capture_per_example


def _batch_size(x):
    while isinstance(x, (list, tuple)):
        x = x[0]
    if isinstance(x, dict):
        return _batch_size(next(iter(x.values())))
    return int(x.shape[0])


def make_keras_optimizer_class(cls):
    """The DP subclass of Keras optimizer class ``cls`` (TF Privacy's function)."""

    class DPOptimizerClass(cls):
        __doc__ = (f"Differentially private ``{cls.__name__}`` (TF Privacy's "
                   f"``DPKeras{cls.__name__}Optimizer``; see :mod:`{__name__}`).\n\n"
                   f"    Args:\n"
                   f"        l2_norm_clip (float): C > 0, the clipping norm of each "
                   f"microbatch gradient.\n"
                   f"        noise_multiplier (float): sigma >= 0 (noise std = sigma C).\n"
                   f"        num_microbatches (int, optional): M, dividing the batch size; "
                   f"None: one example per microbatch.\n"
                   f"        **kwargs: ``{cls.__name__}``'s arguments (``learning_rate``, "
                   f"``gradient_accumulation_steps``, ...).\n")

        def __init__(self, l2_norm_clip, noise_multiplier, num_microbatches=None, *args,
                     **kwargs):
            name = f"DPKeras{cls.__name__}Optimizer"
            if isinstance(l2_norm_clip, bool) or not isinstance(l2_norm_clip, (int, float)) \
                    or not l2_norm_clip > 0:
                raise ValueError(f"{name}: l2_norm_clip must be a number > 0, received "
                                 f"{l2_norm_clip!r}")
            if isinstance(noise_multiplier, bool) or \
                    not isinstance(noise_multiplier, (int, float)) or noise_multiplier < 0:
                raise ValueError(f"{name}: noise_multiplier must be a number >= 0, received "
                                 f"{noise_multiplier!r}")
            if num_microbatches is not None and (
                    isinstance(num_microbatches, bool) or
                    not isinstance(num_microbatches, (int, np.integer)) or num_microbatches < 1):
                raise ValueError(f"{name}: num_microbatches must be a positive int or None, "
                                 f"received {num_microbatches!r}")
            if kwargs.get("gradient_accumulation_steps") == 1:    # TF Privacy's "none"
                kwargs["gradient_accumulation_steps"] = None
            super().__init__(*args, **kwargs)
            self.l2_norm_clip, self.noise_multiplier = float(l2_norm_clip), \
                float(noise_multiplier)
            self._num_microbatches = None if num_microbatches is None else int(num_microbatches)
            self._in_dp_step = False

        def get_config(self):
            return {**super().get_config(), "l2_norm_clip": self.l2_norm_clip,
                    "noise_multiplier": self.noise_multiplier,
                    "num_microbatches": self._num_microbatches}

        # ------------------------------------------------------------------ the DP step
        def per_example_train_step(self, model, x, y, sample_weight):
            """One DP step of ``fit`` (module docstring); sets no ``.grad`` the base update
            does not read. Returns (y_pred, mean loss)."""
            params = model.trainable_weights
            B = _batch_size(x)
            M = self._num_microbatches or B
            if B % M:
                raise ValueError(f"{type(self).__name__}: the batch size {B} is not divisible "
                                 f"by num_microbatches={M}; choose a batch size (and the "
                                 f"last batch's) that num_microbatches divides")
            for p in params:
                p.grad = None
            with capture_per_example(model) as cap:
                y_pred = model(x, training=True)
                loss = model.compute_loss(x, y, y_pred, sample_weight, training=True)
                if loss.ndim != 1 or loss.shape[0] != B:
                    raise ValueError(
                        f"{type(self).__name__} needs one loss per example: compile with a "
                        f"loss of reduction='none' (received a loss of shape "
                        f"{tuple(loss.shape)} for a batch of {B})")
                loss.sum().backward()
            per_example = self._per_example(model, params, cap.grads, B)
            self._add_noise_and_apply(params, per_example, M)
            return y_pred, float(loss.array.mean())

        def _per_example(self, model, params, captured, B):
            """(B, *shape) per parameter: the captured rows plus the regularizers' gradient;
            refuses gradients that reached a weight outside the layers that own it."""
            regularized = [p for p in params if getattr(p, "regularizer", None) is not None]
            if len(model.losses) != len(regularized):
                raise ValueError(f"{type(self).__name__}: add_loss / activity_regularizer "
                                 f"terms are computed over the whole batch, so they mix "
                                 f"examples; DP training supports weight regularizers only")
            reg = dict(zip(map(id, regularized), _autograd_grad(
                sum(p.regularizer(p) for p in regularized), regularized, allow_unused=True)
            )) if regularized else {}
            out = []
            for p in params:
                rows = captured.get(id(p))
                if rows is None:
                    rows = np.zeros((B,) + p.shape, p.dtype)
                shared = reg.get(id(p))
                shared = np.zeros(p.shape, p.dtype) if shared is None else shared.array
                total = np.zeros(p.shape, p.dtype) if p.grad is None else p.grad.array
                rest = total - rows.sum(axis=0) - B * shared
                scale = np.abs(total).max() + B * np.abs(shared).max() + 1e-30
                if np.abs(rest).max() > 1e-3 * scale:
                    raise ValueError(
                        f"{type(self).__name__}: part of the gradient of weight {p.path!r} "
                        f"does not pass through the outputs of the layer that owns it (the "
                        f"weight is used by another layer or outside a layer), so its "
                        f"per-example gradients cannot be captured")
                out.append(rows + shared)
            return out

        def _add_noise_and_apply(self, params, per_example, M):
            C, sigma = self.l2_norm_clip, self.noise_multiplier
            micro = [g.reshape((M, -1) + g.shape[1:]).mean(axis=1) for g in per_example]
            sq = sum(np.einsum("ij,ij->i", m.reshape(M, -1), m.reshape(M, -1)) for m in micro)
            factor = C / np.maximum(np.sqrt(sq), C)
            rng = backend.rng(None)
            for p, m in zip(params, micro):
                g = np.tensordot(factor.astype(m.dtype), m, axes=1)
                if sigma:
                    g = g + (sigma * C) * rng.standard_normal(g.shape).astype(g.dtype)
                p.grad = Tensor._wrap((g / M).astype(p.dtype, copy=False))
            self._in_dp_step = True
            try:
                super().apply(params)
            finally:
                self._in_dp_step = False

        def apply(self, grads_or_vars, trainable_variables=None):
            if not self._in_dp_step:
                raise RuntimeError(
                    f"{type(self).__name__}.apply: gradients must come from the DP step "
                    f"(per-example clipping and noise), which model.fit runs; applying "
                    f"other gradients would not be differentially private")
            return super().apply(grads_or_vars, trainable_variables)

    DPOptimizerClass.__name__ = DPOptimizerClass.__qualname__ = f"DPKeras{cls.__name__}Optimizer"
    return DPOptimizerClass


DPKerasSGDOptimizer = make_keras_optimizer_class(keras_optimizers.SGD)
DPKerasAdamOptimizer = make_keras_optimizer_class(keras_optimizers.Adam)
DPKerasAdagradOptimizer = make_keras_optimizer_class(keras_optimizers.Adagrad)
