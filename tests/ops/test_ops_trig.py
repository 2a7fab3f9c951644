"""Trigonometric and hyperbolic ops: forward vs NumPy, float64 gradcheck, torch, dtypes."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import BINARY, UNARY, away_from, check_op, uniform


def torch_op(name, **kwargs):
    """PyTorch's ``name``, imported only when the comparison runs (torch is optional)."""
    def call(*args):
        import torch
        return getattr(torch, name)(*args, **kwargs)
    return call


INSIDE_UNIT = uniform(-0.9, 0.9)
ABOVE_ONE = uniform(1.1, 3.0)


@pytest.mark.parametrize("fn, ref, make, tname", [
    (ops.sin, np.sin, None, "sin"),
    (ops.cos, np.cos, None, "cos"),
    (ops.tan, np.tan, uniform(-1.2, 1.2), "tan"),
    (ops.asin, np.arcsin, INSIDE_UNIT, "asin"),
    (ops.acos, np.arccos, INSIDE_UNIT, "acos"),
    (ops.atan, np.arctan, None, "atan"),
    (ops.sinh, np.sinh, None, "sinh"),
    (ops.cosh, np.cosh, None, "cosh"),
    (ops.asinh, np.arcsinh, None, "asinh"),
    (ops.acosh, np.arccosh, ABOVE_ONE, "acosh"),
    (ops.atanh, np.arctanh, INSIDE_UNIT, "atanh"),
    (ops.deg2rad, np.deg2rad, uniform(-360, 360), "deg2rad"),
    (ops.rad2deg, np.rad2deg, None, "rad2deg"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_unary_trig(fn, ref, make, tname):
    check_op(fn, ref, UNARY, make=make, torch_fn=torch_op(tname))


@pytest.mark.parametrize("fn", [ops.arcsin, ops.arccos, ops.arctan, ops.arcsinh,
                                ops.arccosh, ops.arctanh, ops.arctan2])
def test_arc_aliases_are_the_same_functions(fn):
    assert fn in (ops.asin, ops.acos, ops.atan, ops.asinh, ops.acosh, ops.atanh, ops.atan2)


def test_atan2_against_numpy_and_torch():
    check_op(ops.atan2, np.arctan2, BINARY, make=away_from([0.0], gap=0.2),
             torch_fn=torch_op("atan2"))


def test_atan2_quadrants_and_zero():
    y = dg.tensor([1.0, 1.0, -1.0, -1.0, 0.0])
    x = dg.tensor([1.0, -1.0, -1.0, 1.0, -1.0])
    np.testing.assert_allclose(ops.atan2(y, x).numpy(), np.arctan2(y.numpy(), x.numpy()))


@pytest.mark.parametrize("fn", [ops.sin, ops.cos, ops.tan, ops.atan, ops.asinh, ops.deg2rad])
def test_integer_input_gives_the_default_float(fn):
    out = fn(dg.tensor([1, 2, 3]))
    assert out.dtype == np.float32
    out = fn(dg.tensor([True, False]))
    assert out.dtype == np.float32


def test_integer_input_follows_set_default_dtype():
    dg.set_default_dtype(dg.float64)
    try:
        assert ops.sin(dg.tensor([1, 2])).dtype == np.float64
    finally:
        dg.set_default_dtype(dg.float32)


def test_outside_domain_is_nan_like_torch():
    out = ops.asin(dg.tensor([2.0, -2.0])).numpy()
    assert np.all(np.isnan(out))
    assert np.isnan(ops.acosh(dg.tensor([0.5])).numpy()).all()
    assert np.isposinf(ops.atanh(dg.tensor([1.0])).numpy()).all()


def test_empty_tensor():
    out = ops.sin(dg.zeros(0, 3))
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_float32_atan2_with_float64_raises():
    with pytest.raises(TypeError, match="atan2"):
        ops.atan2(dg.zeros(2), dg.zeros(2, dtype=dg.float64))
