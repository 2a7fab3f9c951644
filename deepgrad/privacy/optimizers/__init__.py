"""DP optimizers (Opacus's ``opacus.optimizers``)."""
from deepgrad.privacy.optimizers.optimizer import DPOptimizer

__all__ = ["DPOptimizer"]
