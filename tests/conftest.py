"""Test-suite setup: make the shared harness in ``tests/helpers`` importable.

Op tests use it as::

    from op_harness import check_op

Only ``tests/helpers`` goes on ``sys.path`` (and pytest runs with
``--import-mode=importlib``, which adds nothing), so no test folder can shadow a real
package: ``tests/keras_front`` is never importable as ``keras``.
"""
import os
import sys

_HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")
if _HELPERS not in sys.path:
    sys.path.insert(0, _HELPERS)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_torch_default_dtype():
    """PyTorch's default dtype is process-wide: a comparison test that sets float64 (Captum
    twins, optimizer trajectories) must not leak it into later tests (Keras's torch backend
    builds its metric buffers with it)."""
    torch = sys.modules.get("torch")
    before = torch.get_default_dtype() if torch is not None else None
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_default_dtype(before if before is not None else torch.float32)
