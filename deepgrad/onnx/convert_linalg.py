"""Matrix products -> ONNX: matmul, the two layouts of the dense layer, einsum.

    linear (PyTorch):  y = x W^T + b,  W (out, in)  -> Gemm(x, W, b, transB=1) for 2-D x,
                                                     MatMul(x, W^T) + b otherwise
    dense (Keras):     y = x K + b,    K (in, out)  -> Gemm(x, K, b) / MatMul(x, K) + b
    with relu=True:    max(y, 0)                    -> the same, then Relu

Weights stay in the layout the model holds them (``fc1.weight`` is stored as PyTorch has
it); a transpose for the N-D case is a Transpose node that runtimes fold.
"""
from deepgrad.ops import linalg as L
from deepgrad.ops.einsum import Einsum
from deepgrad.onnx.registry import converts


@converts(L.MatMul)
def matmul(ctx, node):
    return ctx.g.op("MatMul", ctx.inputs(node))


def _affine(ctx, node, trans_b):
    names = ctx.inputs(node)
    x, w, b = names[0], names[1], (names[2] if len(names) == 3 else None)
    if node.inputs[0].ndim == 2:
        return ctx.g.op("Gemm", [x, w] + ([b] if b else []), transB=1 if trans_b else None)
    if trans_b:
        w = ctx.g.transpose(w, (1, 0))
    y = ctx.g.op("MatMul", [x, w])
    return ctx.g.op("Add", [y, b]) if b else y


@converts(L.Linear, checks=("keep", "product"))     # arrays of the run: computed again
def linear(ctx, node):
    """Both layouts: a Keras kernel (``kernel=True``) is multiplied as it is; a fused
    activation (``Dense(activation="relu")`` or ``"sigmoid"``) is a Relu or Sigmoid node
    after it."""
    y = _affine(ctx, node, trans_b=not node.params.get("kernel", False))
    activation = node.params.get("activation")
    return ctx.g.op({"relu": "Relu", "sigmoid": "Sigmoid"}[activation], [y]) if activation else y


@converts(Einsum, checks=("shapes",))
def einsum(ctx, node):
    """``terms -> output`` on the operands with their dropped size-1 axes squeezed (the
    op's ``shapes`` mark them -1), as the op contracts them."""
    terms, output = node.params["terms"], node.params["output"]
    shapes = node.params["shapes"]
    twin = ctx.twin_params[node.index]["shapes"]
    if [[n == -1 for n in s] for s in shapes] != [[n == -1 for n in s] for s in twin]:
        raise ctx.fail(node, "the operands' broadcast axes change with the dynamic sizes")
    names = []
    for name, shape in zip(ctx.inputs(node), shapes):
        dropped = [ax for ax, n in enumerate(shape) if n == -1]
        names.append(ctx.g.squeeze(name, dropped) if dropped else name)
    equation = ",".join(terms) + "->" + output
    return ctx.g.op("Einsum", names, equation=equation)
