"""Trigonometric and hyperbolic functions, their inverses, ``atan2`` and angle units.

Every function here is floating: an integer or bool tensor is computed in the default
float dtype (``deepgrad.sin(int_tensor)`` is float32, as PyTorch). Each backward is the
textbook derivative, written next to its forward.
"""
import math

import numpy as np

from deepgrad.autograd.function import Function
from deepgrad.ops._promote import as_float, float_operands
from deepgrad.ops.elementwise import mul


class Sin(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, g):
        return g * np.cos(self.x)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return np.cos(x)

    def backward(self, g):
        return -g * np.sin(self.x)


class Tan(Function):
    def forward(self, x):
        self.out = np.tan(x)
        return self.out

    def backward(self, g):
        return g * (1 + self.out * self.out)


class Asin(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arcsin(x)

    def backward(self, g):
        return g / np.sqrt(1 - self.x * self.x)


class Acos(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arccos(x)

    def backward(self, g):
        return -g / np.sqrt(1 - self.x * self.x)


class Atan(Function):
    def forward(self, x):
        self.x = x
        return np.arctan(x)

    def backward(self, g):
        return g / (1 + self.x * self.x)


class Sinh(Function):
    def forward(self, x):
        self.x = x
        return np.sinh(x)

    def backward(self, g):
        return g * np.cosh(self.x)


class Cosh(Function):
    def forward(self, x):
        self.x = x
        return np.cosh(x)

    def backward(self, g):
        return g * np.sinh(self.x)


class Asinh(Function):
    def forward(self, x):
        self.x = x
        return np.arcsinh(x)

    def backward(self, g):
        return g / np.sqrt(self.x * self.x + 1)


class Acosh(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arccosh(x)

    def backward(self, g):
        return g / np.sqrt((self.x - 1) * (self.x + 1))


class Atanh(Function):
    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.arctanh(x)

    def backward(self, g):
        return g / (1 - self.x * self.x)


class Atan2(Function):
    def forward(self, y, x):
        self.y, self.x = y, x
        return np.arctan2(y, x)

    def backward(self, g):
        r2 = self.x * self.x + self.y * self.y
        return (g * self.x / r2 if self.needs_grad[0] else None,
                -g * self.y / r2 if self.needs_grad[1] else None)


def sin(input):
    """sin x.   d/dx = cos x."""
    return Sin.apply(as_float(input))


def cos(input):
    """cos x.   d/dx = -sin x."""
    return Cos.apply(as_float(input))


def tan(input):
    """tan x.   d/dx = 1 + tan^2 x (from the saved output)."""
    return Tan.apply(as_float(input))


def asin(input):
    """arcsin x on [-1, 1] (nan outside).   d/dx = 1 / sqrt(1 - x^2)."""
    return Asin.apply(as_float(input))


def acos(input):
    """arccos x on [-1, 1] (nan outside).   d/dx = -1 / sqrt(1 - x^2)."""
    return Acos.apply(as_float(input))


def atan(input):
    """arctan x.   d/dx = 1 / (1 + x^2)."""
    return Atan.apply(as_float(input))


def sinh(input):
    """sinh x = (e^x - e^-x) / 2.   d/dx = cosh x."""
    return Sinh.apply(as_float(input))


def cosh(input):
    """cosh x = (e^x + e^-x) / 2.   d/dx = sinh x."""
    return Cosh.apply(as_float(input))


def asinh(input):
    """arsinh x = ln(x + sqrt(x^2 + 1)).   d/dx = 1 / sqrt(x^2 + 1)."""
    return Asinh.apply(as_float(input))


def acosh(input):
    """arcosh x = ln(x + sqrt(x^2 - 1)) for x >= 1 (nan below).   d/dx = 1 / sqrt(x^2 - 1)."""
    return Acosh.apply(as_float(input))


def atanh(input):
    """artanh x = ln((1 + x) / (1 - x)) / 2 on (-1, 1).   d/dx = 1 / (1 - x^2)."""
    return Atanh.apply(as_float(input))


def atan2(input, other):
    """The angle of the point (other, input): atan2(y, x) in (-pi, pi], broadcast.

    d/dy = x / (x^2 + y^2),   d/dx = -y / (x^2 + y^2).
    """
    return Atan2.apply(*float_operands("atan2", input, other))


def deg2rad(input):
    """Degrees to radians: x pi / 180.   d/dx = pi / 180."""
    return mul(as_float(input), math.pi / 180)


def rad2deg(input):
    """Radians to degrees: x 180 / pi.   d/dx = 180 / pi."""
    return mul(as_float(input), 180 / math.pi)


# NumPy's and PyTorch's arc* spellings
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh
