"""The remaining activations (smooth and piecewise-linear): forward vs NumPy, float64
gradcheck, PyTorch on the side, argument checks and the in-place rule."""
import math
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, ops
from deepgrad.nn import functional as F
from op_harness import UNARY, away_from, check_op, uniform

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_softplus(x):
    return np.logaddexp(0, x)


SMOOTH = [
    ("selu", ops.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
     away_from([0.0], -4, 4), "selu"),
    ("celu", lambda x: ops.celu(x, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7)),
     away_from([0.0], -4, 4), lambda t: __import__("torch").nn.functional.celu(t, 0.7)),
    ("mish", ops.mish, lambda x: x * np.tanh(np_softplus(x)), uniform(-5, 5), "mish"),
    ("logsigmoid", ops.logsigmoid, lambda x: -np_softplus(-x), uniform(-30, 30), "logsigmoid"),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), away_from([0.0], -3, 3),
     "softsign"),
    ("tanhshrink", ops.tanhshrink, lambda x: x - np.tanh(x), uniform(-3, 3), "tanhshrink"),
]

PIECEWISE = [
    ("relu6", ops.relu6, lambda x: np.clip(x, 0, 6), away_from([0.0, 6.0], -3, 9), "relu6"),
    ("hardtanh", lambda x: ops.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0),
     away_from([-0.5, 2.0], -3, 3), lambda t: __import__("torch").nn.functional.hardtanh(t, -0.5, 2.0)),
    ("hardsigmoid", ops.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6,
     away_from([-3.0, 3.0], -5, 5), "hardsigmoid"),
    ("hardswish", ops.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6,
     away_from([-3.0, 3.0], -5, 5), "hardswish"),
    ("hardshrink", lambda x: ops.hardshrink(x, 0.8), lambda x: np.where(np.abs(x) > 0.8, x, 0),
     away_from([-0.8, 0.8], -3, 3), lambda t: __import__("torch").nn.functional.hardshrink(t, 0.8)),
    ("softshrink", ops.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
     away_from([-0.5, 0.5], -3, 3), "softshrink"),
    ("threshold", lambda x: ops.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0),
     away_from([0.3], -3, 3), lambda t: __import__("torch").nn.functional.threshold(t, 0.3, -2.0)),
    ("rrelu_eval", ops.rrelu, lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2),
     away_from([0.0], -3, 3), "rrelu"),
    ("leaky_relu", lambda x: ops.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
     away_from([0.0], -3, 3), lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.2)),
]


def _torch_fn(spec):
    if spec is None or callable(spec):
        return spec
    torch = pytest.importorskip("torch")
    return getattr(torch.nn.functional, spec)


@pytest.mark.parametrize("name, fn, ref, make, torch_spec", SMOOTH + PIECEWISE,
                         ids=[c[0] for c in SMOOTH + PIECEWISE])
def test_elementwise_activations(name, fn, ref, make, torch_spec):
    check_op(fn, ref, UNARY + [(0,), (2, 0)], make=make)


@pytest.mark.parametrize("name, fn, ref, make, torch_spec", SMOOTH + PIECEWISE,
                         ids=[c[0] for c in SMOOTH + PIECEWISE])
def test_elementwise_activations_match_torch(name, fn, ref, make, torch_spec):
    pytest.importorskip("torch")
    check_op(fn, None, [(), (3,), (2, 5)], make=make, torch_fn=_torch_fn(torch_spec))


def test_kink_derivatives_follow_pytorch():
    """At the kinks the derivative is PyTorch's (exact points, not gradchecked)."""
    cases = [
        (ops.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),
        (ops.hardsigmoid, [-3.0, 3.0, 0.0], [0.0, 0.0, 1 / 6]),
        (ops.hardswish, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]),
        (lambda x: ops.hardshrink(x, 0.5), [-0.5, 0.5, 0.6], [0.0, 0.0, 1.0]),
        (lambda x: ops.threshold(x, 1.0, 5.0), [1.0, 1.5], [0.0, 1.0]),
        (lambda x: ops.prelu(x, dg.tensor([0.25], dtype=dg.float64)), [0.0, -1.0], [0.25, 0.25]),
    ]
    for fn, xs, grads in cases:
        x = dg.tensor(xs, dtype=dg.float64, requires_grad=True)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), grads, rtol=1e-12)


