"""``DistributedOptimizer``: Horovod's wrapper of a Keras optimizer, on MPI.

``DistributedOptimizer(opt)`` is an optimizer of ``opt``'s own class (``isinstance`` and
``get_config`` are unchanged, and a saved model stores the plain class, as Horovod's
does) whose update first averages the gradients across the ranks:

    g  <-  (1/N) sum_r g^(r)                                   op=Average (default)
    g  <-  sum_r (g^(r) / f) * f / N      gradient_predivide_factor f
    g  <-  sum_r g^(r)                                         op=Sum

then applies ``opt``'s rule. Inside ``model.fit`` the averaging overlaps the backward
pass: each gradient joins a bucket as soon as backward has produced it and full buckets
are all-reduced while backward goes on (:mod:`deepgrad.distributed.reducer`, the
mechanism of ``DistributedDataParallel``); elsewhere (a custom loop) ``apply`` reduces
the gradients it is given, in buckets, when it is called.

``backward_passes_per_step=k`` accumulates k steps' gradients locally (their mean with
``average_aggregated_gradients``, else their sum) and reduces and applies them every
k-th call (the other calls leave the weights as they are). ``compression=
Compression.fp16`` reduces in float16. ``groups`` (lists of variables) or
``num_groups`` (that many equal parts) fix which gradients are reduced together.

Under ``fit``, arrays and ``PyDataset`` s are sharded across the ranks
(:mod:`deepgrad.keras.distributed.data`; ``shard_data=False`` when each rank already
holds its own shard), ranks other than 0 print no progress and write no checkpoints or
CSV logs, and ``stop_training`` is agreed by all ranks (so an ``EarlyStopping`` on one
rank cannot leave the others waiting).
"""
import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.distributed.agreement import agree
from deepgrad.distributed.reducer import (DEFAULT_BUCKET_CAP_MB, DEFAULT_FIRST_BUCKET_BYTES,
                                          MB, Reducer)
from deepgrad.keras.distributed import data as data_lib
from deepgrad.keras.distributed.mpi_ops import (
    Average, Compression, Sum, _check_compression, _check_device, allreduce_arrays, group)
from deepgrad.keras.optimizers.optimizer import Optimizer

_WHERE = "DistributedOptimizer"


class _DistributedOptions:
    """What ``DistributedOptimizer`` was given, checked."""

    def __init__(self, compression, sparse_as_dense, predivide, op, passes, average_agg,
                 num_groups, groups, shard_data, bucket_cap_mb):
        self.compression, self.op, self.passes = compression, op, passes
        self.sparse_as_dense, self.average_agg = bool(sparse_as_dense), bool(average_agg)
        self.predivide, self.num_groups, self.groups = float(predivide), num_groups, groups
        self.shard_data = bool(shard_data)
        self.bucket_cap_mb = bucket_cap_mb


