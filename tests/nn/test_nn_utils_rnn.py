"""nn.utils.rnn (pad/pack/unpack of variable-length sequences) and RNN/LSTM/GRU on
PackedSequence input, against PyTorch."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.utils import rnn as R

LENGTHS = [5, 2, 4, 1, 3]


def _seqs(rng, lengths=LENGTHS, feat=3):
    return [rng.normal(size=(n, feat)) for n in lengths]


def test_pad_sequence_options():
    rng = np.random.default_rng(0)
    seqs = _seqs(rng)
    out = R.pad_sequence([dg.tensor(s) for s in seqs])
    assert out.shape == (5, 5, 3)
    np.testing.assert_array_equal(out.numpy()[:2, 1], seqs[1])
    assert np.all(out.numpy()[2:, 1] == 0)
    left = R.pad_sequence([dg.tensor(s) for s in seqs], batch_first=True, padding_value=-1.0,
                          padding_side="left")
    assert left.shape == (5, 5, 3)
    np.testing.assert_array_equal(left.numpy()[1, 3:], seqs[1])
    assert np.all(left.numpy()[1, :3] == -1)
    torch = pytest.importorskip("torch")
    for kw in ({}, {"batch_first": True, "padding_value": 2.5},
               {"padding_side": "left", "batch_first": True}):
        ref = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        np.testing.assert_array_equal(R.pad_sequence([dg.tensor(s) for s in seqs], **kw).numpy(),
                                      ref.numpy())


def test_pad_sequence_errors():
    with pytest.raises(RuntimeError, match="sequence 1 has shape"):
        R.pad_sequence([dg.zeros(2, 3), dg.zeros(2, 4)])
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right'"):
        R.pad_sequence([dg.zeros(2, 3)], padding_side="middle")
    with pytest.raises(RuntimeError, match="Expected iterable"):
        R.pad_sequence(3)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_packed_match_torch(batch_first, enforce_sorted):
    torch = pytest.importorskip("torch")
    TR = torch.nn.utils.rnn
    rng = np.random.default_rng(1)
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    padded = rng.normal(size=(5, 5, 3))
    if batch_first:
        padded = padded.transpose(1, 0, 2).copy()
    ours = R.pack_padded_sequence(dg.tensor(padded), lengths, batch_first=batch_first,
                                  enforce_sorted=enforce_sorted)
    theirs = TR.pack_padded_sequence(torch.tensor(padded), torch.tensor(lengths),
                                     batch_first=batch_first, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.numpy())
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    assert ours.batch_sizes.dtype == np.int64
    for a, b in ((ours.sorted_indices, theirs.sorted_indices),
                 (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    for kw in ({}, {"total_length": 7, "padding_value": -3.0}):
        out, lens = R.pad_packed_sequence(ours, batch_first=batch_first, **kw)
        tout, tlens = TR.pad_packed_sequence(theirs, batch_first=batch_first, **kw)
        np.testing.assert_array_equal(out.numpy(), tout.numpy())
        np.testing.assert_array_equal(lens.numpy(), tlens.numpy())


def test_pack_errors_before_anything_is_built():
    x = dg.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when "
                                           "`enforce_sorted` is True"):
        R.pack_padded_sequence(x, [2, 3, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(x, [3, 2, 0])
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length T = 4"):
        R.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match="expected 3 lengths"):
        R.pack_padded_sequence(x, [3, 2])
    packed = R.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        R.pad_packed_sequence(packed, total_length=3)
    with pytest.raises(TypeError, match="expected a PackedSequence"):
        R.pad_packed_sequence(x)


def test_pack_sequence_unpack_unpad_round_trip_and_gradients():
    rng = np.random.default_rng(2)
    seqs = [dg.tensor(s, requires_grad=True) for s in _seqs(rng)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    assert isinstance(packed, R.PackedSequence) and packed.data.shape == (sum(LENGTHS), 3)
    back = R.unpack_sequence(packed)
    for a, b in zip(back, seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    w = [rng.normal(size=s.shape) for s in seqs]
    sum((b * dg.tensor(wi)).sum() for b, wi in zip(back, w)).backward()
    for s, wi in zip(seqs, w):
        np.testing.assert_allclose(s.grad.numpy(), wi)          # gather, then scatter back
    padded = R.pad_sequence(seqs)
    pieces = R.unpad_sequence(padded, dg.tensor(LENGTHS))
    assert [p.shape[0] for p in pieces] == LENGTHS and padded.shape == (5, 5, 3)
    with pytest.raises(RuntimeError, match="must be sorted"):
        R.pack_sequence(seqs)


def test_pack_gradcheck():
    lengths = [3, 1, 2]

    def f(x):
        packed = R.pack_padded_sequence(x, lengths, enforce_sorted=False)
        return R.pad_packed_sequence(packed, padding_value=1.0)[0] * 2.0
    x = dg.tensor(np.random.default_rng(3).normal(size=(3, 3, 2)), requires_grad=True)
    assert dg.gradcheck(f, [x])


def test_packed_sequence_object():
    p = R.pack_sequence([dg.ones(3, 2), dg.ones(1, 2)])
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert p.double().data.dtype == np.float64 and p.float().data.dtype == np.float32
    assert p.to(dg.float64).data.dtype == np.float64 and p.cpu() is p and not p.is_cuda
    legacy = R.PackedSequence((p.data, p.batch_sizes))
    assert legacy.batch_sizes is p.batch_sizes
    np.testing.assert_array_equal(R.invert_permutation(dg.tensor([2, 0, 1])).numpy(), [1, 2, 0])
    with pytest.raises(RuntimeError, match="cuda"):
        p.cuda()


# ---------------------------------------------------------------------- recurrent layers
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_input_match_torch(kind, bidirectional, with_hx):
    torch = pytest.importorskip("torch")
    TR = torch.nn.utils.rnn
    rng = np.random.default_rng(4)
    ours = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    theirs = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=bidirectional).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.normal(size=(5, 5, 3))
    xd, xt = dg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    n_states = 2 if kind == "LSTM" else 1
    hx = [rng.normal(size=(4 if bidirectional else 2, 5, 4)) for _ in range(n_states)]
    hd = [dg.tensor(h, requires_grad=True) for h in hx]
    ht = [torch.tensor(h, requires_grad=True) for h in hx]

    def call(module, pack, x, h):
        packed = pack(x, LENGTHS, enforce_sorted=False)
        state = None if not with_hx else (h[0] if n_states == 1 else tuple(h))
        return module(packed, state)
    out, hn = call(ours, R.pack_padded_sequence, xd, hd)
    tout, thn = call(theirs, TR.pack_padded_sequence, xt, ht)
    assert isinstance(out, R.PackedSequence)
    np.testing.assert_allclose(out.data.numpy(), tout.data.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    hn, thn = (hn, thn) if n_states == 2 else ((hn,), (thn,))
    for a, b in zip(hn, thn):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out.data.shape))
    loss = (out.data * dg.tensor(w)).sum() + sum((h * h).sum() for h in hn)
    tloss = (tout.data * torch.tensor(w)).sum() + sum((h * h).sum() for h in thn)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(xd.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    if with_hx:
        for a, b in zip(hd, ht):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


def test_packed_equal_lengths_match_the_unpacked_path_and_errors():
    lstm = nn.LSTM(3, 4, batch_first=True)
    x = dg.randn(2, 6, 3)
    out, (h, c) = lstm(x)
    pout, (ph, pc) = lstm(R.pack_padded_sequence(x, [6, 6], batch_first=True))
    padded, _ = R.pad_packed_sequence(pout, batch_first=True)
    np.testing.assert_allclose(padded.numpy(), out.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ph.numpy(), h.numpy(), rtol=1e-6)
    bad = R.pack_padded_sequence(dg.randn(6, 2, 5), [6, 6])
    with pytest.raises(RuntimeError, match=r"expected PackedSequence data of shape \(sum of "
                                           r"lengths, 3\)"):
        lstm(bad)
    with pytest.raises(RuntimeError, match="expected h_0 of shape"):
        lstm(R.pack_padded_sequence(x, [6, 6], batch_first=True), (dg.zeros(1, 3, 4),
                                                                    dg.zeros(1, 3, 4)))
