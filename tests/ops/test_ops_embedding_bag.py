"""embedding_bag (sum/mean/max, offsets, 2-D bags, per_sample_weights, padding_idx,
include_last_offset), embedding's max_norm and scale_grad_by_freq, torch.embedding and
torch.embedding_bag: NumPy references, float64 gradcheck, PyTorch parity."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from deepgrad.ops.embedding import embedding, embedding_bag
from lazy_torch import F, TORCH
from op_harness import compare_with_torch
from torch_last import check_op

IDX = np.array([1, 2, 4, 5, 4, 3, 2, 0, 5])
OFF = np.array([0, 2, 2, 5])          # bags [0, 2), [2, 2) (empty), [2, 5), [5, 9)


def bag_ref(w, idx, off, mode, a=None, pad=None, last=False):
    ends = list(off[1:]) + ([] if last else [len(idx)])
    starts = off[:-1] if last else off
    out = np.zeros((len(starts), w.shape[1]))
    for b, (s, e) in enumerate(zip(starts, ends)):
        pos = [p for p in range(s, e) if pad is None or idx[p] != pad]
        if not pos:
            continue
        rows = w[idx[pos]] * (1 if a is None else a[pos][:, None])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def distinct(rng, shape):
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 4])
def test_embedding_bag_with_offsets(mode, pad):
    check_op(lambda w: embedding_bag(IDX, w, OFF, mode=mode, padding_idx=pad),
             lambda w: bag_ref(w, IDX, OFF, mode, pad=pad), [(6, 3)], make=distinct)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input_is_fixed_length_bags(mode):
    idx = IDX[:8].reshape(2, 4)
    check_op(lambda w: ops.embedding_bag(idx, w, mode=mode),
             lambda w: bag_ref(w, idx.ravel(), np.array([0, 4]), mode), [(6, 3)], make=distinct)


def test_embedding_bag_per_sample_weights_and_last_offset():
    off = np.array([0, 2, 2, 5, 9])
    check_op(lambda w, a: embedding_bag(IDX, w, off, mode="sum", per_sample_weights=a,
                                        include_last_offset=True, padding_idx=2),
             lambda w, a: bag_ref(w, IDX, off, "sum", a, pad=2, last=True), [((6, 3), (9,))])
    off = np.array([0, 2, 5])           # the last offset ends the last bag: positions 5.. unused
    check_op(lambda w: embedding_bag(IDX, w, off, mode="mean", include_last_offset=True),
             lambda w: bag_ref(w, IDX, off, "mean", last=True), [(6, 3)])


@pytest.mark.parametrize("mode,kwargs", [
    ("sum", {}), ("mean", {}), ("max", {}), ("mean", dict(padding_idx=4)), ("max", dict(padding_idx=5)),
    ("sum", dict(padding_idx=2)), ("sum", dict(include_last_offset=True)),
])
def test_embedding_bag_matches_torch(mode, kwargs):
    off = np.append(OFF, len(IDX)) if kwargs.get("include_last_offset") else OFF
    check_op(lambda w: ops.embedding_bag(IDX, w, off, mode=mode, **kwargs), None, [(6, 3)],
             make=distinct,
             torch_fn=lambda w: F.embedding_bag(TORCH.tensor(IDX), w, TORCH.tensor(off),
                                                mode=mode, **kwargs))


def test_embedding_bag_per_sample_weights_match_torch():
    torch = pytest.importorskip("torch")
    compare_with_torch(
        lambda w, a: ops.embedding_bag(IDX, w, OFF, mode="sum", per_sample_weights=a,
                                       padding_idx=4),
        lambda w, a: torch.nn.functional.embedding_bag(torch.tensor(IDX), w, torch.tensor(OFF),
                                                       mode="sum", per_sample_weights=a,
                                                       padding_idx=4),
        [np.random.default_rng(0).standard_normal((6, 3)),
         np.random.default_rng(1).standard_normal(9)])


def test_embedding_bag_scale_grad_by_freq_divides_by_the_count_in_the_batch():
    """Row k's gradient / (occurrences of k in the input); with mode='sum' every
    occurrence adds g[bag], so a row's gradient is the mean of its bags' gradients.
    (PyTorch 2.13's CPU kernel divides by a misaligned count here, so no torch check.)"""
    w = dg.randn(6, 3, dtype=dg.float64, requires_grad=True)
    g = np.random.default_rng(2).standard_normal((4, 3))
    embedding_bag(IDX, w, OFF, mode="sum", scale_grad_by_freq=True).backward(dg.tensor(g))
    bag = np.repeat(np.arange(4), np.diff(np.append(OFF, 9)))
    want = np.zeros((6, 3))
    np.add.at(want, IDX, g[bag])
    want /= np.maximum(np.bincount(IDX, minlength=6), 1)[:, None]
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)


