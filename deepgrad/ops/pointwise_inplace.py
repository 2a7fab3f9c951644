"""The in-place ``*_`` forms of the pointwise ops and scans (``deepgrad.sin_(x)``,
``x.sin_()``, ``x.eq_(y)``, ``x.cumsum_(0)``...).

Each is :func:`deepgrad.ops._promote.inplace` of its out-of-place op: the result is
computed, checked (the input's shape, a dtype the input can hold, no recorded graph
through the input) and written into the input's own array, which is returned. One
function serves as ``deepgrad.<name>_`` and as the method ``Tensor.<name>_``.
"""
import numpy as np

from deepgrad.ops import activation as _act
from deepgrad.ops import division as _div
from deepgrad.ops import elementwise as _ew
from deepgrad.ops import logical as _lg
from deepgrad.ops import pointwise as _pw
from deepgrad.ops import scan as _sc
from deepgrad.ops import special as _sp
from deepgrad.ops import trig as _tr
from deepgrad.ops._promote import inplace, write_inplace

# trigonometric and hyperbolic
sin_, cos_, tan_ = inplace(_tr.sin, "sin_"), inplace(_tr.cos, "cos_"), inplace(_tr.tan, "tan_")
asin_, acos_, atan_ = (inplace(_tr.asin, "asin_"), inplace(_tr.acos, "acos_"),
                       inplace(_tr.atan, "atan_"))
sinh_, cosh_ = inplace(_tr.sinh, "sinh_"), inplace(_tr.cosh, "cosh_")
asinh_, acosh_, atanh_ = (inplace(_tr.asinh, "asinh_"), inplace(_tr.acosh, "acosh_"),
                          inplace(_tr.atanh, "atanh_"))
arcsin_, arccos_, arctan_ = asin_, acos_, atan_
arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_
atan2_ = inplace(_tr.atan2, "atan2_")
arctan2_ = atan2_
deg2rad_, rad2deg_ = inplace(_tr.deg2rad, "deg2rad_"), inplace(_tr.rad2deg, "rad2deg_")

# exp / log / powers / rounding
exp_, log_, sqrt_ = inplace(_ew.exp, "exp_"), inplace(_ew.log, "log_"), inplace(_ew.sqrt, "sqrt_")
abs_, neg_, pow_ = inplace(_ew.abs, "abs_"), inplace(_ew.neg, "neg_"), inplace(_ew.pow, "pow_")
absolute_, negative_ = inplace(_ew.absolute, "absolute_"), inplace(_ew.negative, "negative_")
clamp_, clip_ = inplace(_ew.clip, "clamp_"), inplace(_ew.clip, "clip_")
multiply_, subtract_ = inplace(_ew.mul, "multiply_"), inplace(_ew.sub, "subtract_")
sigmoid_, tanh_ = inplace(_act.sigmoid, "sigmoid_"), inplace(_act.tanh, "tanh_")
exp2_, expm1_ = inplace(_pw.exp2, "exp2_"), inplace(_pw.expm1, "expm1_")
log2_, log10_, log1p_ = (inplace(_pw.log2, "log2_"), inplace(_pw.log10, "log10_"),
                         inplace(_pw.log1p, "log1p_"))
reciprocal_, rsqrt_ = inplace(_pw.reciprocal, "reciprocal_"), inplace(_pw.rsqrt, "rsqrt_")
square_ = inplace(_pw.square, "square_")
floor_, ceil_ = inplace(_pw.floor, "floor_"), inplace(_pw.ceil, "ceil_")
trunc_, fix_ = inplace(_pw.trunc, "trunc_"), inplace(_pw.trunc, "fix_")
round_, frac_ = inplace(_pw.round, "round_"), inplace(_pw.frac, "frac_")
sign_, sgn_ = inplace(_pw.sign, "sign_"), inplace(_pw.sign, "sgn_")
nan_to_num_ = inplace(_pw.nan_to_num, "nan_to_num_")
clamp_min_, clamp_max_ = inplace(_pw.clamp_min, "clamp_min_"), inplace(_pw.clamp_max, "clamp_max_")
hypot_, lerp_ = inplace(_pw.hypot, "hypot_"), inplace(_pw.lerp, "lerp_")
copysign_, nextafter_ = inplace(_pw.copysign, "copysign_"), inplace(_pw.nextafter, "nextafter_")
heaviside_, ldexp_ = inplace(_pw.heaviside, "heaviside_"), inplace(_pw.ldexp, "ldexp_")


