"""``PrivacyEngine``: one call makes a model, optimizer and data loader differentially
private, and an accountant tracks the budget spent (Opacus's class and arguments).

``make_private`` returns

* the model wrapped in :class:`GradSampleModule` (per-sample gradients in backward),
* a :class:`DPOptimizer` around the optimizer (clip to ``max_grad_norm``, noise of std
  ``noise_multiplier * max_grad_norm``, average by the expected batch size),
* a :class:`DPDataLoader` drawing Poisson batches with q = 1 / len(data_loader),

and hooks the accountant to the optimizer, one (sigma, q) step per optimizer step, so that
``get_epsilon(delta)`` is the epsilon spent so far. ``make_private_with_epsilon`` first
finds the noise multiplier that spends ``target_epsilon`` in ``epochs`` epochs.
"""
import math
import warnings

from deepgrad.nn.module import Module
from deepgrad.optim.optimizer import Optimizer
from deepgrad.privacy.accountants import create_accountant, get_noise_multiplier
from deepgrad.privacy.data_loader import DPDataLoader, _check_dataset
from deepgrad.privacy.grad_sample import GradSampleModule
from deepgrad.privacy.optimizers import DPOptimizer
from deepgrad.privacy.validators import ModuleValidator
from deepgrad.utils.data.dataloader import DataLoader

_MODES = ("hooks", "functorch")


