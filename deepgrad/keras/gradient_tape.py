"""``GradientTape``: TensorFlow's way of asking for gradients, on deepgrad's engine.

Keras 3 code written for the TensorFlow backend takes gradients with a tape::

    import deepgrad as tf
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

deepgrad records every op on tensors that require grad (as PyTorch does), so the tape
only decides what ``gradient`` returns:

    tape.gradient(target, sources) = d(sum of target) / d(source) for each source,
    in the sources' structure (a tensor, or nested lists / tuples / dicts of them);
    None for a source the target does not depend on (or zeros, with
    ``unconnected_gradients="zero"``), and for a source that was not watched.

A trainable variable (a Parameter or Keras Variable) is watched by being used; another
tensor is watched by :meth:`GradientTape.watch` (which makes it record its graph from
then on). ``watch_accessed_variables=False`` restricts the gradients to watched sources.
A tape gives one set of gradients unless ``persistent=True`` (the graph is kept for more).
``output_gradients`` weights the target (a vector-Jacobian product).

Differences from TensorFlow, each refused or documented: gradients of gradients (a tape
nested in a recording tape, differentiated again) need double backward, which deepgrad
does not have: ``gradient`` raises inside an outer recording tape. Ops run before the
tape opened are part of the graph too (TensorFlow would not see them).
"""
import numpy as np

from deepgrad.autograd.grad_mode import no_grad
from deepgrad.autograd.gradients import grad as _autograd_grad
from deepgrad.autograd.tensor import Tensor

_ACTIVE = []                  # the tapes currently recording, innermost last


def _flatten(x):
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _flatten(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _flatten(item)]
    return [x]


def _pack(structure, flat):
    """``flat`` (an iterator) put back into ``structure``'s nesting."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(_pack(item, flat) for item in structure)
    if isinstance(structure, dict):
        return {k: _pack(v, flat) for k, v in structure.items()}
    return next(flat)


class GradientTape:
    """Records what :meth:`gradient` needs (see the module docstring).

    Args:
        persistent (bool): allow several calls to :meth:`gradient`. Default False.
        watch_accessed_variables (bool): trainable variables are sources without
            :meth:`watch`. Default True.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = {}              # id -> tensor
        self._used = False
        self._recording = False

    def __enter__(self):
        _ACTIVE.append(self)
        self._recording = True
        return self

    def __exit__(self, *exc):
        self._recording = False
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def watch(self, tensor):
        """Make ``tensor`` (or each tensor of a nested structure) a source: a tensor that
        does not require grad starts recording its graph now.

        Raises:
            ValueError: something other than a floating-point Tensor.
        """
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise ValueError(f"GradientTape.watch: expected Tensors, received "
                                 f"{type(t).__name__}: {t!r:.80}")
            if t.array.dtype.kind not in "fc":
                raise ValueError(f"GradientTape.watch: only floating-point tensors can be "
                                 f"watched, received dtype {t.array.dtype}")
            if not t.requires_grad:
                if t._ctx is not None:
                    raise ValueError("GradientTape.watch: this tensor was computed without "
                                     "recording a graph; watch its inputs before computing it")
                t.requires_grad = True
            self._watched[id(t)] = t

    def watched_variables(self):
        """The tensors given to :meth:`watch`, in order."""
        return list(self._watched.values())

    def reset(self):
        """Forget the watched tensors (and allow :meth:`gradient` again)."""
        self._watched.clear()
        self._used = False

    def stop_recording(self):
        """``with tape.stop_recording():`` computes without recording a graph."""
        return no_grad()

    def _is_source(self, t):
        if not isinstance(t, Tensor) or not t.requires_grad:
            return False
        return self.watch_accessed_variables or id(t) in self._watched

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """``d target / d source`` for each source, in the sources' structure.

        Args:
            target: a Tensor (non-scalar targets are summed), or a list of them (their
                gradients add up).
            sources: a Tensor or nested lists / tuples / dicts of Tensors.
            output_gradients: the weights of the target's entries (one per target),
                default ones.
            unconnected_gradients: ``"none"`` (None for an unrelated source) or
                ``"zero"`` (zeros).

        Raises:
            RuntimeError: a second call on a non-persistent tape, or a call inside an
                outer recording tape (second-order gradients are not supported).
            ValueError: a bad ``unconnected_gradients``.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"Unknown value for unconnected_gradients: "
                             f"{unconnected_gradients!r}; expected 'none' or 'zero'")
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        outer = [t for t in _ACTIVE if t is not self]
        if outer:
            raise RuntimeError("GradientTape.gradient inside another recording GradientTape: "
                               "second-order gradients need double backward, which deepgrad "
                               "does not support. Compute the gradient outside the outer tape.")
        self._used = True
        flat_sources = _flatten(sources)
        targets = [t for t in _flatten(target) if isinstance(t, Tensor) and t.requires_grad]
        seeds = None
        if output_gradients is not None:
            seeds = _flatten(output_gradients)
            pairs = [(t, s) for t, s in zip(_flatten(target), seeds)
                     if isinstance(t, Tensor) and t.requires_grad]
            targets, seeds = [t for t, _ in pairs], [s for _, s in pairs]
        wanted = [(i, s) for i, s in enumerate(flat_sources) if self._is_source(s)]
        grads = [None] * len(flat_sources)
        if targets and wanted:
            if seeds is None:
                seeds = [Tensor._wrap(np.ones_like(t.array)) for t in targets]
            found = _autograd_grad(targets, [s for _, s in wanted], grad_outputs=seeds,
                                   retain_graph=self.persistent, allow_unused=True)
            for (i, _), g in zip(wanted, found):
                grads[i] = g
        if unconnected_gradients == "zero":
            grads = [Tensor._wrap(np.zeros_like(s.array)) if g is None and isinstance(s, Tensor)
                     else g for g, s in zip(grads, flat_sources)]
        return _pack(sources, iter(grads))

    def __repr__(self):
        return f"<GradientTape persistent={self.persistent}>"
