"""Differentiable primitives, one family per file; this is the flat list of what they export."""
from deepgrad.ops.elementwise import (
    add, sub, mul, div, neg, pow, exp, log, sqrt, abs, clip, clamp, maximum, minimum, where,
    cast, clone, eq, ne, lt, le, gt, ge)
from deepgrad.ops.activation import (
    relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus, silu, softmax, log_softmax)
from deepgrad.ops.reduce import (
    sum, mean, amax, amin, max_with_indices, min_with_indices, var, std, logsumexp, argmax,
    argmin, norm)
from deepgrad.ops.shape import (
    reshape, view, permute, transpose, flatten, squeeze, unsqueeze, expand, broadcast_to,
    repeat, getitem, cat, concatenate, stack, split, chunk)
from deepgrad.ops.linalg import matmul, linear, dense
from deepgrad.ops.loss import (
    cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
    binary_cross_entropy, binary_cross_entropy_with_logits, kl_div)
from deepgrad.ops.dropout import dropout
from deepgrad.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from deepgrad.ops.pool import (
    max_pool1d, max_pool2d, avg_pool1d, avg_pool2d, adaptive_avg_pool1d, adaptive_avg_pool2d,
    adaptive_max_pool2d)
from deepgrad.ops.normalization import batch_norm, layer_norm, group_norm
from deepgrad.ops.embedding import embedding
from deepgrad.ops.padding import pad, interpolate
from deepgrad.ops.rnn import rnn_layer, lstm_layer, gru_layer, rnn_cell, lstm_cell, gru_cell
from deepgrad.ops.attention import scaled_dot_product_attention, multi_head_attention_forward
from deepgrad.ops.conv import conv3d, conv_transpose3d
from deepgrad.ops.pool import (
    max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool3d,
    max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices)
from deepgrad.ops.pool_extra import (
    lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d, max_unpool3d,
    fractional_max_pool2d, fractional_max_pool3d, fractional_max_pool2d_with_indices,
    fractional_max_pool3d_with_indices)
from deepgrad.ops.fold import fold, unfold
from deepgrad.ops.shuffle import pixel_shuffle, pixel_unshuffle, channel_shuffle
from deepgrad.ops.normalization import instance_norm, rms_norm, local_response_norm
from deepgrad.ops.activation import (
    relu_, leaky_relu_, elu_, selu, selu_, celu, celu_, mish, logsigmoid, softsign, tanhshrink,
    glu, softmin, gumbel_softmax)
from deepgrad.ops.activation_piecewise import (
    threshold, threshold_, hardtanh, hardtanh_, relu6, hardsigmoid, hardswish, hardshrink,
    softshrink, prelu, rrelu, rrelu_)
from deepgrad.ops.dropout import (
    dropout_, dropout1d, dropout2d, dropout3d, alpha_dropout, alpha_dropout_, feature_dropout,
    feature_dropout_, feature_alpha_dropout, feature_alpha_dropout_)
from deepgrad.ops.distance import pairwise_distance, pdist, cosine_similarity, normalize
from deepgrad.ops.bilinear import bilinear
from deepgrad.ops.loss_margin import (
    margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, cosine_embedding_loss,
    multi_margin_loss, multilabel_margin_loss, triplet_margin_loss,
    triplet_margin_with_distance_loss)
from deepgrad.ops.loss_prob import (
    poisson_nll_loss, gaussian_nll_loss, multilabel_soft_margin_loss)
from deepgrad.ops.ctc import ctc_loss
