"""MultiheadAttention and the Transformer modules against PyTorch (float64, dropout 0):
state_dict keys and init, outputs and gradients with every kind of mask, both layouts."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def _torch():
    return pytest.importorskip("torch")


def _copy_from_torch(ours, theirs):
    torch = _torch()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return torch


def _assert_grads_match(ours, theirs, rtol=1e-9, atol=1e-11):
    tgrads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        tg = tgrads[name].grad
        assert (p.grad is None) == (tg is None), name
        if tg is not None:
            np.testing.assert_allclose(p.grad.numpy(), tg.numpy(), rtol=rtol, atol=atol,
                                       err_msg=name)


def _run_pair(ours, theirs, make_args, rng):
    """Call both modules on the same float64 inputs; backward of sum(out * w); compare."""
    torch = _torch()
    arrays = make_args(rng)
    dg_args = {k: (dg.tensor(v, requires_grad=v.dtype == np.float64)
                   if isinstance(v, np.ndarray) else v) for k, v in arrays.items()}
    t_args = {k: (torch.tensor(v, requires_grad=v.dtype == np.float64)
                  if isinstance(v, np.ndarray) else v) for k, v in arrays.items()}
    out, tout = ours(**dg_args), theirs(**t_args)
    out0, tout0 = (out[0], tout[0]) if isinstance(out, tuple) else (out, tout)
    np.testing.assert_allclose(out0.numpy(), tout0.detach().numpy(), rtol=1e-10, atol=1e-12)
    if isinstance(out, tuple) and out[1] is not None:
        np.testing.assert_allclose(out[1].numpy(), tout[1].detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    w = rng.normal(size=out0.shape)
    (out0 * dg.tensor(w)).sum().backward()
    (tout0 * torch.tensor(w)).sum().backward()
    _assert_grads_match(ours, theirs)
    for k, v in dg_args.items():
        if isinstance(v, dg.Tensor) and v.requires_grad and t_args[k].grad is not None:
            np.testing.assert_allclose(v.grad.numpy(), t_args[k].grad.numpy(), rtol=1e-9,
                                       atol=1e-11, err_msg=k)
    return out


# ---------------------------------------------------------------------- MultiheadAttention
@pytest.mark.parametrize("kwargs", [{}, {"kdim": 3, "vdim": 5}, {"bias": False},
                                    {"add_bias_kv": True, "add_zero_attn": True}])
def test_mha_state_dict_init_and_repr_match_torch(kwargs):
    torch = _torch()
    ours, theirs = nn.MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2,
                                                                                      **kwargs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
    assert repr(ours) == repr(theirs)
    if ours.in_proj_bias is not None:
        assert np.all(ours.in_proj_bias.numpy() == 0) and np.all(ours.out_proj.bias.numpy() == 0)
    w = ours.in_proj_weight if ours.in_proj_weight is not None else ours.k_proj_weight
    bound = np.sqrt(6.0 / sum(w.shape))          # Xavier-uniform
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.5 * bound


def _mha_inputs(batch_first, L=3, S=4, N=2, E=8, kdim=8, vdim=8, self_attn=False, **masks):
    def make(rng):
        def seq(n, d):
            return rng.normal(size=(N, n, d) if batch_first else (n, N, d))
        q = seq(L, E)
        args = dict(query=q, key=q if self_attn else seq(S, kdim),
                    value=q if self_attn else seq(S, vdim))
        args.update(masks)
        return args
    return make


MASKS = {
    "none": {},
    "bool_attn": {"attn_mask": np.triu(np.ones((3, 4), bool), 1)},
    "float_attn": {"attn_mask": np.random.default_rng(5).normal(size=(3, 4))},
    "3d_attn": {"attn_mask": np.random.default_rng(6).normal(size=(4, 3, 4))},
    "bool_padding": {"key_padding_mask": np.array([[False] * 3 + [True], [False] * 4])},
    "float_padding": {"key_padding_mask": np.random.default_rng(7).normal(size=(2, 4))},
    "both": {"attn_mask": np.triu(np.full((3, 4), -np.inf), 1),
             "key_padding_mask": np.array([[0.0] * 3 + [-np.inf], [0.0] * 4])},
}


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_forward_and_gradients_match_torch(batch_first, mask, need_weights):
    torch = _torch()
    ours = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    _copy_from_torch(ours, theirs)
    make = _mha_inputs(batch_first, **MASKS[mask])

    def with_flags(rng):
        return {**make(rng), "need_weights": need_weights}
    _run_pair(ours, theirs, with_flags, np.random.default_rng(0))


@pytest.mark.parametrize("kwargs", [{"kdim": 3, "vdim": 5}, {"add_bias_kv": True},
                                    {"add_zero_attn": True, "bias": False}])
def test_mha_variants_match_torch(kwargs):
    torch = _torch()
    ours = nn.MultiheadAttention(8, 4, **kwargs).double()
    theirs = torch.nn.MultiheadAttention(8, 4, **kwargs).double()
    _copy_from_torch(ours, theirs)
    make = _mha_inputs(False, kdim=kwargs.get("kdim", 8), vdim=kwargs.get("vdim", 8))

    def flags(rng):
        return {**make(rng), "average_attn_weights": False}
    _run_pair(ours, theirs, flags, np.random.default_rng(1))


def test_mha_self_attention_unbatched_and_causal():
    torch = _torch()
    ours, theirs = nn.MultiheadAttention(8, 2).double(), torch.nn.MultiheadAttention(8, 2).double()
    _copy_from_torch(ours, theirs)
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=dg.float64).numpy()

    def make(rng):
        x = rng.normal(size=(3, 8))
        return dict(query=x, key=x, value=x, attn_mask=causal, is_causal=True,
                    need_weights=False)
    out = _run_pair(ours, theirs, make, np.random.default_rng(2))
    assert out[0].shape == (3, 8)


def test_mha_bad_input():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        nn.MultiheadAttention(0, 1)
    mha = nn.MultiheadAttention(4, 2)
    x = dg.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(2, 2\), but should be \(3, 3\)"):
        mha(x, x, x, attn_mask=dg.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"3D attn_mask is \(2, 3, 3\), but should be "
                                           r"\(4, 3, 3\)"):
        mha(x, x, x, attn_mask=dg.zeros(2, 3, 3))
    with pytest.raises(RuntimeError, match="expected key to be 3-D"):
        mha(x, dg.randn(3, 4), x)
    with pytest.raises(RuntimeError, match="only bool and floating types of attn_mask"):
        mha(x, x, x, attn_mask=dg.zeros(3, 3, dtype=dg.int64))


def test_mha_dropout_only_in_training():
    mha = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = dg.randn(3, 2, 4)
    mha.eval()
    a, b = mha(x, x, x)[0].numpy(), mha(x, x, x)[0].numpy()
    np.testing.assert_array_equal(a, b)
    mha.train()
    assert not np.allclose(mha(x, x, x)[0].numpy(), mha(x, x, x)[0].numpy())


# ---------------------------------------------------------------------- Transformer layers
LAYER_CONFIGS = [
    dict(),
    dict(norm_first=True),
    dict(batch_first=True, activation="gelu"),
    dict(bias=False, layer_norm_eps=1e-3),
]




@pytest.mark.parametrize("config", LAYER_CONFIGS)
def test_encoder_layer_matches_torch(config):
    torch = _torch()
    ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **config).double()
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **config).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_from_torch(ours, theirs)
    bf = config.get("batch_first", False)
    pad = np.array([[False] * 4 + [True], [False] * 5])

    def make(rng):
        return dict(src=rng.normal(size=(2, 5, 8) if bf else (5, 2, 8)),
                    src_mask=np.triu(np.full((5, 5), -np.inf), 1), src_key_padding_mask=pad)
    _run_pair(ours, theirs, make, np.random.default_rng(0))


def test_encoder_layer_callable_activations():
    torch = _torch()
    for ours_act, their_act in ((dg.nn.functional.gelu, torch.nn.functional.gelu),
                                (nn.Tanh(), torch.nn.Tanh())):
        ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=ours_act).double()
        theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                  activation=their_act).double()
        assert list(ours.state_dict()) == list(theirs.state_dict())
        _copy_from_torch(ours, theirs)
        _run_pair(ours, theirs, lambda rng: dict(src=rng.normal(size=(4, 3, 8))),
                  np.random.default_rng(3))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


@pytest.mark.parametrize("config", LAYER_CONFIGS)
def test_decoder_layer_matches_torch(config):
    torch = _torch()
    ours = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **config).double()
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **config).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_from_torch(ours, theirs)
    bf = config.get("batch_first", False)

    def make(rng):
        return dict(tgt=rng.normal(size=(2, 4, 8) if bf else (4, 2, 8)),
                    memory=rng.normal(size=(2, 6, 8) if bf else (6, 2, 8)),
                    tgt_mask=np.triu(np.full((4, 4), -np.inf), 1),
                    memory_mask=rng.normal(size=(4, 6)),
                    tgt_key_padding_mask=np.array([[False] * 3 + [True], [False] * 4]),
                    memory_key_padding_mask=np.array([[False] * 6, [False] * 5 + [True]]))
    _run_pair(ours, theirs, make, np.random.default_rng(1))


def test_encoder_and_decoder_stacks_match_torch():
    torch = _torch()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 3,
                                 norm=nn.LayerNorm(8), enable_nested_tensor=False).double()
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
                                         3, norm=torch.nn.LayerNorm(8),
                                         enable_nested_tensor=False).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.layers[0].linear1.weight is not ours.layers[1].linear1.weight   # deep copies
    _copy_from_torch(ours, theirs)
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    _run_pair(ours, theirs, lambda rng: dict(src=rng.normal(size=(5, 2, 8)), mask=causal),
              np.random.default_rng(2))
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2).double()
    tdec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0),
                                       2).double()
    _copy_from_torch(dec, tdec)
    _run_pair(dec, tdec, lambda rng: dict(tgt=rng.normal(size=(4, 2, 8)),
                                          memory=rng.normal(size=(5, 2, 8))),
              np.random.default_rng(3))


def test_is_causal_detection():
    from deepgrad.nn.transformer import _detect_is_causal_mask
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal) is True
    assert _detect_is_causal_mask(dg.zeros(4, 4)) is False
    assert _detect_is_causal_mask(None, True) is True
    assert _detect_is_causal_mask(causal, False) is False


def test_transformer_matches_torch_and_mask_helper():
    torch = _torch()
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
              dim_feedforward=16, dropout=0.0, batch_first=True)
    ours, theirs = nn.Transformer(**kw).double(), torch.nn.Transformer(**kw).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    w = ours.encoder.layers[0].linear1.weight.numpy()
    assert np.abs(w).max() <= np.sqrt(6.0 / sum(w.shape))        # Xavier-uniform everywhere
    _copy_from_torch(ours, theirs)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(mask.numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert mask.dtype == np.float32
    tgt_mask = np.triu(np.full((4, 4), -np.inf), 1)

    def make(rng):
        return dict(src=rng.normal(size=(2, 5, 8)), tgt=rng.normal(size=(2, 4, 8)),
                    tgt_mask=tgt_mask,
                    src_key_padding_mask=np.array([[False] * 5, [False] * 4 + [True]]))
    _run_pair(ours, theirs, make, np.random.default_rng(4))


def test_transformer_custom_parts_and_errors():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1)
    model = nn.Transformer(d_model=8, nhead=2, custom_encoder=enc, num_decoder_layers=1,
                           dim_feedforward=16)
    assert model.encoder is enc
    with pytest.raises(RuntimeError, match="batch number of src and tgt must be equal"):
        model(dg.randn(5, 2, 8), dg.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="must be equal to d_model"):
        model(dg.randn(5, 2, 8), dg.randn(4, 2, 6))
    with pytest.raises(AssertionError, match="divisible"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(ValueError, match="num_layers must be an int >= 1"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0)


def test_transformer_trains_in_float32():
    dg.manual_seed(0)
    model = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
    head = nn.Linear(8, 1)
    opt = dg.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=1e-2)
    x = dg.randn(16, 5, 8)
    y = x.sum(dim=(1, 2)).reshape(16, 1) * 0.1
    losses = []
    for _ in range(30):
        loss = ((head(model(x).mean(dim=1)) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert model(x).dtype == np.float32