def test_glu_splits_the_dim_in_halves():
    def ref(x, dim):
        a, b = np.split(x, 2, axis=dim)
        return a / (1 + np.exp(-b))
    check_op(ops.glu, lambda x: ref(x, -1), [(4,), (3, 6), (2, 3, 2)])
    check_op(lambda x: ops.glu(x, 0), lambda x: ref(x, 0), [(2,), (4, 3)])
    check_op(lambda x: ops.glu(x, 1), None, [(2, 4, 3)],
             torch_fn=lambda t: __import__("torch").nn.functional.glu(t, 1)) \
        if _has_torch() else None
    with pytest.raises(RuntimeError, match="halving dimension must be even.*size 3"):
        ops.glu(dg.ones(2, 3))
    with pytest.raises(RuntimeError, match="scalars"):
        ops.glu(dg.tensor(1.0))


def _has_torch():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_is_softmax_of_minus_x(dim):
    check_op(lambda x: ops.softmin(x, dim), lambda x: np_softmax(-x, dim), [(3, 4), (2, 3, 2)])


def test_softmin_and_softmax_dtype_and_implicit_dim():
    x = dg.randn(2, 3, 4)
    y = ops.softmin(x, 1, dtype=dg.float64)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), np_softmax(-x.numpy().astype(np.float64), 1), rtol=1e-6)
    for fn, ref in ((ops.softmax, lambda a, d: np_softmax(a, d)),
                    (ops.softmin, lambda a, d: np_softmax(-a, d))):
        for shape, implicit in (((3,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)):
            a = np.random.default_rng(0).standard_normal(shape)
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                out = fn(dg.tensor(a))
            np.testing.assert_allclose(out.numpy(), ref(a, implicit), rtol=1e-12)


def test_selu_celu_values_match_formulas_and_celu_alpha_zero_is_refused():
    x = dg.tensor([-2.0, 0.0, 3.0], dtype=dg.float64)
    np.testing.assert_allclose(ops.selu(x).numpy(),
                               SELU_SCALE * np.array([SELU_ALPHA * math.expm1(-2), 0, 3]))
    np.testing.assert_allclose(ops.celu(x, 2.0).numpy(), [2 * math.expm1(-1), 0, 3])
    with pytest.raises(ValueError, match="alpha cannot be 0"):
        ops.celu(x, 0.0)


def test_stable_for_large_inputs():
    x = dg.tensor([[-1e4, 1e4, 0.0]], dtype=dg.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for fn in (ops.logsigmoid, ops.mish, ops.selu, ops.softsign, ops.tanhshrink):
            y = fn(x)
            assert np.all(np.isfinite(y.numpy()))
    np.testing.assert_allclose(ops.logsigmoid(x).numpy(), [[-1e4, 0.0, -math.log(2)]])


# ----------------------------------------------------------------- PReLU and RReLU
def test_prelu_per_channel_and_shared():
    w = np.array([0.1, -0.2, 0.3])
    ref = lambda x: np.where(x > 0, x, x * w.reshape(3, 1))
    check_op(lambda x, a: ops.prelu(x, a), lambda x, a: np.where(x > 0, x, x * a.reshape(3, 1)),
             [((2, 3, 4), (3,))], make=[away_from([0.0]), uniform(-1, 1)])
    check_op(lambda x: ops.prelu(x, dg.tensor(w, dtype=x.dtype)), ref, [(2, 3, 4)],
             make=away_from([0.0]))
    check_op(lambda x, a: ops.prelu(x, a), lambda x, a: np.where(x > 0, x, x * a.reshape(())),
             [((), (1,)), ((5,), (1,)), ((2, 3, 2, 2), (1,))], make=[away_from([0.0]), uniform()])
    assert ops.prelu(dg.tensor(-2.0), dg.tensor([0.5])).shape == ()


def test_prelu_bad_weight():
    with pytest.raises(RuntimeError, match="weight has 2 parameters but the input has 3 channels"):
        ops.prelu(dg.ones(2, 3, 4), dg.ones(2))
    with pytest.raises(RuntimeError, match="scalar or 1-D"):
        ops.prelu(dg.ones(2, 3), dg.ones(1, 3))
    with pytest.raises(TypeError, match="never upcasts"):
        ops.prelu(dg.ones(2, 3), dg.ones(3, dtype=dg.float64))


def test_prelu_matches_torch():
    torch = pytest.importorskip("torch")
    check_op(lambda x, a: ops.prelu(x, a), None, [((2, 3, 4), (3,)), ((4, 3), (1,))],
             make=[away_from([0.0]), uniform(-1, 1)],
             torch_fn=lambda x, a: torch.nn.functional.prelu(x, a))


def test_rrelu_training_draws_slopes_in_bounds_and_grads_are_the_slopes():
    dg.manual_seed(0)
    x = dg.tensor(np.linspace(-3, 3, 601), dtype=dg.float64, requires_grad=True)
    y = ops.rrelu(x, 0.1, 0.3, training=True)
    slope = y.numpy() / np.where(x.numpy() == 0, 1, x.numpy())
    neg = x.numpy() < 0
    assert np.all((slope[neg] >= 0.1) & (slope[neg] <= 0.3))
    assert np.all(slope[~neg & (x.numpy() != 0)] == 1)
    assert 0.18 < slope[neg].mean() < 0.22 and slope[neg].std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy()[neg], slope[neg], rtol=1e-12)
    g = dg.Generator().manual_seed(3) if hasattr(dg, "Generator") else None
    if g is not None:
        a = ops.rrelu(dg.full((5,), -1.0), training=True, generator=dg.Generator().manual_seed(3))
        b = ops.rrelu(dg.full((5,), -1.0), training=True, generator=dg.Generator().manual_seed(3))
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_rrelu_bounds_checked():
    with pytest.raises(RuntimeError, match="lower bound must be less than or equal"):
        ops.rrelu(dg.ones(2), 0.5, 0.2)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        ops.hardtanh(dg.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="lambd must be >= 0"):
        ops.softshrink(dg.ones(2), -0.5)


def test_float_only_activations_refuse_integers():
    for fn in (ops.selu, ops.mish, ops.hardswish, ops.hardshrink, ops.logsigmoid):
        with pytest.raises(TypeError, match="floating-point"):
            fn(dg.tensor([1, 2]))
    # relu-like ones work on integers, as PyTorch
    np.testing.assert_array_equal(ops.relu6(dg.tensor([-1, 7, 3])).numpy(), [0, 6, 3])
    np.testing.assert_array_equal(ops.threshold(dg.tensor([-1, 2]), 0, 5).numpy(), [5, 2])


# ----------------------------------------------------------------- gumbel-softmax
def test_gumbel_softmax_soft_and_hard():
    dg.manual_seed(0)
    logits = dg.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), dtype=dg.float64, requires_grad=True)
    soft = ops.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1.0, rtol=1e-12)
    hard = ops.gumbel_softmax(logits, hard=True)
    h = hard.numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    # Gumbel-max: argmax(logits + G) ~ Categorical(softmax(logits))
    np.testing.assert_allclose(h.mean(0), [0.7, 0.2, 0.1], atol=0.03)
    # straight-through: the gradient is the soft sample's
    w = dg.tensor(np.random.default_rng(1).standard_normal((4000, 3)))
    (hard * w).sum().backward()
    assert np.all(np.isfinite(logits.grad.numpy())) and np.abs(logits.grad.numpy()).sum() > 0
    np.testing.assert_allclose(logits.grad.numpy().sum(-1), 0, atol=1e-10)
    h0 = ops.gumbel_softmax(dg.randn(2, 3, 4), hard=True, dim=1).numpy()
    np.testing.assert_array_equal(h0.sum(1), 1)
    with pytest.warns(UserWarning, match="eps"):
        ops.gumbel_softmax(dg.randn(2, 3), eps=1e-5)


