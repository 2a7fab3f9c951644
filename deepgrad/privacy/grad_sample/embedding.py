r"""Per-sample gradients of ``nn.Embedding`` (y_{n,s} = W[i_{n,s}]):

    dW_n[v] = sum over positions s with i_{n,s} = v of g_{n,s}

(a scatter-add of the output gradients into an (N, num_embeddings, dim) array; the row
``padding_idx`` gets no gradient, as in the layer's own backward).
``scale_grad_by_freq`` divides by each index's count over the *whole batch*, which mixes
samples, so it is refused.
"""
import numpy as np

from deepgrad.nn.embedding import Embedding
from deepgrad.privacy.grad_sample.utils import register_grad_sampler


@register_grad_sampler(Embedding)
def compute_embedding_grad_sample(layer, activations, backprops):
    if not layer.weight.requires_grad:
        return {}
    if layer.scale_grad_by_freq:
        raise ValueError("Embedding(scale_grad_by_freq=True) scales each row's gradient by "
                         "its frequency in the whole batch, which mixes samples; per-sample "
                         "gradients need scale_grad_by_freq=False")
    idx = np.asarray(activations[0])
    N, V, D = idx.shape[0], layer.num_embeddings, layer.embedding_dim
    flat = (np.arange(N).reshape((N,) + (1,) * (idx.ndim - 1)) * V + idx).reshape(-1)
    rows = backprops.reshape(-1, D)
    out = np.zeros((N * V, D), backprops.dtype)
    order = np.argsort(flat, kind="stable")            # one reduceat instead of add.at
    flat, rows = flat[order], rows[order]
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    if len(flat):
        out[flat[starts]] = np.add.reduceat(rows, starts, axis=0)
    out = out.reshape(N, V, D)
    if layer.padding_idx is not None:
        out[:, layer.padding_idx] = 0
    return {layer.weight: out}
