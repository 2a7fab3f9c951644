"""Tensor methods for pointwise math, special functions, comparisons, logical and bitwise
ops, scans, sorting/search and their in-place ``*_`` variants.

Each method is the :mod:`deepgrad.ops` function itself (its first argument is the tensor)
or a one-line call into it, where the op's forward and backward live side by side.
"""
from deepgrad.ops import (division as _div, logical as _lg, pointwise as _pw,
                          pointwise_inplace as _ip, reduce as _rd, scan as _sc, search as _se,
                          sorting as _so, special as _sp, trig as _tr)
from deepgrad.ops import elementwise as _ew

from deepgrad.ops import activation as _act, activation_piecewise as _apw


class TensorPointwise:
    __slots__ = ()

    # trigonometric and hyperbolic ----------------------------------------------------------
    sin, cos, tan, asin, acos, atan = _tr.sin, _tr.cos, _tr.tan, _tr.asin, _tr.acos, _tr.atan
    sinh, cosh, asinh, acosh, atanh = _tr.sinh, _tr.cosh, _tr.asinh, _tr.acosh, _tr.atanh
    arcsin, arccos, arctan = _tr.asin, _tr.acos, _tr.atan
    arcsinh, arccosh, arctanh = _tr.asinh, _tr.acosh, _tr.atanh
    atan2 = arctan2 = _tr.atan2
    deg2rad, rad2deg = _tr.deg2rad, _tr.rad2deg

    # exp / log / powers / rounding / signs ---------------------------------------------------
    exp2, expm1, log2, log10, log1p = _pw.exp2, _pw.expm1, _pw.log2, _pw.log10, _pw.log1p
    reciprocal, rsqrt, square = _pw.reciprocal, _pw.rsqrt, _pw.square
    floor, ceil, trunc, fix, round, frac = (_pw.floor, _pw.ceil, _pw.trunc, _pw.fix, _pw.round,
                                            _pw.frac)
    sign, sgn, signbit, nan_to_num = _pw.sign, _pw.sgn, _pw.signbit, _pw.nan_to_num
    clamp_min, clamp_max = _pw.clamp_min, _pw.clamp_max
    hypot, logaddexp, logaddexp2, lerp = _pw.hypot, _pw.logaddexp, _pw.logaddexp2, _pw.lerp
    copysign, nextafter, heaviside, ldexp = _pw.copysign, _pw.nextafter, _pw.heaviside, _pw.ldexp
    frexp, float_power, fmax, fmin = _pw.frexp, _pw.float_power, _pw.fmax, _pw.fmin
    addcmul, addcdiv = _pw.addcmul, _pw.addcdiv
    multiply, subtract = _ew.mul, _ew.sub
    negative, positive, absolute = _ew.negative, _ew.positive, _ew.absolute

    # special functions -----------------------------------------------------------------------
    erf, erfc, erfinv, lgamma, digamma = _sp.erf, _sp.erfc, _sp.erfinv, _sp.lgamma, _sp.digamma
    mvlgamma, i0, igamma, igammac = _sp.mvlgamma, _sp.i0, _sp.igamma, _sp.igammac
    sinc, logit, xlogy = _sp.sinc, _sp.logit, _sp.xlogy

    def polygamma(self, n):
        """``x.polygamma(n)`` is ``polygamma(n, x)``."""
        return _sp.polygamma(n, self)

    # division and integers -------------------------------------------------------------------
    divide, true_divide, floor_divide = _div.divide, _div.true_divide, _div.floor_divide
    fmod, remainder, gcd, lcm = _div.fmod, _div.remainder, _div.gcd, _div.lcm

    # comparisons, logical, bitwise, tests ----------------------------------------------------
    greater, greater_equal, less, less_equal, not_equal = (_lg.greater, _lg.greater_equal,
                                                           _lg.less, _lg.less_equal,
                                                           _lg.not_equal)
    logical_and, logical_or, logical_xor, logical_not = (_lg.logical_and, _lg.logical_or,
                                                         _lg.logical_xor, _lg.logical_not)
    bitwise_and, bitwise_or, bitwise_xor, bitwise_not = (_lg.bitwise_and, _lg.bitwise_or,
                                                         _lg.bitwise_xor, _lg.bitwise_not)
    bitwise_left_shift, bitwise_right_shift = _lg.bitwise_left_shift, _lg.bitwise_right_shift
    isclose, allclose, equal = _lg.isclose, _lg.allclose, _lg.equal
    isnan, isinf, isfinite, isposinf, isneginf, isreal = (_lg.isnan, _lg.isinf, _lg.isfinite,
                                                          _lg.isposinf, _lg.isneginf, _lg.isreal)

    __and__, __or__, __xor__ = _lg.bitwise_and, _lg.bitwise_or, _lg.bitwise_xor
    __invert__ = _lg.bitwise_not
    __lshift__, __rshift__ = _lg.bitwise_left_shift, _lg.bitwise_right_shift
    __mod__, __floordiv__ = _div.remainder, _div.floor_divide

    def __rand__(self, other):
        return _lg.bitwise_and(other, self)

    def __ror__(self, other):
        return _lg.bitwise_or(other, self)

    def __rxor__(self, other):
        return _lg.bitwise_xor(other, self)

    def __rlshift__(self, other):
        return _lg.bitwise_left_shift(other, self)

    def __rrshift__(self, other):
        return _lg.bitwise_right_shift(other, self)

    def __rmod__(self, other):
        return _div.remainder(other, self)

    def __rfloordiv__(self, other):
        return _div.floor_divide(other, self)

    __iand__, __ior__, __ixor__ = _ip.bitwise_and_, _ip.bitwise_or_, _ip.bitwise_xor_
    __ilshift__, __irshift__ = _ip.bitwise_left_shift_, _ip.bitwise_right_shift_
    __imod__, __ifloordiv__ = _ip.remainder_, _ip.floor_divide_

    # reductions ------------------------------------------------------------------------------
    prod, nansum, nanmean = _rd.prod, _rd.nansum, _rd.nanmean
    all, any, count_nonzero, aminmax = _rd.all, _rd.any, _rd.count_nonzero, _rd.aminmax

    # scans -----------------------------------------------------------------------------------
    cumsum, cumprod, cummax, cummin = _sc.cumsum, _sc.cumprod, _sc.cummax, _sc.cummin
    logcumsumexp, diff = _sc.logcumsumexp, _sc.diff

    # sorting and searching -------------------------------------------------------------------
    sort, argsort, msort, topk, kthvalue = _so.sort, _so.argsort, _so.msort, _so.topk, _so.kthvalue
    median, nanmedian, mode = _so.median, _so.nanmedian, _so.mode
    quantile, nanquantile = _so.quantile, _so.nanquantile
    unique, unique_consecutive = _se.unique, _se.unique_consecutive
    histc, histogram, bincount = _se.histc, _se.histogram, _se.bincount

    # in place --------------------------------------------------------------------------------
    sin_, cos_, tan_ = _ip.sin_, _ip.cos_, _ip.tan_
    asin_, acos_, atan_ = _ip.asin_, _ip.acos_, _ip.atan_
    sinh_, cosh_, asinh_, acosh_, atanh_ = _ip.sinh_, _ip.cosh_, _ip.asinh_, _ip.acosh_, _ip.atanh_
    arcsin_, arccos_, arctan_ = _ip.asin_, _ip.acos_, _ip.atan_
    arcsinh_, arccosh_, arctanh_ = _ip.asinh_, _ip.acosh_, _ip.atanh_
    atan2_ = arctan2_ = _ip.atan2_
    deg2rad_, rad2deg_ = _ip.deg2rad_, _ip.rad2deg_
    exp_, log_, sqrt_ = _ip.exp_, _ip.log_, _ip.sqrt_
    abs_, neg_, pow_ = _ip.abs_, _ip.neg_, _ip.pow_
    absolute_, negative_, clip_ = _ip.absolute_, _ip.negative_, _ip.clip_
    multiply_, subtract_ = _ip.multiply_, _ip.subtract_
    sigmoid_, tanh_ = _ip.sigmoid_, _ip.tanh_
    exp2_, expm1_, log2_, log10_, log1p_ = _ip.exp2_, _ip.expm1_, _ip.log2_, _ip.log10_, _ip.log1p_
    reciprocal_, rsqrt_, square_ = _ip.reciprocal_, _ip.rsqrt_, _ip.square_
    floor_, ceil_, trunc_, fix_, round_, frac_ = (_ip.floor_, _ip.ceil_, _ip.trunc_, _ip.fix_,
                                                  _ip.round_, _ip.frac_)
    sign_, sgn_, nan_to_num_ = _ip.sign_, _ip.sgn_, _ip.nan_to_num_
    clamp_min_, clamp_max_ = _ip.clamp_min_, _ip.clamp_max_
    hypot_, lerp_, copysign_, nextafter_ = _ip.hypot_, _ip.lerp_, _ip.copysign_, _ip.nextafter_
    heaviside_, ldexp_, float_power_ = _ip.heaviside_, _ip.ldexp_, _ip.float_power_
    addcmul_, addcdiv_ = _ip.addcmul_, _ip.addcdiv_
    erf_, erfc_, erfinv_, lgamma_, digamma_ = (_ip.erf_, _ip.erfc_, _ip.erfinv_, _ip.lgamma_,
                                               _ip.digamma_)
    polygamma_, mvlgamma_, i0_, sinc_ = _ip.polygamma_, _ip.mvlgamma_, _ip.i0_, _ip.sinc_
    igamma_, igammac_, logit_, xlogy_ = _ip.igamma_, _ip.igammac_, _ip.logit_, _ip.xlogy_
    divide_, true_divide_, floor_divide_ = _ip.divide_, _ip.true_divide_, _ip.floor_divide_
    fmod_, remainder_, gcd_, lcm_ = _ip.fmod_, _ip.remainder_, _ip.gcd_, _ip.lcm_
    eq_, ne_, lt_, le_, gt_, ge_ = _ip.eq_, _ip.ne_, _ip.lt_, _ip.le_, _ip.gt_, _ip.ge_
    greater_, greater_equal_, less_, less_equal_ = (_ip.greater_, _ip.greater_equal_, _ip.less_,
                                                    _ip.less_equal_)
    not_equal_ = _ip.not_equal_
    logical_and_, logical_or_ = _ip.logical_and_, _ip.logical_or_
    logical_xor_, logical_not_ = _ip.logical_xor_, _ip.logical_not_
    bitwise_and_, bitwise_or_ = _ip.bitwise_and_, _ip.bitwise_or_
    bitwise_xor_, bitwise_not_ = _ip.bitwise_xor_, _ip.bitwise_not_
    bitwise_left_shift_, bitwise_right_shift_ = _ip.bitwise_left_shift_, _ip.bitwise_right_shift_
    cumsum_, cumprod_ = _ip.cumsum_, _ip.cumprod_

    # activations with a Tensor method (deepgrad/ops/activation*.py)
    relu_, hardshrink, prelu = _act.relu_, _apw.hardshrink, _apw.prelu
