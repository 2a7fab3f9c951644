"""Keras 3's attention layers: Attention (Luong), AdditiveAttention (Bahdanau),
MultiHeadAttention and GroupQueryAttention, on (batch, steps, features) inputs.

    Attention:          scores = s * q k^T          ("dot"; s = 1 or a learned scale)
                        scores = c * sum(tanh(s (q_i + k_j)))      ("concat"; c learned)
    AdditiveAttention:  scores = sum(w * tanh(q_i + k_j))          (w learned if use_scale)
    then                weights = softmax(scores) over the keys (masked keys get -1e9),
                        output = dropout(weights) v   (times the query mask)

    MultiHeadAttention: per head h: Q_h = x_q W_q[h] + b, K_h, V_h likewise,
                        A_h = softmax(Q_h K_h^T / sqrt(key_dim) + mask), O_h = A_h V_h,
                        output = sum_h O_h W_o[h] + b_o (the projections are EinsumDense)
    GroupQueryAttention: as MultiHeadAttention with ``num_key_value_heads`` key/value heads
                        shared by groups of ``num_query_heads / num_key_value_heads`` query
                        heads; the scale is 1 / sqrt(head_dim)

Masks: a key/value mask (batch, Tk), a query mask (batch, Tq), an ``attention_mask``
(batch, Tq, Tk) and ``use_causal_mask`` (query i sees keys j <= i) combine by "and". Every
formula is a composition of engine ops (einsum, tanh, softmax), so gradients come free.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import constraints, initializers, regularizers
from deepgrad.keras.layers.activation_layers import Softmax
from deepgrad.keras.layers.core import Dropout
from deepgrad.keras.layers.core_extra import EinsumDense
from deepgrad.keras.layers.layer import Layer


def _bool(mask):
    if mask is None:
        return None
    m = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    return m if m.dtype == np.bool_ else m > 0.5


def _causal(tq, tk):
    """Query i may attend to keys j <= i."""
    return np.tril(np.ones((tq, tk), bool))


class _BaseAttention(Layer):
    """Shared body of Attention and AdditiveAttention: masks, softmax, dropout."""

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout, self.seed = dropout, seed
        self.supports_masking = True
        self.dropout_layer = Dropout(dropout, seed=seed, dtype=self.dtype) \
            if dropout > 0 else None

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"{type(self).__name__} layer must be called on a list of inputs, "
                             f"namely [query, value] or [query, value, key]. Received: "
                             f"inputs={inputs!r}.")
        return inputs[0], inputs[1], inputs[2] if len(inputs) == 3 else inputs[1]

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        q, v, k = self._check_inputs(inputs)
        q_mask, v_mask = (None, None) if mask is None else (_bool(mask[0]), _bool(mask[1]))
        scores = self._scores(q, k)
        keep = None
        if v_mask is not None:
            keep = v_mask[:, None, :]
        if use_causal_mask:
            causal = _causal(scores.shape[1], scores.shape[2])[None]
            keep = causal if keep is None else keep & causal
        if keep is not None:
            scores = scores - Tensor(np.asarray(1e9 * ~np.broadcast_to(keep, scores.shape),
                                                scores.array.dtype))
        weights = ops.softmax(scores, -1)
        dropped = self.dropout_layer(weights, training=training) \
            if self.dropout_layer is not None else weights
        out = ops.matmul(dropped, v)
        if q_mask is not None:
            out = out * Tensor(q_mask[..., None].astype(out.array.dtype))
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return None if mask is None or mask[0] is None else Tensor(_bool(mask[0]))

    def compute_output_shape(self, input_shape):
        q, v = input_shape[0], input_shape[1]
        return tuple(q[:-1]) + (v[-1],)

    def get_config(self):
        return {**super().get_config(), "dropout": self.dropout, "seed": self.seed}


class Attention(_BaseAttention):
    """Dot-product (Luong-style) attention: ``call([query, value(, key)])``.

    Args:
        use_scale (bool): learn a scalar multiplying the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout (float): on the attention weights, in training.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")
        super().__init__(dropout, seed, **kwargs)
        self.use_scale, self.score_mode = use_scale, score_mode

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), name="scale", initializer="ones") \
            if self.use_scale else None
        self.concat_score_weight = self.add_weight(
            shape=(), name="concat_score_weight", initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = ops.matmul(q, ops.transpose(k, -2, -1))
            return scores * self.scale if self.scale is not None else scores
        pairs = ops.unsqueeze(q, -2) + ops.unsqueeze(k, -3)
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(ops.tanh(pairs), -1) * self.concat_score_weight

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode}


