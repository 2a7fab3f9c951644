r"""``DPOptimizer``: DP-SGD's clip, noise and average around any optimizer (Opacus's class).

From the per-sample gradients g_n (``p.grad_sample``, all parameters together):

    ||g_n||     = sqrt(sum_p ||g_{n,p}||^2)                       (per-sample norm)
    c_n         = min(1, C / (||g_n|| + 1e-6))                    (clip factor)
    summed_grad = sum_n c_n g_n                                   (clip_and_accumulate)
    p.grad      = (summed_grad + N(0, (sigma C)^2 I)) / (B_exp * k)   (add_noise, scale_grad)

with C = ``max_grad_norm``, sigma = ``noise_multiplier``, B_exp = ``expected_batch_size``
(the Poisson loader's mean batch size: dividing by the actual size would leak it) and k
the number of batches accumulated; then the wrapped optimizer's ``step`` runs on p.grad.
Every sample moves the sum by at most C, which the noise covers: this is the sampled
Gaussian mechanism the accountants bound.

Physical batches of one logical batch (``BatchMemoryManager``): ``signal_skip_step()``
makes ``step`` only clip and accumulate; the last one adds the noise once and steps.
"""
import weakref

import numpy as np

from deepgrad import backend
from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.optim.optimizer import Optimizer


def _check_positive(name, value, allow_zero=False):
    ok = value >= 0 if allow_zero else value > 0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not ok:
        raise ValueError(f"DPOptimizer: {name} must be a number {'>=' if allow_zero else '>'} 0, "
                         f"received {value!r}")


