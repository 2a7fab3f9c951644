"""Conv and pooling layers in 1-, 2- and 3-D: PyTorch's parameter names, init, state_dict
keys, padding modes, outputs and gradients (float64), reprs and bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import functional as F


def _pair(name, args, kwargs, dtype=np.float64):
    """(deepgrad layer, torch layer) with the same weights."""
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, name)(*args, **kwargs).double()
    d = getattr(nn, name)(*args, **kwargs).double()
    assert [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in d.state_dict().items()]
    d.load_state_dict(t.state_dict())
    return d, t


def _run_both(d, t, x, **fwd):
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    ty = t(tx, **fwd)
    ty.sum().backward()
    dx = dg.tensor(x, requires_grad=True)
    dy = d(dx, **fwd)
    dy.sum().backward()
    np.testing.assert_allclose(dy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (_, tp) in zip(d.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-10,
                                   err_msg=name)


CONV_LAYERS = [
    ("Conv3d", (2, 4, 3), dict(stride=2, padding=1)),
    ("Conv3d", (4, 4, (2, 3, 2)), dict(groups=2, dilation=(1, 2, 1), bias=False)),
    ("Conv3d", (2, 3, 3), dict(padding="same", padding_mode="reflect")),
    ("Conv3d", (2, 3, (2, 3, 3)), dict(padding=(1, 2, 0), padding_mode="replicate")),
    ("Conv3d", (2, 3, 2), dict(padding=1, padding_mode="circular", stride=(1, 2, 1))),
    ("ConvTranspose3d", (2, 4, 3), dict(stride=2, output_padding=1, padding=1)),
    ("ConvTranspose3d", (4, 2, (2, 2, 3)), dict(groups=2, dilation=2)),
    ("Conv1d", (2, 3, 4), dict(padding="same", padding_mode="reflect")),
    ("Conv1d", (2, 3, 3), dict(padding=2, padding_mode="circular", stride=2)),
    ("Conv1d", (2, 3, 3), dict(padding=1, padding_mode="replicate", dilation=2)),
    ("Conv2d", (2, 3, (3, 2)), dict(padding=(1, 2), padding_mode="reflect")),
    ("Conv2d", (2, 3, 4), dict(padding="same", padding_mode="circular")),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="replicate", stride=2)),
]


@pytest.mark.parametrize("name,args,kwargs", CONV_LAYERS)
def test_conv_layers_match_torch(name, args, kwargs):
    d, t = _pair(name, args, kwargs)
    n = int(name[-2])
    x = np.random.default_rng(0).standard_normal((2, args[0]) + (5, 6, 5)[:n])
    _run_both(d, t, x)
    assert repr(d) == repr(t)
    _run_both(d, t, x[0])                   # unbatched


@pytest.mark.parametrize("name,args,kwargs,size", [
    ("ConvTranspose1d", (2, 3, 3), dict(stride=2), [10]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), [2, 3, 8, 10]),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=3), (12, 16, 8)),
])
def test_conv_transpose_output_size(name, args, kwargs, size):
    d, t = _pair(name, args, kwargs)
    n = int(name[-2])
    x = np.random.default_rng(1).standard_normal((2, 2) + (4, 5, 3)[:n])
    _run_both(d, t, x, output_size=size)
    assert tuple(d(dg.tensor(x), output_size=size).shape[2:]) == tuple(size[-n:])
    with pytest.raises(ValueError, match=f"{name}: requested an output size of"):
        d(dg.tensor(x), output_size=[100] * n)


def test_conv3d_default_init_like_pytorch():
    dg.manual_seed(0)
    c = nn.Conv3d(4, 8, (3, 2, 3))
    bound = 1 / np.sqrt(4 * 18)
    assert c.weight.shape == (8, 4, 3, 2, 3) and c.bias.shape == (8,)
    assert np.abs(c.weight.numpy()).max() <= bound and np.abs(c.bias.numpy()).max() <= bound
    assert abs(c.weight.numpy().var() - bound ** 2 / 3) < 0.15 * bound ** 2 / 3
    assert nn.ConvTranspose3d(4, 6, 2, groups=2).weight.shape == (4, 3, 2, 2, 2)
    assert nn.Conv3d(2, 2, 3, dtype=dg.float64).weight.dtype == np.float64


def test_conv_layer_bad_arguments():
    with pytest.raises(ValueError, match=r"Conv3d: padding_mode must be one of \('zeros', "
                                         r"'reflect', 'replicate', 'circular'\), received 'foo'"):
        nn.Conv3d(2, 2, 3, padding_mode="foo")
    with pytest.raises(ValueError, match="ConvTranspose3d: only \"zeros\" padding mode"):
        nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv3d(2, 2, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="Conv2d: padding must be an int or a tuple, 'same' or "
                                         "'valid', received 'full'"):
        nn.Conv2d(2, 2, 3, padding="full")
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv3d(4, 4, 3, groups=0)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv3d(3, 4, 3, groups=2)
    c = nn.Conv3d(2, 4, 3)
    with pytest.raises(ValueError, match=r"Conv3d: expected input with 2 channels \(dim 1\), "
                                         r"received shape \(1, 3, 4, 4, 4\)"):
        c(dg.randn(1, 3, 4, 4, 4))
    with pytest.raises(ValueError, match=r"Conv3d: expected a 4-D \(unbatched\) or 5-D"):
        c(dg.randn(2, 4, 4))
    with pytest.raises(ValueError, match="pad: .*'reflect'.*pads < m"):
        nn.Conv2d(2, 2, 5, padding=3, padding_mode="reflect")(dg.randn(1, 2, 3, 3))


POOL_LAYERS = [
    ("MaxPool3d", (2,), dict()), ("MaxPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("MaxPool3d", (2,), dict(dilation=(1, 2, 1), stride=1)),
    ("AvgPool3d", (2,), dict()), ("AvgPool3d", (3, 2, 1), dict(count_include_pad=False)),
    ("AvgPool3d", (2,), dict(divisor_override=5, ceil_mode=True)),
    ("AvgPool1d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False)),
    ("AdaptiveAvgPool3d", ((2, 3, None),), dict()), ("AdaptiveMaxPool3d", (2,), dict()),
    ("AdaptiveMaxPool1d", (3,), dict()),
    ("LPPool1d", (2, 3), dict(stride=2)), ("LPPool2d", (2.0, (2, 3)), dict()),
    ("LPPool3d", (2, 2), dict(stride=1, ceil_mode=True)),
]


@pytest.mark.parametrize("name,args,kwargs", POOL_LAYERS)
def test_pool_layers_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, name)(*args, **kwargs)
    d = getattr(nn, name)(*args, **kwargs)
    n = int(name[-2])
    shape = (2, 3) + (6, 7, 6)[:n]
    x = np.random.default_rng(2).permutation(int(np.prod(shape))).reshape(shape) / 10.0 + 0.1
    _run_both(d, t, x)
    assert repr(d) == repr(t)


@pytest.mark.parametrize("name,args", [("MaxPool1d", (2,)), ("MaxPool2d", (3, 2, 1)),
                                       ("MaxPool3d", (2,)), ("AdaptiveMaxPool1d", (3,)),
                                       ("AdaptiveMaxPool2d", ((2, 3),)),
                                       ("AdaptiveMaxPool3d", (2,))])
def test_max_pool_layers_return_indices(name, args):
    torch = pytest.importorskip("torch")
    n = int(name[-2])
    shape = (2, 3) + (6, 7, 6)[:n]
    x = np.random.default_rng(3).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    y, idx = getattr(nn, name)(*args, return_indices=True)(dg.tensor(x))
    ty, tidx = getattr(torch.nn, name)(*args, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


@pytest.mark.parametrize("n", [1, 2, 3])
def test_max_unpool_layers_invert_max_pool_like_torch(n):
    torch = pytest.importorskip("torch")
    shape = (2, 2) + (6, 5, 4)[:n]
    x = np.random.default_rng(4).standard_normal(shape)
    pool, unpool = getattr(nn, f"MaxPool{n}d")(2, return_indices=True), getattr(nn, f"MaxUnpool{n}d")(2)
    tpool = getattr(torch.nn, f"MaxPool{n}d")(2, return_indices=True)
    tunpool = getattr(torch.nn, f"MaxUnpool{n}d")(2)
    y, idx = pool(dg.tensor(x))
    ty, tidx = tpool(torch.tensor(x))
    size = shape[2:]
    np.testing.assert_array_equal(unpool(y, idx, output_size=size).numpy(),
                                  tunpool(ty, tidx, output_size=size).numpy())
    assert repr(unpool) == repr(tunpool)


@pytest.mark.parametrize("n,kwargs", [(2, dict(kernel_size=2, output_size=(4, 3))),
                                      (2, dict(kernel_size=(2, 3), output_ratio=0.5)),
                                      (3, dict(kernel_size=2, output_size=2, return_indices=True)),
                                      (3, dict(kernel_size=(1, 2, 2), output_ratio=(0.5, 0.5, 0.6)))])
def test_fractional_max_pool_layers_match_torch(n, kwargs):
    torch = pytest.importorskip("torch")
    shape = (2, 3) + (7, 8, 6)[:n]
    x = np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape) * 1.0
    samples = np.random.default_rng(6).random((2, 3, n))
    d = getattr(nn, f"FractionalMaxPool{n}d")(_random_samples=dg.tensor(samples), **kwargs)
    t = getattr(torch.nn, f"FractionalMaxPool{n}d")(_random_samples=torch.tensor(samples),
                                                    **kwargs)
    got, want = d(dg.tensor(x)), t(torch.tensor(x))
    if kwargs.get("return_indices"):
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        got, want = got[0], want[0]
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert list(d.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    with pytest.raises(ValueError, match="requires specifying either an output size"):
        getattr(nn, f"FractionalMaxPool{n}d")(2)
    with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
        getattr(nn, f"FractionalMaxPool{n}d")(2, output_ratio=1.5)


def test_fold_unfold_shuffle_layers_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 8, 4, 6))
    for name, args, kwargs in [("Unfold", ((2, 3),), dict(padding=1, stride=2)),
                               ("PixelShuffle", (2,), {}), ("PixelUnshuffle", (2,), {}),
                               ("ChannelShuffle", (4,), {})]:
        d, t = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
        _run_both(d, t, x)
        assert repr(d) == repr(t)
    cols = np.random.default_rng(8).standard_normal((2, 12, 6))
    d, t = nn.Fold((4, 6), 2, stride=(1, 2), dilation=(2, 1)), \
        torch.nn.Fold((4, 6), 2, stride=(1, 2), dilation=(2, 1))
    _run_both(d, t, cols)
    assert repr(d) == repr(t)


def _same(layer, fn, shape, seed=0):
    x = dg.tensor(np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape)
                  / 10.0 + 0.05)
    got, want = layer(x), fn(x)
    got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple)
                                                              else (want,))
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("layer,fn,shape", [
    (nn.MaxPool3d(2, 1, return_indices=True), lambda x: F.max_pool3d(x, 2, 1, return_indices=True),
     (1, 2, 3, 4, 3)),
    (nn.AvgPool3d(3, 2, 1, ceil_mode=True), lambda x: F.avg_pool3d(x, 3, 2, 1, True), (1, 2, 5, 4, 5)),
    (nn.AvgPool1d(3, 2, 1), lambda x: F.avg_pool1d(x, 3, 2, 1), (2, 3, 7)),
    (nn.AdaptiveAvgPool3d((2, None, 1)), lambda x: F.adaptive_avg_pool3d(x, (2, None, 1)),
     (1, 2, 4, 3, 5)),
    (nn.AdaptiveMaxPool1d(3, True), lambda x: F.adaptive_max_pool1d(x, 3, True), (2, 3, 7)),
    (nn.AdaptiveMaxPool3d(2), lambda x: F.adaptive_max_pool3d(x, 2), (1, 2, 4, 3, 5)),
    (nn.LPPool1d(2, 3, 2), lambda x: F.lp_pool1d(x, 2.0, 3, 2), (2, 3, 7)),
    (nn.LPPool2d(3, 2), lambda x: F.lp_pool2d(x, 3.0, 2), (2, 3, 4, 6)),
    (nn.LPPool3d(2, 2), lambda x: F.lp_pool3d(x, 2.0, 2), (1, 2, 4, 4, 4)),
    (nn.Unfold(2, padding=1), lambda x: F.unfold(x, 2, padding=1), (2, 3, 4, 4)),
    (nn.Fold(3, 2), lambda x: F.fold(x, 3, 2), (2, 8, 4)),
    (nn.PixelShuffle(2), lambda x: F.pixel_shuffle(x, 2), (1, 8, 2, 3)),
    (nn.PixelUnshuffle(2), lambda x: F.pixel_unshuffle(x, 2), (1, 2, 4, 6)),
    (nn.ChannelShuffle(2), lambda x: F.channel_shuffle(x, 2), (1, 6, 2)),
])
def test_layers_run_their_functional_form(layer, fn, shape):
    _same(layer, fn, shape)


def test_conv_padding_modes_pad_first_then_convolve():
    """padding_mode='reflect'/... equals F.pad in that mode and a convolution without
    padding, with the F.pad order (last axis first) of the layer's padding."""
    for mode in ("reflect", "replicate", "circular"):
        c = nn.Conv3d(2, 3, (3, 2, 3), padding=(1, 0, 2), padding_mode=mode).double()
        x = dg.randn(1, 2, 4, 3, 5, dtype=dg.float64, requires_grad=True)
        want = F.conv3d(F.pad(x, (2, 2, 0, 0, 1, 1), mode=mode), c.weight, c.bias)
        np.testing.assert_allclose(c(x).numpy(), want.numpy(), rtol=1e-12)
        assert dg.gradcheck(lambda t: c(t), (x,))
        c1 = nn.Conv1d(2, 2, 4, padding="same", padding_mode=mode).double()
        x1 = dg.randn(2, 2, 6, dtype=dg.float64)
        np.testing.assert_allclose(c1(x1).numpy(),
                                   F.conv1d(F.pad(x1, (1, 2), mode=mode), c1.weight,
                                            c1.bias).numpy(), rtol=1e-12)


