"""The autodiff engine: Tensor, Function, the backward loop, grad modes and gradcheck.

PyTorch's ``torch.autograd`` names: ``Function`` (both deepgrad's array-level ops and
PyTorch-style custom functions with ``ctx``), ``grad``, ``backward``, the grad modes
(``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``), anomaly
detection, ``gradcheck``/``gradgradcheck``, ``Variable`` and the ``functional``
submodule (``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``vhp``, ``hvp``).
"""
from deepgrad.autograd.tensor import Tensor, is_tensor
from deepgrad.autograd.function import Function, unbroadcast
from deepgrad.autograd.grad_mode import (
    no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
    is_inference_mode_enabled, is_inference)
from deepgrad.autograd.anomaly_mode import (
    detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled,
    set_anomaly_enabled)
from deepgrad.autograd.gradients import grad, backward
from deepgrad.autograd.gradcheck import gradcheck, gradgradcheck, GradcheckError
from deepgrad.autograd.variable import Variable
from deepgrad.autograd import functional, function, grad_mode, variable  # noqa: F401


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.autograd' has no attribute {name!r}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.autograd", name)
