"""What ``compile`` sets up: the loss (one per output, weighted) and the metrics, with
Keras 3's rules for several outputs.

    loss:        one loss (applied to every output), a list (one per output), or a dict
                 keyed by output name; ``loss_weights`` the same way
    metrics:     a list for one output; for several, a list with one entry (a metric or
                 a list of them) per output, or a dict keyed by output name
    total loss:  sum_k w_k loss_k(y_k, yhat_k)

With several losses, each output's (unweighted) loss is also tracked as a metric named
``"<output>_loss"``; metrics of several outputs are named ``"<output>_<metric>"`` (the
same name twice gets ``_1``, ``_2``...). ``metrics`` ignore ``sample_weight``;
``weighted_metrics`` use it (Keras's split). ``'accuracy'``/``'acc'`` (and
``'crossentropy'``/``'ce'``) become binary, categorical or sparse categorical from the
shapes of the first batch.
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import losses as losses_module
from deepgrad.keras import metrics as metrics_module
from deepgrad.keras.metrics_base import Metric


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


def _flat(structure):
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in _flat(item)]
    if isinstance(structure, dict):
        return [t for item in structure.values() for t in _flat(item)]
    return [structure]


def _per_output(value, names, what, is_entry):
    """One entry per output from a single entry, a list (one per output) or a dict keyed
    by output name; ``is_entry(v)`` says whether ``v`` is one output's entry.

    Raises:
        ValueError: a list of the wrong length or unknown dict keys (both quoted).
    """
    n = len(names)
    if n == 1 and isinstance(value, (list, tuple)) and len(value) == 1 and not is_entry(value):
        return list(value)
    if n == 1 and isinstance(value, dict) and len(value) == 1 and names[0] not in value:
        return list(value.values())
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"compile: `{what}` has keys {sorted(unknown)} that are not "
                             f"output names; expected keys among {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and not is_entry(value):
        if len(value) != n:
            raise ValueError(f"compile: `{what}` is a list of {len(value)} entries, but the "
                             f"model has {n} outputs {names}: pass one entry per output, or "
                             f"a dict keyed by output name")
        return list(value)
    if n > 1 and what in ("metrics", "weighted_metrics"):
        raise ValueError(f"Invalid `{what}`: for a model with {n} outputs {names}, `{what}` "
                         f"should be a dict keyed by output name or a list with one entry "
                         f"per output. Received: {what}={value!r}")
    return [value] * n


def _as_list(x, n, names):
    """A model's outputs or targets as a list of ``n`` (a dict is read by output name)."""
    if n == 1:
        if isinstance(x, (list, tuple)) and len(x) == 1:
            return [x[0]]
        if isinstance(x, dict) and len(x) == 1:
            return list(x.values())
        return [x]
    if isinstance(x, dict):
        missing = [k for k in names if k not in x]
        if missing:
            raise ValueError(f"The data is a dict with keys {sorted(x)}, but the model's "
                             f"outputs are {names}: missing {missing}")
        return [x[k] for k in names]
    if not isinstance(x, (list, tuple)) or len(x) != n:
        raise ValueError(f"The model has {n} outputs {names}; expected a list of {n} arrays "
                         f"(or a dict keyed by output name), received "
                         f"{type(x).__name__}" + (f" of {len(x)}" if isinstance(
                             x, (list, tuple)) else ""))
    return list(x)


class CompileLoss:
    """The compiled loss: ``__call__(y_true, y_pred, sample_weight)`` -> the total (a
    scalar Tensor), updating the per-output loss trackers (:attr:`metrics`) when there
    are several losses."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        for spec in _flat(loss):
            get_loss(spec)                   # an unknown name fails in compile, not in fit
        if output_names and len(output_names) > 1:
            _per_output(loss, output_names, "loss", lambda v: False)
            if loss_weights is not None and not isinstance(loss_weights, (int, float)):
                _per_output(loss_weights, output_names, "loss_weights", lambda v: False)
        self._user_loss, self._user_loss_weights = loss, loss_weights
        self.output_names = output_names
        self.built = False
        self.metrics = []
        self._losses = None

    def build(self, y_true, y_pred):
        names = self.output_names or [None] * len(_flat(y_pred))
        if len(names) != len(_flat(y_pred)):
            names = [None] * len(_flat(y_pred))
        n = len(names)
        keys = [k if k is not None else f"output_{i}" for i, k in enumerate(names)]
        specs = _per_output(self._user_loss, keys, "loss", lambda v: False)
        weights = self._user_loss_weights
        if weights is None:
            weights = [None] * n
        elif isinstance(weights, (int, float)) and n == 1:
            weights = [weights]
        else:
            weights = _per_output(weights, keys, "loss_weights", lambda v: False)
        self._losses = []
        for i, (name, spec, w) in enumerate(zip(names, specs, weights)):
            if spec is None:
                continue
            fn = get_loss(spec)
            self._losses.append((i, fn, None if w is None else float(w),
                                 name if name is not None else fn.name))
        if not self._losses:
            raise ValueError("compile: every output's loss is None; pass at least one loss")
        if len(self._losses) > 1:
            self.metrics = [metrics_module.Mean(name=f"{label}_loss")
                            for _, _, _, label in self._losses]
        self._n = n
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        n, names = self._n, self.output_names or []
        if n == 1 and len(self._losses) == 1:             # one output: no bookkeeping
            _, fn, w, _ = self._losses[0]
            yt = y_true if type(y_true) is Tensor else _as_list(y_true, 1, names)[0]
            yp = y_pred if type(y_pred) is Tensor else _as_list(y_pred, 1, names)[0]
            value = fn(yt, yp, sample_weight) if sample_weight is not None else fn(yt, yp)
            return value if w is None else value * w
        ys, ps = _as_list(y_true, n, names), _as_list(y_pred, n, names)
        sws = _as_list(sample_weight, n, names) if isinstance(
            sample_weight, (list, tuple, dict)) else [sample_weight] * n
        total = None
        trackers = self.metrics or [None]
        for (i, fn, w, label), tracker in zip(self._losses, trackers):
            if ys[i] is None:
                raise ValueError(f"Target data is missing for output {label!r}, which has a "
                                 f"loss")
            value = fn(ys[i], ps[i], sws[i]) if sws[i] is not None else fn(ys[i], ps[i])
            if tracker is not None:
                tracker.update_state(value.item(), len(ps[i]))
            term = value if w is None else value * w
            total = term if total is None else total + term
        return total


class MetricsList(Metric):
    """The metrics of one output (Keras's ``MetricsList``): updates them together."""

    def __init__(self, metrics, output_name=None, name="metrics_list"):
        super().__init__(name=name)
        self.metrics, self.output_name = metrics, output_name

    def update_state(self, y_true, y_pred, sample_weight=None):
        for m in self.metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}


