"""The in-place ``*_`` forms: each writes its out-of-place result into the input and
returns the input; refuses what PyTorch refuses (a dtype the input cannot hold, a
broadcast of the input, a graph through the input) before changing anything."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.ops import pointwise_inplace as ip

F = np.array([[0.3, -0.7, 1.4], [0.9, -0.2, 0.6]], np.float32)
P = np.abs(F) + 0.1                            # positive
U = np.clip(np.abs(F), 0.1, 0.9)               # inside (0, 1)
G = np.array([1.6, 2.2, 3.1], np.float32)      # > 1 (acosh, igamma's a)
I = np.array([[12, -7, 0], [5, 9, 3]])
J = np.array([10, 3, 4])

# name: (input, out-of-place function, extra arguments)
CASES = {
    "sin_": (F, ops.sin, ()), "cos_": (F, ops.cos, ()), "tan_": (F, ops.tan, ()),
    "asin_": (U, ops.asin, ()), "acos_": (U, ops.acos, ()), "atan_": (F, ops.atan, ()),
    "sinh_": (F, ops.sinh, ()), "cosh_": (F, ops.cosh, ()), "asinh_": (F, ops.asinh, ()),
    "acosh_": (G, ops.acosh, ()), "atanh_": (U, ops.atanh, ()),
    "arcsin_": (U, ops.asin, ()), "arccos_": (U, ops.acos, ()), "arctan_": (F, ops.atan, ()),
    "arcsinh_": (F, ops.asinh, ()), "arccosh_": (G, ops.acosh, ()),
    "arctanh_": (U, ops.atanh, ()), "atan2_": (F, ops.atan2, (P,)),
    "arctan2_": (F, ops.atan2, (P,)),
    "deg2rad_": (F, ops.deg2rad, ()), "rad2deg_": (F, ops.rad2deg, ()),
    "exp_": (F, ops.exp, ()), "log_": (P, ops.log, ()), "sqrt_": (P, ops.sqrt, ()),
    "abs_": (F, ops.abs, ()), "neg_": (F, ops.neg, ()), "pow_": (P, ops.pow, (1.5,)),
    "absolute_": (F, ops.absolute, ()), "negative_": (F, ops.negative, ()),
    "clamp_": (F, ops.clamp, (-0.5, 0.5)), "clip_": (F, ops.clip, (-0.5, 0.5)),
    "multiply_": (F, ops.multiply, (P,)), "subtract_": (F, ops.subtract, (P,)),
    "sigmoid_": (F, ops.sigmoid, ()), "tanh_": (F, ops.tanh, ()),
    "exp2_": (F, ops.exp2, ()), "expm1_": (F, ops.expm1, ()), "log2_": (P, ops.log2, ()),
    "log10_": (P, ops.log10, ()), "log1p_": (P, ops.log1p, ()),
    "reciprocal_": (P, ops.reciprocal, ()), "rsqrt_": (P, ops.rsqrt, ()),
    "square_": (F, ops.square, ()), "floor_": (F, ops.floor, ()), "ceil_": (F, ops.ceil, ()),
    "trunc_": (F, ops.trunc, ()), "fix_": (F, ops.fix, ()), "round_": (F, ops.round, ()),
    "frac_": (F, ops.frac, ()), "sign_": (F, ops.sign, ()), "sgn_": (F, ops.sgn, ()),
    "nan_to_num_": (F, ops.nan_to_num, ()), "clamp_min_": (F, ops.clamp_min, (0.1,)),
    "clamp_max_": (F, ops.clamp_max, (0.1,)), "hypot_": (F, ops.hypot, (P,)),
    "lerp_": (F, ops.lerp, (P, 0.25)), "copysign_": (F, ops.copysign, (-P,)),
    "nextafter_": (F, ops.nextafter, (P,)), "heaviside_": (F, ops.heaviside, (P,)),
    "ldexp_": (F, ops.ldexp, (J,)), "addcmul_": (F, ops.addcmul, (P, F)),
    "addcdiv_": (F, ops.addcdiv, (F, P)),
    "erf_": (F, ops.erf, ()), "erfc_": (F, ops.erfc, ()), "erfinv_": (U, ops.erfinv, ()),
    "lgamma_": (P, ops.lgamma, ()), "digamma_": (P, ops.digamma, ()),
    "polygamma_": (P, lambda x, n: ops.polygamma(n, x), (2,)),
    "mvlgamma_": (G, ops.mvlgamma, (2,)), "i0_": (F, ops.i0, ()),
    "igamma_": (G, ops.igamma, (P[0],)), "igammac_": (G, ops.igammac, (P[0],)),
    "sinc_": (F, ops.sinc, ()), "logit_": (U, ops.logit, ()), "xlogy_": (F, ops.xlogy, (P,)),
    "divide_": (F, ops.divide, (P,)), "true_divide_": (F, ops.true_divide, (P,)),
    "floor_divide_": (F, ops.floor_divide, (P,)), "fmod_": (F, ops.fmod, (P,)),
    "remainder_": (F, ops.remainder, (P,)), "gcd_": (I, ops.gcd, (J,)),
    "lcm_": (I, ops.lcm, (J,)),
    "eq_": (F, ops.eq, (0.3,)), "ne_": (F, ops.ne, (0.3,)), "lt_": (F, ops.lt, (0.3,)),
    "le_": (F, ops.le, (0.3,)), "gt_": (F, ops.gt, (0.3,)), "ge_": (F, ops.ge, (0.3,)),
    "greater_": (F, ops.greater, (0.3,)), "greater_equal_": (F, ops.greater_equal, (0.3,)),
    "less_": (F, ops.less, (0.3,)), "less_equal_": (F, ops.less_equal, (0.3,)),
    "not_equal_": (F, ops.not_equal, (0.3,)),
    "logical_and_": (F, ops.logical_and, (P,)), "logical_or_": (F, ops.logical_or, (P,)),
    "logical_xor_": (F, ops.logical_xor, (P,)), "logical_not_": (F, ops.logical_not, ()),
    "bitwise_and_": (I, ops.bitwise_and, (J,)), "bitwise_or_": (I, ops.bitwise_or, (J,)),
    "bitwise_xor_": (I, ops.bitwise_xor, (J,)), "bitwise_not_": (I, ops.bitwise_not, ()),
    "bitwise_left_shift_": (I, ops.bitwise_left_shift, (2,)),
    "bitwise_right_shift_": (I, ops.bitwise_right_shift, (1,)),
    "cumsum_": (F, ops.cumsum, (1,)), "cumprod_": (F, ops.cumprod, (0,)),
}

EXPORTED = {  # the in-place forms PyTorch also has as torch functions
    "sin_": ops.sin_, "cos_": ops.cos_, "tan_": ops.tan_, "asin_": ops.asin_,
    "acos_": ops.acos_, "atan_": ops.atan_, "sinh_": ops.sinh_, "cosh_": ops.cosh_,
    "asinh_": ops.asinh_, "acosh_": ops.acosh_, "atanh_": ops.atanh_, "arcsin_": ops.arcsin_,
    "arccos_": ops.arccos_, "arctan_": ops.arctan_, "arcsinh_": ops.arcsinh_,
    "arccosh_": ops.arccosh_, "arctanh_": ops.arctanh_, "deg2rad_": ops.deg2rad_,
    "rad2deg_": ops.rad2deg_, "exp_": ops.exp_, "log_": ops.log_, "sqrt_": ops.sqrt_,
    "abs_": ops.abs_, "neg_": ops.neg_, "negative_": ops.negative_, "clamp_": ops.clamp_,
    "clip_": ops.clip_, "sigmoid_": ops.sigmoid_, "tanh_": ops.tanh_, "exp2_": ops.exp2_,
    "expm1_": ops.expm1_, "log2_": ops.log2_, "log10_": ops.log10_, "log1p_": ops.log1p_,
    "reciprocal_": ops.reciprocal_, "rsqrt_": ops.rsqrt_, "square_": ops.square_,
    "floor_": ops.floor_, "ceil_": ops.ceil_, "trunc_": ops.trunc_, "fix_": ops.fix_,
    "round_": ops.round_, "frac_": ops.frac_, "nan_to_num_": ops.nan_to_num_,
    "clamp_min_": ops.clamp_min_, "clamp_max_": ops.clamp_max_, "ldexp_": ops.ldexp_,
    "erf_": ops.erf_, "erfc_": ops.erfc_, "i0_": ops.i0_, "sinc_": ops.sinc_,
    "logit_": ops.logit_, "xlogy_": ops.xlogy_, "gcd_": ops.gcd_, "lcm_": ops.lcm_,
}


def _arg(a):
    return dg.tensor(a) if isinstance(a, np.ndarray) else a


@pytest.mark.parametrize("name", sorted(CASES))
def test_inplace_writes_the_out_of_place_result(name):
    data, fn, args = CASES[name]
    want = fn(dg.tensor(data), *[_arg(a) for a in args]).numpy()
    for op in (getattr(ip, name), lambda x, *a: getattr(x, name)(*a), EXPORTED.get(name)):
        if op is None:
            continue
        x = dg.tensor(data.copy())
        before = x.array
        out = op(x, *[_arg(a) for a in args])
        assert out is x and x.array is before, f"{name} did not work in place"
        assert x.dtype == data.dtype
        np.testing.assert_allclose(x.numpy(), want.astype(data.dtype), rtol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_torch_level_inplace_functions_are_exported(name):
    assert getattr(dg, name) is EXPORTED[name]


def test_inplace_dtype_rules():
    x = dg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.sin_()
    np.testing.assert_array_equal(x.numpy(), [1, 2])           # unchanged
    y = dg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(y.eq_(1.0).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(dg.tensor([1, 2]).eq_(1).numpy(), [1, 0])
    z = dg.tensor(np.array([1, 2], np.int32))
    assert z.cumsum_(0).dtype == np.int32
    np.testing.assert_array_equal(z.numpy(), [1, 3])
    with pytest.raises(RuntimeError, match="float64"):
        dg.tensor([2.0]).float_power_(2)
    d = dg.tensor([2.0], dtype=dg.float64)
    assert d.float_power_(2) is d and d.item() == 4.0


def test_inplace_never_broadcasts_the_input():
    x = dg.zeros(3)
    with pytest.raises(RuntimeError, match="broadcast shape"):
        x.hypot_(dg.ones(2, 3))
    np.testing.assert_array_equal(x.numpy(), 0.0)


def test_inplace_refuses_a_recorded_graph_but_runs_under_no_grad():
    w = dg.tensor([0.5, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.sin_()
    with pytest.raises(RuntimeError, match="in-place"):
        dg.exp_(w)
    np.testing.assert_array_equal(w.numpy(), np.float32([0.5, 1.0]))
    with dg.no_grad():
        w.mul_(2.0).clamp_min_(1.5)
    np.testing.assert_array_equal(w.numpy(), [1.5, 2.0])
    assert w.grad_fn is None


def test_inplace_against_torch():
    torch = pytest.importorskip("torch")
    for name in sorted(CASES):
        data, _, args = CASES[name]
        if not hasattr(torch.Tensor, name):
            continue
        x = dg.tensor(data.copy())
        getattr(x, name)(*[_arg(a) for a in args])
        targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        t = torch.tensor(data.copy())
        getattr(t, name)(*targs)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_operator_inplace_forms():
    a = dg.tensor([12, 7])
    a &= 6
    a |= 1
    a ^= 2
    a <<= 1
    a >>= 1
    np.testing.assert_array_equal(a.numpy(), (((np.array([12, 7]) & 6) | 1) ^ 2))
    b = dg.tensor([7.5, -7.5])
    b %= 2.0
    np.testing.assert_array_equal(b.numpy(), [1.5, 0.5])
    c = dg.tensor([7.0, -7.0])
    c //= 2.0
    np.testing.assert_array_equal(c.numpy(), [3.0, -4.0])


def test_inplace_on_a_constant_records_gradients_to_its_arguments():
    w = dg.tensor([1.0, 2.0, 3.0], dtype=dg.float64, requires_grad=True)
    buf = dg.tensor([1.0, 2.0, 0.5], dtype=dg.float64)
    before = buf.array
    out = buf.hypot_(w)
    assert out is buf and buf.array is before and buf.requires_grad and buf.grad_fn is not None
    (buf * dg.tensor([1.0, 2.0, 3.0], dtype=dg.float64)).sum().backward()
    h = np.hypot([1.0, 2.0, 0.5], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(w.grad.numpy(), np.array([1.0, 2.0, 3.0]) / h * [1, 2, 3])
    # the node keeps a copy of the old values: d(buf * w)/dw is the old buf, not the new one
    w.grad = None
    b2 = dg.tensor([2.0, 5.0, 7.0], dtype=dg.float64)
    b2.multiply_(w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 5.0, 7.0])
    with pytest.raises(RuntimeError, match="in-place"):
        b2.sin_()                                  # now part of the graph: refused
    ints = dg.tensor([1, 2])                       # a float result into an int tensor: refused
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.hypot_(dg.tensor([1.0, 2.0], requires_grad=True))
    np.testing.assert_array_equal(ints.numpy(), [1, 2])


def test_recorded_inplace_against_torch():
    torch = pytest.importorskip("torch")
    for name, args in (("hypot_", ([1.0, 2.0, 3.0],)), ("lerp_", ([3.0, -1.0, 0.5], 0.25)),
                       ("addcmul_", ([1.0, 2.0, 3.0], [0.5, 0.5, 2.0])),
                       ("atan2_", ([1.0, -2.0, 3.0],))):
        ours = [dg.tensor(a, dtype=dg.float64, requires_grad=True) if isinstance(a, list) else a
                for a in args]
        theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
                  if isinstance(a, list) else a for a in args]
        x = dg.tensor([0.3, -0.7, 1.4], dtype=dg.float64)
        t = torch.tensor([0.3, -0.7, 1.4], dtype=torch.float64)
        getattr(x, name)(*ours).sum().backward()
        getattr(t, name)(*theirs).sum().backward()
        np.testing.assert_allclose(x.numpy(), t.detach().numpy(), err_msg=name)
        for o, th in zip(ours, theirs):
            if isinstance(o, dg.Tensor):
                np.testing.assert_allclose(o.grad.numpy(), th.grad.numpy(), err_msg=name)
