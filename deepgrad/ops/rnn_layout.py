"""Weight layouts of the recurrent ops: PyTorch's weight rows and Keras's kernel columns.

The ops of :mod:`deepgrad.ops.rnn` take either front's weights as they are stored, so
neither front transposes or re-lays gates in the graph on every call:

    layout     input weights      recurrent weights   biases
    pytorch    weight_ih (GH, I)  weight_hh (GH, H)   bias_ih, bias_hh (GH,)
    keras      kernel (I, GH)     recurrent (H, GH)   bias (GH,) [, recurrent bias (GH,)]

    gate order: pytorch LSTM i f g o, GRU r z n;  keras LSTM i f c o, GRU z r h

(G gates of H units each; Keras's LSTM c is PyTorch's g, Keras's GRU h is PyTorch's n.)
In both, gate block k of a weight is the (H, in) matrix :func:`gate_rows` returns; the op
reads its blocks from that view and writes its weight gradients back through the same
view, so a layout costs one small copy of the weights per call and none of the inputs.
"""
import numpy as np

LAYOUTS = ("pytorch", "keras")

#: Keras's GRU gate blocks [z, r, h] in PyTorch's order [r, z, n] (the order is its own inverse).
GRU_FROM_KERAS = (1, 0, 2)


def check_layout(name, layout):
    if layout not in LAYOUTS:
        raise ValueError(f"{name}: layout must be 'pytorch' or 'keras', received {layout!r}")


def gate_rows(w, gates, layout):
    """The (G, H, in) view of a weight's gate blocks: block k, row j is the weights of
    unit j of gate k (PyTorch: rows of ``w``; Keras: columns of ``w``)."""
    if layout == "pytorch":
        return w.reshape(gates, -1, w.shape[1])
    return w.reshape(w.shape[0], gates, -1).transpose(1, 2, 0)


def grad_like(rows, layout):
    """A (G, H, in) gradient written into a new array of the layout's weight shape."""
    G, H, n = rows.shape
    if layout == "pytorch":
        return rows.reshape(G * H, n)              # a copy when rows is not contiguous
    out = np.empty((n, G * H), rows.dtype)
    np.copyto(out.reshape(n, G, H).transpose(1, 2, 0), rows)
    return out


def to_pytorch(w, gates, layout, order=None):
    """A weight in PyTorch's (G H, in) layout and gate order (``w`` itself if it is one)."""
    if layout == "pytorch":
        return w
    rows = gate_rows(w, gates, layout)
    return np.ascontiguousarray(rows if order is None else rows[list(order)]).reshape(
        -1, rows.shape[2])


def from_pytorch(dw, gates, layout, order=None):
    """A (G H, in) gradient in PyTorch's layout and gate order, in ``layout`` instead."""
    if layout == "pytorch":
        return dw
    rows = dw.reshape(gates, -1, dw.shape[1])
    return grad_like(rows if order is None else rows[list(order)], layout)


def bias_to_pytorch(b, gates, layout, order=None):
    if layout == "pytorch" or order is None:
        return b
    return b.reshape(gates, -1)[list(order)].reshape(-1)
