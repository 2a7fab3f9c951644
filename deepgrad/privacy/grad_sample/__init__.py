"""Per-sample gradients (Opacus's ``opacus.grad_sample``): ``GradSampleModule`` and the
closed-form rules per layer type (Linear, convolutions, Embedding, the normalisations,
RNN/LSTM/GRU), with a generic fallback for any other layer."""
from deepgrad.privacy.grad_sample.utils import (
    GRAD_SAMPLERS, find_grad_sampler, register_grad_sampler)
from deepgrad.privacy.grad_sample import conv, embedding, linear, normalization, rnn  # noqa: F401
from deepgrad.privacy.grad_sample.grad_sample_module import (
    GradSampleModule, generic_grad_sample)

__all__ = ["GradSampleModule", "GRAD_SAMPLERS", "register_grad_sampler", "find_grad_sampler",
           "generic_grad_sample"]
