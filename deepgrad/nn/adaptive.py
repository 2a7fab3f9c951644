"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax of Grave et al. (2017) for large
vocabularies, with PyTorch's parameters, names and results.

The classes are split by ``cutoffs`` into a shortlist [0, c_0) and clusters [c_i, c_{i+1}).
The head is a linear layer over the shortlist plus one logit per cluster; cluster i has a
two-layer projection in -> in / div_value^(i+1) -> cluster size. For a class y,

    log p(y) = log softmax(head(x))[y]                                (y in the shortlist)
    log p(y) = log softmax(head(x))[c_0 + i] + log softmax(tail_i(x))[y - c_i]  (cluster i)

``forward(input, target)`` returns ``(output, loss)`` with output_n = log p(target_n) and
loss = -mean(output); gradients come from the composition of linear, log_softmax and
indexing ops.
"""
from collections import namedtuple

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import to_tensor
from deepgrad.nn.containers import ModuleList, Sequential
from deepgrad.nn.linear import Linear
from deepgrad.nn.module import Module
from deepgrad.ops.activation_softmax import log_softmax
from deepgrad.ops.shape import cat, getitem

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Efficient softmax approximation (adaptive softmax).

    Args:
        in_features (int): size of each input sample.
        n_classes (int): number of classes.
        cutoffs (sequence of int): increasing cluster boundaries in [1, n_classes - 1].
        div_value (float): cluster i's hidden size is in_features // div_value^(i+1).
        head_bias (bool): give the head a bias.
    Shape:
        input (N, in_features) or (in_features,); target (N,) or () class indices;
        output (N,) or (); loss a scalar.
    Parameters (state_dict keys as PyTorch): ``head.weight`` (shortlist + n_clusters,
    in_features) [``head.bias``], ``tail.{i}.0.weight``, ``tail.{i}.1.weight``.
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False,
                 device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError(f"AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             f"unique, positive integers sorted in an increasing order, where "
                             f"each value is between 1 and n_classes-1 = {n_classes - 1}; "
                             f"received {cutoffs}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, **kw),
                                        Linear(hsz, osz, bias=False, **kw)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def _check(self, x, t):
        if t.ndim == 1:
            if x.ndim != 2:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: 1D target tensor expects 2D "
                                   f"input tensors, but found inputs with size {tuple(x.shape)}")
            if x.shape[0] != t.shape[0]:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: input and target should have "
                                   f"the same size in the batch dimension, received "
                                   f"{x.shape[0]} and {t.shape[0]}")
        elif t.ndim == 0:
            if x.ndim != 1:
                raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: 0D target tensor expects 1D "
                                   f"input tensors, but found inputs with size {tuple(x.shape)}")
        else:
            raise RuntimeError("AdaptiveLogSoftmaxWithLoss: 0D or 1D target tensor expected, "
                               "multi-target not supported")
        if t.dtype.kind not in "iu":
            raise TypeError(f"AdaptiveLogSoftmaxWithLoss: target must hold class indices of an "
                            f"integer dtype, received {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss: target values should be in "
                               f"[0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found")

    def forward(self, input, target):
        x = to_tensor(input)
        t = target.array if isinstance(target, _fn._Tensor) else np.asarray(target)
        self._check(x, t)
        batched = t.ndim > 0
        x, t = (x, t) if batched else (x.unsqueeze(0), t.reshape(1))
        B = t.shape[0]
        gather = t.copy()
        rows_all, pieces = [], []
        for i, (lo, hi) in enumerate(zip([0] + self.cutoffs[:-1], self.cutoffs)):
            rows = np.nonzero((t >= lo) & (t < hi))[0]
            if rows.size == 0:
                continue
            rows_all.append(rows)
            if i == 0:
                pieces.append(_fn._Tensor._wrap(np.zeros(rows.size, x.dtype)))
                continue
            gather[rows] = self.shortlist_size + i - 1
            cluster_lp = log_softmax(self.tail[i - 1](getitem(x, rows)), 1)
            pieces.append(getitem(cluster_lp, (np.arange(rows.size), t[rows] - lo)))
        order = np.concatenate(rows_all) if rows_all else np.zeros(0, np.int64)
        local = getitem(cat(pieces), np.argsort(order)) if pieces else \
            _fn._Tensor._wrap(np.zeros(0, x.dtype))
        head_lp = log_softmax(self.head(x), 1)
        output = getitem(head_lp, (np.arange(B), gather)) + local
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.reshape(()), loss)

    def _get_full_log_prob(self, input, head_output):
        head_lp = log_softmax(head_output, 1)
        parts = [head_lp[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_lp = log_softmax(self.tail[i](input), 1)
            k = self.shortlist_size + i
            parts.append(cluster_lp + head_lp[:, k:k + 1])
        return cat(parts, 1)

    def _input_2d(self, name, input):
        x = to_tensor(input)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise RuntimeError(f"AdaptiveLogSoftmaxWithLoss.{name}: expected input of shape "
                               f"(N, {self.in_features}), received {tuple(x.shape)}")
        return x

    def log_prob(self, input):
        """log p(c | x) for every class: (N, in_features) -> (N, n_classes)."""
        x = self._input_2d("log_prob", input)
        return self._get_full_log_prob(x, self.head(x))

    def predict(self, input):
        """argmax_c log p(c | x) per row (int64, shape (N,)); the head alone decides rows
        whose best head entry is a shortlist class, as PyTorch."""
        x = self._input_2d("predict", input)
        head_out = self.head(x)
        out = np.argmax(head_out.array, axis=1)
        outside = out >= self.shortlist_size
        if outside.any():
            rows = np.nonzero(outside)[0]
            lp = self._get_full_log_prob(getitem(x, rows), getitem(head_out, rows))
            out[rows] = np.argmax(lp.array, axis=1)
        return _fn._Tensor._wrap(out.astype(np.int64))
