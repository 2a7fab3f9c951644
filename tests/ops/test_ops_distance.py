"""Distances, cosine similarity, normalize and the bilinear form: forward vs NumPy, float64
gradcheck, PyTorch on the side, zero-distance gradients, shapes and errors."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, ops
from op_harness import check_op, uniform

P_VALUES = [2, 1, 3, 1.5, 0.5, float("inf")]


def np_norm(d, p, axis):
    a = np.abs(d)
    if p == float("inf"):
        return a.max(axis=axis)
    if p == 0:
        return (a != 0).sum(axis=axis).astype(d.dtype)
    return (a ** p).sum(axis=axis) ** (1 / p)


@pytest.mark.parametrize("p", P_VALUES)
def test_pairwise_distance(p):
    ref = lambda a, b: np_norm(a - b + 1e-6, p, -1)
    check_op(lambda a, b: ops.pairwise_distance(a, b, p), ref,
             [((4, 5), (4, 5)), ((3,), (3,)), ((4, 5), (5,)), ((2, 3, 4), (3, 4))])
    check_op(lambda a, b: ops.pairwise_distance(a, b, p, keepdim=True),
             lambda a, b: np_norm(a - b + 1e-6, p, -1)[..., None], [((4, 5), (4, 5))])


def test_pairwise_distance_negative_and_zero_p_and_0d():
    check_op(lambda a, b: ops.pairwise_distance(a, b, -1.0),
             lambda a, b: np_norm(a - b + 1e-6, -1.0, -1), [((4, 5), (4, 5))])
    x = dg.tensor([[0.0, 1.0, 2.0]]), dg.tensor([[0.0, 3.0, 2.0]])
    np.testing.assert_allclose(ops.pairwise_distance(*x, p=0).numpy(), [3.0])
    np.testing.assert_allclose(ops.pairwise_distance(dg.tensor(1.0), dg.tensor(3.0)).numpy(),
                               2.0 - 1e-6, rtol=1e-6)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), 0])
def test_pdist(p):
    def ref(x):
        i, j = np.triu_indices(x.shape[0], 1)
        return np_norm(x[i] - x[j], p, 1)
    check_op(lambda x: ops.pdist(x, p), ref, [(5, 3), (2, 4), (1, 3), (0, 3)], grad=p != 0)


def test_zero_distances_have_zero_gradient():
    x = dg.ones(3, 4, dtype=dg.float64, requires_grad=True)
    ops.pdist(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    for p in (2, 3, 0.5, float("inf")):
        a = dg.zeros(2, 3, dtype=dg.float64, requires_grad=True)
        ops.pdist(a, p).sum().backward()
        assert np.all(np.isfinite(a.grad.numpy()))


def test_pdist_errors():
    with pytest.raises(RuntimeError, match="only supports 2-D"):
        ops.pdist(dg.ones(4))
    with pytest.raises(RuntimeError, match="non-negative p"):
        ops.pdist(dg.ones(3, 2), -1)


def np_cos(a, b, dim, eps=1e-8):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


def test_cosine_similarity():
    check_op(ops.cosine_similarity, lambda a, b: np_cos(a, b, 1),
             [((4, 5), (4, 5)), ((4, 5), (1, 5)), ((2, 3, 4), (2, 3, 4))])
    check_op(lambda a, b: ops.cosine_similarity(a, b, -1), lambda a, b: np_cos(a, b, -1),
             [((4, 5), (5,)), ((3,), (3,))])
    check_op(lambda a, b: ops.cosine_similarity(a, b, 0), lambda a, b: np.sign(a * b),
             [((), ())], grad=False)
    y = ops.cosine_similarity(dg.zeros(2, 3), dg.ones(2, 3))
    np.testing.assert_array_equal(y.numpy(), 0)
    with pytest.raises(IndexError, match="out of range"):
        ops.cosine_similarity(dg.ones(3), dg.ones(3))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        ops.cosine_similarity(dg.ones(2, 3), dg.ones(4, 3))


@pytest.mark.parametrize("p", [2, 1, 3, float("inf")])
def test_normalize(p):
    def ref(x, dim):
        return x / np.maximum(np_norm(x, p, dim)[..., None] if dim == -1 else
                              np.expand_dims(np_norm(x, p, dim), dim), 1e-12)
    check_op(lambda x: ops.normalize(x, p), lambda x: ref(x, 1), [(4, 5), (2, 3, 4)])
    check_op(lambda x: ops.normalize(x, p, -1), lambda x: ref(x, -1), [(4, 5), (3,)])


def test_normalize_zero_vector_and_out():
    x = dg.zeros(2, 3, requires_grad=True)
    y = ops.normalize(x)
    np.testing.assert_array_equal(y.numpy(), 0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1e12, rtol=1e-6)      # 1 / eps, as PyTorch
    out = dg.empty(2, 3)
    r = ops.normalize(dg.tensor([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0]]), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], rtol=1e-6)
    with pytest.raises(RuntimeError, match="out has shape"):
        ops.normalize(dg.ones(2, 3), out=dg.empty(3, 2))


def test_distances_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    cases = [((4, 5), (4, 5)), ((4, 5), (5,))]
    for p in P_VALUES + [-1.0]:
        check_op(lambda a, b: ops.pairwise_distance(a, b, p), None, cases,
                 torch_fn=lambda a, b: F.pairwise_distance(a, b, p))
    for p in (2, 1, 3, float("inf")):
        check_op(lambda x: ops.pdist(x, p), None, [(5, 3)], torch_fn=lambda x: F.pdist(x, p))
        check_op(lambda x: ops.normalize(x, p, 1), None, [(4, 5)],
                 torch_fn=lambda x: F.normalize(x, p, 1))
    check_op(lambda a, b: ops.cosine_similarity(a, b, -1), None, cases,
             torch_fn=lambda a, b: F.cosine_similarity(a, b, -1))
    # the eps clamp changes values only, the gradient flows through the norm (as PyTorch)
    z = np.zeros((2, 3))
    z[1] = [1e-9, 0, 0]
    a, t = dg.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    ops.cosine_similarity(a, dg.ones(2, 3, dtype=dg.float64)).sum().backward()
    F.cosine_similarity(t, torch.ones(2, 3, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-7)


# ----------------------------------------------------------------- bilinear
def np_bilinear(x1, x2, w, b=None):
    y = np.einsum("...i,kij,...j->...k", x1, w, x2)
    return y if b is None else y + b


def test_bilinear_forward_and_gradients():
    check_op(ops.bilinear, np_bilinear,
             [((3,), (4,), (5, 3, 4), (5,)), ((2, 3), (2, 4), (5, 3, 4), (5,)),
              ((2, 6, 3), (2, 6, 4), (2, 3, 4), (2,)), ((0, 3), (0, 4), (5, 3, 4), (5,))])
    check_op(lambda a, b, w: ops.bilinear(a, b, w), lambda a, b, w: np_bilinear(a, b, w),
             [((2, 3), (2, 4), (1, 3, 4))])


def test_bilinear_bad_shapes():
    w, b = dg.ones(5, 3, 4), dg.ones(5)
    with pytest.raises(RuntimeError, match="input dimensions do not match: got 3 and 2"):
        ops.bilinear(dg.ones(2, 6, 3), dg.ones(6, 4), w, b)
    with pytest.raises(RuntimeError, match="batch dimensions do not match"):
        ops.bilinear(dg.ones(2, 3), dg.ones(3, 4), w, b)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 4 but expected 3"):
        ops.bilinear(dg.ones(2, 4), dg.ones(2, 4), w, b)
    with pytest.raises(RuntimeError, match="input2 size does not match"):
        ops.bilinear(dg.ones(2, 3), dg.ones(2, 5), w, b)
    with pytest.raises(RuntimeError, match="bias size does not match"):
        ops.bilinear(dg.ones(2, 3), dg.ones(2, 4), w, dg.ones(4))
    with pytest.raises(RuntimeError, match="weight must be 3-D"):
        ops.bilinear(dg.ones(2, 3), dg.ones(2, 4), dg.ones(3, 4))


def test_bilinear_module_init_and_state_dict():
    dg.manual_seed(0)
    m = nn.Bilinear(300, 4, 500)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m.weight.shape == (500, 300, 4) and m.bias.shape == (500,)
    bound = 1 / np.sqrt(300)
    w = m.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.03 * bound ** 2 / 3
    assert np.abs(m.bias.numpy()).max() <= bound
    assert repr(m) == "Bilinear(in1_features=300, in2_features=4, out_features=500, bias=True)"
    m2 = nn.Bilinear(3, 4, 2, bias=False, dtype=dg.float64)
    assert m2.bias is None and list(m2.state_dict()) == ["weight"]
    x1, x2 = dg.randn(7, 3, dtype=dg.float64), dg.randn(7, 4, dtype=dg.float64)
    np.testing.assert_allclose(m2(x1, x2).numpy(), np_bilinear(x1.numpy(), x2.numpy(),
                                                               m2.weight.numpy()), rtol=1e-12)
    with pytest.raises(ValueError, match="in1_features must be > 0"):
        nn.Bilinear(0, 3, 2)


def test_bilinear_and_distance_modules_match_torch():
    torch = pytest.importorskip("torch")
    check_op(ops.bilinear, None, [((2, 3), (2, 4), (5, 3, 4), (5,))],
             torch_fn=torch.nn.functional.bilinear)
    tm = torch.nn.Bilinear(3, 4, 2).double()
    m = nn.Bilinear(3, 4, 2, dtype=dg.float64)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    a, b = np.random.default_rng(0).standard_normal((2, 5, 3)), np.random.default_rng(1).standard_normal((5, 4))
    np.testing.assert_allclose(m(dg.tensor(a[0]), dg.tensor(b)).numpy(),
                               tm(torch.tensor(a[0]), torch.tensor(b)).detach().numpy(), rtol=1e-10)
    x1, x2 = np.random.default_rng(2).standard_normal((2, 4, 6))
    np.testing.assert_allclose(nn.CosineSimilarity(dim=0)(dg.tensor(x1), dg.tensor(x2)).numpy(),
                               torch.nn.CosineSimilarity(dim=0)(torch.tensor(x1), torch.tensor(x2)).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(nn.PairwiseDistance(p=1.5, keepdim=True)(dg.tensor(x1), dg.tensor(x2)).numpy(),
                               torch.nn.PairwiseDistance(p=1.5, keepdim=True)(torch.tensor(x1), torch.tensor(x2)).numpy(),
                               rtol=1e-10)


def test_torch_namespace_functions():
    a, b = dg.randn(3, 4), dg.randn(3, 4)
    np.testing.assert_array_equal(dg.pairwise_distance(a, b).numpy(), ops.pairwise_distance(a, b).numpy())
    np.testing.assert_array_equal(dg.cosine_similarity(a, b).numpy(), ops.cosine_similarity(a, b).numpy())
    assert dg.pdist(a).shape == (3,)
    m = nn.PairwiseDistance()
    assert (m.norm, m.eps, m.keepdim) == (2.0, 1e-6, False) and repr(m) == "PairwiseDistance()"
    assert nn.CosineSimilarity().dim == 1