def test_conv_transpose3d_layer_and_unpool_layers_without_torch():
    ct = nn.ConvTranspose3d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2).double()
    x = dg.randn(1, 2, 2, 3, 2, dtype=dg.float64, requires_grad=True)
    y = ct(x)
    assert y.shape == (1, 4, 4, 6, 4)
    np.testing.assert_allclose(y.numpy(), F.conv_transpose3d(x, ct.weight, ct.bias, 2, 1, 1,
                                                             2).numpy(), rtol=1e-12)
    assert ct(x, output_size=(3, 5, 3)).shape == (1, 4, 3, 5, 3)
    assert dg.gradcheck(lambda t: ct(t), (x,))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    v = dg.randn(1, 2, 4, 6)
    y, idx = pool(v)
    np.testing.assert_array_equal(unpool(y, idx).numpy(), F.max_unpool2d(y, idx, 2).numpy())
    samples = dg.rand(1, 2, 2)
    fp = nn.FractionalMaxPool2d(2, output_size=(3, 3), _random_samples=samples)
    np.testing.assert_array_equal(fp(v).numpy(),
                                  F.fractional_max_pool2d(v, 2, (3, 3),
                                                          _random_samples=samples).numpy())
    assert repr(unpool) == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.MaxPool3d(2)) == ("MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")
