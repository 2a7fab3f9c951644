"""The hand-written NumPy reference: a dense stack's training step with no autodiff.

Forward, loss, backward and Adam are written out directly, into buffers allocated once,
so the time per step is (close to) the NumPy compute the model needs. deepgrad's time
divided by this one is the engine's overhead: graph recording, Python dispatch and the
temporaries its ops allocate.

With a_0 = x, z_l = a_{l-1} W_l^T + b_l, a_l = relu(z_l) (sigmoid or identity for the
last layer), and delta_l = dL/dz_l:

    dL/dW_l = delta_l^T a_{l-1}      dL/db_l = sum_rows delta_l
    delta_{l-1} = (delta_l W_l) * [a_{l-1} > 0]
    cross-entropy on logits:  delta_L = (softmax(z_L) - onehot(y)) / N
    MSE after a sigmoid:      delta_L = 2 (a_L - y) / (N D) * a_L (1 - a_L)

Adam as ``torch.optim.Adam`` computes it (t = step count):
    m = b1 m + (1 - b1) g,   v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
"""
import math

import numpy as np


class DenseNumPy:
    """A dense stack's training step on fixed (x, y), all arrays preallocated.

    Args:
        spec: :class:`benchmarks.workloads.dense.DenseSpec`.
        state: initial weights, PyTorch ``state_dict`` keys (``"0.weight"``, ...).
        x: (N, sizes[0]) float32.  y: (N,) int64 classes, or (N, sizes[-1]) float32.
    """

    def __init__(self, spec, state, x, y, betas=(0.9, 0.999), eps=1e-8):
        n, L = x.shape[0], len(spec.sizes) - 1
        self.spec, self.x, self.y, self.n = spec, x, y, n
        self.W = [state[f"{2 * i}.weight"].astype(np.float32) for i in range(L)]
        self.b = [state[f"{2 * i}.bias"].astype(np.float32) for i in range(L)]
        self.a = [x] + [np.empty((n, s), np.float32) for s in spec.sizes[1:]]
        self.delta = [None] + [np.empty((n, s), np.float32) for s in spec.sizes[1:]]
        self.mask = [None] + [np.empty((n, s), bool) for s in spec.sizes[1:-1]]
        self.rowmax = np.empty((n, 1), np.float32)
        self.rowsum = np.empty((n, 1), np.float32)
        self.scratch = np.empty((n, spec.sizes[-1]), np.float32)
        self.params = self.W + self.b
        self.grads = [np.empty_like(p) for p in self.params]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]
        self.rows = np.arange(n)
        self.betas, self.eps, self.t = betas, eps, 0

    def forward(self):
        L = len(self.W)
        for i in range(L):
            out = self.a[i + 1]
            np.matmul(self.a[i], self.W[i].T, out=out)
            out += self.b[i]
            if i < L - 1:
                np.maximum(out, 0, out=out)
        if self.spec.out_act == "sigmoid":     # 1 / (1 + e^-z), stable as 0.5 (1 + tanh(z/2))
            out *= 0.5
            np.tanh(out, out=out)
            out += 1
            out *= 0.5

    def loss_and_delta(self):
        """The loss (float) and delta_L = dL/dz_L written into ``self.delta[-1]``."""
        out, d = self.a[-1], self.delta[-1]
        if self.spec.loss == "cross_entropy":
            np.max(out, axis=1, keepdims=True, out=self.rowmax)
            np.subtract(out, self.rowmax, out=d)                 # shifted logits
            picked = d[self.rows, self.y]
            np.exp(d, out=d)
            np.sum(d, axis=1, keepdims=True, out=self.rowsum)
            loss = float(np.mean(np.log(self.rowsum[:, 0]) - picked))
            d /= self.rowsum                                     # softmax
            d[self.rows, self.y] -= 1
            d *= 1.0 / self.n
            return loss
        np.subtract(out, self.y, out=d)                          # MSE (mean over N D)
        loss = float(np.vdot(d, d) / d.size)
        d *= 2.0 / d.size
        if self.spec.out_act == "sigmoid":
            d *= out
            np.subtract(1, out, out=self.scratch)
            d *= self.scratch                                    # times s (1 - s)
        return loss

    def backward(self):
        L = len(self.W)
        for i in range(L - 1, -1, -1):
            d = self.delta[i + 1]
            np.matmul(d.T, self.a[i], out=self.grads[i])
            np.sum(d, axis=0, out=self.grads[L + i])
            if i > 0:
                np.matmul(d, self.W[i], out=self.delta[i])
                np.greater(self.a[i], 0, out=self.mask[i])
                np.multiply(self.delta[i], self.mask[i], out=self.delta[i])

    def adam(self):
        (b1, b2), lr = self.betas, self.spec.lr
        self.t += 1
        step_size = lr / (1 - b1 ** self.t)
        inv_bc2 = 1 / math.sqrt(1 - b2 ** self.t)
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.tmp):
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= inv_bc2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step_size
            p -= tmp

    def step(self):
        """forward, loss, backward, Adam; returns the loss before the update."""
        self.forward()
        loss = self.loss_and_delta()
        self.backward()
        self.adam()
        return loss