def float_power_(input, exponent):
    """In-place :func:`float_power`: the result is float64, so ``input`` must be float64."""
    if getattr(input, "dtype", None) != np.float64:
        raise RuntimeError(f"float_power_: the base has dtype {getattr(input, 'dtype', None)} "
                           f"but the operation's result requires dtype float64")
    return write_inplace("float_power_", input, _pw.float_power, exponent)


addcmul_, addcdiv_ = inplace(_pw.addcmul, "addcmul_"), inplace(_pw.addcdiv, "addcdiv_")

# special functions
erf_, erfc_, erfinv_ = (inplace(_sp.erf, "erf_"), inplace(_sp.erfc, "erfc_"),
                        inplace(_sp.erfinv, "erfinv_"))
lgamma_, digamma_ = inplace(_sp.lgamma, "lgamma_"), inplace(_sp.digamma, "digamma_")


def _polygamma_of(input, n):
    """``polygamma(n, input)`` with the tensor first, for ``x.polygamma_(n)``."""
    return _sp.polygamma(n, input)


polygamma_ = inplace(_polygamma_of, "polygamma_")
mvlgamma_ = inplace(_sp.mvlgamma, "mvlgamma_")
i0_, sinc_ = inplace(_sp.i0, "i0_"), inplace(_sp.sinc, "sinc_")
igamma_, igammac_ = inplace(_sp.igamma, "igamma_"), inplace(_sp.igammac, "igammac_")
logit_, xlogy_ = inplace(_sp.logit, "logit_"), inplace(_sp.xlogy, "xlogy_")

# division and integers
divide_, true_divide_ = inplace(_div.divide, "divide_"), inplace(_div.true_divide, "true_divide_")
floor_divide_ = inplace(_div.floor_divide, "floor_divide_")
fmod_, remainder_ = inplace(_div.fmod, "fmod_"), inplace(_div.remainder, "remainder_")
gcd_, lcm_ = inplace(_div.gcd, "gcd_"), inplace(_div.lcm, "lcm_")

# comparisons, logical, bitwise (results are written as 1/0 in the input's dtype)
eq_, ne_, lt_ = inplace(_ew.eq, "eq_"), inplace(_ew.ne, "ne_"), inplace(_ew.lt, "lt_")
le_, gt_, ge_ = inplace(_ew.le, "le_"), inplace(_ew.gt, "gt_"), inplace(_ew.ge, "ge_")
greater_, greater_equal_ = inplace(_ew.gt, "greater_"), inplace(_ew.ge, "greater_equal_")
less_, less_equal_ = inplace(_ew.lt, "less_"), inplace(_ew.le, "less_equal_")
not_equal_ = inplace(_ew.ne, "not_equal_")
logical_and_ = inplace(_lg.logical_and, "logical_and_")
logical_or_ = inplace(_lg.logical_or, "logical_or_")
logical_xor_ = inplace(_lg.logical_xor, "logical_xor_")
logical_not_ = inplace(_lg.logical_not, "logical_not_")
bitwise_and_ = inplace(_lg.bitwise_and, "bitwise_and_")
bitwise_or_ = inplace(_lg.bitwise_or, "bitwise_or_")
bitwise_xor_ = inplace(_lg.bitwise_xor, "bitwise_xor_")
bitwise_not_ = inplace(_lg.bitwise_not, "bitwise_not_")
bitwise_left_shift_ = inplace(_lg.bitwise_left_shift, "bitwise_left_shift_")
bitwise_right_shift_ = inplace(_lg.bitwise_right_shift, "bitwise_right_shift_")

# scans
cumsum_, cumprod_ = inplace(_sc.cumsum, "cumsum_"), inplace(_sc.cumprod, "cumprod_")
