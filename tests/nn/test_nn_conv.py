"""Conv and pooling layers: shapes, PyTorch parameter layout and parity, bad input."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn

LAYERS = [
    ("Conv2d", (3, 8, 3), dict(stride=2, padding=1)),
    ("Conv1d", (3, 8, 3), dict(dilation=2)),
    ("ConvTranspose2d", (3, 8, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose1d", (3, 8, 4), dict(stride=2, padding=1)),
    ("Conv2d", (4, 8, 3), dict(groups=2, bias=False)),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS)
def test_conv_layer_matches_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, name)(*args, **kwargs).double()
    d = getattr(nn, name)(*args, **kwargs).double()
    assert [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == \
           [(k, v.shape) for k, v in d.state_dict().items()]
    d.load_state_dict(t.state_dict())
    shape = (2, args[0], 7, 6) if name.endswith("2d") else (2, args[0], 9)
    x = np.random.default_rng(0).standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = t(tx)
    ty.sum().backward()
    dx = dg.tensor(x, requires_grad=True)
    dy = d(dx)
    dy.sum().backward()
    np.testing.assert_allclose(dy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_default_init_like_pytorch():
    dg.manual_seed(0)
    c = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(c.weight.numpy()).max() <= bound and np.abs(c.bias.numpy()).max() <= bound
    assert abs(c.weight.numpy().var() - bound ** 2 / 3) < 0.1 * bound ** 2 / 3


def test_seed004_cnn_shapes_and_gradcheck():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(2 * 3 * 3, 3)).double()
    x = dg.randn(2, 1, 8, 8, dtype=dg.float64)
    assert model(x).shape == (2, 3)
    params = list(model.parameters())
    assert dg.gradcheck(lambda *ps: model(x), params)


@pytest.mark.parametrize("layer,shape", [
    (nn.MaxPool2d(2), (2, 3, 8, 8)), (nn.AvgPool2d(3, 2, 1), (2, 3, 8, 8)),
    (nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 8)), (nn.AdaptiveMaxPool2d(1), (2, 3, 8, 8)),
    (nn.MaxPool1d(3, 2), (2, 3, 9)), (nn.AvgPool1d(2), (2, 3, 9)), (nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
])
def test_pool_layers_match_pytorch(layer, shape):
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, type(layer).__name__)(*_args(layer))
    x = np.random.default_rng(1).permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    np.testing.assert_allclose(layer(dg.tensor(x)).numpy(), t(torch.tensor(x)).numpy(), rtol=1e-12)


def _args(layer):
    if hasattr(layer, "output_size"):
        return (layer.output_size,)
    return (layer.kernel_size, layer.stride, layer.padding)


def test_conv_layer_bad_input_names_layer_and_shapes():
    c = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d: expected input with 3 channels \(dim 1\), received shape \(2, 4, 8, 8\)"):
        c(dg.randn(2, 4, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input \(N, C, H, W\), received shape \(8, 8\)"):
        c(dg.randn(8, 8))
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.Conv2d(3, 8, 5)(dg.randn(1, 3, 4, 4))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 8, 3, groups=2)
