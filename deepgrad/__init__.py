"""deepgrad: a deep learning framework built from the math up, on NumPy alone.

``import deepgrad as torch`` runs PyTorch-style code; ``deepgrad.keras`` (planned) runs
Keras-style code; both sit on one reverse-mode autodiff engine (:mod:`deepgrad.autograd`)
whose differentiable primitives live in :mod:`deepgrad.ops`.
"""
import numpy as _np

from deepgrad import backend
from deepgrad.backend import manual_seed
from deepgrad.backend import (
    Generator, default_generator, set_default_dtype, get_default_dtype, set_default_device,
    get_default_device)
from deepgrad.device import device
from deepgrad.dtypes import (
    finfo, iinfo, promote_types, result_type, can_cast, typename, is_floating_point, is_signed,
    is_nonzero, set_default_tensor_type, strided, contiguous_format, preserve_format,
    channels_last, channels_last_3d, FloatTensor, DoubleTensor, HalfTensor, LongTensor,
    IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor, int16, int8, uint16, uint32,
    uint64)
from deepgrad.device import get_device
from deepgrad import cuda, backends, accelerator  # noqa: F401  (CPU-only answers, H3)
from deepgrad.runtime import (
    set_num_threads, get_num_threads, set_num_interop_threads, get_num_interop_threads,
    use_deterministic_algorithms, are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled, set_deterministic_debug_mode,
    get_deterministic_debug_mode, set_float32_matmul_precision, get_float32_matmul_precision,
    set_flush_denormal, set_warn_always, is_warn_always_enabled, set_printoptions,
    init_num_threads)
from deepgrad.dtypes import is_inference
from deepgrad.autograd import (
    Tensor, Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled, gradcheck,
    GradcheckError, is_tensor)
# grad modes and anomaly detection at torch level (H8)
from deepgrad.autograd import (
    inference_mode, is_inference_mode_enabled, is_anomaly_enabled,
    is_anomaly_check_nan_enabled, set_anomaly_enabled, is_inference)
from deepgrad.creation import (
    tensor, as_tensor, asarray, from_numpy, scalar_tensor, zeros, ones, full, empty,
    zeros_like, ones_like, empty_like, full_like, arange, range, linspace, logspace, eye,
    hann_window, hamming_window, bartlett_window, blackman_window, kaiser_window, from_dlpack,
    to_dlpack)
from deepgrad.random import (
    seed, initial_seed, get_rng_state, set_rng_state, rand, randn, randint, randperm,
    rand_like, randn_like, randint_like)
from deepgrad.ops.random import bernoulli, multinomial, normal, poisson, binomial
from deepgrad.ops import (
    add, sub, mul, div, neg, pow, exp, log, sqrt, abs, clip, clamp, maximum, minimum, where,
    relu, sigmoid, tanh, softmax, log_softmax, sum, mean, var, std, logsumexp, argmax, argmin,
    amax, amin, matmul, reshape, permute, transpose, flatten, squeeze, unsqueeze, cat,
    concatenate, stack, split, chunk, eq, ne, lt, le, gt, ge)
