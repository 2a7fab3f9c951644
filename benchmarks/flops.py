"""How much arithmetic a training step is, and how fast this machine multiplies matrices.

The achieved-compute table of ``benchmarks/run.py`` divides each workload's multiply-add
count by the measured step time, next to the machine's float32 GEMM rate, so the distance
to the limit is visible.

Counted: the matrix products of the layers that hold nearly all the arithmetic (``Linear``,
``Conv1d``/``Conv2d``, ``LSTM``), 2 FLOPs per multiply-add, for forward and backward:

    Linear  X (R, I) -> (R, O):          forward 2 R I O; backward dW 2 R I O,
                                          dX 2 R I O (skipped when X needs no gradient)
    Conv    (N, C, H, W) -> (N, O, P):   forward 2 N P O C kh kw / groups; backward the same
                                          for dW and, unless the input needs no gradient, dX
    LSTM    layer l, T steps, batch B:   forward 2 T B (I_l + H) 4H; backward dW the same,
                                          dh 2 T B H 4H, dx 2 T B I_l 4H (not for the data)

Elementwise work (activations, pooling, the optimizer) is not counted: it is what makes
a step slower than its GEMMs. The count is taken from the deepgrad.nn model itself
(forward hooks on one batch), so it follows the workload's definition.
"""
import os
import subprocess
import sys

import numpy as np


def _linear(module, x, y):
    rows, i, o = int(np.prod(x.shape[:-1])), x.shape[-1], y.shape[-1]
    fwd = 2 * rows * i * o
    return fwd, fwd * (1 + x.requires_grad)


def _conv(module, x, y):
    n, c = x.shape[0], x.shape[1]
    o, points = y.shape[1], int(np.prod(y.shape[2:]))
    fwd = 2 * n * points * o * (c // module.groups) * int(np.prod(module.kernel_size))
    return fwd, fwd * (1 + x.requires_grad)


def _lstm(module, x, y):
    if module.bidirectional:
        raise NotImplementedError("flops: bidirectional LSTM is not counted")
    b, t = (x.shape[0], x.shape[1]) if module.batch_first else (x.shape[1], x.shape[0])
    h, gates = module.hidden_size, 4 * module.hidden_size
    fwd = bwd = 0
    for layer in range(module.num_layers):
        i = module.input_size if layer == 0 else h
        f = 2 * t * b * (i + h) * gates
        fwd += f
        bwd += f + 2 * t * b * h * gates                     # dW, dh
        if layer > 0 or x.requires_grad:
            bwd += 2 * t * b * i * gates                     # dx
    return fwd, bwd


def step_flops(workload):
    """FLOPs of one training step (forward + backward) of ``workload``'s batch, or None
    when it declares no ``make_model``."""
    if workload.make_model is None:
        return None
    import deepgrad
    counters = {"Linear": _linear, "Conv1d": _conv, "Conv2d": _conv, "LSTM": _lstm}
    model = workload.make_model(deepgrad.nn)
    total = [0]

    def hook(module, inputs, output):
        out = output[0] if isinstance(output, tuple) else output
        fwd, bwd = counters[type(module).__name__](module, inputs[0], out)
        total[0] += fwd + bwd

    for m in model.modules():
        if type(m).__name__ in counters:
            m.register_forward_hook(hook)
    x, _ = workload.make_batch(np.random.default_rng(0))
    model(deepgrad.from_numpy(x))
    return total[0]


_GEMM = """
import time, numpy as np
n = {n}
a = np.random.default_rng(0).random((n, n), dtype=np.float32)
b = np.random.default_rng(1).random((n, n), dtype=np.float32)
c = np.empty((n, n), np.float32)
best = float("inf")
for _ in range(30):
    t = time.perf_counter(); np.matmul(a, b, out=c); best = min(best, time.perf_counter() - t)
print(2 * n ** 3 / best)
"""


def gemm_rate(threads, n=1024):
    """float32 FLOP/s of NumPy's BLAS on an n x n x n product (fastest of 30), with
    ``threads`` BLAS threads (a fresh interpreter, so the count takes effect)."""
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = subprocess.run([sys.executable, "-c", _GEMM.format(n=n)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())
