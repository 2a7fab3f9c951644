"""``Optimizer``: the base class that owns the parameter list (PyTorch's ``torch.optim``).

Every optimizer minimises a loss ``f(theta)`` by repeating, for each parameter ``theta``
that received a gradient ``g = df/dtheta`` in the last ``backward``,

    theta <- theta - update(g, state)

where ``update`` is the one thing an algorithm defines. The base class does the rest:
parameter groups with their own hyperparameters, iteration over the parameters that have
a gradient, lazy creation of the per-parameter state, ``zero_grad``, checkpoints
(``state_dict`` / ``load_state_dict``) and hyperparameter validation. Two conventions
shared by all algorithms also live here (:func:`effective_grad`):

    g <- -g                          if maximize   (gradient ascent)
    g <- g + lambda * theta          if weight_decay = lambda > 0   (L2 penalty, "coupled")

A subclass writes three small methods (Keras' ``build`` / ``update_step`` split); the
arithmetic of ``update_step`` is a rule of :mod:`deepgrad.optim.rules`, shared with
:mod:`deepgrad.keras.optimizers`:

* ``hyperparameters(group)``: read a group's settings once per step, as Python floats.
* ``init_state(param, group)``: the state buffers of one parameter (same dtype as it).
* ``update_step(param, grad, state, hp)``: update the ndarray ``param`` in place.
"""
import copy
import operator
from collections import defaultdict
from itertools import chain

import numpy as np

from deepgrad.autograd import Tensor, enable_grad
from deepgrad.autograd.version_counter import StepWrites, bump_all

_PARAMS = operator.itemgetter("params")


def effective_grad(param, grad, weight_decay, maximize):
    """The gradient an algorithm steps along: ``(-g if maximize else g) + weight_decay * param``.

    Never writes into ``grad`` (it is ``p.grad``); returns ``grad`` itself when there is
    nothing to add, otherwise a new array.

    Args:
        param (ndarray): the parameter ``theta``.
        grad (ndarray): ``df/dtheta``, same shape.
        weight_decay (float): L2 coefficient ``lambda`` (0 for none).
        maximize (bool): ascend instead of descend.
    """
    if weight_decay:
        g = np.multiply(param, weight_decay)
        if maximize:
            g -= grad
        else:
            g += grad
        return g
    return np.negative(grad) if maximize else grad


# ---------------------------------------------------------------------- hyperparameter checks
# name -> (predicate, what was expected); subclasses list theirs in ``Optimizer.checks``.
NON_NEGATIVE = (lambda v: v >= 0, "a number >= 0")
UNIT_INTERVAL = (lambda v: 0 <= v < 1, "a number in [0, 1)")
CLOSED_UNIT_INTERVAL = (lambda v: 0 <= v <= 1, "a number in [0, 1]")
BETAS = (lambda b: len(b) == 2 and all(0 <= x < 1 for x in b),
         "a pair (beta1, beta2) with both in [0, 1)")

# PyTorch's implementation switches. ``foreach`` (one kernel per list of tensors) and
# ``fused`` (one kernel per step) choose how the same formula is executed; NumPy has one
# way, so every value means the same here. ``capturable`` (CUDA-graph capture) and
# ``differentiable`` (autograd through the step itself) would change what a step does,
# and deepgrad supports neither, so only False is accepted.
FOREACH = (lambda v: v is None or isinstance(v, bool), "None, True or False")
NOT_CAPTURABLE = (lambda v: v is False or v == 0,
                  "False (capturable=True records the step in CUDA graphs; deepgrad runs on "
                  "the CPU with NumPy and has none)")
NOT_DIFFERENTIABLE = (lambda v: v is False or v == 0,
                      "False (differentiable=True makes the step itself part of the autograd "
                      "graph, which deepgrad's in-place NumPy updates do not support)")
FUSED = (lambda v: v is None or isinstance(v, bool), "None, True or False")


def flag_checks(*names):
    """The ``checks`` entries of the PyTorch implementation switches an optimizer takes."""
    table = {"foreach": FOREACH, "capturable": NOT_CAPTURABLE,
             "differentiable": NOT_DIFFERENTIABLE, "fused": FUSED}
    return {name: table[name] for name in names}


