"""``deepgrad.backends.cuda``: ``matmul.allow_tf32`` and friends as settable flags (there
is no CUDA, so they select nothing; deepgrad's float32 matmuls are full float32).

Defaults as PyTorch's: ``matmul.allow_tf32`` False, ``matmul.allow_fp16_reduced_precision_
reduction`` True, ``matmul.allow_bf16_reduced_precision_reduction`` True.
"""


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: plain attributes."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self):
        return (f"matmul(allow_tf32={self.allow_tf32}, allow_fp16_reduced_precision_reduction="
                f"{self.allow_fp16_reduced_precision_reduction}, "
                f"allow_bf16_reduced_precision_reduction="
                f"{self.allow_bf16_reduced_precision_reduction})")


matmul = _MatmulFlags()


def is_built():
    """False: deepgrad is not built with CUDA."""
    return False