class AdditiveAttention(_BaseAttention):
    """Additive (Bahdanau-style) attention: scores ``sum(w tanh(q_i + k_j))``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(dropout, **kwargs)
        self.use_scale = use_scale

    def build(self, input_shape):
        dim = input_shape[1][-1]
        self.scale = self.add_weight(shape=(dim,), name="scale",
                                     initializer="glorot_uniform") if self.use_scale else None
        self.built = True

    def _scores(self, q, k):
        t = ops.tanh(ops.unsqueeze(q, -2) + ops.unsqueeze(k, -3))
        return ops.sum(t * self.scale if self.scale is not None else t, -1)

    def get_config(self):
        config = super().get_config()
        config.pop("seed", None)
        return {**config, "use_scale": self.use_scale}


def _dense_args(layer):
    return dict(kernel_initializer=initializers.get(layer.kernel_initializer_config),
                bias_initializer=initializers.get(layer.bias_initializer_config),
                kernel_regularizer=layer.kernel_regularizer,
                bias_regularizer=layer.bias_regularizer,
                kernel_constraint=layer.kernel_constraint, bias_constraint=layer.bias_constraint,
                dtype=layer.dtype)


class _ProjectedAttention(Layer):
    """Shared parts of MultiHeadAttention and GroupQueryAttention."""

    def _store(self, dropout, use_bias, kernel_initializer, bias_initializer,
               kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
               bias_constraint, seed):
        self.dropout, self.use_bias, self.seed = dropout, use_bias, seed
        self.kernel_initializer_config = initializers.serialize(
            initializers.get(kernel_initializer))
        self.bias_initializer_config = initializers.serialize(
            initializers.get(bias_initializer))
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout_layer = Dropout(dropout, seed=seed, dtype=self.dtype)
        self.supports_masking = True

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None and isinstance(query, (list, tuple)) and len(query) in (2, 3):
            query, value, key = (list(query) + [None])[:3]     # a functional graph's replay
        if value is None:
            raise ValueError(f"{type(self).__name__} needs `value` (self-attention: pass the "
                             f"same tensor as query and value)")
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape),
                       None if key is None else tuple(key.shape))
        return Layer.__call__(self, [query, value, key if key is not None else value],
                              **kwargs)

    def _mask(self, q, v, k, query_mask, value_mask, key_mask, attention_mask, causal):
        """(batch, Tq, Tk) bool of the allowed pairs, or None."""
        keep = None
        if query_mask is not None:
            keep = _bool(query_mask)[:, :, None]
        for m in (value_mask, key_mask):
            if m is not None:
                m = _bool(m)[:, None, :]
                keep = m if keep is None else keep & m
        if attention_mask is not None:
            m = _bool(attention_mask)
            keep = m if keep is None else keep & m
        if causal:
            m = _causal(q.shape[1], v.shape[1])[None]
            keep = m if keep is None else keep & m
        return keep

    def _common_config(self):
        return {"dropout": self.dropout, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer_config,
                "bias_initializer": self.bias_initializer_config,
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed}


class MultiHeadAttention(_ProjectedAttention):
    """Multi-head attention (Vaswani et al., 2017) with Keras 3's weights and arguments.

    ``call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; inputs are (batch, steps, features) (``attention_axes`` other
    than the default is refused).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        if attention_axes is not None:
            raise NotImplementedError("MultiHeadAttention: only attention_axes=None (attend "
                                      "over the steps of 3-D inputs) is supported")
        if flash_attention:
            raise NotImplementedError("MultiHeadAttention: flash_attention needs a GPU kernel; "
                                      "deepgrad runs the plain formula")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.output_shape_arg = output_shape
        self._store(dropout, use_bias, kernel_initializer, bias_initializer,
                    kernel_regularizer, bias_regularizer, activity_regularizer,
                    kernel_constraint, bias_constraint, seed)
        self.softmax = Softmax(axis=-1, dtype=self.dtype)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = value_shape or query_shape
        bias = "de" if self.use_bias else None
        args = _dense_args(self)
        self.query_dense = EinsumDense("abc,cde->abde", (None, self.num_heads, self.key_dim),
                                       bias_axes=bias, name="query", **args)
        self.query_dense.build(query_shape)
        self.key_dense = EinsumDense("abc,cde->abde", (None, self.num_heads, self.key_dim),
                                     bias_axes=bias, name="key", **args)
        self.key_dense.build(key_shape or value_shape)
        self.value_dense = EinsumDense("abc,cde->abde", (None, self.num_heads, self.value_dim),
                                       bias_axes=bias, name="value", **args)
        self.value_dense.build(value_shape)
        out = self.output_shape_arg or query_shape[-1]
        out = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        self.output_dense = EinsumDense("abcd,cde->abe", (None,) + out,
                                        bias_axes="e" if self.use_bias else None,
                                        name="attention_output", **args)
        self.output_dense.build((query_shape[0], query_shape[1], self.num_heads,
                                 self.value_dim))
        self.built = True

    def call(self, inputs, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        q_in, v_in, k_in = inputs
        if q_in.ndim != 3:
            raise ValueError(f"MultiHeadAttention expects (batch, steps, features) inputs; "
                             f"received query of shape {tuple(q_in.shape)}")
        q = self.query_dense(q_in) * (1.0 / np.sqrt(self.key_dim))
        k, v = self.key_dense(k_in), self.value_dense(v_in)
        scores = ops.einsum("aecd,abcd->acbe", k, q)          # (batch, heads, Tq, Tk)
        keep = self._mask(q_in, v_in, k_in, query_mask, value_mask, key_mask, attention_mask,
                          use_causal_mask)
        weights = self.softmax(scores, mask=None if keep is None else keep[:, None])
        dropped = self.dropout_layer(weights, training=training)
        out = self.output_dense(ops.einsum("acbe,aecd->abcd", dropped, v))
        return (out, weights) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list) and query_shape and isinstance(query_shape[0],
                                                                          (tuple, list)):
            query_shape = query_shape[0]
        out = self.output_shape_arg or query_shape[-1]
        out = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        return tuple(query_shape[:-1]) + out

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "output_shape": self.output_shape_arg,
                "attention_axes": None, **self._common_config()}