# pointwise math, special functions, logical ops, reductions, scans, sorting (H1)
from deepgrad import special  # noqa: E402  (torch.special's names)
from deepgrad.ops import (
    multiply, subtract, rsub, negative, positive, absolute, sin, cos, tan, asin, acos, atan,
    sinh,
    cosh, asinh, acosh, atanh, atan2, deg2rad, rad2deg, arcsin, arccos, arctan, arctan2,
    arcsinh, arccosh, arctanh, exp2, expm1, log2, log10, log1p, reciprocal, rsqrt, square,
    floor, ceil, trunc, fix, round, frac, sign, sgn, signbit, nan_to_num, clamp_min, clamp_max,
    hypot, logaddexp, logaddexp2, lerp, copysign, nextafter, heaviside, ldexp, frexp,
    float_power, fmax, fmin, addcmul, addcdiv, erf, erfc, erfinv, lgamma, digamma, polygamma,
    mvlgamma, i0, igamma, igammac, sinc, logit, xlogy, divide, true_divide, floor_divide, fmod,
    remainder, gcd, lcm, greater, greater_equal, less, less_equal, not_equal, logical_and,
    logical_or, logical_xor, logical_not, bitwise_and, bitwise_or, bitwise_xor, bitwise_not,
    bitwise_left_shift, bitwise_right_shift, isclose, allclose, equal, isnan, isinf, isfinite,
    isposinf, isneginf, isreal, isin, prod, nansum, nanmean, all, any, count_nonzero, aminmax,
    std_mean, var_mean, norm, cumsum, cumprod, cummax, cummin, logcumsumexp, diff, gradient,
    trapezoid,
    trapz, cumulative_trapezoid, sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
    quantile, nanquantile, unique, unique_consecutive, searchsorted, bucketize, histc,
    histogram, histogramdd, bincount, sin_, cos_, tan_, asin_, acos_, atan_, sinh_, cosh_,
    asinh_, acosh_,
    atanh_, arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_, deg2rad_, rad2deg_, exp_,
    log_, sqrt_, abs_, neg_, negative_, clamp_, clip_, sigmoid_, tanh_, exp2_, expm1_, log2_,
    log10_, log1p_, reciprocal_, rsqrt_, square_, floor_, ceil_, trunc_, fix_, round_, frac_,
    nan_to_num_, clamp_min_, clamp_max_, ldexp_, erf_, erfc_, i0_, sinc_, logit_, xlogy_, gcd_,
    lcm_)
from deepgrad.ops import (  # activations, dropouts and distances of the torch namespace
    relu_, selu, selu_, celu, celu_, rrelu_, prelu, hardshrink, threshold, threshold_,
    dropout, dropout_, alpha_dropout, alpha_dropout_, feature_alpha_dropout,
    feature_alpha_dropout_, feature_dropout, feature_dropout_, cosine_similarity,
    pairwise_distance, pdist, bilinear)
from deepgrad.ops.torch_fronts import (  # ATen's signatures (int reduction, generator)
    rrelu, binary_cross_entropy_with_logits, kl_div, poisson_nll_loss, margin_ranking_loss,
    hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss, ctc_loss)
# indexing, shape, triangles/diagonals, linear algebra; torch.where(condition) (H2)
from deepgrad.ops import (
    gather, scatter, scatter_add, scatter_reduce, index_select, index_add, index_copy,
    index_fill, index_put, index_reduce, masked_fill, masked_select, masked_scatter, take,
    take_along_dim, put, nonzero, nonzero_static, argwhere, unravel_index, movedim, moveaxis,
    swapaxes,
    swapdims, t, ravel, unflatten, narrow, select, unbind, tensor_split, split_with_sizes,
    hsplit, vsplit, dsplit, concat, detach, detach_, clone, flip, fliplr, flipud, roll, rot90,
    repeat_interleave, tile, broadcast_to, broadcast_shapes, broadcast_tensors, atleast_1d,
    atleast_2d, atleast_3d, hstack, vstack, row_stack, dstack, column_stack, meshgrid,
    cartesian_prod, combinations, block_diag, vander, tril, triu, diagonal, diagonal_scatter,
    diag_embed, diag, diagflat, select_scatter, slice_scatter, tril_indices, triu_indices, bmm,
    mv, dot, vdot, outer, ger, tensordot, inner, kron, addmm, addmv, addr, baddbmm, addbmm,
    trace, cross, matrix_power, chain_matmul, einsum, svd, qr, cholesky, lu, lu_solve,
    lu_unpack, adjoint, det, logdet, slogdet, inverse, pinverse, matrix_exp, cholesky_solve,
    cholesky_inverse, triangular_solve, cdist, dist, renorm, cov, corrcoef, geqrf, orgqr,
    ormqr, nuclear_norm, svd_lowrank, pca_lowrank)
from deepgrad.ops.positions import where  # noqa: F811  (also where(condition) alone)
from deepgrad.autograd.tensor_indexing import addmv_, index_put_
from deepgrad import linalg  # noqa: E402
from deepgrad import nn, optim, utils  # noqa: E402
from deepgrad.ops.torch_forms import (  # noqa: E402
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, max_pool1d,
    max_pool2d, max_pool3d, max_pool1d_with_indices, avg_pool1d, adaptive_avg_pool1d,
    adaptive_max_pool1d, pixel_shuffle, pixel_unshuffle, channel_shuffle)
