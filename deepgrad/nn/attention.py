"""``MultiheadAttention`` (PyTorch's ``nn.MultiheadAttention``): the parameters, their
initialisation and the layout handling around :func:`deepgrad.ops.attention.
multi_head_attention_forward`, where the math lives."""
import numpy as np

from deepgrad import backend, ops
from deepgrad.autograd.function import to_tensor
from deepgrad.nn import init
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.nn.parameter import Parameter
from deepgrad.ops.attention import multi_head_attention_forward


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's ``out_proj``."""


class MultiheadAttention(Module):
    r"""Multi-head attention: ``concat(head_1, ..., head_h) W_o^T + b_o`` with
    ``head_i = softmax(Q_i K_i^T / sqrt(d) + M) V_i`` (formulas in
    :func:`deepgrad.ops.attention.multi_head_attention_forward`).

    Args:
        embed_dim (int): E, the model's width (query features and output features).
        num_heads (int): h; E must be divisible by h (head size d = E / h).
        dropout (float): dropout on the attention weights, in training.
        bias (bool): learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv (bool): learn ``bias_k``/``bias_v`` (1, 1, E), one extra key/value.
        add_zero_attn (bool): append a zero key/value position.
        kdim, vdim (int): key/value features (default E); when either differs from E the
            projections are ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` instead
            of the packed ``in_proj_weight`` (3E, E).
        batch_first (bool): inputs and output are (N, L, E) instead of (L, N, E).
        dtype: parameter dtype.
    Init (PyTorch's): Xavier-uniform projections, zero biases, Xavier-normal bias_k/v.

    Example:
        >>> mha = nn.MultiheadAttention(64, 8, batch_first=True)
        >>> x = deepgrad.randn(2, 10, 64)
        >>> out, weights = mha(x, x, x)             # (2, 10, 64), (2, 10, 10)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be ints "
                                 f"greater than 0, got {name}={value!r}")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim must be divisible by num_heads, received "
                                 f"embed_dim={embed_dim}, num_heads={num_heads}")
        if isinstance(dropout, bool) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1], received "
                             f"{dropout!r}")
        super().__init__()
        dtype = backend.default_float if dtype is None else np.dtype(dtype)
        self.embed_dim = int(embed_dim)
        self.kdim = int(kdim) if kdim is not None else self.embed_dim
        self.vdim = int(vdim) if vdim is not None else self.embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = int(num_heads), dropout, batch_first
        self.head_dim = self.embed_dim // self.num_heads
        E = self.embed_dim
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(np.empty((E, E), dtype))
            self.k_proj_weight = Parameter(np.empty((E, self.kdim), dtype))
            self.v_proj_weight = Parameter(np.empty((E, self.vdim), dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(np.empty((3 * E, E), dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = Parameter(np.empty(3 * E, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(np.empty((1, 1, E), dtype))
            self.bias_v = Parameter(np.empty((1, 1, E), dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def __setstate__(self, state):
        state.setdefault("_qkv_same_embed_dim", True)
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            query (L, N, E) ((N, L, E) with batch_first, (L, E) unbatched); key (S, N,
                kdim); value (S, N, vdim).
            key_padding_mask (N, S) or (S,): bool (True = ignore that key) or float (added).
            need_weights (bool): also return the attention weights (False takes the fused
                scaled-dot-product path).
            attn_mask (L, S) or (N * num_heads, L, S): bool (True = may not attend) or float.
            average_attn_weights (bool): average the weights over the heads.
            is_causal (bool): hint that ``attn_mask`` is the causal mask.
        Returns:
            (attn_output like query, attn_weights (N, L, S) / (N, h, L, S) or None).
        """
        query, key, value = to_tensor(query), to_tensor(key), to_tensor(value)
        batched = query.ndim == 3
        if self.batch_first and batched:
            same_kv = key is value
            if query is key and same_kv:
                query = key = value = ops.transpose(query, 0, 1)
            else:
                query, key = ops.transpose(query, 0, 1), ops.transpose(key, 0, 1)
                value = key if same_kv else ops.transpose(value, 0, 1)
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and batched:
            out = ops.transpose(out, 0, 1)
        return out, weights
