"""Weight and spectral normalisation as parametrizations (PyTorch's
``torch.nn.utils.parametrizations``).

Weight norm (Salimans & Kingma), with the norm taken over every axis but ``dim``:

    w = g * v / ||v||          stored: original0 = g (the norms), original1 = v

Spectral norm (Miyato et al.), W seen as a matrix (``dim`` first, the rest flattened):

    w = W / sigma,   sigma = u^T W v

where u, v (buffers ``_u``, ``_v``) estimate W's top singular vectors by power iteration,
one or more steps per forward in training: u <- normalize(W v), v <- normalize(W^T u)
(15 steps at registration).
Gradients flow through W only (u and v are constants of the step). A 1-D weight is divided
by its norm. Both are compositions of differentiable ops.
"""
import numpy as np

from deepgrad import backend, ops
from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import UninitializedParameter
from deepgrad.nn.utils import parametrize

__all__ = ["weight_norm", "spectral_norm"]


def norm_except_dim(v, dim):
    """||v||_2 over every axis but ``dim``, kept as size-1 axes (dim = -1: the whole tensor,
    PyTorch's convention)."""
    if dim == -1:
        return ops.sqrt(ops.sum(v * v))
    dim = dim % v.ndim
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return ops.sqrt(ops.sum(v * v, dim=axes, keepdim=True)) if axes else ops.abs(v)


def weight_norm_value(v, g, dim):
    """w = v * (g / ||v||), the norm over every axis but ``dim`` (PyTorch's _weight_norm)."""
    return v * (g / norm_except_dim(v, dim))


class _WeightNorm(Module):
    """The weight-norm parametrization: forward(g, v) = g * v / ||v||."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_value(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim).detach(), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as g * v / ||v|| (see the module docstring).

    Adds ``parametrizations.<name>.original0`` (g, shaped like the norms) and ``.original1``
    (v) to the state dict; a state dict with the legacy ``<name>_g``/``<name>_v`` keys loads
    too. ``dim=None`` takes the norm over the whole tensor.

    Example:
        >>> m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.shape      # (40, 1)
    """
    weight = getattr(module, name, None)
    if isinstance(weight, UninitializedParameter):
        raise ValueError("The module passed to `weight_norm` can't have uninitialized "
                         "parameters. Make sure to run the dummy forward before applying "
                         "weight normalization")
    if dim is not None and weight is not None and not -weight.ndim <= dim < weight.ndim:
        raise IndexError(f"weight_norm: dim {dim} is out of range for {name} of shape "
                         f"{tuple(weight.shape)}")
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)
    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


def _normalize(x, eps):
    """x / max(||x||, eps) of a 1-D array (no gradient)."""
    return x / max(float(np.sqrt(np.dot(x, x))), eps)


class _SpectralNorm(Module):
    """The spectral-norm parametrization: forward(W) = W / (u^T W v), u and v updated by
    power iteration in training."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if not -ndim <= dim < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                             f"{ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            h, w = self._reshape_weight_to_matrix(weight).shape
            rng = backend.rng()
            dtype = weight.dtype
            self.register_buffer("_u", Tensor(_normalize(rng.normal(size=h), eps).astype(dtype)))
            self.register_buffer("_v", Tensor(_normalize(rng.normal(size=w), eps).astype(dtype)))
            self._power_method(self._reshape_weight_to_matrix(weight).array, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = ops.permute(weight, [self.dim] + [d for d in range(weight.ndim)
                                                       if d != self.dim])
        return ops.reshape(weight, (weight.shape[0], -1))

    def _power_method(self, w, n):
        """n steps of u <- normalize(W v), v <- normalize(W^T u) on the buffers, in place."""
        u, v = self._u.array, self._v.array
        for _ in range(n):
            u[...] = _normalize(w @ v, self.eps)
            v[...] = _normalize(w.T @ u, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / ops.clamp(ops.sqrt(ops.sum(weight * weight)), min=self.eps)
        mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(mat.array, self.n_power_iterations)
        u, v = Tensor(self._u.array.copy()), Tensor(self._v.array.copy())
        sigma = ops.sum(u * ops.matmul(mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrize ``module.<name>`` as W / sigma(W) (see the module docstring).

    Args:
        module (Module): the owner.  name (str): the parameter.
        n_power_iterations (int): power-iteration steps per training forward.
        eps (float): the floor of the norms.
        dim (int): the output axis (default 0; 1 for ConvTranspose layers).
    Returns:
        Module: ``module``, with buffers ``parametrizations.<name>.0._u`` and ``._v``.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if isinstance(weight, UninitializedParameter):
        raise ValueError("The module passed to `spectral_norm` can't have uninitialized "
                         "parameters. Make sure to run the dummy forward before applying "
                         "spectral normalization")
    if dim is None:
        from deepgrad.nn.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    with no_grad():
        sn = _SpectralNorm(weight, n_power_iterations, dim, eps)
    parametrize.register_parametrization(module, name, sn)
    return module
