"""deepgrad.keras.regularizers and .initializers: penalties against NumPy and their
gradients, Keras's fans, each initializer's distribution, seeds, dtypes, registries and
configs."""
import math

import numpy as np
import pytest

import deepgrad
from deepgrad import Tensor, gradcheck
from deepgrad.keras import initializers as I
from deepgrad.keras import regularizers as R

W = np.random.default_rng(3).standard_normal((4, 5))


# ---------------------------------------------------------------- regularizers
@pytest.mark.parametrize("reg,expected", [
    (R.L1(), 0.01 * np.abs(W).sum()), (R.L2(), 0.01 * (W ** 2).sum()),
    (R.L1(0.3), 0.3 * np.abs(W).sum()), (R.l2(0.2), 0.2 * (W ** 2).sum()),
    (R.L1L2(l1=0.1, l2=0.2), 0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum()),
    (R.l1_l2(l2=0.5), 0.5 * (W ** 2).sum()), (R.L1L2(), 0.0)])
def test_penalties(reg, expected):
    for dtype in (np.float32, np.float64):
        out = reg(Tensor(W.astype(dtype)))
        assert out.shape == () and out.dtype == dtype
        np.testing.assert_allclose(out.item(), expected, rtol=1e-5)
    if expected:
        assert gradcheck(reg, (Tensor(W.copy(), requires_grad=True),))


def test_penalty_gradient_reaches_the_weight():
    w = deepgrad.nn.Parameter(W.copy())
    R.L2(0.5)(w).backward()
    np.testing.assert_allclose(w.grad.array, 2 * 0.5 * W)


def test_regularizer_registry_and_config():
    assert R.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.L2().get_config() == {"l2": 0.01} and R.L1().l1 == 0.01
    for name, cls in [("l1", R.L1), ("L2", R.L2), ("l1_l2", R.L1L2), ("L1L2", R.L1L2)]:
        assert type(R.get(name)) is cls
    assert R.get(None) is None and R.serialize(None) is None
    for reg in (R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.4)):
        again = R.deserialize(R.serialize(reg))
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'.*'l2'"):
        R.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        R.L2(-1.0)


# ---------------------------------------------------------------- initializers
@pytest.mark.parametrize("shape,fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)), ((3, 3, 4, 8), (36, 72)),
    ((2, 3, 3, 4, 8), (72, 144))])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def _limits(scale, n):
    return math.sqrt(3 * scale / n), math.sqrt(scale / n)


@pytest.mark.parametrize("name,scale,mode,uniform", [
    ("glorot_uniform", 1.0, "fan_avg", True), ("glorot_normal", 1.0, "fan_avg", False),
    ("he_uniform", 2.0, "fan_in", True), ("he_normal", 2.0, "fan_in", False),
    ("lecun_uniform", 1.0, "fan_in", True), ("lecun_normal", 1.0, "fan_in", False)])
def test_variance_scaling_family(name, scale, mode, uniform):
    shape = (3, 3, 40, 60)                              # a conv kernel: fan_in 360, fan_out 540
    fan_in, fan_out = 360, 540
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    deepgrad.manual_seed(0)
    w = I.get(name)(shape)
    assert w.shape == shape and w.dtype == np.float32
    limit, std = _limits(scale, n)
    if uniform:
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.98 * limit
    else:                                               # truncated at 2 std of the raw draw
        assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6
    np.testing.assert_allclose(w.std(), std, rtol=0.03)


def test_simple_initializers_and_dtypes():
    assert np.array_equal(I.get("zeros")((2, 3)), np.zeros((2, 3), np.float32))
    assert I.Ones()((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(I.Constant(0.5)((2, 2)), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    deepgrad.manual_seed(1)
    w = I.RandomNormal()((200, 200))
    np.testing.assert_allclose([w.mean(), w.std()], [0.0, 0.05], atol=2e-3)
    w = I.RandomUniform()((200, 200))
    assert -0.05 <= w.min() and w.max() <= 0.05
    w = I.TruncatedNormal(mean=1.0, stddev=0.1)((200, 200))
    assert np.abs(w - 1.0).max() <= 0.2
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((2, 2, 2))


def test_orthogonal():
    for shape in ((6, 4), (4, 6), (2, 3, 5)):
        w = I.Orthogonal(gain=1.5)(shape).reshape(-1, shape[-1]).astype(np.float64)
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        np.testing.assert_allclose(gram, 2.25 * np.eye(min(w.shape)), atol=1e-5)
    with pytest.raises(ValueError, match="two-dimensional"):
        I.Orthogonal()((5,))


def test_seeds_and_global_generator():
    a, b = I.GlorotUniform(seed=3)((4, 4)), I.GlorotUniform(seed=3)((4, 4))
    np.testing.assert_array_equal(a, b)                 # a seeded initializer repeats itself
    deepgrad.manual_seed(7)
    c = I.HeNormal()((4, 4))
    deepgrad.manual_seed(7)
    np.testing.assert_array_equal(c, I.HeNormal()((4, 4)))
    assert not np.array_equal(I.HeNormal()((4, 4)), c)


def test_initializer_registry_and_config():
    for name, cls in [("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
                      ("he_normal", I.HeNormal), ("zeros", I.Zeros), ("ones", I.Ones),
                      ("orthogonal", I.Orthogonal), ("truncated_normal", I.TruncatedNormal),
                      ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
                      ("variance_scaling", I.VarianceScaling), ("identity", I.Identity),
                      ("constant", I.Constant), ("lecun_uniform", I.LecunUniform)]:
        assert type(I.get(name)) is cls
    assert I.get(None) is None and type(I.get(I.Zeros)) is I.Zeros
    for init in (I.VarianceScaling(2.0, "fan_out", "uniform", seed=1), I.GlorotNormal(seed=4),
                 I.RandomUniform(-1.0, 1.0), I.Constant(3.0), I.Orthogonal(gain=2.0),
                 I.Identity(0.5)):
        again = I.deserialize(I.serialize(init))
        assert type(again) is type(init) and again.get_config() == init.get_config()
    assert I.GlorotUniform().get_config() == {"seed": None, "input_axes": None,
                                              "output_axes": None}     # Keras 3.15's
    assert I.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'.*'glorot_uniform'"):
        I.get("glorot")
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_mid")
