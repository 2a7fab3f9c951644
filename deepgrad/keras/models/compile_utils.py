"""What ``compile`` sets up: the loss (one per output, weighted) and the metrics.

Strings resolve through the registries of :mod:`deepgrad.keras.losses` and
:mod:`deepgrad.keras.metrics`; ``'accuracy'`` becomes binary, categorical or sparse
categorical accuracy once the shapes of the first batch are known, as in Keras.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import losses as losses_module
from deepgrad.keras import metrics as metrics_module


def get_loss(identifier):
    """What ``compile(loss=identifier)`` uses (Keras's ``compile_utils.get_loss``): a
    :class:`~deepgrad.keras.losses.Loss`, bare functions wrapped in
    ``LossFunctionWrapper`` named after the string; ``'crossentropy'``/``'ce'`` picks
    binary, sparse or categorical cross-entropy from the shapes of the data."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        return losses_module._AutoCrossentropy(name=identifier)
    obj = losses_module.get(identifier)
    if isinstance(obj, losses_module.Loss):
        return obj
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
    return losses_module.LossFunctionWrapper(obj, name=name)


def _per_output(value, names, what):
    """A single value, a list (one per output) or a dict keyed by output name -> list."""
    n = len(names)
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"compile: {what} has keys {sorted(unknown)} that are not output "
                             f"names {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and what != "metrics" or (
            what == "metrics" and n > 1 and isinstance(value, (list, tuple))
            and value and all(isinstance(v, (list, tuple)) for v in value)):
        if len(value) != n:
            raise ValueError(f"compile: {what} is a list of {len(value)} entries, but the model "
                             f"has {n} output(s)")
        return list(value)
    return [value] * n


class CompiledLoss:
    """total = sum_k w_k loss_k(y_k, yhat_k) (+ the model's regularisation penalties)."""

    def __init__(self, loss, loss_weights, output_names):
        self.names = output_names
        specs = _per_output(loss, output_names, "loss")
        self.fns = [get_loss(s) for s in specs]
        if all(f is None for f in self.fns):
            raise ValueError("compile: a loss is required for training (received loss=None)")
        w = _per_output(1.0 if loss_weights is None else loss_weights, output_names, "loss_weights")
        self.weights = [1.0 if v is None else float(v) for v in w]

    def __call__(self, y_true, y_pred, sample_weight=None):
        ys, ps = _as_list(y_true, len(self.names)), _as_list(y_pred, len(self.names))
        total, parts = None, {}
        for name, fn, w, y, p in zip(self.names, self.fns, self.weights, ys, ps):
            if fn is None:
                continue
            if y is None:
                raise ValueError(f"Target data is missing for output {name!r}, which has a loss")
            value = fn(y, p, sample_weight=sample_weight) if sample_weight is not None else fn(y, p)
            parts[name] = value
            term = value if w == 1.0 else value * w
            total = term if total is None else total + term
        return total, parts


def _as_list(x, n):
    if n == 1:
        return [x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x]
    if isinstance(x, dict):
        return list(x.values())
    return list(x)


class CompiledMetrics:
    """Metric objects per output, created on the first batch (shapes decide 'accuracy')."""

    def __init__(self, metrics, output_names, loss_fns):
        self.specs = _per_output(metrics or [], output_names, "metrics") if metrics else \
            [[] for _ in output_names]
        self.specs = [s if isinstance(s, (list, tuple)) else ([] if s is None else [s])
                      for s in self.specs]
        self.names, self.loss_fns = output_names, loss_fns
        self.metrics = None

    def build(self, y_true, y_pred):
        km = metrics_module
        ys, ps = _as_list(y_true, len(self.names)), _as_list(y_pred, len(self.names))
        self.metrics = []
        for name, specs, loss, y, p in zip(self.names, self.specs, self.loss_fns, ys, ps):
            for spec in specs:
                m = km.get_metric(spec, np.shape(y), tuple(p.shape), loss)
                prefix = f"{name}_" if len(self.names) > 1 else ""
                self.metrics.append((prefix + m.name, m, self.names.index(name)))

    def update(self, y_true, y_pred, sample_weight=None):
        if self.metrics is None:
            self.build(y_true, y_pred)
        ys, ps = _as_list(y_true, len(self.names)), _as_list(y_pred, len(self.names))
        for _, m, k in self.metrics:
            p = ps[k].array if isinstance(ps[k], Tensor) else ps[k]
            m.update_state(ys[k], p, sample_weight=sample_weight)

    def results(self):
        return {name: float(m.result()) for name, m, _ in (self.metrics or [])}

    def reset(self):
        for _, m, _ in self.metrics or []:
            m.reset_state()

    @property
    def ordered_names(self):
        return [name for name, _, _ in self.metrics or []]


class MeanTracker:
    """Running mean of the loss over the epoch, weighted by batch size (as Keras)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, value, n):
        self.total += float(value) * n
        self.count += n

    def result(self):
        return self.total / self.count if self.count else 0.0
