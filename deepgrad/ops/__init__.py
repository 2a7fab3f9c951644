"""Differentiable primitives, one family per file; this is the flat list of what they export."""
from deepgrad.ops.elementwise import (
    add, sub, mul, div, neg, pow, exp, log, sqrt, abs, clip, clamp, maximum, minimum, where,
    cast, clone, eq, ne, lt, le, gt, ge)
from deepgrad.ops.activation import relu, leaky_relu, elu, gelu, sigmoid, tanh, softplus, silu
from deepgrad.ops.activation_softmax import softmax, log_softmax
from deepgrad.ops.reduce import (
    sum, mean, amax, amin, max_with_indices, min_with_indices, var, std, logsumexp, argmax,
    argmin, norm)
from deepgrad.ops.shape import (
    reshape, view, permute, transpose, flatten, squeeze, unsqueeze, expand, broadcast_to,
    repeat, getitem, cat, concatenate, stack, split, chunk)
from deepgrad.ops.linalg import matmul, linear, dense, dense_sigmoid
from deepgrad.ops.loss import (
    cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
    binary_cross_entropy, binary_cross_entropy_with_logits, kl_div)
from deepgrad.ops.dropout import dropout
from deepgrad.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from deepgrad.ops.pool import max_pool1d, max_pool2d, avg_pool1d, avg_pool2d
from deepgrad.ops.pool_adaptive import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d
from deepgrad.ops.normalization import batch_norm, layer_norm, group_norm
from deepgrad.ops.embedding import embedding
from deepgrad.ops.padding import pad, interpolate
from deepgrad.ops.rnn import rnn_layer, lstm_layer, gru_layer, rnn_cell, lstm_cell, gru_cell
from deepgrad.ops.attention import scaled_dot_product_attention, multi_head_attention_forward
from deepgrad.ops.conv import conv3d, conv_transpose3d
from deepgrad.ops.conv_depthwise import depthwise_conv2d
from deepgrad.ops.pool import (
    max_pool3d, avg_pool3d, max_pool1d_with_indices, max_pool2d_with_indices,
    max_pool3d_with_indices)
from deepgrad.ops.pool_adaptive import (
    adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool3d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices)
from deepgrad.ops.pool_extra import (
    lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d, max_unpool3d,
    fractional_max_pool2d, fractional_max_pool3d, fractional_max_pool2d_with_indices,
    fractional_max_pool3d_with_indices)
from deepgrad.ops.fold import fold, unfold
from deepgrad.ops.shuffle import pixel_shuffle, pixel_unshuffle, channel_shuffle
from deepgrad.ops.normalization import instance_norm, rms_norm, local_response_norm
from deepgrad.ops.embedding import embedding_bag
from deepgrad.ops.grid_sample import grid_sample, affine_grid
from deepgrad.ops.image_warp import affine_transform   # Keras's projective warp (H9B)
# pointwise math, special functions, logical ops, reductions, scans, sorting (H1)
from deepgrad.ops.elementwise import multiply, subtract, rsub, negative, positive, absolute
from deepgrad.ops.trig import (
    sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, atan2, deg2rad, rad2deg,
    arcsin, arccos, arctan, arctan2, arcsinh, arccosh, arctanh)
from deepgrad.ops.pointwise import (
    exp2, expm1, log2, log10, log1p, reciprocal, rsqrt, square, floor, ceil, trunc, fix, round,
    frac, sign, sgn, signbit, nan_to_num, clamp_min, clamp_max, hypot, logaddexp, logaddexp2,
    lerp, copysign, nextafter, heaviside, ldexp, frexp, float_power, fmax, fmin, addcmul,
    addcdiv)
from deepgrad.ops.special import (
    erf, erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, igamma, igammac, sinc, logit,
    xlogy)
from deepgrad.ops.division import (
    divide, true_divide, floor_divide, fmod, remainder, gcd, lcm)
from deepgrad.ops.logical import (
    greater, greater_equal, less, less_equal, not_equal, logical_and, logical_or, logical_xor,
    logical_not, bitwise_and, bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift,
    bitwise_right_shift, isclose, allclose, equal, isnan, isinf, isfinite, isposinf, isneginf,
    isreal, isin)
