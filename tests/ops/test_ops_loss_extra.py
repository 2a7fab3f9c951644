"""Margin, ranking and distributional losses: forward vs NumPy, float64 gradcheck, PyTorch on
the side, reductions (with the legacy size_average/reduce pair) and bad input."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import away_from, check_op, uniform

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)
N, C = 5, 4
SIGNS = RNG.choice([-1.0, 1.0], N)
SIGNS2 = RNG.choice([-1.0, 1.0], (N, 3))
CLASSES = np.array([0, 3, 1, 1, 2])
LABEL_SETS = np.array([[0, 2, -1, 1], [3, -1, -1, -1], [1, 1, 0, -1], [-1, 0, 1, 2],
                       [0, 1, 2, 3]])
WEIGHTS = RNG.random(C) + 0.5
COUNTS = RNG.integers(0, 6, (N, C)).astype(float)


def red(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](loss)


def np_logsig(x):
    return -np.logaddexp(0, -x)


def np_multi_margin(x, y, p, margin, w):
    xy = x[np.arange(len(y)), y][:, None]
    h = np.maximum(0, margin - xy + x) ** p
    h[np.arange(len(y)), y] = 0
    return (h * w[y][:, None]).sum(1) / x.shape[1]


def np_multilabel_margin(x, t):
    out = []
    for xi, ti in zip(x, t):
        ys = []
        for v in ti:
            if v < 0:
                break
            ys.append(v)
        others = [i for i in range(len(xi)) if i not in ys]
        out.append(sum(max(0, 1 - (xi[j] - xi[i])) for j in ys for i in others) / len(xi))
    return np.array(out)


def np_pdist(a, b, p=2, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


CASES = {
    "margin_ranking": (
        lambda a, b, r: ops.margin_ranking_loss(a, b, dg.tensor(SIGNS, dtype=a.dtype), 0.3, reduction=r),
        lambda a, b, r: red(np.maximum(0, -SIGNS * (a - b) + 0.3), r), [((N,), (N,))],
        lambda a, b, r, F, T: F.margin_ranking_loss(a, b, T(SIGNS), 0.3, reduction=r)),
    "hinge_embedding": (
        lambda x, r: ops.hinge_embedding_loss(x, dg.tensor(SIGNS2, dtype=x.dtype), 0.8, reduction=r),
        lambda x, r: red(np.where(SIGNS2 == 1, x, np.maximum(0, 0.8 - x)), r), [(N, 3)],
        lambda x, r, F, T: F.hinge_embedding_loss(x, T(SIGNS2), 0.8, reduction=r)),
    "soft_margin": (
        lambda x, r: ops.soft_margin_loss(x, dg.tensor(SIGNS2, dtype=x.dtype), reduction=r),
        lambda x, r: red(np.logaddexp(0, -SIGNS2 * x), r), [(N, 3)],
        lambda x, r, F, T: F.soft_margin_loss(x, T(SIGNS2), reduction=r)),
    "cosine_embedding": (
        lambda a, b, r: ops.cosine_embedding_loss(a, b, dg.tensor(SIGNS), 0.1, reduction=r),
        lambda a, b, r: red(np.where(SIGNS == 1, 1 - _cos(a, b), np.maximum(0, _cos(a, b) - 0.1)), r),
        [((N, 3), (N, 3))],
        lambda a, b, r, F, T: F.cosine_embedding_loss(a, b, T(SIGNS), 0.1, reduction=r)),
    "multi_margin_p1": (
        lambda x, r: ops.multi_margin_loss(x, dg.tensor(CLASSES), 1, 0.7, reduction=r),
        lambda x, r: red(np_multi_margin(x, CLASSES, 1, 0.7, np.ones(C)), r), [(N, C)],
        lambda x, r, F, T: F.multi_margin_loss(x, T(CLASSES), 1, 0.7, reduction=r)),
    "multi_margin_p2_weight": (
        lambda x, r: ops.multi_margin_loss(x, dg.tensor(CLASSES), 2, 1.0,
                                           dg.tensor(WEIGHTS, dtype=x.dtype), reduction=r),
        lambda x, r: red(np_multi_margin(x, CLASSES, 2, 1.0, WEIGHTS), r), [(N, C)],
        lambda x, r, F, T: F.multi_margin_loss(x, T(CLASSES), 2, 1.0, T(WEIGHTS), reduction=r)),
    "multilabel_margin": (
        lambda x, r: ops.multilabel_margin_loss(x, dg.tensor(LABEL_SETS), reduction=r),
        lambda x, r: red(np_multilabel_margin(x, LABEL_SETS), r), [(N, C)],
        lambda x, r, F, T: F.multilabel_margin_loss(x, T(LABEL_SETS), reduction=r)),
    "triplet_margin": (
        lambda a, p, n, r: ops.triplet_margin_loss(a, p, n, 0.5, reduction=r),
        lambda a, p, n, r: red(np.maximum(0, 0.5 + np_pdist(a, p) - np_pdist(a, n)), r),
        [((N, 3), (N, 3), (N, 3))],
        lambda a, p, n, r, F, T: F.triplet_margin_loss(a, p, n, 0.5, reduction=r)),
    "triplet_margin_swap_p1": (
        lambda a, p, n, r: ops.triplet_margin_loss(a, p, n, 2.0, p=1, swap=True, reduction=r),
        lambda a, p, n, r: red(np.maximum(0, 2.0 + np_pdist(a, p, 1) - np.minimum(
            np_pdist(a, n, 1), np_pdist(p, n, 1))), r), [((N, 3), (N, 3), (N, 3))],
        lambda a, p, n, r, F, T: F.triplet_margin_loss(a, p, n, 2.0, p=1, swap=True, reduction=r)),
    "poisson_log": (
        lambda x, r: ops.poisson_nll_loss(x, dg.tensor(COUNTS, dtype=x.dtype), reduction=r),
        lambda x, r: red(np.exp(x) - COUNTS * x, r), [(N, C)],
        lambda x, r, F, T: F.poisson_nll_loss(x, T(COUNTS), reduction=r)),
    "poisson_rate_full": (
        lambda x, r: ops.poisson_nll_loss(x, dg.tensor(COUNTS, dtype=x.dtype), False, True, reduction=r),
        lambda x, r: red(x - COUNTS * np.log(x + 1e-8) + np.where(
            COUNTS > 1, COUNTS * np.log(np.maximum(COUNTS, 1)) - COUNTS
            + 0.5 * np.log(2 * np.pi * np.maximum(COUNTS, 1)), 0), r), [(N, C)],
        lambda x, r, F, T: F.poisson_nll_loss(x, T(COUNTS), False, True, reduction=r)),
    "multilabel_soft_margin": (
        lambda x, r: ops.multilabel_soft_margin_loss(x, dg.tensor(COUNTS > 2, dtype=x.dtype),
                                                     dg.tensor(WEIGHTS, dtype=x.dtype), reduction=r),
        lambda x, r: red(-((COUNTS > 2) * np_logsig(x) + (COUNTS <= 2) * np_logsig(-x))
                         .__mul__(WEIGHTS).sum(-1) / C, r), [(N, C)],
        lambda x, r, F, T: F.multilabel_soft_margin_loss(x, T((COUNTS > 2) * 1.0), T(WEIGHTS),
                                                         reduction=r)),
}


def _cos(a, b):
    return (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))


def _maker(name):
    if name.startswith("poisson_rate"):
        return uniform(0.2, 3.0)
    if name in ("margin_ranking", "hinge_embedding"):
        return away_from([-0.5, 0.0, 0.5, 0.8], -2, 2, 0.06)
    return uniform(-2, 2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_loss_forward_and_gradcheck(name, reduction):
    fn, ref, cases, _ = CASES[name]
    check_op(lambda *xs: fn(*xs, reduction), lambda *xs: ref(*xs, reduction), cases,
             make=_maker(name))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_loss_matches_torch(name, reduction):
    torch = pytest.importorskip("torch")
    fn, _, cases, tfn = CASES[name]
    T = lambda a: torch.tensor(a)
    check_op(lambda *xs: fn(*xs, reduction), None, cases, make=_maker(name),
             torch_fn=lambda *xs: tfn(*xs, reduction, torch.nn.functional, T))


def test_unbatched_forms():
    x = dg.tensor([0.3, -1.0, 2.0, 0.5], dtype=dg.float64)
    np.testing.assert_allclose(ops.multi_margin_loss(x, dg.tensor(2)).numpy(),
                               np_multi_margin(x.numpy()[None], np.array([2]), 1, 1.0, np.ones(4))[0])
    np.testing.assert_allclose(ops.multilabel_margin_loss(x, dg.tensor([2, 0, -1, 3])).numpy(),
                               np_multilabel_margin(x.numpy()[None], [[2, 0, -1, 3]])[0])
    a, b = dg.tensor([1.0, 2.0, 3.0]), dg.tensor([1.0, 2.0, 2.5])
    np.testing.assert_allclose(ops.cosine_embedding_loss(a, b, dg.tensor(1.0)).numpy(),
                               1 - _cos(a.numpy(), b.numpy()), rtol=1e-6)
    assert ops.triplet_margin_loss(a, b, a * 2).shape == ()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_var_shapes(reduction):
    def ref(x, y, v, full=False, eps=1e-6):
        v = np.maximum(v, eps)
        return red(0.5 * (np.log(v) + (x - y) ** 2 / v) + (0.5 * math.log(2 * math.pi) if full else 0),
                   reduction)
    pos = uniform(0.2, 2.0)
    check_op(lambda x, y, v: ops.gaussian_nll_loss(x, y, v, reduction=reduction), ref,
             [((N, C), (N, C), (N, C))], make=[uniform(), uniform(), pos])
    check_op(lambda x, y, v: ops.gaussian_nll_loss(x, y, v, True, reduction=reduction),
             lambda x, y, v: ref(x, y, v[:, None], True), [((N, C), (N, C), (N,))],
             make=[uniform(), uniform(), pos])
    check_op(lambda x, y, v: ops.gaussian_nll_loss(x, y, v, reduction=reduction),
             ref, [((N, C), (1, C), (N, 1))], make=[uniform(), uniform(), pos])
    check_op(lambda x, y: ops.gaussian_nll_loss(x, y, 0.5, reduction=reduction),
             lambda x, y: ref(x, y, 0.5), [((N, C), (N, C))])


def test_gaussian_nll_clamp_is_value_only_and_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, 4, 3))
    v = np.abs(rng.standard_normal((4, 3))) * 0.2
    v[0] = 1e-9                                    # below eps: clamped in value only
    args = [dg.tensor(a, requires_grad=True) for a in (x, y, v)]
    targs = [torch.tensor(a, requires_grad=True) for a in (x, y, v)]
    ops.gaussian_nll_loss(*args, full=True, eps=1e-3).backward()
    torch.nn.functional.gaussian_nll_loss(*targs, full=True, eps=1e-3).backward()
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10)


def test_legacy_size_average_and_reduce():
    x, y = dg.randn(4, 3, dtype=dg.float64), dg.tensor(SIGNS2[:4])
    full = ops.soft_margin_loss(x, y, reduction="none").numpy()
    with pytest.warns(UserWarning, match="reduction='sum'"):
        s = ops.soft_margin_loss(x, y, size_average=False)
    np.testing.assert_allclose(s.numpy(), full.sum())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ops.soft_margin_loss(x, y, reduce=False).shape == (4, 3)
    with pytest.warns(UserWarning, match="reduction='mean'"):
        np.testing.assert_allclose(ops.margin_ranking_loss(x[:, 0], x[:, 1], y[:, 0], 0.0, True,
                                                           True).numpy(),
                                   np.maximum(0, -y.numpy()[:, 0] * (x.numpy()[:, 0] - x.numpy()[:, 1])).mean())


def test_bad_input_is_refused():
    x = dg.randn(N, C)
    with pytest.raises(ValueError, match="reduction must be one of"):
        ops.soft_margin_loss(x, x, reduction="batchmean")
    with pytest.raises(ValueError, match="target shape .* does not match input"):
        ops.hinge_embedding_loss(x, dg.ones(C))
    with pytest.raises(ValueError, match="same size"):
        ops.margin_ranking_loss(dg.ones(3), dg.ones(3), dg.ones(1))
    with pytest.raises(IndexError, match=r"class indices in \[0, 3\]"):
        ops.multi_margin_loss(x, dg.tensor([0, 4, 1, 1, 2]))
    with pytest.raises(TypeError, match="integer dtype"):
        ops.multi_margin_loss(x, dg.tensor([0.0, 1, 1, 1, 2]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        ops.multi_margin_loss(x, dg.tensor(CLASSES), p=3)
    with pytest.raises(ValueError, match="weight must be one-dimensional of size 4"):
        ops.multi_margin_loss(x, dg.tensor(CLASSES), weight=dg.ones(5))
    with pytest.raises(IndexError, match=r"must be in \[-1, 3\]"):
        ops.multilabel_margin_loss(x, dg.tensor(np.full((N, C), 4)))
    with pytest.raises(ValueError, match="target must have the input's shape"):
        ops.multilabel_margin_loss(x, dg.tensor([0, 1]))
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        ops.triplet_margin_loss(x, x, x, margin=-1)
    with pytest.raises(ValueError, match="same number of dimensions"):
        ops.triplet_margin_loss(x, x[0], x)
    with pytest.raises(ValueError, match="1-D target needs 2-D inputs"):
        ops.cosine_embedding_loss(x[0], x[0], dg.ones(N))
    with pytest.raises(ValueError, match="var has negative entries"):
        ops.gaussian_nll_loss(x, x, -dg.ones(N, C))
    with pytest.raises(ValueError, match="var of shape"):
        ops.gaussian_nll_loss(x, x, dg.ones(C))
    with pytest.raises(ValueError, match="target of shape"):
        ops.gaussian_nll_loss(x, dg.ones(3, C), dg.ones(N, C))


def test_triplet_with_custom_distance():
    torch = pytest.importorskip("torch")
    cos_dist = lambda a, b: 1 - ops.cosine_similarity(a, b)
    tcos = lambda a, b: 1 - torch.nn.functional.cosine_similarity(a, b)
    for swap in (False, True):
        check_op(lambda a, p, n: ops.triplet_margin_with_distance_loss(
                     a, p, n, distance_function=cos_dist, margin=0.4, swap=swap),
                 None, [((N, 3), (N, 3), (N, 3))],
                 torch_fn=lambda a, p, n: torch.nn.functional.triplet_margin_with_distance_loss(
                     a, p, n, distance_function=tcos, margin=0.4, swap=swap))


def test_torch_level_functions_take_int_reductions():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((N, C))
    t = np.random.default_rng(6).random((N, C))
    for r in (0, 1, 2):
        np.testing.assert_allclose(dg.poisson_nll_loss(dg.tensor(x), dg.tensor(t), True, False,
                                                       1e-8, r).numpy(),
                                   torch.poisson_nll_loss(torch.tensor(x), torch.tensor(t), True,
                                                          False, 1e-8, r).numpy(), rtol=1e-10)
        np.testing.assert_allclose(dg.kl_div(dg.tensor(x), dg.tensor(t), r).numpy(),
                                   torch.kl_div(torch.tensor(x), torch.tensor(t), r).numpy(),
                                   rtol=1e-10)
        np.testing.assert_allclose(
            dg.binary_cross_entropy_with_logits(dg.tensor(x), dg.tensor(t), None, None, r).numpy(),
            torch.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t), None, None,
                                                   r).numpy(), rtol=1e-10)
        np.testing.assert_allclose(
            dg.hinge_embedding_loss(dg.tensor(x), dg.tensor(np.sign(t - 0.5)), 1.0, r).numpy(),
            torch.hinge_embedding_loss(torch.tensor(x), torch.tensor(np.sign(t - 0.5)), 1.0, r).numpy(),
            rtol=1e-10)
    with pytest.raises(TypeError, match="int enum"):
        dg.kl_div(dg.tensor(x), dg.tensor(t), "mean")


# ----------------------------------------------------------------- linear cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_linear_cross_entropy_is_linear_then_cross_entropy(reduction):
    t = dg.tensor(CLASSES)
    check_op(lambda x, w, b: ops.linear_cross_entropy(x, w, t, linear_bias=b, reduction=reduction),
             None, [((N, 3), (C, 3), (C,))])
    check_op(lambda x, w, b: ops.linear_cross_entropy(x, w, t, linear_bias=b, reduction=reduction,
                                                      ignore_index=1, label_smoothing=0.2),
             None, [((N, 3), (C, 3), (C,))])
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((N, 3)), rng.standard_normal((C, 3)), rng.standard_normal(C)
    z = x @ w.T + b
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    expect = red(-logp[np.arange(N), CLASSES], reduction)
    got = ops.linear_cross_entropy(dg.tensor(x), dg.tensor(w), t, linear_bias=dg.tensor(b),
                                   reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expect, rtol=1e-12)


def test_linear_cross_entropy_shapes_probabilities_and_errors():
    rng = np.random.default_rng(8)
    x, w = dg.tensor(rng.standard_normal((N, 3))), dg.tensor(rng.standard_normal((C, 2, 3)))
    k = ops.linear_cross_entropy(x, w, dg.tensor(rng.integers(0, C, (N, 2))), reduction="none")
    assert k.shape == (N, 2)
    q = dg.tensor(rng.random((N, C)))
    assert ops.linear_cross_entropy(x, w[:, 0], q).shape == ()
    assert ops.linear_cross_entropy(x[0], w[:, 0], dg.tensor(2)).shape == ()
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified"):
        ops.linear_cross_entropy(x, w[:, 0], q, ignore_index=1)
    with pytest.raises(RuntimeError, match="equal input and linear_weight last dimensions"):
        ops.linear_cross_entropy(x, dg.ones(C, 4), dg.tensor(CLASSES))
    with pytest.raises(RuntimeError, match="expected linear_bias shape"):
        ops.linear_cross_entropy(x, w[:, 0], dg.tensor(CLASSES), linear_bias=dg.ones(3))
    with pytest.raises(RuntimeError, match="requires batched input"):
        ops.linear_cross_entropy(x[0], w, dg.tensor(1))
    with pytest.raises(ValueError, match="options=None"):
        ops.linear_cross_entropy(x, w[:, 0], dg.tensor(CLASSES), options=object())


def test_linear_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = CLASSES
    check_op(lambda x, w, b: ops.linear_cross_entropy(x, w, dg.tensor(t), linear_bias=b,
                                                      label_smoothing=0.1),
             None, [((N, 3), (C, 3), (C,))],
             torch_fn=lambda x, w, b: F.linear_cross_entropy(x, w, torch.tensor(t), linear_bias=b,
                                                             label_smoothing=0.1))
    tk = np.random.default_rng(9).integers(0, C, (N, 2))
    check_op(lambda x, w: ops.linear_cross_entropy(x, w, dg.tensor(tk), reduction="none"),
             None, [((N, 3), (C, 2, 3))],
             torch_fn=lambda x, w: F.linear_cross_entropy(x, w, torch.tensor(tk), reduction="none"))


# ----------------------------------------------------------------- the older losses' options
def test_weighted_regression_losses_as_pytorch():
    rng = np.random.default_rng(10)
    wt = rng.random((N, C)) + 0.1
    for name, fn, ref, mean_by_weight in (
            ("mse", ops.mse_loss, lambda x, y: (x - y) ** 2, True),
            ("l1", ops.l1_loss, lambda x, y: np.abs(x - y), True),
            ("huber", ops.huber_loss, lambda x, y: np.where(np.abs(x - y) <= 1, 0.5 * (x - y) ** 2,
                                                            np.abs(x - y) - 0.5), False)):
        for r in REDUCTIONS:
            def expect(x, y):
                l = ref(x, y) * wt
                if r == "mean":
                    return l.sum() / wt.sum() if mean_by_weight else l.mean()
                return red(l, r)
            check_op(lambda x, y: fn(x, y, reduction=r, weight=dg.tensor(wt, dtype=x.dtype)),
                     expect, [((N, C), (N, C))], make=away_from([0.0], -2, 2))
        with pytest.raises(ValueError, match="weights and input must have the same size"):
            fn(dg.ones(N, C), dg.ones(N, C), weight=dg.ones(C))


def test_weighted_regression_losses_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    wt = np.random.default_rng(11).random((N, C)) + 0.1
    for ours, theirs in ((ops.mse_loss, F.mse_loss), (ops.l1_loss, F.l1_loss),
                         (ops.huber_loss, F.huber_loss)):
        for r in REDUCTIONS:
            check_op(lambda x, y: ours(x, y, reduction=r, weight=dg.tensor(wt, dtype=x.dtype)), None,
                     [((N, C), (N, C))], make=away_from([0.0]),
                     torch_fn=lambda x, y: theirs(x, y, reduction=r, weight=torch.tensor(wt)))


def test_older_losses_take_pytorch_positions_and_legacy_flags():
    x = dg.log_softmax(dg.randn(N, C, dtype=dg.float64), 1)
    t = dg.tensor(CLASSES)
    per = ops.nll_loss(x, t, reduction="none").numpy()
    # F.nll_loss(input, target, weight, size_average, ignore_index, reduce, reduction)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        np.testing.assert_allclose(ops.nll_loss(x, t, None, False, -100).numpy(), per.sum())
    np.testing.assert_allclose(ops.nll_loss(x, t, None, None, 3).numpy(),
                               per[CLASSES != 3].mean())
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert ops.cross_entropy(x, t, None, None, -100, False).shape == (N,)
    y = dg.randn(N, C, dtype=dg.float64)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        np.testing.assert_allclose(ops.mse_loss(x, y, False).numpy(),
                                   ((x.numpy() - y.numpy()) ** 2).sum())
    with pytest.warns(UserWarning):
        assert ops.kl_div(x, y.exp(), None, False).shape == (N, C)
    with pytest.raises(TypeError, match="pass the reduction by keyword"):
        ops.l1_loss(x, y, "sum")
    with pytest.raises(ValueError, match="beta must be >= 0"):
        ops.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(ValueError, match="delta must be positive"):
        ops.huber_loss(x, y, delta=0.0)
