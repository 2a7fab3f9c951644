"""``deepgrad.nn.functional``: the functional API, a thin layer over :mod:`deepgrad.ops`.

Every function here is the op itself; its forward, backward and formula live in
``deepgrad/ops/<family>.py``.
"""
from deepgrad.ops import (  # noqa: F401
    linear, relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus, silu, softmax, log_softmax,
    dropout, cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
    binary_cross_entropy, binary_cross_entropy_with_logits, kl_div, logsumexp,
    conv1d, conv2d, conv_transpose1d, conv_transpose2d, max_pool1d, max_pool2d, avg_pool1d,
    avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d,
    batch_norm, layer_norm, group_norm, embedding, pad, interpolate,
    rnn_layer, lstm_layer, gru_layer, rnn_cell, lstm_cell, gru_cell)
from deepgrad.ops.attention import (  # noqa: F401,E402
    scaled_dot_product_attention, multi_head_attention_forward)
from deepgrad.ops import (  # noqa: F401,E402
    conv3d, conv_transpose3d, max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool3d, max_pool1d_with_indices, max_pool2d_with_indices,
    max_pool3d_with_indices, adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices, lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d,
    max_unpool2d, max_unpool3d, fractional_max_pool2d, fractional_max_pool3d,
    fractional_max_pool2d_with_indices, fractional_max_pool3d_with_indices, fold, unfold,
    pixel_shuffle, pixel_unshuffle, channel_shuffle)
from deepgrad.ops import instance_norm, rms_norm, local_response_norm  # noqa: F401,E402
from deepgrad.ops.padding import upsample, upsample_nearest, upsample_bilinear  # noqa: F401,E402
from deepgrad.ops import embedding_bag, grid_sample, affine_grid  # noqa: F401,E402


from deepgrad.ops import (  # noqa: F401  activations, dropouts, distances, margin/NLL/CTC losses
    relu_, leaky_relu_, elu_, selu, selu_, celu, celu_, mish, logsigmoid, softsign, tanhshrink,
    glu, softmin, gumbel_softmax, threshold, threshold_, hardtanh, hardtanh_, relu6,
    hardsigmoid, hardswish, hardshrink, softshrink, prelu, rrelu, rrelu_, dropout1d, dropout2d,
    dropout3d, alpha_dropout, feature_alpha_dropout, pairwise_distance, pdist,
    cosine_similarity, normalize, bilinear, margin_ranking_loss, hinge_embedding_loss,
    soft_margin_loss, cosine_embedding_loss, multi_margin_loss, multilabel_margin_loss,
    triplet_margin_loss, triplet_margin_with_distance_loss, poisson_nll_loss,
    gaussian_nll_loss, multilabel_soft_margin_loss, ctc_loss)
from deepgrad.ops import linear_cross_entropy  # noqa: F401
from deepgrad.ops import sigmoid_focal_loss  # noqa: F401  (torchvision.ops' formula)


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot of shape (*, num_classes)."""
    import numpy as np
    from deepgrad.autograd.tensor import Tensor
    idx = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise RuntimeError(f"one_hot: class values must be in [0, {n - 1}], received "
                           f"[{idx.min()}, {idx.max()}]")
    return Tensor((idx[..., None] == np.arange(n)).astype(np.int64))


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.nn.functional' has no attribute {name!r}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.nn.functional", name)