from deepgrad.ops.reduce import (
    prod, nansum, nanmean, all, any, count_nonzero, aminmax, std_mean, var_mean)
from deepgrad.ops.scan import (
    cumsum, cumprod, cummax, cummin, logcumsumexp, diff, gradient, trapezoid, trapz,
    cumulative_trapezoid)
from deepgrad.ops.sorting import (
    sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, quantile, nanquantile)
from deepgrad.ops.search import (
    unique, unique_consecutive, searchsorted, bucketize, histc, histogram, histogramdd,
    bincount)
from deepgrad.ops.pointwise_inplace import (
    sin_, cos_, tan_, asin_, acos_, atan_, sinh_, cosh_, asinh_, acosh_, atanh_, arcsin_,
    arccos_, arctan_, arcsinh_, arccosh_, arctanh_, deg2rad_, rad2deg_, exp_, log_, sqrt_, abs_,
    neg_, negative_, clamp_, clip_, sigmoid_, tanh_, exp2_, expm1_, log2_, log10_, log1p_,
    reciprocal_, rsqrt_, square_, floor_, ceil_, trunc_, fix_, round_, frac_, nan_to_num_,
    clamp_min_, clamp_max_, ldexp_, erf_, erfc_, i0_, sinc_, logit_, xlogy_, gcd_, lcm_)
from deepgrad.ops.activation import (
    relu_, leaky_relu_, elu_, selu, selu_, celu, celu_, mish, logsigmoid, softsign, tanhshrink,
    glu)
from deepgrad.ops.activation_softmax import softmin, gumbel_softmax
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
from deepgrad.ops.loss import linear_cross_entropy
from deepgrad.ops.loss_focal import sigmoid_focal_loss  # torchvision.ops' focal loss (H12)
# indexing, shape, triangles/diagonals, products, einsum, factorisations, solves, norms (H2)
from deepgrad.ops.indexing import (
    gather, scatter, scatter_add, scatter_reduce, index_select, index_add, index_copy,
    index_fill, index_put, index_reduce, masked_fill, masked_select, masked_scatter, take,
    take_along_dim, put)
from deepgrad.ops.positions import nonzero, nonzero_static, argwhere, unravel_index
from deepgrad.ops.shape import (
    movedim, moveaxis, swapaxes, swapdims, t, ravel, unflatten, narrow, select, unbind,
    tensor_split, split_with_sizes, hsplit, vsplit, dsplit, sum_to_size, concat, detach,
    detach_)
from deepgrad.ops.rearrange import flip, fliplr, flipud, roll, rot90, repeat_interleave, tile
from deepgrad.ops.join import (
    broadcast_shapes, broadcast_tensors, atleast_1d, atleast_2d, atleast_3d, hstack, vstack,
    row_stack, dstack, column_stack, meshgrid, cartesian_prod, combinations, block_diag, vander)
from deepgrad.ops.triangular import (
    tril, triu, diagonal, diagonal_scatter, diag_embed, diag, diagflat, select_scatter,
    slice_scatter, tril_indices, triu_indices)
from deepgrad.ops.linalg import (
    bmm, mv, dot, vdot, outer, ger, tensordot, inner, kron, addmm, addmv, addr, baddbmm,
    addbmm, trace, cross, matrix_power, multi_dot, chain_matmul)
from deepgrad.ops.einsum import einsum
from deepgrad.ops.decomp import svdvals, eigh, eigvalsh, lu_factor, lu_factor_ex, lu_unpack
from deepgrad.ops.linalg_torch import svd, qr, cholesky, lu, lu_solve, adjoint
from deepgrad.ops.solve import (
    det, logdet, slogdet, inverse, pinverse, matrix_exp, cholesky_solve, cholesky_inverse,
    triangular_solve)
from deepgrad.ops.norms import (
    vector_norm, matrix_norm, nuclear_norm, cdist, dist, renorm, cov, corrcoef)
from deepgrad.ops.lowrank import svd_lowrank, pca_lowrank
from deepgrad.ops.householder import geqrf, orgqr, ormqr
from deepgrad.ops.activation_sparse import (  # Keras 3's sparse activations (H9A)
    sparse_plus, sparse_sigmoid, squareplus, sparsemax)
