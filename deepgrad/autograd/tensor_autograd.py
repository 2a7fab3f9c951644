"""Tensor methods that drive autograd: hooks, ``retain_grad``, ``register_hook``."""


class TensorAutograd:
    __slots__ = ()