from deepgrad.ops.torch_forms import (  # noqa: E402
    batch_norm, layer_norm, group_norm, instance_norm, rms_norm)
from deepgrad.ops.torch_forms import embedding, embedding_bag  # noqa: E402

float32 = _np.float32
float64 = _np.float64
float16 = _np.float16
int64 = _np.int64
int32 = _np.int32
uint8 = _np.uint8
bool = _np.bool_
float = float32
double = float64
long = int64
half = float16
short = int16
int = int32
Size = tuple

__version__ = "0.1.0"


def max(input, dim=None, keepdim=False):
    """``torch.max``: whole-tensor max, (values, indices) along ``dim``, or elementwise."""
    return to_tensor_for_method(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """``torch.min``: whole-tensor min, (values, indices) along ``dim``, or elementwise."""
    return to_tensor_for_method(input).min(dim, keepdim)


def fill(input, value):
    """``torch.fill(tensor, value)``: a new tensor of ``input``'s shape and dtype holding
    ``value``; given a list/tuple of sizes instead (``import deepgrad as tf``), TensorFlow's
    ``tf.fill(dims, value)``. A Tensor argument always means PyTorch's form."""
    if isinstance(input, Tensor):
        return full_like(input, value)
    from deepgrad.tf import fill as tf_fill
    return tf_fill(input, value)


def mm(a, b):
    return matmul(a, b)


def numel(t):
    return t.numel()


_LAZY_MODULES = {"keras": "deepgrad.keras", "serialization": "deepgrad.serialization",
                 "datasets": "deepgrad.datasets",    # loaded on first use (urllib is heavy)
                 "federated": "deepgrad.federated",
                 "interpret": "deepgrad.interpret",   # attribution methods, Captum's names
                 "plot": "deepgrad.plot",             # matplotlib pictures (optional extra)
                 "vision": "deepgrad.vision", "metrics": "deepgrad.metrics",   # (H12)
                 "distributed": "deepgrad.distributed",   # collectives on MPI, DDP (H15)
                 "sklearn": "deepgrad.sklearn",   # scikit-learn estimators, skorch's names
                 "onnx": "deepgrad.onnx",   # export (torch.onnx's names); onnx loads lazily
                 # the tf namespace; `math`, `config`, `data` are tf's (torch has none)
                 "tf": "deepgrad.tf", "math": "deepgrad.tf.math",
                 "config": "deepgrad.tf.config", "data": "deepgrad.tf.data"}
_LAZY_NAMES = {"save": "deepgrad.serialization", "load": "deepgrad.serialization",
               "GradientTape": "deepgrad.keras.gradient_tape"}   # tf.GradientTape
# `import deepgrad as tf`: TensorFlow's names that PyTorch's namespace lacks (deepgrad.tf)
_LAZY_NAMES.update(dict.fromkeys((
    "constant", "Variable", "convert_to_tensor", "shape", "cast", "reduce_sum", "reduce_mean",
    "reduce_max", "reduce_min", "reduce_prod", "reduce_logsumexp", "reduce_any", "reduce_all",
    "reduce_std", "reduce_variance", "one_hot", "unstack", "clip_by_value", "expand_dims",
    "boolean_mask", "gather_nd", "function", "TensorShape", "executing_eagerly", "identity",
    "rank", "size", "squared_difference", "add_n", "truediv", "print", "pad", "reverse",
    "stop_gradient", "newaxis", "string", "floordiv", "floormod"), "deepgrad.tf"))


def __getattr__(name):
    """Load ``deepgrad.keras`` and ``deepgrad.save``/``load`` (zipfile, pickle) on first use,
    so ``import deepgrad`` stays fast; any other missing name raises an AttributeError that
    says deepgrad does not implement it, or that its family is out of scope."""
    import importlib
    if name in _LAZY_MODULES:
        return importlib.import_module(_LAZY_MODULES[name])
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad' has no attribute {name!r}")
    from deepgrad.dtypes import NO_NUMPY_DTYPE
    if name in NO_NUMPY_DTYPE:
        raise AttributeError(f"deepgrad has no attribute {name!r}: {NO_NUMPY_DTYPE[name]}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad", name)


def to_tensor_for_method(x):
    return x if isinstance(x, Tensor) else Tensor(x)
