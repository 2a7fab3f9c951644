"""Version counters: an in-place write after ``forward`` is caught by ``backward``.

A node's backward reads the arrays its forward saved (``Mul`` keeps both factors, ``Exp``
its output). If one of them is overwritten in place before backward runs (``w.add_(1)``
under ``no_grad``, an optimizer step, ``x[0] = 5``), the gradient would silently be
wrong. As PyTorch, every in-place write bumps a version counter, and backward refuses a
node whose saved array has changed since it was recorded::

    RuntimeError: one of the variables needed for gradient computation has been modified
    by an inplace operation: [deepgrad.FloatTensor [3, 4]], which is output 0 of
    ExpBackward, is at version 1; expected version 0 instead. ...

How it stays cheap
------------------
* The counter belongs to the **memory** an array views (its NumPy ``base``), so a
  tensor, its views, ``detach()`` and ``.data`` share one counter without any op having
  to pass it on. ``Tensor._version`` reads it (0 for memory never written in place).
* One global **clock** orders writes and nodes: each in-place write advances it, and
  :meth:`Function.apply <deepgrad.autograd.function.Function.apply>` stamps each recorded
  node with its current value (one int). Backward compares the node's stamp with the
  clock (one int compare per node): only when something was written in place after the
  node was recorded are its saved arrays looked up here. A training loop (forward,
  backward, then the optimizer's writes) never takes that path.
* An optimizer step writes all its parameters at once: :class:`StepWrites` bumps them
  as one (one clock tick, one counter the parameters' memory points to), so a step costs
  the same few operations whatever the number of parameters.

What counts as saved: every array a node keeps as an attribute (alone, or in a tuple or
list; tensors kept by a custom function's ``ctx.save_for_backward`` too), apart from its
graph links (``inputs``). An input the op does not keep (``Add`` keeps nothing) may be
written freely, as in PyTorch. An op whose backward reads an attribute only for one
input's gradient says so in ``_saved_for`` (``Mul``: ``{"a": 1, "b": 0}``), so that, as in
PyTorch, ``y = x * 2`` followed by ``x.add_(1)`` is fine when only ``x`` needs a gradient.
"""
import operator
import weakref

import numpy as np

from deepgrad.autograd.anomaly_mode import where


class _Clock:
    """The global order of in-place writes; nodes record ``now`` when they are made."""
    __slots__ = ("now",)

    def __init__(self):
        self.now = 0


clock = _Clock()


class _Counter:
    """One piece of memory's version and the clock stamps of its recent writes; ``groups``
    maps a weak reference to each :class:`StepWrites` that also writes it to that record's
    version when the memory joined (None: none). Weak: a dead optimizer frees its
    parameters."""
    __slots__ = ("ref", "version", "stamps", "groups")


_counters = {}          # id(memory owner) -> _Counter; an entry dies with its owner
_KEEP_STAMPS = 64       # enough to name the expected version; older stamps are dropped
_BOOKKEEPING = frozenset(("inputs", "needs_grad", "_meta", "_t", "_trace", "dirty_tensors",
                          "non_differentiable", "_pending", "_out_specs", "_n_out",
                          "_direct", "grad_free"))


def _owner(array):
    """The ndarray owning ``array``'s memory (NumPy points a view's ``base`` at it)."""
    base = array.base
    while isinstance(base, np.ndarray):
        array, base = base, base.base
    return array


def _forgetter(key, counters=_counters):
    """The weakref callback dropping ``key``'s entry when its memory dies (it uses no
    module globals: it may run while the interpreter shuts down)."""
    def forget(ref):
        c = counters.get(key)
        if c is not None and c.ref is ref:
            del counters[key]
    return forget


