"""CTC loss: forward against a brute-force sum over all alignments, float64 gradcheck of the
true derivative, PyTorch on random cases (repeated labels, empty targets, impossible
alignments, padded and concatenated targets), reductions and bad input."""
import itertools

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn, ops


def brute_force_nll(lp, target, blank=0):
    """-log sum over every length-T path that collapses to ``target`` of prod_t p_t(path_t)."""
    T, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for k, c in enumerate(path) if (k == 0 or c != path[k - 1]) and c != blank]
        if collapsed == list(target):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def log_softmax(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("target, T, blank", [([1, 2], 4, 0), ([1, 1], 4, 0), ([2, 2, 2], 5, 0),
                                              ([], 3, 0), ([0, 1], 4, 2), ([1], 1, 0),
                                              ([1, 1], 2, 0)])
def test_forward_matches_brute_force(target, T, blank):
    rng = np.random.default_rng(len(target) * 10 + T)
    lp = log_softmax(rng.standard_normal((T, 3)))
    got = ops.ctc_loss(dg.tensor(lp[:, None]), dg.tensor([target + [0]]), [T], [len(target)],
                       blank=blank, reduction="none").numpy()
    np.testing.assert_allclose(got, [brute_force_nll(lp, target, blank)], rtol=1e-12)


def _random_case(rng, T=7, N=4, C=5, S=3, blank=0):
    labels = [c for c in range(C) if c != blank]
    targets = rng.choice(labels, (N, S))
    targets[0, :2] = targets[0, 2]                      # a repeated label
    tl = np.array([S, S - 1, 0, S])[:N]
    il = np.array([T, T - 1, 3, T])[:N]
    return targets, il, tl


def test_gradcheck_true_derivative_of_log_probs():
    rng = np.random.default_rng(0)
    targets, il, tl = _random_case(rng, T=5, C=4)
    lp = dg.tensor(log_softmax(rng.standard_normal((5, 4, 4))), requires_grad=True)
    for reduction in ("none", "mean", "sum"):
        assert dg.gradcheck(lambda x: ops.ctc_loss(x, dg.tensor(targets), il, tl,
                                                   reduction=reduction), (lp,), atol=1e-6)
    logits = dg.tensor(rng.standard_normal((5, 4, 4)), requires_grad=True)
    assert dg.gradcheck(lambda z: ops.ctc_loss(ops.log_softmax(z, 2), dg.tensor(targets), il, tl),
                        (logits,), atol=1e-6)


def test_dtype_kept_and_shapes():
    rng = np.random.default_rng(1)
    targets, il, tl = _random_case(rng)
    lp = dg.tensor(log_softmax(rng.standard_normal((7, 4, 5))).astype(np.float32),
                   requires_grad=True)
    loss = ops.ctc_loss(lp, dg.tensor(targets), il, tl, reduction="none")
    assert loss.shape == (4,) and loss.dtype == np.float32
    loss.sum().backward()
    assert lp.grad.dtype == np.float32 and np.all(np.isfinite(lp.grad.numpy()))
    # unbatched: (T, C) with (S,) targets gives a 0-d loss
    one = ops.ctc_loss(lp[:, 0], dg.tensor(targets[0]), 7, 3, reduction="none")
    assert one.shape == ()
    np.testing.assert_allclose(one.numpy(), loss.numpy()[0], rtol=1e-6)


def test_reductions_and_concatenated_targets():
    rng = np.random.default_rng(2)
    targets, il, tl = _random_case(rng)
    lp = dg.tensor(log_softmax(rng.standard_normal((7, 4, 5))))
    per = ops.ctc_loss(lp, dg.tensor(targets), il, tl, reduction="none").numpy()
    np.testing.assert_allclose(ops.ctc_loss(lp, dg.tensor(targets), il, tl, reduction="sum").numpy(),
                               per.sum(), rtol=1e-12)
    np.testing.assert_allclose(ops.ctc_loss(lp, dg.tensor(targets), il, tl).numpy(),
                               (per / np.maximum(tl, 1)).mean(), rtol=1e-12)
    flat = np.concatenate([targets[i, :tl[i]] for i in range(4)])
    np.testing.assert_allclose(ops.ctc_loss(lp, dg.tensor(flat), tuple(il), list(tl),
                                            reduction="none").numpy(), per, rtol=1e-12)


def test_impossible_alignment_is_inf_or_zeroed():
    lp = dg.tensor(log_softmax(np.random.default_rng(3).standard_normal((3, 2, 4))),
                   requires_grad=True)
    targets = dg.tensor([[1, 1, 2], [1, 2, 3]])     # [1, 1, 2] needs 4 frames
    loss = ops.ctc_loss(lp, targets, [3, 3], [3, 2], reduction="none")
    assert np.isinf(loss.numpy()[0]) and np.isfinite(loss.numpy()[1])
    loss.sum().backward()
    assert np.all(np.isnan(lp.grad.numpy()[:, 0])) and np.all(np.isfinite(lp.grad.numpy()[:, 1]))
    lp.grad = None
    loss = ops.ctc_loss(lp, targets, [3, 3], [3, 2], reduction="none", zero_infinity=True)
    assert loss.numpy()[0] == 0
    loss.sum().backward()
    np.testing.assert_array_equal(lp.grad.numpy()[:, 0], 0)


def test_matches_torch_on_random_cases():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    for trial in range(6):
        T, N, C, S = rng.integers(4, 12), rng.integers(1, 5), rng.integers(2, 6), rng.integers(1, 5)
        blank = int(rng.integers(0, C))
        labels = [c for c in range(C) if c != blank]
        targets = rng.choice(labels, (N, S))
        if S > 1:
            targets[:, 1] = targets[:, 0]              # repeats need a blank in between
        tl = rng.integers(0, S + 1, N)
        il = rng.integers(1, T + 1, N)
        il[0] = T
        z = rng.standard_normal((T, N, C))
        for reduction in ("none", "mean", "sum"):
            for zero_inf in (False, True):
                a = dg.tensor(z, requires_grad=True)
                t = torch.tensor(z, requires_grad=True)
                y = ops.ctc_loss(ops.log_softmax(a, 2), dg.tensor(targets), il, tl, blank,
                                 reduction, zero_inf)
                ty = F.ctc_loss(t.log_softmax(2), torch.tensor(targets), torch.tensor(il),
                                torch.tensor(tl), blank, reduction, zero_inf)
                np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-9)
                w = rng.standard_normal(ty.shape)
                (y * dg.tensor(w)).sum().backward()
                (ty * torch.tensor(w)).sum().backward()
                np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-7,
                                           atol=1e-10, equal_nan=True)