class _DistributedMixin:
    """Horovod's behaviour, mixed in before the wrapped optimizer's class."""

    _dist = None
    _dist_reducer = None
    _dist_in_fit = False
    _dist_consumed = 0
    _dist_accumulated = None
    _dist_passes_seen = 0

    # ------------------------------------------------------------------ reduction
    def _divisors(self, n):
        o = self._dist
        if o.op == Sum:
            return 1.0, 1.0
        return o.predivide, n / o.predivide

    def _reducer_for(self, variables):
        reducer = self._dist_reducer
        if reducer is not None and len(reducer.params) == len(variables) and all(
                a is b for a, b in zip(reducer.params, variables)):
            return reducer
        if reducer is not None:
            reducer.remove_hooks()
        pg = group()
        names = [getattr(v, "path", None) or f"#{i}" for i, v in enumerate(variables)]
        agree(pg, _WHERE, lambda: ((_WHERE, [(tuple(v.array.shape), v.array.dtype.name)
                                             for v in variables]), None))
        pre, post = self._divisors(pg.size())
        cap = self._dist.bucket_cap_mb
        limits = [DEFAULT_FIRST_BUCKET_BYTES, DEFAULT_BUCKET_CAP_MB * MB] if cap is None \
            else [int(cap * MB)]
        reducer = Reducer(variables, pg, limits, limits if self._dist.groups is None and
                          not self._dist.num_groups else None, find_unused=True, predivide=pre,
                          postdivide=post, names=names, buckets=self._group_buckets(variables))
        self._dist_reducer, self._dist_consumed = reducer, 0
        return reducer

    def _group_buckets(self, variables):
        o = self._dist
        if o.groups is not None:
            index = {id(v): i for i, v in enumerate(variables)}
            buckets = [[index[id(v)] for v in g if id(v) in index] for g in o.groups]
            grouped = {i for b in buckets for i in b}
            buckets += [[i] for i in range(len(variables)) if i not in grouped]
            return [b for b in buckets if b][::-1]
        if o.num_groups:
            parts = np.array_split(np.arange(len(variables)), min(o.num_groups,
                                                                    len(variables)))
            return [p.tolist() for p in parts if len(p)][::-1]
        return None

    def _reduce_grads_in_place(self, variables):
        """Average each variable's ``.grad`` (those backward gave one) across the ranks:
        what the hooks did during backward, completed now for whatever remains."""
        reducer = self._reducer_for(variables)
        if not (reducer.iterations > self._dist_consumed and not reducer.expect):
            reducer.finish_iteration()
        self._dist_consumed = reducer.iterations
        if self._dist_in_fit:
            reducer.prepare_for_backward()          # the next backward's hooks reduce

    def _reduce_arrays(self, grads):
        pg = group()
        arrays = [np.asarray(g.array if isinstance(g, Tensor) else g) for g in grads]
        agree(pg, _WHERE, lambda: ((_WHERE, [(tuple(a.shape), a.dtype.name)
                                             for a in arrays]), None))
        pre, post = self._divisors(pg.size())
        return allreduce_arrays(pg, arrays, pre, post, self._dist.compression)

    def _hooks_usable(self):
        o = self._dist
        return o.compression is Compression.none and o.passes == 1

    # ------------------------------------------------------------------ apply
    def apply(self, grads_or_vars, trainable_variables=None):
        """Average the gradients across the ranks, then apply them (see the module
        docstring); the three call forms of ``Optimizer.apply``."""
        items = grads_or_vars if isinstance(grads_or_vars, list) else list(grads_or_vars)
        if trainable_variables is None and items and all(
                isinstance(v, Tensor) and (v.requires_grad or v in self.state) for v in items):
            variables, grads, own = items, [v.grad for v in items], True   # apply(var_list)
        else:
            variables = list(self._trainable_variables if trainable_variables is None
                             else trainable_variables)
            grads = items
            own = len(grads) == len(variables) and self._are_own_grads(grads, variables)
        if not variables or len(grads) != len(variables):
            return super().apply(items, trainable_variables)        # the base's errors
        if self._dist.passes > 1:
            grads = self._accumulate(grads, variables)
            return None if grads is None else super().apply(grads, variables)
        if own and self._hooks_usable():
            self._reduce_grads_in_place(variables)                  # .grad reduced in place
            return super().apply(items, trainable_variables)
        present = [i for i, g in enumerate(grads) if g is not None]
        reduced = self._reduce_arrays([grads[i] for i in present]) if present else []
        full = [None] * len(grads)
        for i, r in zip(present, reduced):
            full[i] = r
        return super().apply(full, variables)

    @staticmethod
    def _are_own_grads(grads, variables):
        """Whether ``grads`` are the variables' own ``.grad`` (what hooks reduce)."""
        for g, v in zip(grads, variables):
            own = v.grad
            if g is None:
                continue
            if own is None or not (g is own or getattr(g, "array", g) is own.array):
                return False
        return True

    def _accumulate(self, grads, variables):
        """``backward_passes_per_step``: add the step's gradients; every k-th call, the
        reduced sum (or mean) of what was added (None for a variable that never had a
        gradient); else None."""
        o = self._dist
        acc = self._dist_accumulated
        if acc is None:
            acc = self._dist_accumulated = [None] * len(variables)
        for i, g in enumerate(grads):
            if g is not None:
                g = np.asarray(getattr(g, "array", g))
                acc[i] = g.copy() if acc[i] is None else acc[i] + g
        self._dist_passes_seen += 1
        if self._dist_passes_seen < o.passes:
            return None
        self._dist_accumulated, self._dist_passes_seen = None, 0
        present = [i for i, a in enumerate(acc) if a is not None]
        if o.average_agg:
            for i in present:
                acc[i] = acc[i] / o.passes
        reduced = self._reduce_arrays([acc[i] for i in present]) if present else []
        full = [None] * len(acc)
        for i, r in zip(present, reduced):
            full[i] = r
        return full

    # ------------------------------------------------------------------ fit
    def distribute_fit(self, epoch_iterator, verbose, callbacks):
        """``fit``'s hook: this rank's shard of the data, progress on rank 0 only, and
        the callbacks that keep the ranks together (see the module docstring)."""
        pg = group()
        if self._dist.shard_data:
            data_lib.shard(epoch_iterator, pg)
        else:
            data_lib.check_equal_steps(epoch_iterator, pg)
        if pg.rank() != 0:
            verbose = 0
        return epoch_iterator, verbose, data_lib.fit_callbacks(self, callbacks, pg)


