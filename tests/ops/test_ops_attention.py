"""scaled_dot_product_attention (fused op) and multi_head_attention_forward."""
import math

import numpy as np
import pytest
from op_harness import check_op

import deepgrad as dg
import deepgrad.nn.functional as F
from deepgrad import ops


def _ref_sdpa(q, k, v, mask=None, bool_mask=None, causal=False, scale=None):
    """NumPy softmax(q k^T * scale + mask) v; rows with no allowed key give zeros."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    a = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        a = a + mask
    if bool_mask is not None:
        a = np.where(bool_mask, a, -np.inf)
    if causal:
        a = np.where(np.tri(*a.shape[-2:], dtype=bool), a, -np.inf)
    m = np.max(a, axis=-1, keepdims=True)
    e = np.exp(a - np.where(np.isneginf(m), 0, m))
    s = e.sum(-1, keepdims=True)
    p = np.divide(e, s, out=np.zeros_like(e), where=s > 0)
    return np.matmul(p, v)


def _torch_sdpa(**kw):
    def f(q, k, v, *mask):
        import torch.nn.functional as TF
        return TF.scaled_dot_product_attention(q, k, v, *mask, **kw)
    return f


SHAPES = [((3, 4), (5, 4), (5, 2)),                    # unbatched (L, E)
          ((2, 3, 4), (2, 5, 4), (2, 5, 6)),           # (N, L, E)
          ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)),  # (N, H, L, E)
          ((2, 1, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)),  # broadcast batch dims
          ((1, 1, 4), (1, 1, 4), (1, 1, 1))]           # L = S = 1


def test_sdpa_no_mask():
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), _ref_sdpa, SHAPES,
             torch_fn=_torch_sdpa())


def test_sdpa_float_mask_is_differentiated_and_broadcast():
    cases = [((2, 3, 4), (2, 5, 4), (2, 5, 6), (3, 5)),
             ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3), (2, 1, 3, 5)),
             ((3, 4), (5, 4), (5, 2), (1, 5))]
    check_op(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
             lambda q, k, v, m: _ref_sdpa(q, k, v, mask=m), cases, torch_fn=_torch_sdpa())


def test_sdpa_bool_mask_with_a_fully_masked_row_gives_zeros():
    mask = np.ones((3, 5), bool)
    mask[0, 1:] = False
    mask[1] = False                     # row 1 attends nothing: zeros, as torch
    cases = [((2, 3, 4), (2, 5, 4), (2, 5, 6)), ((3, 4), (5, 4), (5, 2))]
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=dg.tensor(mask)),
             lambda q, k, v: _ref_sdpa(q, k, v, bool_mask=mask), cases)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=s) for s in cases[0])
    out = F.scaled_dot_product_attention(dg.tensor(q), dg.tensor(k), dg.tensor(v),
                                         attn_mask=dg.tensor(mask))
    ref = torch.nn.functional.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-14)
    assert np.all(out.numpy()[:, 1] == 0)


def test_sdpa_causal_and_scale():
    cases = [((2, 4, 3), (2, 4, 3), (2, 4, 5)), ((2, 3, 4), (2, 5, 4), (2, 5, 2))]  # L != S too
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7),
             lambda q, k, v: _ref_sdpa(q, k, v, causal=True, scale=0.7), cases,
             torch_fn=_torch_sdpa(is_causal=True, scale=0.7))


def test_sdpa_grouped_query_attention():
    cases = [((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3))]
    check_op(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True),
             lambda q, k, v: _ref_sdpa(q, np.repeat(k, 2, axis=-3), np.repeat(v, 2, axis=-3)),
             cases, torch_fn=_torch_sdpa(enable_gqa=True))


def test_sdpa_dropout_keeps_expectation_and_is_consistent_with_its_gradient():
    dg.manual_seed(0)
    rng = np.random.default_rng(1)
    q, k = dg.tensor(rng.normal(size=(1, 4, 3))), dg.tensor(rng.normal(size=(1, 6, 3)))
    v = dg.tensor(np.ones((1, 6, 2)), requires_grad=True)
    outs = np.stack([F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy()
                     for _ in range(3000)])
    np.testing.assert_allclose(outs.mean(0), 1.0, atol=0.05)     # E[P'] rows sum to 1
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    out.sum().backward()
    # with v = 1, O = rowsum(P') and dL/dv[s] = sum_l P'[l, s]: both use the same mask
    np.testing.assert_allclose(v.grad.numpy().sum(), out.numpy().sum(), rtol=1e-12)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.numpy() == 0)


def test_sdpa_keeps_float32():
    q = dg.randn(2, 3, 4)
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=dg.zeros(3, 3, dtype=dg.float64))
    assert out.dtype == np.float32


def test_sdpa_bad_input_is_refused_with_clear_errors():
    q, k, v = dg.randn(2, 3, 4), dg.randn(2, 5, 4), dg.randn(2, 5, 6)
    with pytest.raises(RuntimeError, match="same feature size E"):
        F.scaled_dot_product_attention(q, dg.randn(2, 5, 3), v)
    with pytest.raises(RuntimeError, match="same sequence length S"):
        F.scaled_dot_product_attention(q, k, dg.randn(2, 4, 6))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\) cannot be broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=dg.ones(4, 5, dtype=dg.bool))
    with pytest.raises(RuntimeError, match="should not be set when is_causal=True"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=dg.zeros(3, 5), is_causal=True)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        F.scaled_dot_product_attention(q, k, v.double())
    with pytest.raises(RuntimeError, match="attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=dg.zeros(3, 5, dtype=dg.int64))
    with pytest.raises(RuntimeError, match="enable_gqa=True"):
        F.scaled_dot_product_attention(dg.randn(1, 3, 2, 4), dg.randn(1, 2, 2, 4),
                                       dg.randn(1, 2, 2, 4), enable_gqa=True)
    with pytest.raises(ValueError, match="dropout_p must be in"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(2, 3, 5\) cannot be broadcast "
                                           r"to the attention scores' shape \(1, 3, 5\)"):
        F.scaled_dot_product_attention(q[:1], k[:1], v, attn_mask=dg.zeros(2, 3, 5))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        F.scaled_dot_product_attention(dg.randn(3, 3, 4), k, v)


# ---------------------------------------------------------------------- multi-head attention
def _mha_args(rng, E=6, h=2, kdim=None, vdim=None, bias_kv=False):
    w = dict(in_proj_weight=rng.normal(size=(3 * E, E)) if kdim is None else None,
             in_proj_bias=rng.normal(size=3 * E),
             out_proj_weight=rng.normal(size=(E, E)), out_proj_bias=rng.normal(size=E),
             bias_k=rng.normal(size=(1, 1, E)) if bias_kv else None,
             bias_v=rng.normal(size=(1, 1, E)) if bias_kv else None)
    if kdim is not None:
        w.update(q_proj_weight=rng.normal(size=(E, E)), k_proj_weight=rng.normal(size=(E, kdim)),
                 v_proj_weight=rng.normal(size=(E, vdim)))
    return w


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("variant", ["plain", "separate", "bias_kv_zero_attn", "masks"])
def test_multi_head_attention_forward_matches_torch(variant, need_weights):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    rng = np.random.default_rng(0)
    E, h, L, S, N = 6, 2, 3, 4, 2
    kdim = vdim = None
    if variant == "separate":
        kdim, vdim = 5, 7
    w = _mha_args(rng, E, h, kdim, vdim, bias_kv=variant == "bias_kv_zero_attn")
    q = rng.normal(size=(L, N, E))
    k = rng.normal(size=(S, N, kdim or E))
    v = rng.normal(size=(S, N, vdim or E))
    kw = dict(add_zero_attn=variant == "bias_kv_zero_attn", dropout_p=0.0,
              need_weights=need_weights, use_separate_proj_weight=kdim is not None,
              average_attn_weights=False)
    if variant == "masks":
        kw["attn_mask"] = rng.normal(size=(L, S))
        kpm = np.zeros((N, S), bool)
        kpm[0, -1] = True
        kw["key_padding_mask"] = kpm

    def run(lib, conv):
        names = ["in_proj_weight", "in_proj_bias", "bias_k", "bias_v"]
        args = [conv(w[n]) for n in names]
        extra = {n: conv(w[n]) for n in ("q_proj_weight", "k_proj_weight", "v_proj_weight")
                 if n in w}
        tensors = [conv(q), conv(k), conv(v)] + [a for a in args if a is not None] + \
            [conv(w["out_proj_weight"]), conv(w["out_proj_bias"])] + list(extra.values())
        out, weights = lib(tensors[0], tensors[1], tensors[2], E, h, *args,
                           kw["add_zero_attn"], 0.0, conv(w["out_proj_weight"]),
                           conv(w["out_proj_bias"]), training=True,
                           key_padding_mask=None if "key_padding_mask" not in kw
                           else conv(kw["key_padding_mask"]),
                           need_weights=need_weights,
                           attn_mask=None if "attn_mask" not in kw else conv(kw["attn_mask"]),
                           use_separate_proj_weight=kw["use_separate_proj_weight"],
                           average_attn_weights=False, **extra)
        return out, weights, tensors

    out, weights, ours = run(F.multi_head_attention_forward,
                             lambda a: None if a is None else dg.tensor(a, requires_grad=a.dtype
                                                                       != bool))
    tout, tweights, theirs = run(TF.multi_head_attention_forward,
                                 lambda a: None if a is None else torch.tensor(
                                     a, requires_grad=a.dtype != bool))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    if need_weights:
        np.testing.assert_allclose(weights.numpy(), tweights.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    else:
        assert weights is None and tweights is None
    g = rng.normal(size=out.shape)
    (out * dg.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_multi_head_attention_forward_gradcheck_and_errors():
    rng = np.random.default_rng(3)
    w = _mha_args(rng, 4, 2)
    x = dg.tensor(rng.normal(size=(3, 2, 4)), requires_grad=True)
    params = [dg.tensor(w[n], requires_grad=True) for n in
              ("in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias")]

    def f(x, wi, bi, wo, bo):
        return ops.multi_head_attention_forward(x, x, x, 4, 2, wi, bi, None, None, False, 0.0,
                                                wo, bo, need_weights=False)[0]
    assert dg.gradcheck(f, [x] + params, eps=1e-6, atol=1e-6, rtol=1e-4)
    with pytest.raises(RuntimeError, match="not divisible by num_heads"):
        F.multi_head_attention_forward(x, x, x, 4, 3, *params[:2], None, None, False, 0.0,
                                       *params[2:])
    with pytest.raises(RuntimeError, match="expecting embedding dimension of 5"):
        F.multi_head_attention_forward(x, x, x, 5, 1, *params[:2], None, None, False, 0.0,
                                       *params[2:])
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 4\), but should be \(3, 3\)"):
        F.multi_head_attention_forward(x, x, x, 4, 2, *params[:2], None, None, False, 0.0,
                                       *params[2:], attn_mask=dg.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"key_padding_mask of shape \(2, 3\)"):
        F.multi_head_attention_forward(x, x, x, 4, 2, *params[:2], None, None, False, 0.0,
                                       *params[2:], key_padding_mask=dg.zeros(3, 3))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        F.multi_head_attention_forward(x, x, x, 4, 2, *params[:2], None, None, False, 0.0,
                                       *params[2:], is_causal=True)
    assert ops.scaled_dot_product_attention is F.scaled_dot_product_attention
