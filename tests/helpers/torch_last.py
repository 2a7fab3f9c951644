"""``check_op`` with the PyTorch comparison run last, and only when torch is installed.

:func:`op_harness.check_op` compares with PyTorch through ``pytest.importorskip``, which
skips the rest of the test at the first ``torch_fn`` when torch is missing. Tests that make
several calls use this drop-in instead, so that in a new user's environment (no torch) every
call still checks forward values, dtypes and float64 gradients, and with torch installed
every call is also compared with PyTorch.
"""
from op_harness import check_op as _check_op
from op_harness import compare_with_torch, make_arrays, normalize_case, uniform


def check_op(fn, ref, cases, *, torch_fn=None, make=None, seed=0, **kwargs):
    _check_op(fn, ref, cases, make=make, seed=seed, **kwargs)
    if torch_fn is None:
        return
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    make = make or uniform()
    for i, case in enumerate(cases):
        shapes = normalize_case(case)
        try:
            compare_with_torch(fn, torch_fn, make_arrays(shapes, make, seed + i), seed)
        except AssertionError as e:
            raise AssertionError(f"torch, case {i}, input shapes {shapes}: {e}") from e