class Optimizer:
    """Base class of all optimizers (PyTorch semantics).

    Args:
        params (iterable): Tensors (usually ``model.parameters()``), ``(name, tensor)``
            pairs, or dicts that define parameter groups: ``{"params": [...], "lr": 0.1}``;
            keys a group leaves out are taken from ``defaults``.
        defaults (dict): the hyperparameters of a group that does not set them.

    Attributes:
        param_groups (list[dict]): one dict per group, ``"params"`` plus hyperparameters.
            Schedulers change ``group["lr"]`` here between steps.
        state (dict): per-parameter state (momentum buffers, moment estimates, step
            counts), keyed by the parameter tensor; arrays have the parameter's dtype.

    Example:
        >>> opt = deepgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad()
        >>> loss_fn(model(x), y).backward()
        >>> opt.step()
    """

    #: hyperparameter name -> (predicate, expectation); checked for every group.
    checks = {}
    #: state entries that are numbers, not arrays (a loaded 0-d array becomes a number).
    scalar_state = ("step",)
    _step_writes = None     # the parameters' version-counter record (set by the first step)

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got a single Tensor; wrap it in a list")
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ subclass hooks
    def hyperparameters(self, group):
        """Read a group's settings once per step, for every ``update_step`` of that group.

        Returning a tuple of Python floats/bools (not NumPy float64 scalars, which would
        upcast float32 arithmetic) keeps dict lookups out of the per-parameter loop.
        """
        return group

    def init_state(self, param, group):
        """Return the state dict of a parameter at its first step.

        Args:
            param (ndarray): the parameter's array; buffers take its shape and dtype.
            group (dict): its parameter group.
        """
        return {}

    def update_step(self, param, grad, state, hp):
        """Apply one update to ``param`` in place (``param -= ...``; never rebind it).

        Args:
            param (ndarray): the parameter's array ``theta``.
            grad (ndarray): its gradient; read only (it is ``p.grad``).
            state (dict): its state, updated in place.
            hp: what :meth:`hyperparameters` returned for its group.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define update_step")

    # ------------------------------------------------------------------ stepping
    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss;
                it runs with gradient recording on.

        Returns:
            the closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        state, init, update = self.state, self.init_state, self.update_step
        skipped = False
        try:
            for group in self.param_groups:
                hp = self.hyperparameters(group)
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        skipped = True
                        continue
                    s = state.get(p)
                    if not s:
                        s = state[p] = init(p.array, group)
                    update(p.array, grad.array, s, hp)
        finally:
            self._record_writes(skipped)
        return loss

    def _record_writes(self, skipped):
        """Bump the version counters of the parameters the step wrote, so that backward
        through a graph recorded before the step refuses (:mod:`deepgrad.autograd.
        version_counter`): one bump for all of them when none was skipped."""
        if skipped:
            bump_all([p.array for g in self.param_groups for p in g["params"]
                      if p.grad is not None])
            return
        writes = self._step_writes
        if writes is None:
            writes = self._step_writes = StepWrites()
        groups = self.param_groups
        writes.wrote(map(_PARAMS, groups), len(groups))

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters.

        Args:
            set_to_none (bool): set ``p.grad = None`` (default) instead of filling it with
                zeros; a parameter whose grad is None is skipped by ``step``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.array.fill(0)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters, e.g. layers unfrozen while fine-tuning.

        Args:
            param_group (dict): ``"params"`` (Tensors or ``(name, Tensor)`` pairs) and any
                hyperparameters; the missing ones come from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"param_group must have a 'params' entry; received keys "
                             f"{sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs; "
                            "use a list instead")
        group = dict(self.defaults)
        group.update(param_group)
        group["params"] = self._unpack_names(list(params), group)
        self._check_params(group["params"])
        self._validate(group)
        self.param_groups.append(group)

    @staticmethod
    def _unpack_names(params, group):
        """Split ``(name, tensor)`` pairs into the tensors and ``group["param_names"]``."""
        named = [p for p in params if isinstance(p, tuple)]
        if not named:
            return params
        if len(named) != len(params):
            raise ValueError("all optimizer params should be with/without names; "
                             "some param names are missing")
        group["param_names"] = [name for name, _ in params]
        return [p for _, p in params]

    def _check_params(self, params):
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed by ops); "
                                 "optimize the leaf it came from, or .detach() it")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer got a parameter group with duplicate parameters; "
                             "each parameter may appear once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")

    def _validate(self, group):
        """Raise ValueError naming the first hyperparameter outside its range."""
        name = type(self).__name__
        for key, (ok, expected) in self.checks.items():
            if key not in group:
                continue
            value = group[key]
            try:
                good = bool(ok(value))
            except (TypeError, ValueError):
                good = False
            if not good:
                raise ValueError(f"{name}: invalid {key}: expected {expected}, "
                                 f"received {value!r}")
        if group.get("fused") and group.get("foreach"):
            raise ValueError(f"{name}: `fused` and `foreach` cannot be `True` together "
                             f"(received fused=True, foreach=True)")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """A snapshot of the optimizer, in PyTorch's layout.

        Returns:
            dict: ``{"state": {index: {name: value}}, "param_groups": [{..., "params":
            [indices]}]}`` where ``index`` numbers the parameters in group order. Arrays
            are copies (NumPy arrays), so the snapshot does not change as training goes on.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _snapshot(v) for k, v in s.items()}
                 for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a snapshot made by :meth:`state_dict` (of an optimizer of this kind).

        The saved groups are matched to this optimizer's groups in order, and their
        parameters position by position. Everything is checked before anything changes;
        floating-point state is cast to its parameter's dtype.

        Raises:
            TypeError: ``state_dict`` is not a dict with ``state`` (a dict) and
                ``param_groups`` (a list of dicts with ``params``).
            ValueError: group counts or sizes differ, a parameter's state has other keys
                than this optimizer keeps (another optimizer's state), a state array's
                shape differs from its parameter's, or a saved hyperparameter is out of
                range.
        """
        self._check_state_dict_structure(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has "
                                 f"{len(saved['params'])} parameters, this optimizer's "
                                 f"group {i} has {len(group['params'])}")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for index, saved in state_dict["state"].items():
            if index not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {index!r}, "
                                 f"which none of its parameter groups lists")
            p = id_map[index]
            state[p] = {k: self._cast_state(p, k, v) for k, v in saved.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = dict(self.defaults)
            new.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
            new["params"] = group["params"]
            self._validate(new)
            new_groups.append(new)
        self._check_state_keys(state, new_groups)
        self.state = state
        self.param_groups[:] = new_groups

    @staticmethod
    def _check_state_dict_structure(state_dict):
        name = "load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = sorted(state_dict) if isinstance(state_dict, dict) else \
                type(state_dict).__name__
            raise TypeError(f"{name}: expected an optimizer state_dict (a dict with 'state' "
                            f"and 'param_groups'), received {got}")
        if not isinstance(state_dict["state"], dict):
            raise TypeError(f"{name}: 'state' must be a dict, received "
                            f"{type(state_dict['state']).__name__}")
        groups = state_dict["param_groups"]
        if not isinstance(groups, (list, tuple)) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), (list, tuple))
                for g in groups):
            raise TypeError(f"{name}: 'param_groups' must be a list of dicts, each with a "
                            f"'params' list, received {groups!r:.200}")

    def _check_state_keys(self, state, groups):
        """Each loaded per-parameter state holds the keys this algorithm keeps (those of
        :meth:`init_state`); a state of another optimizer is refused by name."""
        if type(self).init_state is Optimizer.init_state:
            return                                 # no declared state (LBFGS keeps its own)
        for i, group in enumerate(groups):
            for j, p in enumerate(group["params"]):
                saved = state.get(p)
                if not saved:
                    continue
                expected = set(self.init_state(p.array, group))
                if set(saved) != expected:
                    raise ValueError(
                        f"load_state_dict: the state of parameter {j} of group {i} has keys "
                        f"{sorted(saved)}, but {type(self).__name__} keeps "
                        f"{sorted(expected)} (a state_dict of another optimizer, or "
                        f"of other settings such as amsgrad or momentum?); nothing was "
                        f"changed")

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


    def state_shape(self, param, key):
        """The shape a loaded state array ``key`` of ``param`` must have; None: any.

        Every array of the built-in per-parameter algorithms has the parameter's shape;
        an optimizer with other state (factored moments, flat histories) overrides this.
        """
        return param.shape

    def _cast_state(self, param, key, value):
        """A loaded state value as this parameter needs it: own copy, param dtype and shape."""
        if isinstance(value, Tensor):
            value = value.array
        if key in self.scalar_state:
            return value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(param, None, v) for v in value)
        if not isinstance(value, np.ndarray):
            return copy.deepcopy(value)
        shape = None if key is None else self.state_shape(param.array, key)
        if shape is not None and value.shape != tuple(shape):
            raise ValueError(f"loaded state {key!r} has shape {value.shape}, expected "
                             f"{tuple(shape)} for its parameter of shape {param.shape}")
        kind = param.dtype.kind
        dtype = param.dtype if value.dtype.kind == "f" and kind == "f" else value.dtype
        return np.array(value, dtype=dtype, copy=True)


def _snapshot(value):
    """A copy of one state value that later updates cannot change."""
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)
