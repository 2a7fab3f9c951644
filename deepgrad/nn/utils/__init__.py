"""``deepgrad.nn.utils``: helpers used around modules (PyTorch's ``torch.nn.utils``)."""
from deepgrad.nn.utils.clip_grad import (
    clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm)
from deepgrad.nn.utils import (
    clip_grad, convert_parameters, fusion, init, memory_format, parametrizations, parametrize,
    rnn, stateless)
from deepgrad.nn.utils.memory_format import (
    convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format)
from deepgrad.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from deepgrad.nn.utils.weight_norm import weight_norm, remove_weight_norm
from deepgrad.nn.utils.spectral_norm import spectral_norm, remove_spectral_norm
from deepgrad.nn.utils.fusion import (
    fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights)
from deepgrad.nn.utils.init import skip_init

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "fuse_conv_bn_eval",
           "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init",
           "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format",
           "clip_grad", "convert_parameters", "fusion", "init", "memory_format",
           "parametrizations", "parametrize", "rnn", "stateless"]
