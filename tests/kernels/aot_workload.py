"""Every compiled kernel through its op, for tests/kernels/test_kernels_aot.py.

    python aot_workload.py OUT.npz

Runs forward and backward of the ops that call kernels (Winograd and im2col
convolutions in both layouts, 3-D channels-last convolutions, 2x2 max pooling in both layouts, the depthwise convolution,
ReLU, sigmoid, Keras's Dense with a fused ReLU and sigmoid and with its bias alone, Adam, LSTM in float32 (the whole-loop kernels) and float64 (the per-step ones), GRU),
saves every output and gradient to OUT.npz and prints one JSON line: the kernels the ops
asked for and whether numba or llvmlite were imported.
"""
import json
import sys

import numpy as np

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import keras, kernels, nn


def main(out):
    rng = np.random.default_rng(0)
    dg.manual_seed(0)
    results = {}

    def keep(name, *tensors):
        for i, t in enumerate(tensors):
            results[f"{name}.{i}"] = t.detach().numpy() if hasattr(t, "detach") else t

    for dtype in ("float32", "float64"):
        x = dg.tensor(rng.standard_normal((2, 16, 12, 12)).astype(dtype), requires_grad=True)
        conv3 = nn.Conv2d(16, 16, 3, padding=1).to(getattr(dg, dtype))       # Winograd
        conv5 = nn.Conv2d(16, 6, 5, stride=2).to(getattr(dg, dtype))        # im2col, NCHW
        y = F.max_pool2d(F.relu(conv3(x)), 2)
        z = conv5(F.pad(y, (2, 2, 2, 2)))
        p = F.max_pool2d(x * 1, 2)                                          # NCHW pooling
        q = F.relu(dg.cat([x, x]) * 2)     # a ReLU of its own, 9216 elements (the
        #                                    pool masks conv3's; the forward kernel from 8192)
        zp = F.max_pool2d(F.relu(z), 2)    # pool after a ReLU, NCHW (conv3's: stored NHWC)
        sg = dg.sigmoid(x * 3)             # sigmoid: its own exp in float32, NumPy's in 64
        loss = (z * z).sum() + (p * p).sum() + (q * q).sum() + (zp * zp).sum() + (sg * sg).sum()
        opt = dg.optim.Adam(list(conv3.parameters()) + list(conv5.parameters()), lr=1e-2)
        loss.backward()
        opt.step()
        keep(f"nchw_{dtype}", y, z, p, q, zp, sg, x.grad, *conv3.parameters(), *conv5.parameters())

        xl = dg.tensor(rng.standard_normal((2, 12, 12, 16)).astype(dtype), requires_grad=True)
        layers = [keras.layers.Conv2D(5, 5, strides=2, dtype=dtype),          # im2col, NHWC
                  keras.layers.Conv2D(16, 3, padding="same", dtype=dtype),     # Winograd
                  keras.layers.MaxPooling2D(2, dtype=dtype),
                  keras.layers.DepthwiseConv2D(3, depth_multiplier=2, dtype=dtype)]
        ys = [layers[2](layers[1](xl)), layers[0](xl), layers[3](xl)]
        sum((y * y).sum() for y in ys).backward()
        keep(f"nhwc_{dtype}", *ys, xl.grad, *(w.value for lay in layers for w in lay.weights))

        xv = dg.tensor(rng.standard_normal((2, 5, 6, 5, 3)).astype(dtype), requires_grad=True)
        vol = [keras.layers.Conv3D(4, 3, dtype=dtype),                        # im2col, NDHWC
               keras.layers.Conv3DTranspose(2, 2, strides=2, dtype=dtype)]
        yv = [lay(xv) for lay in vol]
        sum((y * y).sum() for y in yv).backward()
        keep(f"ndhwc_{dtype}", *yv, xv.grad, *(w.value.grad for lay in vol for w in lay.weights))

        xd = dg.tensor(rng.standard_normal((64, 20)).astype(dtype), requires_grad=True)
        dense = [keras.layers.Dense(160, activation=a, dtype=dtype)
                 for a in ("relu", "sigmoid", None)]
        yd = [d(xd) for d in dense]        # 10240 elements: the fused bias-activation kernels
        sum((y * y).sum() for y in yd).backward()
        keep(f"dense_{dtype}", *yd, xd.grad, *(w.value.grad for d in dense for w in d.weights))

        for cell in (nn.LSTM, nn.GRU):
            rnn = cell(6, 7, batch_first=True).to(getattr(dg, dtype))
            s = dg.tensor(rng.standard_normal((5, 9, 6)).astype(dtype), requires_grad=True)
            o, _ = rnn(s)
            (o * o).sum().backward()
            keep(f"{cell.__name__}_{dtype}", o, s.grad, *(p.grad for p in rnn.parameters()))

    np.savez(out, **results)
    print(json.dumps({"used": sorted(f"{m}.{n}" for m, n in kernels._kernels),
                      "numba": "numba" in sys.modules, "llvmlite": "llvmlite" in sys.modules}))


if __name__ == "__main__":
    main(sys.argv[1])