class PrivacyEngine:
    """Entry point of DP training (see the module docstring).

    Args:
        accountant (str): 'prv' (Opacus's default), 'rdp' or 'gdp'.
        secure_mode (bool): Opacus's cryptographically secure noise and sampling; deepgrad
            has no such generator, so True is refused.

    Example:
        >>> engine = PrivacyEngine(accountant="rdp")
        >>> model, optimizer, loader = engine.make_private(
        ...     module=model, optimizer=optimizer, data_loader=loader,
        ...     noise_multiplier=1.1, max_grad_norm=1.0)
        >>> ...  # train as usual
        >>> engine.get_epsilon(delta=1e-5)
    """

    def __init__(self, *, accountant="prv", secure_mode=False):
        if secure_mode:
            raise ValueError("PrivacyEngine: secure_mode=True needs a cryptographically secure "
                             "random generator (Opacus uses torchcsprng), which deepgrad does "
                             "not have; use secure_mode=False")
        self.accountant = create_accountant(mechanism=accountant)
        self.secure_mode = secure_mode
        self.secure_rng = None
        self.dataset = None
        warnings.warn("Secure RNG turned off. This is perfectly fine for experimentation as it "
                      "allows for much faster training performance, but remember to turn it on "
                      "and retrain one last time before production with ``secure_mode`` turned "
                      "on.")

    # ------------------------------------------------------------------ checks
    def is_compatible(self, *, module, optimizer=None, data_loader=None):
        return ModuleValidator.is_valid(module)

    def validate(self, *, module, optimizer=None, data_loader=None):
        """Raise :class:`~deepgrad.privacy.validators.UnsupportedModuleError` if ``module``
        cannot be trained privately (BatchNorm, running statistics, eval mode)."""
        ModuleValidator.validate(module, strict=True)

    @classmethod
    def get_compatible_module(cls, module):
        module = ModuleValidator.fix(module)
        ModuleValidator.validate(module, strict=True)
        return module

    def _check_inputs(self, module, optimizer, data_loader, max_grad_norm, batch_first,
                      loss_reduction, poisson_sampling, clipping, grad_sample_mode, wrap_model,
                      rand_on_empty, criterion):
        if not isinstance(module, Module):
            raise TypeError(f"make_private: module must be a deepgrad.nn.Module, received "
                            f"{type(module).__name__}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"make_private: optimizer must be a deepgrad.optim.Optimizer, "
                            f"received {type(optimizer).__name__}")
        if not isinstance(data_loader, DataLoader):
            raise TypeError(f"make_private: data_loader must be a deepgrad DataLoader, "
                            f"received {type(data_loader).__name__}")
        _check_dataset(data_loader.dataset)
        if isinstance(max_grad_norm, (list, tuple)) or clipping != "flat":
            raise ValueError(f"make_private: only clipping='flat' with one max_grad_norm is "
                             f"supported (received clipping={clipping!r}, max_grad_norm="
                             f"{max_grad_norm!r})")
        if isinstance(max_grad_norm, bool) or not isinstance(max_grad_norm, (int, float)) \
                or not max_grad_norm > 0:
            raise ValueError(f"make_private: max_grad_norm must be a number > 0, received "
                             f"{max_grad_norm!r}")
        if loss_reduction not in ("mean", "sum"):
            raise ValueError(f"make_private: loss_reduction must be 'mean' or 'sum', received "
                             f"{loss_reduction!r}")
        if grad_sample_mode not in _MODES:
            raise ValueError(f"make_private: grad_sample_mode must be one of {_MODES}, received "
                             f"{grad_sample_mode!r}")
        if not wrap_model:
            raise ValueError("make_private: wrap_model=False is not supported; the returned "
                             "GradSampleModule wraps the model")
        if rand_on_empty:
            raise ValueError("make_private: rand_on_empty=True is not supported; empty Poisson "
                             "batches come out with batch size 0")
        if criterion is not None:
            raise ValueError("make_private: criterion is only used by Opacus's "
                             "grad_sample_mode='ghost', which deepgrad does not have; do not "
                             "pass it")
        if not isinstance(poisson_sampling, bool) or not isinstance(batch_first, bool):
            raise TypeError("make_private: poisson_sampling and batch_first must be bools")
        params = {id(p) for p in module.parameters()}
        for g in optimizer.param_groups:
            for p in g["params"]:
                if id(p) not in params:
                    raise ValueError("Module parameters are different than optimizer "
                                     "Parameters")

    # ------------------------------------------------------------------ make_private
    def make_private(self, *, module, optimizer, data_loader, noise_multiplier, max_grad_norm,
                     batch_first=True, loss_reduction="mean", poisson_sampling=True,
                     clipping="flat", noise_generator=None, grad_sample_mode="hooks",
                     wrap_model=True, rand_on_empty=False, criterion=None):
        """The private (module, optimizer, data_loader); see the module docstring.

        Args:
            module, optimizer, data_loader: the training objects (the optimizer over the
                module's parameters).
            noise_multiplier (float): sigma >= 0.
            max_grad_norm (float): C > 0, the per-sample clipping bound.
            batch_first (bool): the batch is axis 0 of the layers' inputs (else axis 1).
            loss_reduction (str): 'mean' or 'sum', the loss's reduction over the batch.
            poisson_sampling (bool): replace the loader by a Poisson one (True is what the
                accountant assumes; False keeps the loader as it is).
            clipping (str): 'flat' (one norm over all parameters).
            noise_generator (deepgrad.Generator, optional): the noise's random stream.
            grad_sample_mode (str): 'hooks' (closed forms per layer) or 'functorch' (the
                generic per-sample path for every layer).
        Nothing is wrapped or changed when an argument is refused.
        """
        self._check_inputs(module, optimizer, data_loader, max_grad_norm, batch_first,
                           loss_reduction, poisson_sampling, clipping, grad_sample_mode,
                           wrap_model, rand_on_empty, criterion)
        if isinstance(noise_multiplier, bool) or not isinstance(noise_multiplier, (int, float)) \
                or not noise_multiplier >= 0:
            raise ValueError(f"make_private: noise_multiplier must be a number >= 0, received "
                             f"{noise_multiplier!r}")
        if isinstance(module, GradSampleModule):
            if module.batch_first != batch_first or module.loss_reduction != loss_reduction:
                raise ValueError(f"Pre-existing GradSampleModule doesn't match new arguments: "
                                 f"batch_first={module.batch_first}, loss_reduction="
                                 f"{module.loss_reduction!r}; requested batch_first="
                                 f"{batch_first}, loss_reduction={loss_reduction!r}")
        else:
            self.validate(module=module)
        if self.dataset is None:
            self.dataset = data_loader.dataset
        elif self.dataset is not data_loader.dataset:
            warnings.warn(f"PrivacyEngine detected new dataset object. Was: {self.dataset}, "
                          f"got: {data_loader.dataset}. Privacy accounting works per dataset, "
                          f"please initialize new PrivacyEngine if you're using different "
                          f"dataset. You can ignore this warning if two datasets above "
                          f"represent the same logical dataset")
        if not isinstance(module, GradSampleModule):
            module = GradSampleModule(module, batch_first=batch_first,
                                      loss_reduction=loss_reduction,
                                      force_functorch=grad_sample_mode == "functorch")
        if poisson_sampling:
            data_loader = DPDataLoader.from_data_loader(data_loader)
        sample_rate = 1 / len(data_loader)
        expected_batch_size = int(len(data_loader.dataset) * sample_rate)
        if isinstance(optimizer, DPOptimizer):
            optimizer = optimizer.original_optimizer
        optimizer = DPOptimizer(optimizer, noise_multiplier=noise_multiplier,
                                max_grad_norm=max_grad_norm,
                                expected_batch_size=expected_batch_size,
                                loss_reduction=loss_reduction, generator=noise_generator)
        optimizer.attach_step_hook(self.accountant.get_optimizer_hook_fn(sample_rate=sample_rate))
        return module, optimizer, data_loader

    def make_private_with_epsilon(self, *, module, optimizer, data_loader, target_epsilon,
                                  target_delta, epochs, max_grad_norm, batch_first=True,
                                  loss_reduction="mean", poisson_sampling=True, clipping="flat",
                                  noise_generator=None, grad_sample_mode="hooks",
                                  wrap_model=True, criterion=None, epsilon_tolerance=0.01):
        """As :meth:`make_private`, with the noise multiplier that spends ``target_epsilon``
        at ``target_delta`` in ``epochs`` epochs (this engine's accountant,
        :func:`~deepgrad.privacy.get_noise_multiplier`). Raises before wrapping anything
        when no noise up to 1e6 meets the budget."""
        self._check_inputs(module, optimizer, data_loader, max_grad_norm, batch_first,
                           loss_reduction, poisson_sampling, clipping, grad_sample_mode,
                           wrap_model, False, criterion)
        if not (isinstance(epochs, (int, float)) and epochs > 0):
            raise ValueError(f"make_private_with_epsilon: epochs must be > 0, received "
                             f"{epochs!r}")
        if not 0 < target_delta < 1:
            raise ValueError(f"make_private_with_epsilon: target_delta must be in (0, 1), "
                             f"received {target_delta!r}")
        _warn_delta(target_delta, len(data_loader.dataset))
        sample_rate = 1 / len(data_loader)
        if len(self.accountant.history) > 0:
            warnings.warn("You're calling make_private_with_epsilon with non-zero privacy "
                          "budget already spent. Returned noise_multiplier assumes zero "
                          "starting point, so your overall privacy budget will be higher.")
        sigma = get_noise_multiplier(target_epsilon=target_epsilon, target_delta=target_delta,
                                     sample_rate=sample_rate, epochs=epochs,
                                     accountant=self.accountant.mechanism(),
                                     epsilon_tolerance=epsilon_tolerance)
        return self.make_private(module=module, optimizer=optimizer, data_loader=data_loader,
                                 noise_multiplier=sigma, max_grad_norm=max_grad_norm,
                                 batch_first=batch_first, loss_reduction=loss_reduction,
                                 poisson_sampling=poisson_sampling, clipping=clipping,
                                 noise_generator=noise_generator,
                                 grad_sample_mode=grad_sample_mode, wrap_model=wrap_model,
                                 criterion=criterion)

    def get_epsilon(self, delta):
        """The epsilon spent so far at ``delta`` (this engine's accountant)."""
        if not 0 < delta < 1:
            raise ValueError(f"get_epsilon: delta must be in (0, 1), received {delta!r}")
        if self.dataset is not None:
            _warn_delta(delta, len(self.dataset))
        return self.accountant.get_epsilon(delta)


def _warn_delta(delta, n):
    """delta >= 1/N allows a mechanism that publishes one whole example outright."""
    if delta >= 1 / n:
        warnings.warn(f"delta={delta} is not below 1 / dataset size = 1/{n} = {1 / n:.3g}: "
                      f"a guarantee with such a delta allows leaking some example entirely; "
                      f"choose delta well below 1/N (e.g. 1/N^1.1).")
    return math.isfinite(delta)
