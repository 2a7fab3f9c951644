"""Spectral normalisation as a forward pre-hook (PyTorch's ``torch.nn.utils.spectral_norm``):

    <name> = W / sigma,   sigma = u^T W v

with W the parameter ``<name>_orig`` seen as a matrix (``dim`` first), and u, v the
buffers ``<name>_u``, ``<name>_v`` refined by power iteration before each training forward:
v <- normalize(W^T u), u <- normalize(W v). New code uses
:func:`deepgrad.nn.utils.parametrizations.spectral_norm`.
"""
import numpy as np

from deepgrad import backend, ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.parameter import Parameter, UninitializedParameter
from deepgrad.nn.utils.parametrizations import _normalize

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _array(t):
    return t.array if isinstance(t, Tensor) else np.asarray(t)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / sigma``."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.eps = name, dim, eps
        self.n_power_iterations = n_power_iterations

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = ops.permute(weight, [self.dim] + [d for d in range(weight.ndim)
                                                       if d != self.dim])
        return ops.reshape(weight, (weight.shape[0], -1))

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            w = mat.array
            for _ in range(self.n_power_iterations):
                v.array[...] = _normalize(w.T @ u.array, self.eps)
                u.array[...] = _normalize(w @ v.array, self.eps)
        u, v = Tensor(u.array.copy()), Tensor(v.array.copy())
        return weight / ops.sum(u * ops.matmul(mat, v))

    def remove(self, module):
        weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module,
                                                       do_power_iteration=module.training))

    def _solve_v_and_rescale(self, weight_mat, u, target_sigma):
        """v with u^T W v = target_sigma (for state dicts saved before v was stored)."""
        v = np.linalg.pinv(weight_mat.T @ weight_mat) @ weight_mat.T @ u
        return v * (target_sigma / (u @ weight_mat @ v))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "spectral normalization")
        h, w = fn.reshape_weight_to_matrix(weight.detach()).shape
        rng = backend.rng()
        u = Tensor(_normalize(rng.normal(size=h), eps).astype(weight.dtype))
        v = Tensor(_normalize(rng.normal(size=w), eps).astype(weight.dtype))
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        module._register_state_dict_hook(SpectralNormStateDictHook(fn))
        module._register_load_state_dict_pre_hook(SpectralNormLoadStateDictPreHook(fn))
        return fn


class SpectralNormLoadStateDictPreHook:
    """Loads state dicts saved before PyTorch 0.4.1 stored ``<name>_v`` (version None)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, state_dict, prefix, local_metadata, strict, missing_keys,
                 unexpected_keys, error_msgs):
        fn = self.fn
        version = local_metadata.get("spectral_norm", {}).get(fn.name + ".version", None)
        if version is not None and version >= 1:
            return
        key = prefix + fn.name
        if version is None and all(key + s in state_dict for s in ("_orig", "_u", "_v")) \
                and key not in state_dict:
            return              # a current state dict without metadata
        missing = [key + s for s in ("_orig", "", "_u") if key + s not in state_dict]
        if missing:
            if strict:
                missing_keys.extend(missing)
            return
        weight_orig = _array(state_dict[key + "_orig"])
        weight = _array(state_dict.pop(key))
        sigma = (weight_orig / weight).mean()
        mat = fn.reshape_weight_to_matrix(Tensor(weight_orig)).array
        u = _array(state_dict[key + "_u"])
        state_dict[key + "_v"] = Tensor(fn._solve_v_and_rescale(mat, u, sigma))


class SpectralNormStateDictHook:
    """Records ``spectral_norm.<name>.version`` in the state dict's metadata."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, module, state_dict, prefix, local_metadata):
        local_metadata.setdefault("spectral_norm", {})
        key = self.fn.name + ".version"
        if key in local_metadata["spectral_norm"]:
            raise RuntimeError(f"Unexpected key in metadata['spectral_norm']: {key}")
        local_metadata["spectral_norm"][key] = self.fn._version


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Apply spectral normalisation to ``module.<name>`` with a forward pre-hook (state dict
    keys ``<name>_orig``, ``<name>_u``, ``<name>_v``). ``dim`` defaults to 0 (1 for
    ConvTranspose layers). Returns ``module``."""
    if dim is None:
        from deepgrad.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) \
            else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Remove the hook; ``<name>`` becomes a Parameter holding the current W / sigma."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            break
    else:
        raise ValueError(f"spectral_norm of '{name}' not found in {module}")
    for hooks in (module._state_dict_hooks, module._load_state_dict_pre_hooks):
        for k, hook in list(hooks.items()):
            inner = getattr(hook, "hook", hook)
            if isinstance(inner, (SpectralNormStateDictHook, SpectralNormLoadStateDictPreHook)) \
                    and inner.fn.name == name:
                del hooks[k]
    return module