class DPOptimizer(Optimizer):
    """Wraps ``optimizer`` with per-sample clipping and Gaussian noise (module docstring).

    Args:
        optimizer (deepgrad.optim.Optimizer): the optimizer to wrap; its parameters must
            belong to a :class:`~deepgrad.privacy.GradSampleModule`.
        noise_multiplier (float): sigma >= 0 (noise std = sigma * max_grad_norm).
        max_grad_norm (float): C > 0, the per-sample L2 clipping bound.
        expected_batch_size (int): B_exp, the averaging denominator; required with
            ``loss_reduction='mean'``.
        loss_reduction (str): 'mean' or 'sum' (no division).
        generator (deepgrad.Generator, optional): the noise's random stream.
        secure_mode (bool): Opacus's floating-point-attack-resistant noise from a
            cryptographically secure generator; not available in deepgrad (refused).

    Example:
        >>> opt = DPOptimizer(optim.SGD(gsm.parameters(), lr=0.1), noise_multiplier=1.0,
        ...                   max_grad_norm=1.0, expected_batch_size=64)
        >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, optimizer, *, noise_multiplier, max_grad_norm, expected_batch_size,
                 loss_reduction="mean", generator=None, secure_mode=False):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"DPOptimizer: expected a deepgrad.optim.Optimizer to wrap, "
                            f"received {type(optimizer).__name__}")
        if loss_reduction not in ("mean", "sum"):
            raise ValueError(f"DPOptimizer: loss_reduction must be 'mean' or 'sum', received "
                             f"{loss_reduction!r}")
        _check_positive("noise_multiplier", noise_multiplier, allow_zero=True)
        _check_positive("max_grad_norm", max_grad_norm)
        if loss_reduction == "mean":
            if expected_batch_size is None:
                raise ValueError("You must provide expected batch size of the loss reduction "
                                 "is mean")
            _check_positive("expected_batch_size", expected_batch_size)
        if secure_mode:
            raise ValueError("DPOptimizer: secure_mode=True needs a cryptographically secure "
                             "noise generator (Opacus uses torchcsprng), which deepgrad does "
                             "not have; use secure_mode=False")
        self.original_optimizer = optimizer
        self.noise_multiplier, self.max_grad_norm = float(noise_multiplier), float(max_grad_norm)
        self.expected_batch_size, self.loss_reduction = expected_batch_size, loss_reduction
        self.generator, self.secure_mode = generator, secure_mode
        self.step_hook = None
        self._step_skip_queue = []
        self._is_last_step_skipped = False
        self._summed = {}          # id(p) -> sum_n c_n g_n so far (Opacus: p.summed_grad)
        self._processed = {}       # id -> weakref of each grad_sample tensor already clipped

    # ------------------------------------------------------------------ the wrapped optimizer
    param_groups = property(lambda self: self.original_optimizer.param_groups,
                            lambda self, v: setattr(self.original_optimizer, "param_groups", v))
    state = property(lambda self: self.original_optimizer.state,
                     lambda self, v: setattr(self.original_optimizer, "state", v))
    defaults = property(lambda self: self.original_optimizer.defaults,
                        lambda self, v: setattr(self.original_optimizer, "defaults", v))

    def state_dict(self):
        return self.original_optimizer.state_dict()

    def load_state_dict(self, state_dict):
        self.original_optimizer.load_state_dict(state_dict)

    def add_param_group(self, param_group):
        self.original_optimizer.add_param_group(param_group)

    def __repr__(self):
        return repr(self.original_optimizer)

    @property
    def params(self):
        """The parameters that require grad, in group order."""
        return [p for g in self.param_groups for p in g["params"] if p.requires_grad]

    # ------------------------------------------------------------------ per-sample gradients
    @staticmethod
    def _get_flat_grad_sample(p):
        if not hasattr(type(p), "grad_sample"):
            raise ValueError("Per sample gradient not found. Are you using GradSampleModule?")
        gs = getattr(p, "grad_sample", None)
        if gs is None:
            raise ValueError("Per sample gradient is not initialized. Not updated in backward "
                             "pass? (wrap the model in GradSampleModule / make_private and run "
                             "backward before step)")
        if isinstance(gs, list):
            return np.concatenate([g.array for g in gs], axis=0)
        return gs.array

    @property
    def grad_samples(self):
        """Per-sample gradients, one (N, *shape) Tensor per parameter (batches joined)."""
        return [Tensor._wrap(self._get_flat_grad_sample(p)) for p in self.params]

    @property
    def accumulated_iterations(self):
        """Number of batches whose per-sample gradients are waiting (usually 1)."""
        vals = set()
        for p in self.params:
            gs = getattr(p, "grad_sample", None)
            vals.add(len(gs) if isinstance(gs, list) else 1)
        if len(vals) > 1:
            raise ValueError("Number of accumulated steps is inconsistent across parameters")
        return vals.pop() if vals else 1

    @property
    def summed_grad(self):
        """The clipped per-sample gradients summed so far, per parameter (None if none)."""
        return [None if id(p) not in self._summed else Tensor._wrap(self._summed[id(p)])
                for p in self.params]

    def attach_step_hook(self, fn):
        """Run ``fn(optimizer)`` after noising, before the wrapped step (the accountant's
        hook)."""
        self.step_hook = fn

    def signal_skip_step(self, do_skip=True):
        """The next ``step`` only clips and accumulates (one physical batch of a logical
        batch); ``zero_grad`` after it keeps the accumulated sum."""
        self._step_skip_queue.append(do_skip)

    def _check_skip_next_step(self, pop_next=True):
        if not self._step_skip_queue:
            return False
        return self._step_skip_queue.pop(0) if pop_next else self._step_skip_queue[0]

    # ------------------------------------------------------------------ the DP step
    def clip_and_accumulate(self):
        """summed_grad += sum_n c_n g_n, c_n = min(1, C / (||g_n|| + 1e-6))."""
        params = self.params
        samples = [self._get_flat_grad_sample(p) for p in params]
        for p in params:
            gs = p.grad_sample
            for g in (gs if isinstance(gs, list) else [gs]):
                ref = self._processed.get(id(g))
                if ref is not None and ref() is g:
                    raise ValueError("Gradients haven't been cleared since the last optimizer "
                                     "step. In order to obtain privacy guarantees you must "
                                     "call optimizer.zero_grad()on each step")
        if not samples or len(samples[0]) == 0:
            factor = np.zeros(0, np.float32)
        else:
            sq = sum(np.einsum("ij,ij->i", g.reshape(len(g), -1), g.reshape(len(g), -1))
                     for g in samples)
            factor = np.minimum(self.max_grad_norm / (np.sqrt(sq) + 1e-6), 1.0)
        for p, g in zip(params, samples):
            grad = np.tensordot(factor.astype(g.dtype), g, axes=1) if len(g) else \
                np.zeros(g.shape[1:], g.dtype)
            prev = self._summed.get(id(p))
            self._summed[id(p)] = grad if prev is None else prev + grad
            gs = p.grad_sample
            for s in (gs if isinstance(gs, list) else [gs]):
                self._processed[id(s)] = weakref.ref(s)

    def add_noise(self):
        """p.grad = summed_grad + N(0, (sigma C)^2 I)."""
        std = self.noise_multiplier * self.max_grad_norm
        rng = backend.rng(self.generator)
        for p in self.params:
            summed = self._summed[id(p)]
            if std:
                noisy = summed + std * rng.standard_normal(summed.shape, dtype=np.float64
                                                           ).astype(summed.dtype, copy=False)
            else:
                noisy = summed.copy()
            p.grad = Tensor._wrap(noisy.reshape(p.shape))

    def scale_grad(self):
        """p.grad /= expected_batch_size * accumulated_iterations (loss_reduction='mean')."""
        if self.loss_reduction == "mean":
            k = self.expected_batch_size * self.accumulated_iterations
            for p in self.params:
                p.grad.array /= k

    def pre_step(self, closure=None):
        """Clip and accumulate; unless this step is skipped, noise, scale and run the hook.
        Returns True when the wrapped optimizer should step."""
        if not self.params:
            return True
        self.clip_and_accumulate()
        if self._check_skip_next_step():
            self._is_last_step_skipped = True
            return False
        self.add_noise()
        self.scale_grad()
        if self.step_hook is not None:
            self.step_hook(self)
        self._is_last_step_skipped = False
        return True

    def step(self, closure=None):
        if closure is not None:
            with enable_grad():
                closure()
        if self.pre_step():
            return self.original_optimizer.step()
        return None

    def zero_grad(self, set_to_none=False):
        """Clear ``.grad`` and ``.grad_sample``; the accumulated clipped sum too, unless the
        last step was skipped (a logical batch in progress)."""
        for p in self.params:
            if hasattr(type(p), "grad_sample"):
                p.grad_sample = None
        self._processed.clear()
        if not self._is_last_step_skipped:
            self._summed.clear()
        self.original_optimizer.zero_grad(set_to_none)
