"""A max pool after a ReLU does the ReLU's backward masking on the pooled size
(:class:`deepgrad.ops.pool.MaxPool`, "After a ReLU"): the gradients equal the unfused
walk's bit for bit (signed zeros, NaN, ties, all-negative windows), in both layouts and
both pooling paths; overlapping windows, hooks, retain_grad and a second consumer of the
ReLU's output keep the ReLU's own masking."""
import numpy as np
import pytest

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import kernels
from deepgrad.ops import activation


def kernel_path(compiled):
    """``kernels.use(compiled)``; the compiled case skips without numba."""
    if compiled:
        pytest.importorskip("numba")
    return kernels.use(compiled)


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.fixture
def relu_masks(monkeypatch):
    """Counts the ReLU nodes that ran their own masking."""
    calls = []
    real = activation.relu_backward

    def counted(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(activation, "relu_backward", counted)
    return calls


def special_input(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[:64] = np.resize(np.array([0.0, -0.0, np.nan, 1.0, 1.0, -2.0, np.inf, -np.inf], dtype),
                          64)                               # ties, NaN, signed zeros
    flat[64:128] = -np.abs(flat[64:128])                   # all-negative windows
    return x


def special_grad(shape, dtype, seed):
    g = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    g.reshape(-1)[:16] = np.resize(np.array([-1.0, 0.0, -0.0, np.nan, np.inf, -3.0], dtype), 16)
    return g


def grads(x, g, pool, hook):
    """(y, dL/dx); ``hook``: a no-op tensor hook on the ReLU's output (no fusion)."""
    t = dg.tensor(x, requires_grad=True)
    r = F.relu(t)
    if hook:
        r.register_hook(lambda g: None)
    y = pool(r)
    y.backward(dg.tensor(g))
    return y.detach().numpy(), t.grad.numpy()


POOLS = {
    "tiled 2x2": (lambda r: F.max_pool2d(r, 2), (4, 3, 10, 12)),
    "tiled, cropped": (lambda r: F.max_pool2d(r, 2), (4, 3, 11, 9)),
    "3x3 stride 3": (lambda r: F.max_pool2d(r, 3), (3, 2, 12, 12)),
    "padding, ceil": (lambda r: F.max_pool2d(r, 2, 2, 1, ceil_mode=True), (3, 2, 9, 9)),
    "channels last": (lambda r: F.max_pool2d(r, 2, channels_last=True), (4, 10, 12, 3)),
    "channels last 3x3": (lambda r: F.max_pool2d(r, 3, channels_last=True), (2, 9, 9, 5)),
    "1-d": (lambda r: F.max_pool1d(r, 2), (4, 3, 20)),
    "3-d": (lambda r: F.max_pool3d(r, 2), (2, 3, 4, 6, 6)),
}


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(POOLS))
def test_fused_backward_equals_the_unfused_bit_for_bit(name, dtype, compiled, relu_masks):
    with kernel_path(compiled):
        fused_and_unfused(name, dtype, relu_masks)


def fused_and_unfused(name, dtype, relu_masks):
    pool, shape = POOLS[name]
    x = special_input(shape, dtype, 0)
    y_ref = pool(dg.tensor(np.maximum(x, 0))).numpy()
    g = special_grad(y_ref.shape, dtype, 1)
    with np.errstate(invalid="ignore"):
        y0, g0 = grads(x, g, pool, hook=True)
        assert len(relu_masks) == 1                        # unfused: the ReLU masked
        y1, g1 = grads(x, g, pool, hook=False)
    assert len(relu_masks) == 1                            # fused: it did not
    np.testing.assert_array_equal(bits(y1), bits(y0))
    np.testing.assert_array_equal(bits(g1), bits(g0))
    assert g1.dtype == dtype


@pytest.mark.parametrize("compiled", [False, True])
def test_fused_after_a_winograd_convolution_stored_channels_last(compiled, relu_masks):
    with kernel_path(compiled):
        after_winograd(relu_masks)


def after_winograd(relu_masks):
    rng = np.random.default_rng(2)
    conv = dg.nn.Conv2d(16, 16, 3)
    x = rng.standard_normal((4, 16, 12, 12)).astype(np.float32)
    out = []
    for hook in (True, False):
        t = dg.tensor(x, requires_grad=True)
        conv.zero_grad()
        r = F.relu(conv(t))
        if hook:
            r.register_hook(lambda g: None)
        y = F.max_pool2d(r, 2)
        (y * y).sum().backward()
        out.append((t.grad.numpy(), conv.weight.grad.numpy().copy()))
    assert len(relu_masks) == 1
    for a, b in zip(*out):
        np.testing.assert_array_equal(bits(a), bits(b))


def test_overlapping_windows_keep_the_relus_masking(relu_masks):
    x = special_input((2, 3, 9, 9), np.float32, 3)
    pool = lambda r: F.max_pool2d(r, 3, 2)                  # noqa: E731
    y0, g0 = grads(x, np.ones((2, 3, 4, 4), np.float32), pool, hook=True)
    y1, g1 = grads(x, np.ones((2, 3, 4, 4), np.float32), pool, hook=False)
    assert len(relu_masks) == 2
    np.testing.assert_array_equal(bits(g1), bits(g0))


def test_a_second_consumer_of_the_relu_output_is_masked_by_the_relu(relu_masks):
    x = special_input((2, 3, 8, 8), np.float32, 4)
    t = dg.tensor(x, requires_grad=True)
    r = F.relu(t)
    (F.max_pool2d(r, 2).sum() + (r * 3).sum()).backward()
    assert len(relu_masks) == 1
    with np.errstate(invalid="ignore"):
        routed = np.zeros_like(x)                           # winners of each 2x2 window
        r_np = np.maximum(x, 0)
        w = r_np.reshape(2, 3, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 3, 4, 4, 4)
        nan = np.isnan(w)
        k = np.where(nan.any(-1), 3 - np.argmax(nan[..., ::-1], -1), np.argmax(w, -1))
        for i in range(4):
            sel = (k == i).astype(np.float32)
            routed[:, :, i // 2::2, i % 2::2] = sel
        want = (routed + 3) * (r_np > 0)
    np.testing.assert_array_equal(t.grad.numpy(), want)


def test_retain_grad_sees_the_unmasked_gradient(relu_masks):
    x = special_input((2, 2, 6, 6), np.float32, 5)
    t = dg.tensor(x, requires_grad=True)
    r = F.relu(t)
    r.retain_grad()
    F.max_pool2d(r, 2).sum().backward()
    assert len(relu_masks) == 1                            # the ReLU masked, not the pool
    assert r.grad.numpy().sum() == 2 * 2 * 3 * 3             # a 1 per window, unmasked


def test_twice_with_retain_graph():
    x = special_input((2, 3, 8, 8), np.float32, 6)
    t = dg.tensor(x, requires_grad=True)
    y = F.max_pool2d(F.relu(t), 2)
    y.sum().backward(retain_graph=True)
    first = t.grad.numpy().copy()
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), 2 * first)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    x = special_input((4, 3, 10, 12), np.float32, 7)
    x[np.isnan(x)] = 0.5                                    # PyTorch's NaN winner rule differs
    g = np.random.default_rng(8).standard_normal((4, 3, 5, 6)).astype(np.float32)
    t = dg.tensor(x, requires_grad=True)
    F.max_pool2d(F.relu(t), 2).backward(dg.tensor(g))
    tt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(torch.relu(tt), 2).backward(torch.tensor(g))
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())


