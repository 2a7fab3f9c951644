"""``IAccountant``: the privacy accountant's contract (Opacus's ``opacus.accountants``).

An accountant keeps the *history* of the mechanism steps taken so far, as
``[(noise_multiplier, sample_rate, num_steps), ...]`` (consecutive identical steps are
merged), and turns it into an epsilon for a given delta (:meth:`get_epsilon`). The DP
optimizer calls :meth:`step` once per optimizer step through the hook returned by
:meth:`get_optimizer_hook_fn`.
"""
import copy
from collections import OrderedDict


class IAccountant:
    """Base of the accountants: history, optimizer hook, state dict.

    Subclasses define :meth:`get_epsilon` and :meth:`mechanism`.
    """

    def __init__(self):
        self.history = []     # [(noise_multiplier, sample_rate, num_steps)]

    def step(self, *, noise_multiplier, sample_rate):
        """Record one step of the sampled Gaussian mechanism.

        Args:
            noise_multiplier (float): sigma of this step (noise std / clip norm).
            sample_rate (float): probability that an example is in this step's batch.
        """
        if noise_multiplier < 0:
            raise ValueError(f"{type(self).__name__}.step: noise_multiplier must be >= 0, "
                             f"received {noise_multiplier!r}")
        if not 0 <= sample_rate <= 1:
            raise ValueError(f"{type(self).__name__}.step: sample_rate must be in [0, 1], "
                             f"received {sample_rate!r}")
        if self.history:
            last_sigma, last_q, num_steps = self.history[-1]
            if last_sigma == noise_multiplier and last_q == sample_rate:
                self.history[-1] = (last_sigma, last_q, num_steps + 1)
                return
        self.history.append((noise_multiplier, sample_rate, 1))

    def get_epsilon(self, delta, *args, **kwargs):
        """The privacy budget epsilon spent so far, for ``delta``."""
        raise NotImplementedError(f"{type(self).__name__} must define get_epsilon")

    def __len__(self):
        """Number of history entries (runs of identical steps)."""
        return len(self.history)

    @classmethod
    def mechanism(cls):
        """The accounting mechanism's name ('rdp', 'prv', 'gdp')."""
        raise NotImplementedError(f"{cls.__name__} must define mechanism")

    def get_optimizer_hook_fn(self, sample_rate):
        """A callback ``hook(optimizer)`` for :class:`~deepgrad.privacy.DPOptimizer`'s
        ``attach_step_hook``: records one step of ``optimizer.noise_multiplier`` at
        ``sample_rate * optimizer.accumulated_iterations`` (a logical batch made of k
        Poisson-sampled physical batches samples each example with probability about k q).
        """
        def hook_fn(optim):
            self.step(noise_multiplier=optim.noise_multiplier,
                      sample_rate=sample_rate * optim.accumulated_iterations)
        return hook_fn

    def state_dict(self, destination=None):
        """``{'history': [...], 'mechanism': name}`` (into ``destination`` if given)."""
        if destination is None:
            destination = OrderedDict()
        destination["history"] = copy.deepcopy(self.history)
        destination["mechanism"] = self.mechanism()
        return destination

    def load_state_dict(self, state_dict):
        """Restore the history saved by :meth:`state_dict` (same mechanism only)."""
        if not state_dict:
            raise ValueError("state dict is either None or empty and hence cannot be loaded "
                             "into Privacy Accountant.")
        for key in ("history", "mechanism"):
            if key not in state_dict:
                raise ValueError(f"state_dict does not have the key `{key}`. Cannot be loaded "
                                 f"into Privacy Accountant.")
        if state_dict["mechanism"] != self.mechanism():
            raise ValueError(f"state_dict of {state_dict['mechanism']} cannot be loaded into "
                             f"Privacy Accountant with mechanism {self.mechanism()}")
        self.history = [tuple(h) for h in state_dict["history"]]
