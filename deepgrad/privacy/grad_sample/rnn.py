r"""Per-sample gradients of ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` (every layer and direction),
by the closed forms of backpropagation through time. With z_t = W_ih x_t + b_ih + W_hh
h_{t-1} + b_hh the gate pre-activations of one layer and direction, and dz_t = dL/dz_t:

    dW_ih_n = sum_t dz_{t,n}^T x_{t,n}     dW_hh_n = sum_t dz_{t,n}^T h_{t-1,n}
    db_ih_n = db_hh_n = sum_t dz_{t,n}

(GRU: the candidate gate n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) has the hidden-side
gradient dn * r, so its W_hn and b_hn rows use dn_t * r_t, r_t recomputed from x_t and
h_{t-1}.)

The fused recurrent ops (:mod:`deepgrad.ops.rnn`) return dL/dx, not dz. The rule runs the
stack once more with every layer's input widened by G*H zero columns Z and W_ih by an
identity block: the outputs are unchanged (W_ih x + I 0 = W_ih x) and dL/dZ_t = dz_t I =
dz_t, read off with ``autograd.grad``. The cost is one more forward and backward of the
recurrent layers; the batch is never looped over.

Dropout between layers draws masks that cannot be replayed, so ``dropout > 0`` with
several layers in training is refused; so are PackedSequence inputs.
"""
import numpy as np

from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.gradients import grad as _autograd_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.nn.recurrent import GRU, LSTM, RNN
from deepgrad.ops import cat, stack
from deepgrad.ops import rnn as rnn_ops
from deepgrad.privacy.grad_sample.utils import register_grad_sampler

_GATES = {RNN: 1, LSTM: 4, GRU: 3}


def _layer_op(layer, x, states, weights, reverse):
    """One layer and direction through the fused op: (output, final states tuple)."""
    if isinstance(layer, LSTM):
        out, h, c = rnn_ops.lstm_layer(x, states[0], states[1], *weights, reverse=reverse)
        return out, (h, c)
    if isinstance(layer, GRU):
        out, h = rnn_ops.gru_layer(x, states[0], *weights, reverse=reverse)
        return out, (h,)
    out, h = rnn_ops.rnn_layer(x, states[0], *weights, nonlinearity=layer.nonlinearity,
                               reverse=reverse)
    return out, (h,)


def _rerun(layer, x, init_states):
    """The stack on x (T, B, I) with widened inputs; returns (outputs, per layer and
    direction (Z leaf, layer input, own output, h0, weights, reverse))."""
    D = 2 if layer.bidirectional else 1
    G = _GATES[type(layer)]
    records, finals = [], [[] for _ in init_states]
    for lyr in range(layer.num_layers):
        outs = []
        for d in range(D):
            k = lyr * D + d
            w = [p.array for p in layer.all_weights[k]]
            gh = G * layer.hidden_size
            z = Tensor(np.zeros(x.shape[:2] + (gh,), x.dtype), requires_grad=True)
            w_aug = np.concatenate([w[0], np.eye(gh, dtype=w[0].dtype)], axis=1)
            states = [Tensor(s[k]) for s in init_states]
            out, last = _layer_op(layer, cat([x, z], dim=2), states,
                                  [Tensor(w_aug)] + [Tensor(a) for a in w[1:]], d == 1)
            records.append((z, x.array, out.array, init_states[0][k], w, d == 1))
            outs.append(out)
            for acc, s in zip(finals, last):
                acc.append(s)
        x = outs[0] if D == 1 else cat(outs, dim=2)
    return [x] + [stack(f, 0) for f in finals], records


def _h_prev(out, h0, reverse):
    """h_{t-1} for every step t in processing order, laid out in the input's time order."""
    if reverse:
        return np.concatenate([out[1:], h0[None]], axis=0)
    return np.concatenate([h0[None], out[:-1]], axis=0)


def _sigmoid(a):
    return 0.5 * (1 + np.tanh(0.5 * a))


def _per_sample(layer, dz, x, out, h0, w, reverse):
    """{parameter: (B, *shape)} of one layer and direction from dz (T, B, G*H)."""
    h_prev = _h_prev(out, h0, reverse)
    ein = "tbg,tbi->bgi"
    g_ih, g_hh = np.einsum(ein, dz, x), None
    dz_hh = dz
    if isinstance(layer, GRU):              # the n rows of W_hh, b_hh see dn * r
        H = layer.hidden_size
        pre_r = x @ w[0][:H].T + h_prev @ w[1][:H].T
        if len(w) == 4:
            pre_r = pre_r + w[2][:H] + w[3][:H]
        dz_hh = dz.copy()
        dz_hh[..., 2 * H:] *= _sigmoid(pre_r)
    g_hh = np.einsum(ein, dz_hh, h_prev)
    grads = [g_ih, g_hh]
    if len(w) == 4:
        grads += [dz.sum(axis=0), dz_hh.sum(axis=0)]
    return grads


@register_grad_sampler([RNN, LSTM, GRU])
def compute_rnn_grad_sample(layer, activations, backprops, kwargs=None, loss_reduction="mean"):
    name = type(layer).__name__
    x = activations[0]
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name}: per-sample gradients of a PackedSequence input are not "
                         f"supported; pad the batch (pad_sequence) instead")
    if x.ndim != 3:
        raise ValueError(f"{name}: per-sample gradients need a batched input, received shape "
                         f"{x.shape}")
    if layer.dropout > 0 and layer.training and layer.num_layers > 1:
        raise ValueError(f"{name}(dropout={layer.dropout}) in training: the dropout masks "
                         f"between layers cannot be replayed for per-sample gradients; use "
                         f"dropout=0 (or single-layer modules with nn.Dropout between them)")
    hx = activations[1] if len(activations) > 1 else (kwargs or {}).get("hx")
    x = np.swapaxes(x, 0, 1) if layer.batch_first else x
    T, B = x.shape[:2]
    L = layer.num_layers * (2 if layer.bidirectional else 1)
    zeros = np.zeros((L, B, layer.hidden_size), x.dtype)
    if isinstance(layer, LSTM):
        states = [zeros, zeros] if hx is None else [np.asarray(getattr(h, "array", h))
                                                    for h in hx]
    else:
        states = [zeros if hx is None else np.asarray(getattr(hx, "array", hx))]
    gs = list(backprops) if isinstance(backprops, list) else [backprops]
    if layer.batch_first:
        gs[0] = np.swapaxes(gs[0], 0, 1)
    if loss_reduction == "mean":
        gs = [g * B for g in gs]
    with enable_grad():
        outs, records = _rerun(layer, Tensor(x), states)
        dzs = _autograd_grad(outs, [r[0] for r in records],
                             grad_outputs=[Tensor(g) for g in gs], allow_unused=True)
    result = {}
    for k, ((z, xin, out, h0, w, reverse), dz) in enumerate(zip(records, dzs)):
        dz = np.zeros(z.shape, z.dtype) if dz is None else dz.array
        for p, gp in zip(layer.all_weights[k], _per_sample(layer, dz, xin, out, h0, w, reverse)):
            if p.requires_grad:
                result[p] = gp
    return result


compute_rnn_grad_sample.handles_batch_dim = True    # reads the layer's own batch_first
