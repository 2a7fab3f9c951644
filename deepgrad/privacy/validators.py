"""``ModuleValidator``: which models DP-SGD can train, and fixes for those it cannot
(Opacus's ``opacus.validators`` names).

Per-sample gradients need every sample's output to depend on that sample alone, and DP
accounting covers the gradients only, not state computed from the data:

* BatchNorm normalises with statistics of the whole batch (sample n's output depends on
  the others): refused; ``fix`` replaces it by GroupNorm(gcd(32, C), C), as Opacus does
  (or by InstanceNorm with ``replace_bn_with_in=True``).
* InstanceNorm with ``track_running_stats=True`` keeps running statistics of the data,
  which no noise protects: refused; ``fix`` turns the tracking off.
* the model must be in training mode.
"""
import copy
import math

from deepgrad.nn.normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,
    GroupNorm, _BatchNorm, _InstanceNorm)


class UnsupportedModuleError(ValueError):
    """A model (or layer) DP-SGD cannot train as it is; ``errors`` lists the reasons."""

    def __init__(self, errors=None):
        self.errors = list(errors) if isinstance(errors, (list, tuple)) else [errors]
        super().__init__("\n".join(str(e) for e in self.errors))


class ShouldReplaceModuleError(UnsupportedModuleError):
    """A layer to replace by a DP-compatible one (``ModuleValidator.fix`` does it)."""


class IllegalModuleConfigurationError(UnsupportedModuleError):
    """A layer or model whose configuration must change (``fix`` does it where it can)."""


def _is_batch_norm(m):
    if isinstance(m, _BatchNorm) and not isinstance(m, _InstanceNorm):
        return True
    return type(m).__name__ in ("BatchNormalization", "SyncBatchNorm")   # Keras layer too


def _batch_norm_error(name, m):
    return ShouldReplaceModuleError(
        f"{name or 'the model'} ({type(m).__name__}) cannot be trained with differential "
        f"privacy: BatchNorm normalises each sample with statistics of the whole batch, so "
        f"a sample's output (and gradient) depends on the other samples. Use GroupNorm "
        f"(or LayerNorm / InstanceNorm), which normalise each sample on its own: "
        f"ModuleValidator.fix(model) replaces every BatchNorm by GroupNorm.")


def check_no_batch_norm(module):
    """Raise :class:`ShouldReplaceModuleError` naming the first BatchNorm in ``module``."""
    for name, m in module.named_modules():
        if _is_batch_norm(m):
            raise _batch_norm_error(name, m)


class ModuleValidator:
    """Checks and fixes a model for DP-SGD (all class methods)."""

    @classmethod
    def validate(cls, module, *, strict=False):
        """The list of problems of ``module`` (raised together with ``strict=True``)."""
        errors = []
        if not module.training:
            errors.append(IllegalModuleConfigurationError("Model needs to be in training mode"))
        for name, m in module.named_modules():
            if _is_batch_norm(m):
                errors.append(_batch_norm_error(name, m))
            elif isinstance(m, _InstanceNorm) and m.track_running_stats:
                errors.append(IllegalModuleConfigurationError(
                    f"{name} ({type(m).__name__}): track_running_stats=True keeps running "
                    f"statistics of the training data, which no DP mechanism protects; use "
                    f"track_running_stats=False (ModuleValidator.fix does)."))
        if strict and errors:
            raise UnsupportedModuleError(errors)
        return errors

    @classmethod
    def is_valid(cls, module):
        return not cls.validate(module, strict=False)

    @classmethod
    def fix(cls, module, *, replace_bn_with_in=False, num_groups=None):
        """A copy of ``module`` with BatchNorm replaced (GroupNorm(num_groups or
        gcd(32, C), C), or InstanceNorm with ``replace_bn_with_in``) and InstanceNorm's
        running statistics turned off. The model itself is left unchanged."""
        if replace_bn_with_in and num_groups is not None:
            raise ValueError("is_replace_bn_with_in and num_groups are mutually exclusive")
        module = copy.deepcopy(module)
        if _is_batch_norm(module) or isinstance(module, _InstanceNorm):
            return cls._fixed(module, replace_bn_with_in, num_groups)
        for name, m in list(module.named_modules()):
            if _is_batch_norm(m) or (isinstance(m, _InstanceNorm) and m.track_running_stats):
                parent = module
                *path, last = name.split(".")
                for p in path:
                    parent = getattr(parent, p)
                setattr(parent, last, cls._fixed(m, replace_bn_with_in, num_groups))
        return module

    @staticmethod
    def _fixed(m, replace_bn_with_in, num_groups):
        if isinstance(m, _InstanceNorm):
            m.track_running_stats = False
            m.running_mean = m.running_var = None
            return m
        if not isinstance(m, _BatchNorm):
            raise UnsupportedModuleError(
                f"{type(m).__name__} has no deepgrad.nn replacement; build the model with "
                f"GroupNormalization or LayerNormalization instead")
        dtype = m.weight.dtype if m.weight is not None else None
        if replace_bn_with_in:
            cls_in = {BatchNorm1d: InstanceNorm1d, BatchNorm2d: InstanceNorm2d,
                      BatchNorm3d: InstanceNorm3d}.get(type(m))
            if cls_in is None:
                raise UnsupportedModuleError(f"There is no equivalent InstanceNorm module to "
                                             f"replace {type(m).__name__} with. Consider "
                                             f"replacing it with GroupNorm instead.")
            return cls_in(m.num_features, dtype=dtype)
        groups = math.gcd(32, m.num_features) if num_groups is None else num_groups
        return GroupNorm(groups, m.num_features, affine=m.affine, dtype=dtype)

    @classmethod
    def fix_and_validate(cls, module, **kwargs):
        fixed = cls.fix(module, **kwargs)
        cls.validate(fixed, strict=True)
        return fixed
