"""Folding an evaluation-mode batch norm into the preceding convolution or linear layer
(PyTorch's ``torch.nn.utils.fusion``). With s = gamma / sqrt(running_var + eps):

    W' = W * s  (per output channel),    b' = (b - running_mean) * s + beta

so that ``fused(x) == bn(conv(x))`` in evaluation mode.
"""
import copy

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _arr(t, like=None):
    if t is None:
        return like
    return t.array if isinstance(t, Tensor) else np.asarray(t)


def _check_eval(a, bn):
    if a.training or bn.training:
        raise AssertionError("Fusion only for eval! Call .eval() on both modules first")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fusion needs a batch norm with running statistics "
                             "(track_running_stats=True)")


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The fused (weight, bias) Parameters of a convolution followed by a batch norm;
    ``transpose=True`` for ConvTranspose weights (output channels on axis 1)."""
    w = _arr(conv_w)
    rm, rv = _arr(bn_rm), _arr(bn_rv)
    b = _arr(conv_b, np.zeros_like(rm))
    gamma, beta = _arr(bn_w, np.ones_like(rm)), _arr(bn_b, np.zeros_like(rm))
    scale = gamma / np.sqrt(rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (w.ndim - 2)
    fused_w = (w * scale.reshape(shape)).astype(w.dtype)
    fused_b = ((b - rm) * scale + beta).astype(w.dtype if conv_b is None else b.dtype)
    b_requires = conv_b.requires_grad if conv_b is not None else False
    return Parameter(Tensor(fused_w), conv_w.requires_grad), Parameter(Tensor(fused_b), b_requires)


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` computing ``bn(conv(x))`` (both in evaluation mode)."""
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean,
                                                    bn.running_var, bn.eps, bn.weight, bn.bias,
                                                    transpose)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused (weight, bias) Parameters of a linear layer followed by a batch norm."""
    w = _arr(linear_w)
    rm, rv = _arr(bn_rm), _arr(bn_rv)
    b = _arr(linear_b, np.zeros_like(rm))
    scale = _arr(bn_w, np.ones_like(rm)) / np.sqrt(rv + bn_eps)
    fused_w = (w * scale[:, None]).astype(w.dtype)
    fused_b = ((b - rm) * scale + _arr(bn_b, np.zeros_like(rm))).astype(
        w.dtype if linear_b is None else b.dtype)
    b_requires = linear_b.requires_grad if linear_b is not None else False
    return (Parameter(Tensor(fused_w), linear_w.requires_grad),
            Parameter(Tensor(fused_b), b_requires))


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` computing ``bn(linear(x))`` (both in evaluation mode); the
    batch norm's features must equal ``linear.out_features`` (or be 1)."""
    _check_eval(linear, bn)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             "bn.num_features == 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias,
                                                      bn.running_mean, bn.running_var, bn.eps,
                                                      bn.weight, bn.bias)
    return fused
