"""Losses: forward vs a NumPy reference of PyTorch's definitions, float64 gradcheck, torch on
the side; bad targets raise clear errors; huge logits stay finite."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from op_harness import check_op, uniform

REDUCTIONS = ["mean", "sum", "none"]
PROB = uniform(0.05, 0.95)


# ----------------------------------------------------------------- NumPy references
def np_log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _rows(x, target, probs):
    """(N, C, d1, ..) -> (rows, C) and targets likewise; (C,) -> (1, C)."""
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    if x.ndim == 1:
        return x[None], (target[None] if probs else np.reshape(target, 1)), C
    rows = np.moveaxis(x, 1, -1).reshape(-1, C)
    t = np.moveaxis(target, 1, -1).reshape(-1, C) if probs else target.reshape(-1)
    return rows, t, C


def _out_shape(x):
    return () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]


def np_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                     label_smoothing=0.0):
    probs = target.dtype.kind == "f"
    z, t, C = _rows(x, target, probs)
    logp = np_log_softmax(z)
    w = np.ones(C) if weight is None else weight
    eps = label_smoothing
    if probs:
        q = t * (1 - eps) + eps / C
        loss = -(w * q * logp).sum(1)
        denom = len(loss)
    else:
        keep = t != ignore_index
        tt = np.where(keep, t, 0)
        nll = -w[tt] * logp[np.arange(len(tt)), tt]
        smooth = -(w * logp).sum(1) / C
        loss = np.where(keep, (1 - eps) * nll + eps * smooth, 0.0)
        denom = (w[tt] * keep).sum()
    if reduction == "none":
        return loss.reshape(_out_shape(x))
    return np.asarray(loss.sum() / (denom if reduction == "mean" else 1))


def np_nll_loss(x, target, weight=None, ignore_index=-100, reduction="mean"):
    z, t, C = _rows(x, target, False)
    w = np.ones(C) if weight is None else weight
    keep = t != ignore_index
    tt = np.where(keep, t, 0)
    loss = np.where(keep, -w[tt] * z[np.arange(len(tt)), tt], 0.0)
    if reduction == "none":
        return loss.reshape(_out_shape(x))
    return np.asarray(loss.sum() / ((w[tt] * keep).sum() if reduction == "mean" else 1))


def reduce(loss, reduction):
    return {"mean": lambda l: np.asarray(l.mean()), "sum": lambda l: np.asarray(l.sum()),
            "none": lambda l: l}[reduction](loss)


def np_smooth_l1(x, y, beta):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)


def np_huber(x, y, delta):
    d = np.abs(x - y)
    return np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta))


def np_bce(p, y, w=1.0):
    return -w * (y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log1p(-p), -100))


def np_bce_logits(x, y, w=1.0, pw=1.0):
    L = 1 + (pw - 1) * y
    return w * ((1 - y) * x + L * np.logaddexp(0, -x))


def np_kl_div(x, t, log_target=False):
    if log_target:
        return np.exp(t) * (t - x)
    return np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0.0)


# ----------------------------------------------------------------- targets
RNG = np.random.default_rng(7)
C = 4
INDEX_CASES = {                       # input shape -> class-index target
    "C": ((C,), np.array(2)),
    "NC": ((5, C), RNG.integers(0, C, 5)),
    "N1": ((1, C), np.array([3])),
    "NCd": ((2, C, 3), RNG.integers(0, C, (2, 3))),
    "NCdd": ((2, C, 2, 1), RNG.integers(0, C, (2, 2, 1))),
}
WEIGHT = np.array([0.5, 2.0, 1.0, 0.25])


def prob_target(shape, seed=0):
    p = np.random.default_rng(seed).random(shape) + 0.1
    axis = 0 if len(shape) == 1 else 1
    return p / p.sum(axis=axis, keepdims=True)


def _w(weight, x):
    return None if weight is None else dg.tensor(weight, dtype=x.dtype)


# ----------------------------------------------------------------- cross_entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("case", list(INDEX_CASES), ids=str)
def test_cross_entropy_class_indices(case, smoothing, weight, reduction):
    shape, target = INDEX_CASES[case]
    t = dg.tensor(target)
    check_op(lambda x: ops.cross_entropy(x, t, _w(weight, x), reduction=reduction,
                                         label_smoothing=smoothing),
             lambda x: np_cross_entropy(x, target, weight, reduction=reduction,
                                        label_smoothing=smoothing), [shape])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(C,), (3, C), (2, C, 3)], ids=str)
def test_cross_entropy_class_probabilities(shape, smoothing, weight, reduction):
    q = prob_target(shape)
    check_op(lambda x: ops.cross_entropy(x, dg.tensor(q, dtype=x.dtype), _w(weight, x),
                                         reduction=reduction, label_smoothing=smoothing),
             lambda x: np_cross_entropy(x, q, weight, reduction=reduction,
                                        label_smoothing=smoothing), [shape])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_ignore_index(ignore_index, weight, reduction):
    target = np.array([0, ignore_index, 3, 1, ignore_index, 2])
    t = dg.tensor(target)
    for smoothing in (0.0, 0.1):
        check_op(lambda x: ops.cross_entropy(x, t, _w(weight, x), ignore_index=ignore_index,
                                             reduction=reduction, label_smoothing=smoothing),
                 lambda x: np_cross_entropy(x, target, weight, ignore_index, reduction,
                                            smoothing), [(6, C)])
    x = dg.randn(6, C, requires_grad=True)
    ops.cross_entropy(x, t, ignore_index=ignore_index).backward()
    assert np.all(x.grad.array[target == ignore_index] == 0)


def test_cross_entropy_all_targets_ignored_gives_nan_mean():
    x = dg.randn(2, C, requires_grad=True)
    t = dg.tensor([-100, -100])
    assert np.isnan(ops.cross_entropy(x, t).item())
    assert ops.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_cross_entropy_accepts_lists_and_arrays_as_targets():
    x = dg.randn(3, C)
    expect = ops.cross_entropy(x, dg.tensor([0, 1, 2])).item()
    assert ops.cross_entropy(x, [0, 1, 2]).item() == pytest.approx(expect)
    assert ops.cross_entropy(x, np.array([0, 1, 2], dtype=np.int32)).item() == pytest.approx(expect)


# ----------------------------------------------------------------- nll_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", list(INDEX_CASES), ids=str)
def test_nll_loss(case, weight, reduction):
    shape, target = INDEX_CASES[case]
    t = dg.tensor(target)
    check_op(lambda x: ops.nll_loss(x, t, _w(weight, x), reduction=reduction),
             lambda x: np_nll_loss(x, target, weight, reduction=reduction), [shape])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_ignore_index_and_log_softmax_composition(reduction):
    target = np.array([2, -1, 0, -1])
    t = dg.tensor(target)
    check_op(lambda x: ops.nll_loss(x, t, _w(WEIGHT, x), ignore_index=-1, reduction=reduction),
             lambda x: np_nll_loss(x, target, WEIGHT, -1, reduction), [(4, C)])
    # nll_loss(log_softmax(x)) == cross_entropy(x)
    check_op(lambda x: ops.nll_loss(ops.log_softmax(x, 1), t, ignore_index=-1,
                                    reduction=reduction),
             lambda x: np_cross_entropy(x, target, ignore_index=-1, reduction=reduction),
             [(4, C)])


# ----------------------------------------------------------------- regression losses
PAIRS = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 1, 3), (2, 1, 3))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, fn, ref", [
    ("mse", ops.mse_loss, lambda x, y: (x - y) ** 2),
    ("l1", ops.l1_loss, lambda x, y: np.abs(x - y)),
    ("smooth_l1", ops.smooth_l1_loss, lambda x, y: np_smooth_l1(x, y, 1.0)),
    ("smooth_l1_beta0.5", lambda x, y, reduction: ops.smooth_l1_loss(x, y, reduction=reduction, beta=0.5),
     lambda x, y: np_smooth_l1(x, y, 0.5)),
    ("smooth_l1_beta0", lambda x, y, reduction: ops.smooth_l1_loss(x, y, reduction=reduction, beta=0.0),
     lambda x, y: np.abs(x - y)),
    ("huber", ops.huber_loss, lambda x, y: np_huber(x, y, 1.0)),
    ("huber_delta0.3", lambda x, y, reduction: ops.huber_loss(x, y, reduction=reduction, delta=0.3),
     lambda x, y: np_huber(x, y, 0.3)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_regression_losses(name, fn, ref, reduction):
    check_op(lambda x, y: fn(x, y, reduction=reduction), lambda x, y: reduce(ref(x, y), reduction),
             PAIRS)


@pytest.mark.parametrize("fn", [ops.mse_loss, ops.l1_loss, ops.smooth_l1_loss, ops.huber_loss,
                                ops.binary_cross_entropy, ops.binary_cross_entropy_with_logits,
                                ops.kl_div])
def test_elementwise_losses_need_equal_shapes(fn):
    with pytest.raises(ValueError,
                       match=r"target shape \(3, 1\) does not match input shape \(3,\)"):
        fn(dg.full((3,), 0.5), dg.full((3, 1), 0.5))


@pytest.mark.parametrize("fn", [ops.mse_loss, ops.l1_loss, ops.smooth_l1_loss, ops.huber_loss,
                                ops.binary_cross_entropy, ops.binary_cross_entropy_with_logits,
                                ops.kl_div, ops.cross_entropy, ops.nll_loss])
def test_losses_reject_an_unknown_reduction(fn):
    target = dg.tensor([0, 1]) if fn in (ops.cross_entropy, ops.nll_loss) else dg.full((2, 2), 0.5)
    with pytest.raises(ValueError, match="reduction must be one of"):
        fn(dg.full((2, 2), 0.5), target, reduction="average")


# ----------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(weighted, reduction):
    w = np.array([0.5, 1.0, 2.0])
    weight = (lambda x: dg.tensor(w, dtype=x.dtype)) if weighted else (lambda x: None)
    wr = w if weighted else 1.0
    check_op(lambda p, y: ops.binary_cross_entropy(p, y, weight(p), reduction=reduction),
             lambda p, y: reduce(np_bce(p, y, wr), reduction),
             [((3,), (3,)), ((2, 3), (2, 3)), ((4, 1, 3), (4, 1, 3))], make=PROB)
    check_op(lambda p, y: ops.binary_cross_entropy(p, y, reduction=reduction),
             lambda p, y: reduce(np_bce(p, y), reduction), [((), ())], make=PROB)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = dg.tensor([0.0, 1.0, 1.0, 0.0], requires_grad=True)
    y = dg.tensor([1.0, 0.0, 1.0, 0.0])
    loss = ops.binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(loss.array, [100, 100, 0, 0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.array))


def test_binary_cross_entropy_needs_probabilities():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        ops.binary_cross_entropy(dg.tensor([0.5, 1.5]), dg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_logits(pos_weighted, weighted, reduction):
    w, pw = np.array([0.5, 1.0, 2.0]), np.array([3.0, 0.5, 1.0])
    weight = (lambda x: dg.tensor(w, dtype=x.dtype)) if weighted else (lambda x: None)
    pos = (lambda x: dg.tensor(pw, dtype=x.dtype)) if pos_weighted else (lambda x: None)
    wr, pwr = (w if weighted else 1.0), (pw if pos_weighted else 1.0)
    check_op(lambda x, y: ops.binary_cross_entropy_with_logits(x, y, weight(x),
                                                               reduction=reduction,
                                                               pos_weight=pos(x)),
             lambda x, y: reduce(np_bce_logits(x, y, wr, pwr), reduction),
             [((3,), (3,)), ((2, 3), (2, 3)), ((4, 1, 3), (4, 1, 3))],
             make=[uniform(-3, 3), PROB])


def test_bce_weight_must_broadcast():
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) does not broadcast"):
        ops.binary_cross_entropy_with_logits(dg.zeros(2, 3), dg.zeros(2, 3), weight=dg.ones(4))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) does not broadcast"):
        ops.binary_cross_entropy_with_logits(dg.zeros(2, 3), dg.zeros(2, 3),
                                             pos_weight=dg.ones(2))


# ----------------------------------------------------------------- kl_div
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(log_target, reduction):
    def ref(x, t):
        loss = np_kl_div(x, t, log_target)
        if reduction == "batchmean":
            return np.asarray(loss.sum() / (x.shape[0] if x.ndim else 1))
        return reduce(loss, reduction)
    target = uniform(-3.0, -0.1) if log_target else uniform(0.05, 1.0)
    check_op(lambda x, t: ops.kl_div(x, t, reduction=reduction, log_target=log_target), ref,
             [((), ()), ((4,), (4,)), ((3, 4), (3, 4)), ((2, 1, 3), (2, 1, 3))],
             make=[uniform(-3.0, -0.1), target])


def test_kl_div_zero_target_contributes_nothing():
    x = dg.tensor([-1.0, -2.0], requires_grad=True)
    t = dg.tensor([0.0, 1.0], requires_grad=True)
    loss = ops.kl_div(x, t, reduction="sum")
    assert loss.item() == pytest.approx(2.0)
    loss.backward()
    np.testing.assert_array_equal(x.grad.array, [0.0, -1.0])
    assert np.all(np.isfinite(t.grad.array))


# ----------------------------------------------------------------- bad class targets
@pytest.mark.parametrize("x, t", [((3, C), (3,)), ((2, C, 3), (2, 3)), ((C,), ())])
def test_cross_entropy_float_class_index_target_is_a_clear_error(x, t):
    with pytest.raises(TypeError, match=r"looks like class indices but has the float dtype "
                                        r"float32; class indices need an integer dtype"):
        ops.cross_entropy(dg.randn(*x), dg.zeros(*t))


def test_nll_loss_float_target_is_a_clear_error():
    with pytest.raises(TypeError,
                       match=r"class indices of an integer dtype, received dtype float32"):
        ops.nll_loss(dg.randn(3, C), dg.tensor([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("fn", [ops.cross_entropy, ops.nll_loss])
@pytest.mark.parametrize("bad", [4, -2, 10])
def test_class_index_out_of_range(fn, bad):
    with pytest.raises(IndexError, match=rf"target {bad} is out of bounds.*\[0, 3\].*4 classes"):
        fn(dg.randn(3, C), dg.tensor([0, bad, 1]))


@pytest.mark.parametrize("fn", [ops.cross_entropy, ops.nll_loss])
@pytest.mark.parametrize("x, t", [((3, C), (4,)), ((3, C), (3, 1)), ((2, C, 3), (2, 4)),
                                  ((C,), (1,))])
def test_class_target_shape_mismatch(fn, x, t):
    with pytest.raises(ValueError, match=r"target of shape"):
        fn(dg.randn(*x), dg.zeros(*t, dtype=np.int64))


def test_cross_entropy_probability_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"class probabilities.*received \(3, 5\)"):
        ops.cross_entropy(dg.randn(3, C), dg.zeros(3, 5))


def test_cross_entropy_bad_weight_label_smoothing_and_target_dtype():
    x = dg.randn(3, C)
    t = dg.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected \(4,\)"):
        ops.cross_entropy(x, t, weight=dg.ones(3))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        ops.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(TypeError, match="received dtype bool"):
        ops.cross_entropy(x, dg.tensor([True, False, True]))
    with pytest.raises(ValueError, match="class dimension"):
        ops.cross_entropy(dg.tensor(1.0), dg.tensor(0))


def test_nll_loss_bad_weight_shape():
    with pytest.raises(ValueError, match=r"weight has shape \(3,\), expected \(4,\)"):
        ops.nll_loss(dg.randn(3, C), dg.tensor([0, 1, 2]), weight=dg.ones(3))


def test_regression_losses_refuse_mixed_float_dtypes():
    with pytest.raises(TypeError, match="float32 and float64"):
        ops.mse_loss(dg.zeros(3), dg.zeros(3, dtype=np.float64))


# ----------------------------------------------------------------- stability
HUGE = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, -1e4]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, fn", [
    ("ce", lambda x: ops.cross_entropy(x, dg.tensor([1, 0, 3]))),
    ("ce_smooth_weighted", lambda x: ops.cross_entropy(x, dg.tensor([1, 0, 3]),
                                                       dg.tensor(WEIGHT, dtype=x.dtype),
                                                       label_smoothing=0.1)),
    ("ce_probs", lambda x: ops.cross_entropy(x, dg.tensor(prob_target((3, C)), dtype=x.dtype))),
    ("ce_kdim", lambda x: ops.cross_entropy(x.reshape(1, 3, C).permute(0, 2, 1),
                                            dg.tensor([[1, 0, 3]]))),
    ("bce_logits", lambda x: ops.binary_cross_entropy_with_logits(
        x, dg.tensor(np.tile([1.0, 0.0], (3, 2)), dtype=x.dtype),
        pos_weight=dg.tensor([2.0, 1.0, 0.5, 3.0], dtype=x.dtype))),
    ("nll_log_softmax", lambda x: ops.nll_loss(ops.log_softmax(x, 1), dg.tensor([1, 0, 3]))),
])
def test_losses_on_huge_logits_are_finite(name, fn, dtype):
    x = dg.tensor(HUGE, dtype=dtype, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = fn(x)
        assert loss.dtype == dtype and np.isfinite(loss.item())
        loss.backward()
    assert x.grad.dtype == dtype and np.all(np.isfinite(x.grad.array))


def test_cross_entropy_huge_logit_values():
    x = dg.tensor(HUGE, dtype=np.float64)
    loss = ops.cross_entropy(x, dg.tensor([1, 0, 3]), reduction="none")
    np.testing.assert_allclose(loss.array, [2e4, np.log(4), 2e4 + np.log(3)])


# ----------------------------------------------------------------- torch on the side
def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for case, (shape, target) in INDEX_CASES.items():
        t = torch.tensor(target)
        for kw in [dict(), dict(weight=WEIGHT), dict(label_smoothing=0.2),
                   dict(weight=WEIGHT, label_smoothing=0.1, reduction="sum"),
                   dict(reduction="none", ignore_index=1),
                   dict(weight=WEIGHT, ignore_index=2, label_smoothing=0.3)]:
            if np.all(target == kw.get("ignore_index")):
                continue        # all ignored: nan mean, tested above (torch's gradient is 0)
            tw = {k: (torch.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            dw = {k: (dg.tensor(v, dtype=np.float64) if k == "weight" else v)
                  for k, v in kw.items()}
            check_op(lambda x: ops.cross_entropy(x, dg.tensor(target), **dw), None, [shape],
                     grad=False, torch_fn=lambda x: F.cross_entropy(x, t, **tw))
    for shape in [(C,), (3, C), (2, C, 3)]:
        q = prob_target(shape)
        for kw in [dict(), dict(weight=WEIGHT, label_smoothing=0.2, reduction="none")]:
            tw = {k: (torch.tensor(v) if k == "weight" else v) for k, v in kw.items()}
            dw = {k: (dg.tensor(v, dtype=np.float64) if k == "weight" else v)
                  for k, v in kw.items()}
            check_op(lambda x: ops.cross_entropy(x, dg.tensor(q), **dw), None, [shape],
                     grad=False, torch_fn=lambda x: F.cross_entropy(x, torch.tensor(q), **tw))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
def test_other_losses_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    two = [((2, 3), (2, 3))]
    t = INDEX_CASES["NCd"][1]
    check_op(lambda x: ops.nll_loss(x, dg.tensor(t), dg.tensor(WEIGHT, dtype=np.float64)),
             None, [(2, C, 3)], grad=False,
             torch_fn=lambda x: F.nll_loss(x, torch.tensor(t), torch.tensor(WEIGHT)))
    for r in REDUCTIONS:
        check_op(lambda x, y: ops.mse_loss(x, y, reduction=r), None, two, grad=False,
                 torch_fn=lambda x, y: F.mse_loss(x, y, reduction=r))
        check_op(lambda x, y: ops.l1_loss(x, y, reduction=r), None, two, grad=False,
                 torch_fn=lambda x, y: F.l1_loss(x, y, reduction=r))
        check_op(lambda x, y: ops.smooth_l1_loss(x, y, reduction=r, beta=0.7), None, two, grad=False,
                 torch_fn=lambda x, y: F.smooth_l1_loss(x, y, reduction=r, beta=0.7))
        check_op(lambda x, y: ops.huber_loss(x, y, reduction=r, delta=0.4), None, two, grad=False,
                 torch_fn=lambda x, y: F.huber_loss(x, y, reduction=r, delta=0.4))
        w = np.array([0.5, 1.0, 2.0])
        check_op(lambda p, y: ops.binary_cross_entropy(p, y, dg.tensor(w, dtype=np.float64),
                                                          reduction=r),
                 None, two, grad=False, make=PROB,
                 torch_fn=lambda p, y: F.binary_cross_entropy(p, y, torch.tensor(w), reduction=r))
        pw = np.array([3.0, 0.5, 1.0])
        check_op(lambda x, y: ops.binary_cross_entropy_with_logits(
                     x, y, dg.tensor(w, dtype=np.float64), reduction=r,
                     pos_weight=dg.tensor(pw, dtype=np.float64)),
                 None, two, grad=False, make=[uniform(-3, 3), PROB],
                 torch_fn=lambda x, y: F.binary_cross_entropy_with_logits(
                     x, y, torch.tensor(w), reduction=r, pos_weight=torch.tensor(pw)))
    for r in REDUCTIONS + ["batchmean"]:
        for log_target in (False, True):
            target = uniform(-3.0, -0.1) if log_target else uniform(0.05, 1.0)
            check_op(lambda x, y: ops.kl_div(x, y, reduction=r, log_target=log_target), None,
                     [((3, 4), (3, 4))],
                     grad=False, make=[uniform(-3.0, -0.1), target],
                     torch_fn=lambda x, y: F.kl_div(x, y, reduction=r, log_target=log_target))
