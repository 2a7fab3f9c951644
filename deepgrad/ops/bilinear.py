"""The bilinear form y_k = x1^T A_k x2 + b_k (``torch.nn.Bilinear``).

    y[..., k] = sum_ij x1[..., i] A[k, i, j] x2[..., j] + b[k]

    dy_k/dx1 = A_k x2,   dy_k/dx2 = A_k^T x1,   dy_k/dA_kij = x1_i x2_j,   dy_k/db_k = 1

A composition of differentiable ops: one matmul x1 (A as (in1, out * in2)), then a
product with x2 summed over in2, so the gradients come from matmul, mul and sum.
"""
from deepgrad.ops._util import operands
from deepgrad.ops.linalg import matmul
from deepgrad.ops.reduce import sum as _sum


def _check(x1, x2, w, b):
    if x1.ndim != x2.ndim:
        raise RuntimeError(f"bilinear: input dimensions do not match: got {x1.ndim} and "
                           f"{x2.ndim} (shapes {tuple(x1.shape)} and {tuple(x2.shape)})")
    if x1.ndim == 0:
        raise RuntimeError("bilinear: inputs must have at least 1 dimension, received 0-d tensors")
    if x1.shape[:-1] != x2.shape[:-1]:
        raise RuntimeError(f"bilinear: input batch dimensions do not match: got "
                           f"{tuple(x1.shape[:-1])} and {tuple(x2.shape[:-1])}")
    if w.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out_features, in1_features, "
                           f"in2_features), received shape {tuple(w.shape)}")
    for k, x in ((1, x1), (2, x2)):
        if x.shape[-1] != w.shape[k]:
            raise RuntimeError(f"bilinear: input{k} size does not match weight size: got "
                               f"{x.shape[-1]} but expected {w.shape[k]} (weight shape "
                               f"{tuple(w.shape)})")
    if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
        raise RuntimeError(f"bilinear: bias size does not match weight size: got bias of shape "
                           f"{tuple(b.shape)} but expected ({w.shape[0]},)")


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b for each output feature k (see module doc for the derivatives).

    Args:
        input1: (*, in1_features).
        input2: (*, in2_features), the same leading dims as input1.
        weight: A, (out_features, in1_features, in2_features).
        bias: b, (out_features,) or None.
    Returns:
        (*, out_features).
    """
    x1, x2 = operands("bilinear", input1, input2)
    x1, w = operands("bilinear", x1, weight)
    b = None if bias is None else operands("bilinear", x1, bias)[1]
    _check(x1, x2, w, b)
    out, in1, in2 = w.shape
    a = w.permute(1, 0, 2).reshape(in1, out * in2)            # A as (in1, out * in2)
    t = matmul(x1, a).reshape(*x1.shape[:-1], out, in2)       # t[..., k, j] = (x1^T A_k)_j
    y = _sum(t * x2.unsqueeze(-2), -1)
    return y if b is None else y + b


__all__ = ["bilinear"]
