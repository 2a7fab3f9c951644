"""PyTorch for the reference comparisons, imported only when a comparison first needs it.

``F.conv2d`` (or ``TORCH.tensor``) imports torch at that moment through
``pytest.importorskip``, so in a test that checks deepgrad first (forward references,
gradcheck) and compares with PyTorch last, only the comparison is skipped when torch is
not installed::

    from lazy_torch import F
    check_op(fn, ref, cases, torch_fn=lambda x: F.conv2d(x, w))
"""
import pytest


class LazyTorch:
    """An attribute path under ``torch``, resolved (and torch imported) on first use."""

    def __init__(self, *path):
        self._path = path

    def __getattr__(self, name):
        if name.startswith("_"):         # pytest's collection probes (__test__, ...)
            raise AttributeError(name)
        obj = pytest.importorskip("torch")
        for part in self._path + (name,):
            obj = getattr(obj, part)
        return obj


TORCH = LazyTorch()
F = LazyTorch("nn", "functional")
