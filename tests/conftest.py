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

# The README's ``DEEPGRAD_DATA=../shared/data python -m pytest tests`` names the data
# folder relative to where pytest was started; examples and doc snippets run in other
# working directories (tmp_path), so pass them the absolute path.
if os.environ.get("DEEPGRAD_DATA"):
    os.environ["DEEPGRAD_DATA"] = os.path.abspath(os.environ["DEEPGRAD_DATA"])

# pytest-xdist runs one test process per core (``-n auto`` in pyproject.toml): each keeps
# one BLAS thread, and so do the examples and workers they start (inherited environment),
# so the processes do not oversubscribe the cores. A BLAS thread that spin-waits for a
# descheduled partner makes small GEMMs hundreds of times slower. Tests that need more
# threads set them (and restore them) themselves.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
    import deepgrad as _deepgrad         # numpy may be loaded already: set it directly too
    _deepgrad.set_num_threads(1)


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


@pytest.fixture(autouse=True)
def _seed_global_generators(request):
    """Each test starts deepgrad's default generator (which both fronts draw from),
    NumPy's legacy one and Python's ``random`` from a seed of its own name: what ``dg.randn``
    or a layer's initializer draws no longer depends on which tests ran before it in the
    process (xdist hands tests to workers in a different order on each run), so a test
    passes or fails the same way every time."""
    import random
    import zlib

    import deepgrad
    seed = zlib.crc32(request.node.nodeid.encode())
    random.seed(seed)
    deepgrad.manual_seed(seed)
