"""The 3-D ops in Keras's layout: ``conv3d``, ``max_pool3d`` and ``avg_pool3d`` with
``channels_last=True`` and ``conv_transpose3d_last`` take (N, D, H, W, C) volumes and
Keras's kernels as they are. Each equals the channels-first op on the transposed operands,
values and every gradient (float64, 1e-12); float32 stays float32; float64 gradcheck; bad
shapes are refused with the shapes named."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.autograd import gradcheck
from deepgrad.ops.conv_transpose_last import conv_transpose3d_last

TO_FIRST, TO_LAST = (0, 4, 1, 2, 3), (0, 2, 3, 4, 1)
KERNEL_TO_OIDHW, OIDHW_TO_KERNEL = (4, 3, 0, 1, 2), (2, 3, 4, 1, 0)


def _pair_run(rng, last_fn, first_fn, arrays, to_first):
    """last_fn on ``arrays`` and first_fn on them transposed by ``to_first``: outputs and
    gradients (for one random dL/dy), each of first's brought back to last's layout."""
    last = [dg.tensor(a, requires_grad=True) for a in arrays]
    first = [dg.tensor(np.ascontiguousarray(a.transpose(p)), requires_grad=True)
             for a, p in zip(arrays, to_first)]
    y, yf = last_fn(*last), first_fn(*first)
    g = rng.standard_normal(y.shape)
    y.backward(dg.tensor(g))
    yf.backward(dg.tensor(np.ascontiguousarray(g.transpose(TO_FIRST))))
    np.testing.assert_allclose(y.numpy(), yf.numpy().transpose(TO_LAST), rtol=1e-12,
                               atol=1e-12)
    for a, af, p in zip(last, first, to_first):
        np.testing.assert_allclose(a.grad.numpy(), af.grad.numpy().transpose(np.argsort(p)),
                                   rtol=1e-12, atol=1e-12)


CONV_CASES = [
    # x (N, D, H, W, C), kernel (kd, kh, kw, C, O), stride, padding, dilation
    ((2, 5, 6, 4, 3), (3, 3, 3, 3, 4), 1, 0, 1),
    ((1, 6, 5, 7, 2), (2, 3, 2, 2, 3), (2, 1, 2), (1, 1, 0), 1),
    ((2, 7, 7, 6, 1), (3, 2, 3, 1, 2), 1, 2, (2, 1, 2)),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_channels_last_equals_channels_first(xs, ws, stride, padding, dilation, bias):
    rng = np.random.default_rng(sum(xs) + sum(ws))
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)]
    to_first = [TO_FIRST, KERNEL_TO_OIDHW]
    if bias:
        arrays.append(rng.standard_normal(ws[-1]))
        to_first.append((0,))
    _pair_run(rng,
              lambda *a: ops.conv3d(*a, stride=stride, padding=padding, dilation=dilation,
                                    channels_last=True),
              lambda *a: ops.conv3d(*a, stride=stride, padding=padding, dilation=dilation),
              arrays, to_first)


def test_conv3d_channels_last_runs_the_channels_last_node_in_float32():
    x, w = dg.randn(2, 4, 5, 6, 3), dg.randn(2, 2, 2, 3, 4)
    y = ops.conv3d(x, w, padding="same", channels_last=True)
    assert y.shape == (2, 4, 5, 6, 4) and y.dtype == np.float32
    x.requires_grad = True
    y = ops.conv3d(x, w, channels_last=True)
    assert type(y.grad_fn).__name__ == "ConvLast"
    one = ops.conv3d(x[0], w, channels_last=True)           # unbatched (D, H, W, C)
    np.testing.assert_array_equal(one.numpy(), y.numpy()[0])


def test_conv3d_channels_last_gradcheck_and_refusals():
    rng = np.random.default_rng(7)
    x = dg.tensor(rng.standard_normal((1, 4, 3, 4, 2)), requires_grad=True)
    w = dg.tensor(rng.standard_normal((2, 2, 3, 2, 3)), requires_grad=True)
    b = dg.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda *a: ops.conv3d(*a, stride=(1, 2, 1), padding=1,
                                           channels_last=True), (x, w, b))
    with pytest.raises(ValueError, match=r"input has 3 channels .*expects 2"):
        ops.conv3d(dg.randn(1, 4, 4, 4, 3), dg.randn(2, 2, 2, 2, 3), channels_last=True)
    with pytest.raises(ValueError, match=r"channels_last expects a 5-D input"):
        ops.conv3d(dg.randn(4, 4, 2), dg.randn(2, 2, 2, 2, 3), channels_last=True)


POOL_CASES = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
              dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL_CASES)
@pytest.mark.parametrize("pool", ["max_pool3d", "avg_pool3d"])
def test_pool3d_channels_last_equals_channels_first(pool, kw):
    rng = np.random.default_rng(len(kw))
    fn = getattr(ops, pool)
    _pair_run(rng, lambda x: fn(x, channels_last=True, **kw), lambda x: fn(x, **kw),
              [rng.standard_normal((2, 6, 7, 5, 3))], [TO_FIRST])


@pytest.mark.parametrize("pool", ["max_pool3d", "avg_pool3d"])
def test_pool3d_channels_last_float32_and_gradcheck(pool):
    fn = getattr(ops, pool)
    y = fn(dg.randn(2, 4, 4, 6, 3), 2, channels_last=True)
    assert y.shape == (2, 2, 2, 3, 3) and y.dtype == np.float32
    x = dg.tensor(np.random.default_rng(1).standard_normal((1, 4, 5, 4, 2)),
                  requires_grad=True)
    assert gradcheck(lambda t: fn(t, 3, 2, padding=1, channels_last=True), (x,))
    with pytest.raises(ValueError, match=r"5-D \(batched\) input \(N, D, H, W, C\), "
                                         r"received shape \(2, 3, 4\)"):
        fn(dg.randn(2, 3, 4), 2, channels_last=True)


TRANSPOSE_CASES = [((2, 3, 4, 3, 3), (3, 3, 2, 4), (1, 1, 1), (1, 1, 1)),
                   ((1, 2, 3, 4, 2), (2, 3, 2, 3), (2, 1, 3), (1, 2, 1))]


@pytest.mark.parametrize("xs,ks,stride,dilation", TRANSPOSE_CASES)
@pytest.mark.parametrize("bias", [False, True])
def test_conv_transpose3d_last_equals_the_ncdhw_transposed_convolution(xs, ks, stride,
                                                                        dilation, bias):
    rng = np.random.default_rng(sum(xs))
    arrays = [rng.standard_normal(xs), rng.standard_normal(ks + (xs[-1],))]
    # Keras's (kd, kh, kw, Cout, Cin) -> the NCDHW op's (Cin, Cout, kd, kh, kw)
    to_first = [TO_FIRST, KERNEL_TO_OIDHW]
    if bias:
        arrays.append(rng.standard_normal(ks[-1]))
        to_first.append((0,))
    _pair_run(rng, lambda x, k, *b: conv_transpose3d_last(x, k, stride, dilation, *b),
              lambda x, k, *b: ops.conv_transpose3d(x, k, *(b or (None,)), stride, 0, 0, 1,
                                                    dilation),
              arrays, to_first)


def test_conv_transpose3d_last_float32_gradcheck_and_refusal():
    y = conv_transpose3d_last(dg.randn(2, 2, 3, 2, 4), dg.randn(2, 2, 2, 3, 4), 2)
    assert y.shape == (2, 4, 6, 4, 3) and y.dtype == np.float32
    rng = np.random.default_rng(5)
    x = dg.tensor(rng.standard_normal((1, 2, 2, 3, 2)), requires_grad=True)
    k = dg.tensor(rng.standard_normal((2, 2, 2, 3, 2)), requires_grad=True)
    b = dg.tensor(rng.standard_normal(3), requires_grad=True)
    assert gradcheck(lambda a, c, d: conv_transpose3d_last(a, c, (2, 1, 1), bias=d), (x, k, b))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), received \(2,\)"):
        conv_transpose3d_last(x, k, bias=dg.tensor(np.zeros(2)))
    with pytest.raises(ValueError, match=r"input \(N, D, H, W, Cin\) and kernel "
                                         r"\(kd, kh, kw, Cout, Cin\) .*\(1, 2, 2, 3, 2\) and "
                                         r"\(2, 2, 2, 3, 4\)"):
        conv_transpose3d_last(x, dg.tensor(rng.standard_normal((2, 2, 2, 3, 4))))
