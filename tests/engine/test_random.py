"""Random factories, distribution draws, in-place random fills and the random state.

Distributions are checked by their sample moments on a fixed seed (large samples, bounds
set a few standard errors wide), and shapes/dtypes/errors against PyTorch's rules."""
import numpy as np
import pytest

import deepgrad as dg

N = 200_000


def _close(sample, mean, std, k=6.0):
    """The sample mean lies within k standard errors of ``mean``."""
    assert abs(float(np.mean(sample)) - mean) < k * std / np.sqrt(np.size(sample))


def test_factories_shapes_dtypes_and_generator():
    g = dg.Generator().manual_seed(5)
    a = dg.rand(2, 3, generator=g)
    g.manual_seed(5)
    np.testing.assert_array_equal(dg.rand((2, 3), generator=g).array, a.array)
    assert a.dtype == np.float32 and np.all((a.array >= 0) & (a.array < 1))
    assert dg.randn(4, dtype=dg.float64).dtype == np.float64
    assert dg.rand(2, requires_grad=True).requires_grad
    r = dg.randint(3, 7, (1000,), generator=g)
    assert r.dtype == np.int64 and r.array.min() == 3 and r.array.max() == 6
    assert dg.randint(5, (3,)).shape == (3,) and dg.randint(0, 5, size=(2,)).shape == (2,)
    assert dg.randint(0, 5, (2,), dtype=dg.float32).dtype == np.float32
    p = dg.randperm(10, generator=g)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == np.int64
    assert dg.randperm(0).shape == (0,)
    x = dg.zeros(2, 3, dtype=dg.float64)
    assert dg.rand_like(x).dtype == np.float64 and dg.randn_like(x).shape == (2, 3)
    ri = dg.randint_like(x, 5)
    assert ri.dtype == np.float64 and ri.array.max() < 5
    assert dg.randint_like(x, 2, 4).array.min() >= 2
    with pytest.raises(RuntimeError, match="low"):
        dg.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match="floating point"):
        dg.rand_like(dg.zeros(2, dtype=dg.int64))
    with pytest.raises(RuntimeError, match="floating point"):
        dg.rand(2, dtype=dg.int64)
    with pytest.raises(TypeError, match="size must be given"):
        dg.randint(5)
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.randn(2, device="cuda")


def test_rng_state_seed_and_fork_rng():
    dg.manual_seed(11)
    assert dg.initial_seed() == 11
    state = dg.get_rng_state()
    a = dg.rand(3)
    dg.set_rng_state(state)
    np.testing.assert_array_equal(dg.rand(3).array, a.array)
    with dg.random.fork_rng():
        dg.rand(100)
        dg.manual_seed(99)
    dg.set_rng_state(state)
    dg.rand(3)
    after_fork = dg.rand(2)
    dg.set_rng_state(state)
    dg.rand(3)
    np.testing.assert_array_equal(dg.rand(2).array, after_fork.array)
    s = dg.seed()
    assert dg.initial_seed() == s
    with pytest.raises(RuntimeError, match="devices that exist"):
        with dg.random.fork_rng(devices=[0]):
            pass


def test_bernoulli():
    g = dg.Generator().manual_seed(0)
    p = dg.full((N,), 0.3)
    y = dg.bernoulli(p, generator=g)
    assert y.dtype == np.float32 and set(np.unique(y.array)) <= {0.0, 1.0}
    _close(y.array, 0.3, np.sqrt(0.3 * 0.7))
    c = dg.bernoulli(dg.zeros(N, dtype=dg.int64), 0.7, generator=g)
    assert c.dtype == np.int64
    _close(c.array, 0.7, np.sqrt(0.21))
    assert dg.ones(3).bernoulli().tolist() == [1.0, 1.0, 1.0]
    x = dg.tensor([0.5, 0.2], requires_grad=True)
    out = dg.bernoulli(x)
    assert out.requires_grad                       # as torch; its gradient is zero
    (out * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, 0.0])
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        dg.bernoulli(dg.tensor([1.5]))
    with pytest.raises(TypeError, match="floating point"):
        dg.bernoulli(dg.tensor([1, 0]))