_SHAPE_RESOLVED = ("accuracy", "acc", "crossentropy", "ce")


def _is_metric_entry(value):
    """Whether ``value`` is one output's metrics (a list of metrics, not of lists)."""
    return not any(isinstance(v, (list, tuple, dict)) for v in value)


class CompileMetrics(Metric):
    """Every compiled metric, built on the first batch; its ``result()`` is a dict of
    their values under Keras's names (see the module docstring)."""

    def __init__(self, metrics, weighted_metrics, output_names=None):
        super().__init__(name="compile_metrics")
        for what, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(f"Expected `{what}` argument to be a list, tuple, or dict. "
                                 f"Received instead: {what}={value!r} of type "
                                 f"{type(value).__name__}")
        for what, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            for spec in _flat(value) if value else ():
                if not (isinstance(spec, str) and spec.lower() in _SHAPE_RESOLVED):
                    metrics_module.get(spec)       # unknown names fail in compile
            if value and output_names and len(output_names) > 1:
                _per_output(value, output_names, what, _is_metric_entry)
        self._user_metrics, self._user_weighted = metrics, weighted_metrics
        self.output_names = output_names
        self.built = False
        self._flat, self._flat_weighted = [], []

    @property
    def metrics(self):
        return [m for ml in self._flat + self._flat_weighted if ml for m in ml.metrics]

    def _build_set(self, spec, what, ys, ps, names):
        n = len(ps)
        if not spec:
            return [None] * n
        if n == 1:
            entries = [_flat(spec)]
        else:
            entries = _per_output(spec, names, what, _is_metric_entry)
        out = []
        for entry, y, p, name in zip(entries, ys, ps, names):
            if entry is None:
                out.append(None)
                continue
            entry = entry if isinstance(entry, (list, tuple)) else [entry]
            built = [metrics_module.get_metric(m, np.shape(y), tuple(np.shape(p)))
                     for m in entry]
            out.append(MetricsList(built, name if n > 1 else None))
        return out

    def build(self, y_true, y_pred):
        n = len(_flat(y_pred))
        names = self.output_names if self.output_names and len(self.output_names) == n \
            else [f"output_{i}" for i in range(n)]
        ys, ps = _as_list(y_true, n, names), _as_list(y_pred, n, names)
        self._names, self._n = names, n
        self._flat = self._build_set(self._user_metrics, "metrics", ys, ps, names)
        self._flat_weighted = self._build_set(self._user_weighted, "weighted_metrics", ys, ps,
                                              names)
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        n, names = self._n, self._names
        ys, ps = _as_list(y_true, n, names), _as_list(y_pred, n, names)
        for ml, y, p in zip(self._flat, ys, ps):
            if ml is not None:
                ml.update_state(y, p.array if isinstance(p, Tensor) else p)
        if any(self._flat_weighted):
            sws = _as_list(sample_weight, n, names) if isinstance(
                sample_weight, (list, tuple, dict)) else [sample_weight] * n
            for ml, y, p, sw in zip(self._flat_weighted, ys, ps, sws):
                if ml is not None:
                    ml.update_state(y, p.array if isinstance(p, Tensor) else p,
                                    sample_weight=sw)

    def reset_state(self):
        for ml in self._flat + self._flat_weighted:
            if ml is not None:
                ml.reset_state()

    def result(self):
        """``{name: value}`` under Keras's names (weighted duplicates get ``weighted_``)."""
        if not self.built:
            return {}
        results, counts = {}, {}
        for weighted, flat in ((False, self._flat), (True, self._flat_weighted)):
            for ml in flat:
                if ml is None:
                    continue
                prefix = f"{ml.output_name}_" if ml.output_name else ""
                for m in ml.metrics:
                    name = prefix + m.name
                    if name in counts and weighted:
                        name = f"{prefix}weighted_{m.name}"
                    if name in counts:
                        index = counts[name]
                        counts[name] += 1
                        name = f"{name}_{index}"
                    else:
                        counts[name] = 1
                    results[name] = m.result()
        return results