def test_bad_input():
    lp = dg.tensor(log_softmax(np.zeros((3, 2, 4))))
    tg = dg.tensor([[1, 1, 2], [1, 2, 3]])
    with pytest.raises(ValueError, match="input_lengths must be at most T=3"):
        ops.ctc_loss(lp, tg, [4, 3], [3, 2])
    with pytest.raises(ValueError, match=r"padded targets must have shape \(N=2, S >= 4\)"):
        ops.ctc_loss(lp, tg, [3, 3], [4, 2])
    with pytest.raises(ValueError, match="target_lengths must be >= 0"):
        ops.ctc_loss(lp, tg, [3, 3], [-1, 2])
    with pytest.raises(ValueError, match="blank must be in the label range"):
        ops.ctc_loss(lp, tg, [3, 3], [3, 2], blank=4)
    with pytest.raises(IndexError, match=r"target labels must be in \[0, 3\]"):
        ops.ctc_loss(lp, dg.tensor([[1, 1, 5], [1, 2, 3]]), [3, 3], [3, 2])
    with pytest.raises(ValueError, match="one entry per sequence"):
        ops.ctc_loss(lp, tg, [3], [3, 2])
    with pytest.raises(ValueError, match="sum\\(target_lengths\\) = 4"):
        ops.ctc_loss(lp, dg.tensor([1, 1, 2, 1, 2]), [3, 3], [2, 2])
    with pytest.raises(ValueError, match="reduction must be one of"):
        ops.ctc_loss(lp, tg, [3, 3], [3, 2], reduction="batchmean")


def test_module_and_torch_namespace():
    rng = np.random.default_rng(5)
    targets, il, tl = _random_case(rng)
    lp = dg.tensor(log_softmax(rng.standard_normal((7, 4, 5))))
    m = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(m(lp, dg.tensor(targets), il, tl).numpy(),
                               ops.ctc_loss(lp, dg.tensor(targets), il, tl, reduction="sum").numpy())
    np.testing.assert_allclose(dg.ctc_loss(lp, dg.tensor(targets), il, tl, 0, 2).numpy(),
                               m(lp, dg.tensor(targets), il, tl).numpy())
    with pytest.raises(ValueError, match="blank must be a non-negative int"):
        nn.CTCLoss(blank=-1)
