"""The autodiff engine: Tensor, Function, the backward loop, grad modes and gradcheck."""
from deepgrad.autograd.tensor import Tensor, is_tensor
from deepgrad.autograd.function import Function, unbroadcast
from deepgrad.autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from deepgrad.autograd.gradcheck import gradcheck, GradcheckError
