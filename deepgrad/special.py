"""``deepgrad.special``: PyTorch's ``torch.special`` names.

The functions live in :mod:`deepgrad.ops.special`, :mod:`deepgrad.ops.special_extra` and
the pointwise families; this module only gives them their ``torch.special`` spellings
(``expit`` is the logistic sigmoid, ``gammaln`` is ``lgamma``, ``psi`` is ``digamma``...).
"""
from deepgrad.ops.activation import sigmoid as expit
from deepgrad.ops.activation_softmax import log_softmax as _log_softmax, softmax as _softmax
from deepgrad.ops.elementwise import cast as _cast
from deepgrad.ops.pointwise import exp2, expm1, log1p, round
from deepgrad.ops.reduce import logsumexp as _logsumexp
from deepgrad.ops.special import (
    digamma, erf, erfc, erfinv, i0, igamma as gammainc, igammac as gammaincc,
    lgamma as gammaln, logit, mvlgamma as multigammaln, polygamma, sinc, xlogy)
from deepgrad.ops.special_extra import (
    entr, erfcx, i0e, i1, i1e, log_ndtr, ndtr, ndtri, xlog1py, zeta)

psi = digamma
modified_bessel_i0 = i0
modified_bessel_i1 = i1

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1",
    "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr",
    "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
    "xlog1py", "xlogy", "zeta"]


def logsumexp(input, dim, keepdim=False):
    """ln sum exp over ``dim`` (required here, as in ``torch.special``)."""
    return _logsumexp(input, dim, keepdim)


def softmax(input, dim, dtype=None):
    """softmax over ``dim``; ``dtype`` casts the input first."""
    return _softmax(input if dtype is None else _cast(input, dtype), dim)


def log_softmax(input, dim, dtype=None):
    """log-softmax over ``dim``; ``dtype`` casts the input first."""
    return _log_softmax(input if dtype is None else _cast(input, dtype), dim)


def __getattr__(name):
    raise AttributeError(
        f"deepgrad.special has no attribute {name!r}: deepgrad does not implement it (the "
        f"Bessel J/Y/K, Airy and orthogonal-polynomial families of torch.special are not "
        f"provided)")