ROUTES = [dict(kernel_size=2), dict(kernel_size=2, ceil_mode=True), dict(kernel_size=3),
          dict(kernel_size=2, padding=1), dict(kernel_size=3, stride=2)]


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("kw", ROUTES)
def test_a_non_finite_gradient_stays_at_its_winner(kw, compiled):
    """g = inf, -inf or NaN goes to the window's winner only, the other positions get
    +0 (as PyTorch's and TensorFlow's scatter); a product g [arg == k] put NaN there."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    t = dg.tensor(x, requires_grad=True)
    with kernel_path(compiled):
        y, idx = F.max_pool2d(t, return_indices=True, **kw)
        g = rng.standard_normal(y.shape).astype(np.float32)
        g.reshape(-1)[:9] = [np.inf, -np.inf, np.nan, -1.0, np.inf, np.nan, -2.0, np.inf, 1.0]
        y.backward(dg.tensor(g))
    want = np.zeros((6, 81), np.float32)
    for plane, (gi, ii) in enumerate(zip(g.reshape(6, -1), idx.numpy().reshape(6, -1))):
        np.add.at(want[plane], ii, gi)
    if kw.get("stride") == 2:           # overlapping windows: a sum, in another order
        np.testing.assert_allclose(t.grad.numpy().reshape(6, 81), want, rtol=1e-6)
    else:
        np.testing.assert_array_equal(t.grad.numpy().reshape(6, 81), want)   # NaN at NaN


@pytest.mark.parametrize("compiled", [False, True])
def test_a_non_finite_gradient_stays_at_its_winner_channels_last(compiled):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    t = dg.tensor(x, requires_grad=True)
    with kernel_path(compiled):
        y = F.max_pool2d(t, 2, channels_last=True)
        g = np.full(y.shape, np.inf, np.float32)
        y.backward(dg.tensor(g))
    grad = t.grad.numpy()
    assert np.isinf(grad).sum() == g.size and (grad[np.isfinite(grad)] == 0).all()