def test_embedding_max_norm_and_scale_grad_by_freq_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((6, 3)) * 2
    idx = np.array([[0, 2, 2], [5, 2, 0]])
    w, tw = dg.tensor(w0.copy(), requires_grad=True), torch.tensor(w0.copy(), requires_grad=True)
    with dg.no_grad():
        pass
    y = embedding(idx, w, max_norm=1.5, norm_type=1.0)
    with torch.no_grad():
        ty_ref = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-12)   # renormed in place
    np.testing.assert_allclose(y.numpy(), ty_ref.numpy(), rtol=1e-12)
    compare_with_torch(
        lambda v: embedding(idx, v, padding_idx=5, scale_grad_by_freq=True),
        lambda v: torch.nn.functional.embedding(torch.tensor(idx), v, padding_idx=5,
                                                scale_grad_by_freq=True), [w0])


def test_embedding_max_norm_rescales_only_long_looked_up_rows():
    w = dg.tensor(np.array([[3.0, 4.0], [0.1, 0.1], [6.0, 8.0]]))
    embedding(np.array([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(w.numpy(), [[3 / (5 + 1e-7), 4 / (5 + 1e-7)], [0.1, 0.1],
                                           [6.0, 8.0]], rtol=1e-12)


def test_torch_level_embedding_forms():
    w = dg.tensor(distinct(np.random.default_rng(4), (6, 3)))
    np.testing.assert_array_equal(dg.embedding(w, dg.tensor(IDX)).numpy(), w.numpy()[IDX])
    for mode in (0, 1, 2):
        out, o2b, size, mx = dg.embedding_bag(w, dg.tensor(IDX), dg.tensor(OFF), False, mode,
                                              False, None, False, 4 if mode else None)
        assert out.shape == (4, 3) and o2b.dtype == np.int64
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w.numpy())
    np.testing.assert_array_equal(dg.embedding(w, dg.tensor(IDX), 2).numpy(),
                                  torch.embedding(tw, torch.tensor(IDX), 2).numpy())
    for mode, pad, psw in ((0, None, None), (0, 4, None), (1, None, None), (1, 4, None),
                           (2, None, None), (2, 5, None), (0, None, np.arange(9.0))):
        got = dg.embedding_bag(w, dg.tensor(IDX), dg.tensor(OFF), False, mode, False,
                               None if psw is None else dg.tensor(psw), False, pad)
        want = torch.embedding_bag(tw, torch.tensor(IDX), torch.tensor(OFF), False, mode, False,
                                   None if psw is None else torch.tensor(psw), False, pad)
        for k, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12,
                                       err_msg=f"mode {mode} pad {pad} output {k}")


def test_embedding_bag_bad_input():
    w = dg.randn(6, 3)
    with pytest.raises(ValueError, match="embedding_bag: 1-D input needs offsets"):
        ops.embedding_bag(IDX, w)
    with pytest.raises(ValueError, match="embedding_bag: with 2-D input .* offsets must be None"):
        ops.embedding_bag(IDX[:8].reshape(2, 4), w, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"embedding_bag: offsets must start at 0, never decrease "
                                         r"and stay <= the input length 9, received \[1, 3\]"):
        ops.embedding_bag(IDX, w, np.array([1, 3]))
    with pytest.raises(ValueError, match="offsets must start at 0, never decrease"):
        ops.embedding_bag(IDX, w, np.array([0, 3, 2]))
    with pytest.raises(ValueError, match="per_sample_weights is only supported for mode='sum'"):
        ops.embedding_bag(IDX, w, OFF, mode="max", per_sample_weights=dg.ones(9))
    with pytest.raises(ValueError, match=r"per_sample_weights must have the input's shape \(9,\)"):
        ops.embedding_bag(IDX, w, OFF, mode="sum", per_sample_weights=dg.ones(8))
    with pytest.raises(ValueError, match="mode='max' does not support scale_grad_by_freq"):
        ops.embedding_bag(IDX, w, OFF, mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="embedding_bag: mode must be one of"):
        ops.embedding_bag(IDX, w, OFF, mode="min")
    with pytest.raises(ValueError, match="sparse tensors are out of scope"):
        ops.embedding_bag(IDX, w, OFF, sparse=True)
    with pytest.raises(IndexError, match="embedding_bag: index 6 is out of range"):
        ops.embedding_bag(np.array([6]), w, np.array([0]))
    with pytest.raises(ValueError, match="embedding: sparse=True"):
        embedding(IDX, w, sparse=True)