class GroupQueryAttention(_ProjectedAttention):
    """Grouped-query attention (Ainslie et al., 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads. ``call(query, value, key=None, query_mask=None,
    value_mask=None, key_mask=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``."""

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        if num_query_heads % num_key_value_heads:
            raise ValueError(f"`num_query_heads` must be divisible by `num_key_value_heads`. "
                             f"Received: num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        if flash_attention:
            raise NotImplementedError("GroupQueryAttention: flash_attention needs a GPU kernel")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self._store(dropout, use_bias, kernel_initializer, bias_initializer,
                    kernel_regularizer, bias_regularizer, activity_regularizer,
                    kernel_constraint, bias_constraint, seed)
        self.softmax = Softmax(axis=-1, dtype=self.dtype)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = value_shape or query_shape
        args = _dense_args(self)
        bias = "uh" if self.use_bias else None
        self.query_dense = EinsumDense("bqm,muh->bquh",
                                       (None, self.num_query_heads, self.head_dim),
                                       bias_axes=bias, name="query", **args)
        self.query_dense.build(query_shape)
        bias = "vh" if self.use_bias else None
        self.key_dense = EinsumDense("bkm,mvh->bkvh",
                                     (None, self.num_key_value_heads, self.head_dim),
                                     bias_axes=bias, name="key", **args)
        self.key_dense.build(key_shape or value_shape)
        self.value_dense = EinsumDense("bkm,mvh->bkvh",
                                       (None, self.num_key_value_heads, self.head_dim),
                                       bias_axes=bias, name="value", **args)
        self.value_dense.build(value_shape)
        self.output_dense = EinsumDense("bquh,uhm->bqm", (None, query_shape[-1]),
                                        bias_axes="m" if self.use_bias else None,
                                        name="attention_output", **args)
        self.output_dense.build((query_shape[0], query_shape[1], self.num_query_heads,
                                 self.head_dim))
        self.built = True

    def call(self, inputs, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        q_in, v_in, k_in = inputs
        q = self.query_dense(q_in)
        k = ops.repeat_interleave(self.key_dense(k_in), self.num_repeats, dim=2)
        v = ops.repeat_interleave(self.value_dense(v_in), self.num_repeats, dim=2)
        scores = ops.einsum("bquh,bkuh->buqk", q, k) * (1.0 / np.sqrt(self.head_dim))
        keep = self._mask(q_in, v_in, k_in, query_mask, value_mask, key_mask, attention_mask,
                          use_causal_mask)
        weights = self.softmax(scores, mask=None if keep is None else keep[:, None])
        dropped = self.dropout_layer(weights, training=training)
        out = self.output_dense(ops.einsum("buqk,bkuh->bquh", dropped, v))
        return (out, weights) if return_attention_scores else out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list) and query_shape and isinstance(query_shape[0],
                                                                          (tuple, list)):
            query_shape = query_shape[0]
        return tuple(query_shape)

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, **self._common_config()}