# ----------------------------------------------------------------- in place
INPLACE = [("relu", ops.relu_, lambda x: ops.relu(x, inplace=True), ops.relu),
           ("elu", lambda x: ops.elu_(x, 0.5), lambda x: ops.elu(x, 0.5, inplace=True),
            lambda x: ops.elu(x, 0.5)),
           ("selu", ops.selu_, lambda x: ops.selu(x, inplace=True), ops.selu),
           ("celu", ops.celu_, lambda x: ops.celu(x, inplace=True), ops.celu),
           ("leaky_relu", ops.leaky_relu_, lambda x: ops.leaky_relu(x, inplace=True),
            ops.leaky_relu),
           ("hardtanh", ops.hardtanh_, lambda x: ops.hardtanh(x, inplace=True), ops.hardtanh),
           ("threshold", lambda x: ops.threshold_(x, 0.1, 9.0),
            lambda x: ops.threshold(x, 0.1, 9.0, inplace=True), lambda x: ops.threshold(x, 0.1, 9.0)),
           ("rrelu", ops.rrelu_, lambda x: ops.rrelu(x, inplace=True), ops.rrelu)]


@pytest.mark.parametrize("name, explicit, flag, plain", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_a_plain_tensor_overwrites_it(name, explicit, flag, plain):
    a = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=np.float32)
    expected = plain(dg.tensor(a)).numpy()
    for fn in (explicit, flag):
        x = dg.tensor(a)
        out = fn(x)
        assert out is x
        np.testing.assert_array_equal(x.numpy(), expected)
        assert x.dtype == np.float32