_CLASSES = {}


def _distributed_class(base):
    cls = _CLASSES.get(base)
    if cls is None:
        # "_" keeps the class out of the registry; the config names the wrapped class
        cls = type(f"_Distributed{base.__name__}", (_DistributedMixin, base),
                   {"_config_class_name": base.__name__, "__module__": __name__,
                    "__doc__": f"{base.__name__} averaging its gradients across the ranks."})
        _CLASSES[base] = cls
    return cls


def DistributedOptimizer(optimizer, name=None, device_dense="", device_sparse="",
                         compression=Compression.none, sparse_as_dense=False,
                         gradient_predivide_factor=1.0, op=Average, backward_passes_per_step=1,
                         average_aggregated_gradients=False, num_groups=0, groups=None,
                         shard_data=True, bucket_cap_mb=None):
    """``optimizer`` averaging its gradients across the ranks (Horovod's arguments).

    Args:
        optimizer: a deepgrad.keras optimizer (its state, if built, is carried over).
        name (str, optional): the new optimizer's name (default: ``optimizer``'s).
        device_dense, device_sparse: '' (deepgrad runs on the CPU).
        compression: ``Compression.none`` or ``Compression.fp16``.
        sparse_as_dense (bool): accepted; deepgrad's Keras gradients are always dense.
        gradient_predivide_factor (float): f, with ``op=Average`` (see module docstring).
        op: ``Average`` or ``Sum``.
        backward_passes_per_step (int): k >= 1 (see the module docstring).
        average_aggregated_gradients (bool): with k > 1, average rather than sum.
        num_groups (int): reduce the gradients in this many groups (0: by size).
        groups (list of lists of variables, optional): the groups, explicitly.
        shard_data (bool): shard ``fit``'s arrays/PyDatasets across the ranks (deepgrad).
        bucket_cap_mb (float, optional): bucket cap in MiB (deepgrad; default 25 with a
            1 MiB first bucket).

    Raises:
        ValueError: :func:`init` not called, or a bad argument (before anything changes).
    """
    where = _WHERE
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: expected a deepgrad.keras optimizer, received "
                        f"{type(optimizer).__name__}")
    group()
    _check_device(device_dense, where)
    _check_device(device_sparse, where)
    _check_compression(compression, where)
    if op not in (Average, Sum):
        raise ValueError(f"{where}: op must be Average or Sum, received {op!r} (Adasum is "
                         f"not supported)")
    if op == Sum and gradient_predivide_factor != 1.0:
        raise ValueError(f"{where}: gradient_predivide_factor is only supported with "
                         f"op=Average, received op=Sum")
    if not gradient_predivide_factor > 0:
        raise ValueError(f"{where}: gradient_predivide_factor must be > 0, received "
                         f"{gradient_predivide_factor!r}")
    if isinstance(backward_passes_per_step, bool) or not isinstance(
            backward_passes_per_step, int) or backward_passes_per_step < 1:
        raise ValueError(f"{where}: backward_passes_per_step must be an int >= 1, received "
                         f"{backward_passes_per_step!r}")
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups < 0:
        raise ValueError(f"{where}: num_groups must be an int >= 0, received {num_groups!r}")
    if groups is not None and (num_groups or not isinstance(groups, (list, tuple)) or not all(
            isinstance(g, (list, tuple)) for g in groups)):
        raise ValueError(f"{where}: groups must be a list of lists of variables (and "
                         f"num_groups 0), received {groups!r}")
    if bucket_cap_mb is not None and not bucket_cap_mb > 0:
        raise ValueError(f"{where}: bucket_cap_mb must be > 0, received {bucket_cap_mb!r}")
    config = optimizer.get_config()
    if name is not None:
        config["name"] = name
    wrapped = _distributed_class(type(optimizer)).from_config(config)
    if optimizer.built:
        wrapped.build(list(optimizer._trainable_variables))
        wrapped.set_state(optimizer.get_state())
    wrapped._dist = _DistributedOptions(compression, sparse_as_dense, gradient_predivide_factor,
                                        op, backward_passes_per_step,
                                        average_aggregated_gradients, num_groups, groups,
                                        shard_data, bucket_cap_mb)
    return wrapped
