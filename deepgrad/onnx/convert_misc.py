"""Embedding, attention, layout and dropout -> ONNX.

* embedding: y = W[idx] is Gather(W, idx) along axis 0; the indices are the op's argument,
  found to be a graph input (or the input cast to integers, as Keras's Embedding does);
* scaled dot-product attention, written as deepgrad's op computes it:

      A = c q k^T (+ M),  masked positions -inf,  P = softmax(A) over the keys,  O = P v

* a memory-layout copy (``contiguous``, ``channels_last``) is the identity;
* dropout recorded in training mode is refused (an exported model is an inference graph:
  in eval mode dropout is the identity and leaves no node).
"""
import numpy as np

from deepgrad.ops import attention as AT, layout as LY
from deepgrad.ops.dropout import Dropout, MaskedAffine
from deepgrad.ops.embedding import Embedding
from deepgrad.onnx.registry import converts


@converts(Embedding, checks=("index",))
def embedding(ctx, node):
    index = ctx.param_tensor(node, "index", "embedding_index")
    return ctx.g.op("Gather", [ctx.input(node, 0), index], axis=0)


@converts(LY.Relayout)
def relayout(ctx, node):
    return ctx.g.op("Identity", [ctx.input(node, 0)])


@converts(Dropout, MaskedAffine)
def dropout(ctx, node):
    raise ctx.fail(node, "dropout ran in training mode; export in eval mode (model.eval(), or "
                         "Keras training=False), where dropout is the identity")


@converts(AT.ScaledDotProductAttention, checks=("bool_mask",))
def scaled_dot_product_attention(ctx, node):
    p = node.params
    if p.get("dropout_p", 0.0) > 0.0:
        raise ctx.fail(node, "attention dropout (dropout_p > 0) is a training-time op; export "
                             "in eval mode")
    g, dtype = ctx.g, node.output.dtype
    q, k, v = ctx.input(node, 0), ctx.input(node, 1), ctx.input(node, 2)
    nd = node.inputs[1].ndim
    kt = g.transpose(k, list(range(nd - 2)) + [nd - 1, nd - 2])
    a = g.op("Mul", [g.op("MatMul", [q, kt]), g.scalar(p.get("scale", 1.0), dtype)])
    if len(node.inputs) > 3:
        a = g.op("Add", [a, ctx.input(node, 3)])
    minus_inf = g.scalar(-np.inf, dtype)
    if p.get("bool_mask") is not None:
        mask = ctx.param_tensor(node, "bool_mask", "attn_mask")
        a = g.op("Where", [mask, a, minus_inf])
    if p.get("causal", False):
        L, S = node.inputs[0].shape[-2], node.inputs[1].shape[-2]
        a = g.op("Where", [g.const(np.tri(L, S, dtype=bool), "causal_mask"), a, minus_inf])
    return g.op("MatMul", [g.op("Softmax", [a], axis=-1), v])