@pytest.mark.parametrize("name, explicit, flag, plain", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_on_a_recorded_tensor(name, explicit, flag, plain):
    a = np.array([-2.0, -0.5, 0.5, 2.0])
    leaf = dg.tensor(a, requires_grad=True)
    mid = leaf * 1.0
    # the explicit form refuses before anything changes
    with pytest.raises(RuntimeError, match="in-place"):
        explicit(mid)
    with pytest.raises(RuntimeError, match="in-place"):
        explicit(leaf)
    with pytest.raises(RuntimeError, match="in-place"):
        flag(leaf)                                      # a leaf, as PyTorch refuses it
    np.testing.assert_array_equal(mid.numpy(), a)
    np.testing.assert_array_equal(leaf.numpy(), a)
    # inplace=True on an intermediate: PyTorch's values and gradients, input left as it was
    out = flag(mid)
    assert out is not mid and out.requires_grad
    np.testing.assert_array_equal(mid.numpy(), a)
    out.sum().backward()
    ref_leaf = dg.tensor(a, requires_grad=True)
    plain(ref_leaf * 1.0).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), ref_leaf.grad.numpy())
    # under no_grad the leaf itself is overwritten, as PyTorch
    with dg.no_grad():
        assert explicit(leaf) is leaf
    np.testing.assert_allclose(leaf.numpy(), plain(dg.tensor(a)).numpy())


def test_inplace_matches_torch_values():
    torch = pytest.importorskip("torch")
    a = np.linspace(-3, 3, 13)
    for ours, theirs in ((ops.relu_, torch.relu_), (ops.selu_, torch.selu_),
                         (ops.celu_, torch.celu_), (lambda x: ops.hardtanh_(x, -1, 2),
                                                    lambda x: torch.nn.functional.hardtanh_(x, -1, 2)),
                         (ops.elu_, torch.nn.functional.elu_),
                         (lambda x: ops.threshold_(x, 0.5, 7), lambda x: torch.threshold_(x, 0.5, 7))):
        x, t = dg.tensor(a.copy()), torch.tensor(a.copy())
        ours(x), theirs(t)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-7)


def test_modules_with_inplace_train_like_out_of_place():
    dg.manual_seed(0)
    x = dg.randn(4, 5, dtype=dg.float64)
    grads = []
    for inplace in (False, True):
        dg.manual_seed(1)
        net = nn.Sequential(nn.Linear(5, 6), nn.ReLU(inplace=inplace), nn.Linear(6, 6),
                            nn.ELU(inplace=inplace), nn.Linear(6, 6), nn.Hardtanh(inplace=inplace),
                            nn.Linear(6, 1)).double()
        net(x).sum().backward()
        grads.append([p.grad.numpy().copy() for p in net.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_torch_namespace_and_tensor_methods():
    x = dg.tensor([-1.0, 0.2, 2.0])
    np.testing.assert_allclose(dg.selu(x).numpy(), ops.selu(x).numpy())
    np.testing.assert_allclose(dg.hardshrink(x, 0.5).numpy(), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(x.hardshrink(0.5).numpy(), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(x.prelu(dg.tensor([0.5])).numpy(), [-0.5, 0.2, 2.0])
    np.testing.assert_allclose(dg.threshold(x, 0.5, 0.0).numpy(), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(dg.rrelu(x).numpy(), ops.rrelu(x).numpy())
    y = dg.tensor([-1.0, 2.0])
    assert y.relu_() is y and y.tolist() == [0.0, 2.0]
    assert F.relu6 is ops.relu6 and F.gumbel_softmax is ops.gumbel_softmax
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(dg.ones(2, 3), dim=1)