def bump(array):
    """Record one in-place write into ``array``'s memory (PyTorch's version bump).

    Call it once per write, after the checks that may refuse the write have passed.
    (An entry leaves ``_counters`` when its owner dies, before its id can be reused.)
    """
    base = array.base
    owner = array if base is None else _owner(base)
    c = _counters.get(id(owner))
    if c is None:
        c = _new_counter(owner)
    clock.now = now = clock.now + 1
    c.version += 1
    stamps = c.stamps
    stamps.append(now)
    if len(stamps) > _KEEP_STAMPS:
        del stamps[:_KEEP_STAMPS // 2]


def bump_all(arrays):
    """:func:`bump` for many arrays written by one step (an optimizer's parameters): one
    clock tick for all of them, and no call per array."""
    clock.now = now = clock.now + 1
    get = _counters.get
    for array in arrays:
        base = array.base
        owner = array if base is None else _owner(base)
        c = get(id(owner))
        if c is None:
            c = _new_counter(owner)
        c.version += 1
        stamps = c.stamps
        stamps.append(now)
        if len(stamps) > _KEEP_STAMPS:
            del stamps[:_KEEP_STAMPS // 2]


def _new_counter(owner):
    key = id(owner)
    c = _counters[key] = _Counter()
    c.ref = weakref.ref(owner, _forgetter(key))
    c.version, c.stamps, c.groups = 0, [], None
    return c


def _counter_of(array):
    owner = _owner(array)
    c = _counters.get(id(owner))
    return _new_counter(owner) if c is None else c


_ARRAY = operator.attrgetter("array")
_PARAMS = operator.itemgetter("params")


class _Rebinds:
    """How many times a tensor was given another array (``t.data = a``, ``t_()``...):
    :class:`StepWrites` re-checks its parameters' arrays only when this moved."""
    __slots__ = ("now",)

    def __init__(self):
        self.now = 0


rebinds = _Rebinds()


def rebound():
    """Call after giving an existing tensor another array (``tensor.array = ...``)."""
    rebinds.now += 1


class StepWrites:
    """The parameters an optimizer step writes all together, bumped as one.

    A step calls :meth:`wrote` once with its parameter lists: one clock tick and one
    counter for all of them (each parameter's memory points to this record), instead of a
    bump per parameter. The parameters' arrays are read again only when ``count`` (the
    number of groups, or of parameters) or the global rebind count (:func:`rebound`) has
    changed, so a step costs a few operations whatever the number of parameters. (A
    parameter list edited in place without changing ``count`` is seen at the next rebind.)
    """
    __slots__ = ("count", "epoch", "arrays", "version", "stamps", "ref", "__weakref__")

    def __init__(self):
        self.count, self.epoch, self.arrays = -1, -1, ()
        self.version, self.stamps = 0, []
        self.ref = weakref.ref(self)                 # its key in the counters' ``groups``

    def __deepcopy__(self, memo):           # a copied optimizer starts its own record
        return StepWrites()

    def __reduce__(self):
        return StepWrites, ()

    def wrote(self, lists, count):
        """Record one step that wrote every tensor of the lists ``lists``; ``count``
        changes whenever the lists do (their number, or their total length)."""
        if self.epoch != rebinds.now or count != self.count:
            self._check(lists, count)
        clock.now = now = clock.now + 1
        self.version = version = self.version + 1
        self.stamps.append(now)
        if not version % _KEEP_STAMPS:
            del self.stamps[:-_KEEP_STAMPS // 2]

    def _check(self, lists, count):
        arrays = [p.array for params in lists for p in params]
        if len(arrays) != len(self.arrays) or not all(map(operator.is_, arrays,
                                                          self.arrays)):
            self._join(arrays)
        self.count, self.epoch = count, rebinds.now

    def _join(self, arrays):
        for a in self.arrays:                               # leave memory no longer written
            c = _counters.get(id(_owner(a)))
            if c is not None and c.groups:
                c.groups.pop(self.ref, None)
        for a in arrays:
            c = _counter_of(a)
            if c.groups is None:
                c.groups = {}
            c.groups.setdefault(self.ref, self.version)
        self.arrays = arrays


def _history(c):
    """(version, sorted recent stamps) of one memory: its own writes and its steps'."""
    if not c.groups:
        return c.version, c.stamps
    version, stamps = c.version, list(c.stamps)
    for ref, joined in c.groups.items():
        g = ref()
        if g is None:
            continue
        since = g.version - joined
        version += since
        stamps += g.stamps[max(0, len(g.stamps) - since):]
    return version, sorted(stamps)


def bump_tensor(t):
    """:func:`bump` for a Tensor; returns it (for ``return bump_tensor(self)``)."""
    bump(t.array)
    return t


def version_of(array):
    """How many in-place writes ``array``'s memory has had (``Tensor._version``)."""
    c = _counters.get(id(_owner(array)))
    return 0 if c is None else _history(c)[0]


def _array_of(value):
    if type(value) is np.ndarray:
        return value
    array = getattr(value, "array", None)      # a Tensor, or a custom function's output
    return array if type(array) is np.ndarray else None


def _saved_arrays(value):
    """The arrays a node attribute keeps: an array, a tensor, or a tuple/list of them."""
    if isinstance(value, (tuple, list)):
        return [a for a in map(_array_of, value) if a is not None]
    a = _array_of(value)
    return () if a is None else (a,)


def check_saved(fn):
    """Raise PyTorch's error if an array ``fn`` saved was written in place after ``fn``
    was recorded. Called by the engine only when the clock has moved past ``fn._t``."""
    t0 = fn._t
    used_for = getattr(fn, "_saved_for", None)      # {attribute: input whose grad reads it}
    for key, value in fn.__dict__.items():
        if key in _BOOKKEEPING or (used_for and key in used_for and
                                   not fn.needs_grad[used_for[key]]):
            continue
        for a in _saved_arrays(value):
            owner = _owner(a)
            c = _counters.get(id(owner))
            if c is not None:
                version, stamps = _history(c)
                if stamps and stamps[-1] > t0:
                    raise RuntimeError(_message(fn, a, owner, version, stamps, t0))


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def _message(fn, array, owner, version, stamps, t0):
    """PyTorch's wording: the saved tensor's type and shape, the node that made it, its
    version now and when it was saved; plus the node that saved it."""
    shape, producer = array.shape, fn.name()        # not an input: the node's own output
    for t in fn.inputs or ():
        if _owner(t.array) is owner:
            shape = t.array.shape
            producer = None if t._ctx is None else t._ctx.name()
            break
    later = sum(1 for s in stamps if s > t0)
    expected = (f"expected version {version - later}" if later < len(stamps) or
                len(stamps) == version else f"expected a version before the last {later}")
    made = "" if producer is None else f", which is output 0 of {producer},"
    kind = _TYPE_NAMES.get(array.dtype.name, array.dtype.name)
    loc = where(fn)
    hint = (f" The node was created at {loc}." if loc else
            " Hint: enable anomaly detection (deepgrad.autograd.set_detect_anomaly(True)) "
            "to find the line that created the node.")
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [deepgrad.{kind} {list(shape)}]{made} is at version "
            f"{version}; {expected} instead. It was saved for backward by {fn.name()}; "
            f"write into a copy (x = x.clone()) or make the in-place change after "
            f"backward().{hint}")
