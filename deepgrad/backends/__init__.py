"""``deepgrad.backends``: PyTorch's ``torch.backends`` switches, for code that sets them.

``cudnn.benchmark``, ``cudnn.deterministic``, ``cudnn.enabled``, ``cudnn.allow_tf32`` and
``cuda.matmul.allow_tf32`` are plain settable flags: deepgrad has no cuDNN or CUDA, so
they select nothing, and they keep the value set, as in PyTorch without CUDA. deepgrad's
own operations are deterministic whatever ``cudnn.deterministic`` says.
``mps.is_available()`` and ``mps.is_built()`` are False.
"""
from deepgrad.backends import cuda, cudnn, mps  # noqa: F401