def test_multinomial():
    g = dg.Generator().manual_seed(1)
    w = dg.tensor([1.0, 2.0, 0.0, 7.0])
    s = dg.multinomial(w, N, replacement=True, generator=g)
    assert s.dtype == np.int64 and s.shape == (N,)
    freq = np.bincount(s.array, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.0, 0.7], atol=0.005)
    rows = dg.multinomial(dg.ones(5, 6), 6, generator=g)
    assert rows.shape == (5, 6)
    assert all(sorted(r) == list(range(6)) for r in rows.tolist())
    # Without replacement, the first draw follows the weights.
    first = np.array([dg.multinomial(w, 1, generator=g).item() for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 4000, [0.1, 0.2, 0, 0.7],
                               atol=0.03)
    # Zero-weight categories come only after every positive one (as torch).
    assert sorted(dg.multinomial(dg.tensor([0.0, 1.0, 2.0]), 3).tolist()[:2]) == [1, 2]
    assert dg.tensor([1.0, 1.0]).multinomial(2).shape == (2,)
    for bad, match in [((w, 5), "without replacement"), ((w, 0), "n_sample <= 0"),
                       ((dg.tensor([-1.0, 1.0]), 1), "element < 0"),
                       ((dg.zeros(2), 1), "sum of probabilities"),
                       ((dg.zeros(2, 2, 2), 1), "1 or 2 dim")]:
        with pytest.raises(RuntimeError, match=match):
            dg.multinomial(*bad)


def test_normal_four_forms():
    g = dg.Generator().manual_seed(2)
    a = dg.normal(2.0, 3.0, (N,), generator=g)
    assert a.dtype == np.float32
    _close(a.array, 2.0, 3.0)
    assert abs(a.array.std() - 3.0) < 0.05
    b = dg.normal(dg.full((N,), -1.0, dtype=dg.float64), 0.5, generator=g)
    assert b.dtype == np.float64
    _close(b.array, -1.0, 0.5)
    c = dg.normal(1.0, dg.full((N,), 2.0), generator=g)
    _close(c.array, 1.0, 2.0)
    d = dg.normal(dg.zeros(2, 1), dg.ones(3), generator=g)
    assert d.shape == (2, 3)
    assert dg.normal(dg.zeros(3)).shape == (3,)
    with pytest.raises(RuntimeError, match="std >= 0"):
        dg.normal(dg.zeros(3), -1.0)
    with pytest.raises(TypeError, match="size is required"):
        dg.normal(0.0, 1.0)


def test_poisson_binomial():
    g = dg.Generator().manual_seed(3)
    p = dg.poisson(dg.full((N,), 4.0), generator=g)
    assert p.dtype == np.float32
    _close(p.array, 4.0, 2.0)
    b = dg.binomial(dg.full((N,), 10.0), dg.full((N,), 0.3), generator=g)
    _close(b.array, 3.0, np.sqrt(2.1))
    assert b.array.max() <= 10
    with pytest.raises(RuntimeError, match="non-negative"):
        dg.poisson(dg.tensor([-1.0]))
    with pytest.raises(TypeError, match="floating point"):
        dg.binomial(dg.tensor([10, 5]), dg.tensor([0.5, 0.2]))


@pytest.mark.parametrize("method,args,mean,std", [
    ("uniform_", (2.0, 4.0), 3.0, 2 / np.sqrt(12)),
    ("normal_", (1.0, 2.0), 1.0, 2.0),
    ("exponential_", (2.0,), 0.5, 0.5),
    ("log_normal_", (0.0, 0.5), np.exp(0.125), np.sqrt((np.exp(0.25) - 1) * np.exp(0.25))),
    ("geometric_", (0.25,), 4.0, np.sqrt(0.75) / 0.25),
    ("bernoulli_", (0.2,), 0.2, 0.4),
])
def test_inplace_random_fills(method, args, mean, std):
    x = dg.zeros(N, dtype=dg.float64)
    out = getattr(x, method)(*args, generator=dg.Generator().manual_seed(4))
    assert out is x
    _close(x.array, mean, std)


def test_cauchy_and_random_():
    x = dg.zeros(N, dtype=dg.float64).cauchy_(1.0, 2.0, generator=dg.Generator().manual_seed(0))
    assert abs(np.median(x.array) - 1.0) < 0.05
    r = dg.zeros(1000).random_(5)
    assert r.array.min() == 0 and r.array.max() == 4
    assert dg.zeros(1000).random_(2, 4).array.min() == 2
    u8 = dg.zeros(1000, dtype=dg.uint8).random_()
    assert u8.array.max() > 200
    assert set(dg.zeros(100, dtype=dg.bool).random_().tolist()) == {False, True}
    assert dg.zeros(4, dtype=dg.int64).geometric_(0.5).array.min() >= 1
    assert dg.zeros(4, dtype=dg.int64).bernoulli_(dg.tensor([0.0, 1.0, 0.0, 1.0])).tolist() == \
        [0, 1, 0, 1]


@pytest.mark.parametrize("call,match", [
    (lambda: dg.zeros(4).uniform_(2, 1), "from=2.0 > to=1.0"),
    (lambda: dg.zeros(4, dtype=dg.int64).uniform_(), "floating point"),
    (lambda: dg.zeros(4).normal_(0, -1), "std >= 0"),
    (lambda: dg.zeros(4).geometric_(0), r"\(0, 1\)"),
    (lambda: dg.zeros(4).exponential_(-1), "lambda > 0"),
    (lambda: dg.zeros(4).cauchy_(0, -1), "sigma > 0"),
    (lambda: dg.zeros(4).log_normal_(0, 0), "std > 0"),
    (lambda: dg.zeros(4).random_(3, 3), "from"),
    (lambda: dg.zeros(4).bernoulli_(1.5), r"\[0, 1\]"),
])
def test_inplace_random_bad_input_leaves_tensor_unchanged(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_inplace_random_refuses_a_tensor_the_graph_records():
    w = dg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w.uniform_()
    assert w.tolist() == [0.0, 0.0, 0.0]
    with dg.no_grad():
        w.normal_()
    assert w.array.any()


def test_shapes_and_errors_against_torch():
    torch = pytest.importorskip("torch")
    for fn, args in [("rand", (2, 3)), ("randn", ((4,),)), ("randperm", (5,))]:
        assert tuple(getattr(dg, fn)(*args).shape) == tuple(getattr(torch, fn)(*args).shape)
    assert str(torch.normal(torch.zeros(2, 1), torch.ones(3)).shape) == "torch.Size([2, 3])"
    tz = torch.multinomial(torch.ones(3, 4), 2)
    assert dg.multinomial(dg.ones(3, 4), 2).shape == tuple(tz.shape)
    assert dg.zeros(5, dtype=dg.uint8).random_().dtype == np.uint8
