"""Adam's update as one loop: each element of (theta, g, m, v) read once, written once.

The formula and its operation order are :func:`deepgrad.optim.rules._adam_update`'s
(which documents Adam and AMSGrad, PyTorch's and Keras's forms), element by element:

    tmp = g - m;   tmp *= 1 - beta1;   m += tmp
    tmp = g g;     tmp -= v;   tmp *= 1 - beta2;   v += tmp
    v_hat = max(v_max, v) -> v_max        (AMSGrad)
    tmp = sqrt(v_hat);   tmp /= v_scale (PyTorch's sqrt(1 - beta2^t); Keras: skipped)
    tmp += eps;   tmp = m / tmp;   tmp *= step_size;   theta -= tmp

``c`` holds the constants (1 - beta1, 1 - beta2, v_scale, eps, step_size) already in the
arrays' dtype, as NumPy casts a Python float operand of a float32 array (NEP 50), so every
step is the same IEEE operation in the same precision as the NumPy path: the bits are
equal (tests/kernels/test_kernels_optim.py). The NumPy path makes 12 passes over a 64K
block; this makes one.
"""
import numpy as np

from deepgrad.kernels._jit import kernel


@kernel("F[::1], F[::1], F[::1], F[::1], F[::1], boolean, boolean, F[::1]")
def adam(p, g, mf, vf, vm, amsgrad, scale, c):
    """One Adam step over 1-D contiguous theta (p), g, m (mf), v (vf) and v_max (vm, read
    only when ``amsgrad``); ``scale``: divide sqrt(v_hat) by ``c[2]`` (PyTorch's form)."""
    one_b1, one_b2, v_scale, eps, step_size = c[0], c[1], c[2], c[3], c[4]
    for i in range(p.size):
        gi = g[i]
        mi = mf[i] + (gi - mf[i]) * one_b1
        vi = vf[i] + (gi * gi - vf[i]) * one_b2
        mf[i] = mi
        vf[i] = vi
        if amsgrad:             # np.maximum(v_max, v): NaN if either is, else the larger
            a = vm[i]
            vi = a if (a > vi) | (a != a) else vi
            vm[i] = vi
        d = np.sqrt(vi)
        if scale:
            d = d / v_scale
        p[i] -= mi / (d + eps) * step_size
