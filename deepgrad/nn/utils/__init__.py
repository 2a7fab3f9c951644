"""``deepgrad.nn.utils``: helpers used around modules (PyTorch's ``torch.nn.utils``)."""
from deepgrad.nn.utils.clip_grad import (
    clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm)
from deepgrad.nn.utils import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "rnn"]
