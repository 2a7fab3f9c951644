"""Division with rounding, remainders, gcd/lcm: values vs NumPy/Python, gradients as
PyTorch defines them, integer semantics and errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import BINARY, away_from, check_op, uniform

# keep a / b away from integers (the jumps of the rounded quotients)
DIVIDEND = uniform(-5.0, 5.0)
DIVISOR = away_from([0.0], low=-3.0, high=3.0, gap=0.4)


def torch_op(name, **kwargs):
    """PyTorch's ``name``, imported only when the comparison runs (torch is optional)."""
    def call(*args):
        import torch
        return getattr(torch, name)(*args, **kwargs)
    return call


def test_divide_true():
    check_op(ops.divide, np.divide, BINARY, make=[DIVIDEND, DIVISOR], torch_fn=torch_op("divide"))
    check_op(ops.true_divide, np.true_divide, BINARY, make=[DIVIDEND, DIVISOR],
             torch_fn=torch_op("true_divide"))
    out = ops.true_divide(dg.tensor([1, 2, 3]), 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.0, 1.5])


@pytest.mark.parametrize("mode, ref", [("trunc", lambda a, b: np.trunc(a / b)),
                                       ("floor", np.floor_divide)])
def test_divide_rounded(mode, ref):
    check_op(lambda a, b: ops.divide(a, b, rounding_mode=mode), ref, BINARY,
             make=[DIVIDEND, DIVISOR], grad=False)
    a = dg.tensor([-3.5, 4.0], requires_grad=True)
    b = dg.tensor([2.0, 3.0], requires_grad=True)
    ops.divide(a, b, rounding_mode=mode).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 0.0)
    np.testing.assert_array_equal(b.grad.numpy(), 0.0)


def test_rounded_integer_division_stays_integer_and_exact():
    a = dg.tensor([-7, 7, -6, 9223372036854775807])
    b = dg.tensor([2, -2, 3, 2])
    np.testing.assert_array_equal(ops.divide(a, b, rounding_mode="trunc").numpy(),
                                  [-3, -3, -2, 4611686018427387903])
    np.testing.assert_array_equal(ops.divide(a, b, rounding_mode="floor").numpy(),
                                  [-4, -4, -2, 4611686018427387903])
    assert ops.divide(a, b, rounding_mode="floor").dtype == np.int64
    np.testing.assert_array_equal(ops.floor_divide(dg.tensor([-7, 7]), 2).numpy(), [-4, 3])


def test_divide_errors():
    with pytest.raises(ValueError, match="rounding_mode"):
        ops.divide(dg.tensor([1.0]), 2, rounding_mode="round")
    for fn in (lambda: ops.divide(dg.tensor([3]), 0, rounding_mode="trunc"),
               lambda: ops.floor_divide(dg.tensor([3]), 0),
               lambda: ops.fmod(dg.tensor([3]), 0), lambda: ops.remainder(dg.tensor([3]), 0)):
        with pytest.raises(ZeroDivisionError):
            fn()


def test_floor_divide_has_no_derivative_like_torch():
    check_op(ops.floor_divide, np.floor_divide, BINARY, make=[DIVIDEND, DIVISOR], grad=False)
    a = dg.tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide"):
        ops.floor_divide(a, 2.0).sum().backward()


@pytest.mark.parametrize("fn, ref, tname", [(ops.fmod, np.fmod, "fmod"),
                                            (ops.remainder, np.remainder, "remainder")])
def test_remainders(fn, ref, tname):
    # a = q b with the quotient q away from integers, where the remainder jumps
    def quotient(rng, shape):
        return rng.integers(-4, 5, shape) + rng.uniform(0.2, 0.8, shape)
    check_op(lambda q, b: fn(q * b, b), lambda q, b: ref(q * b, b), BINARY,
             make=[quotient, DIVISOR],
             torch_fn=lambda q, b: getattr(__import__("torch"), tname)(q * b, b))
    check_op(fn, ref, BINARY, make=[DIVIDEND, uniform(-3, 3)], grad=False)


def test_remainder_gradients_match_torch_formulas():
    a = dg.tensor([-3.5, 4.0, 7.5], requires_grad=True)
    b = dg.tensor([2.0, 3.0, -2.0], requires_grad=True)
    ops.remainder(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(b.grad.numpy(), -np.floor(np.float32([-3.5, 4.0, 7.5]) /
                                                             np.float32([2.0, 3.0, -2.0])))
    a.grad = b.grad = None
    ops.fmod(a, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), -np.trunc(np.float32([-3.5, 4.0, 7.5]) /
                                                             np.float32([2.0, 3.0, -2.0])))


def test_remainder_signs_and_python_scalars():
    np.testing.assert_array_equal(ops.remainder(dg.tensor([-3.0, 3.0]), -2.0).numpy(), [-1, -1])
    np.testing.assert_array_equal(ops.fmod(dg.tensor([-3.0, 3.0]), -2.0).numpy(), [-1, 1])
    np.testing.assert_array_equal(ops.remainder(5, dg.tensor([3, 4])).numpy(), [2, 1])
    np.testing.assert_array_equal(ops.fmod(dg.tensor([-3, 3]), 2).numpy(), [-1, 1])
    assert np.isnan(ops.fmod(dg.tensor([3.0]), 0.0).numpy()).all()


def test_gcd_lcm():
    a, b = dg.tensor([12, -8, 0, 7]), dg.tensor([18, 4, 0, 0])
    np.testing.assert_array_equal(ops.gcd(a, b).numpy(), [6, 4, 0, 7])
    np.testing.assert_array_equal(ops.lcm(a, b).numpy(), [36, 8, 0, 0])
    np.testing.assert_array_equal(ops.gcd(dg.tensor([[12], [9]]), dg.tensor([6, 4])).numpy(),
                                  [[6, 4], [3, 1]])
    np.testing.assert_array_equal(ops.gcd(dg.tensor([True, False]), dg.tensor([4, 4])).numpy(),
                                  [1, 4])
    for fn in (ops.gcd, ops.lcm):
        with pytest.raises(TypeError, match="integer"):
            fn(dg.tensor([12.0]), dg.tensor([18.0]))
