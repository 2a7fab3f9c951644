"""Keras-style optimizer base class, on the machinery of :class:`deepgrad.optim.Optimizer`.

A Keras optimizer is created before the model's weights exist (``compile('adam')``), so
it receives them later: ``build(var_list)`` (done implicitly by the first update) creates
every variable's slots at once, in a fixed order that ``get_state`` / ``set_state`` rely
on. One update (``apply``), for each variable ``theta`` with gradient ``g``:

    g     <- clip(g)                            clipnorm | global_clipnorm | clipvalue
    theta <- theta - lr * wd * theta            if weight_decay = wd   (decoupled, Keras)
    theta <- update_step(theta, g, slots, lr)   the algorithm (one file each)
    theta <- constraint(theta)                  if the variable has one (Dense's
                                                kernel_constraint=..., as Keras)
    iterations <- iterations + 1

``lr`` is ``learning_rate`` (a float, or a schedule evaluated at ``iterations``), divided
by ``1 + decay * iterations`` when the legacy Keras 2 argument ``decay`` is given.
Clipping, as Keras: ``clipnorm = c`` scales each gradient to norm at most ``c``;
``global_clipnorm = c`` scales all gradients together so their joint norm is at most
``c``; ``clipvalue = v`` clips each entry to ``[-v, v]``.

Parameter groups, ``zero_grad`` and ``state_dict`` / ``load_state_dict`` come from the
PyTorch-style base; ``state[param]`` holds the slot arrays (same dtype as the variable).
"""
import copy
import warnings

import numpy as np

from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry
from deepgrad.keras.optimizers import schedules
from deepgrad.optim.optimizer import Optimizer as _BaseOptimizer

# Keras arguments accepted only at their "off" value (ema, loss scaling, accumulation).
_UNSUPPORTED = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                "loss_scale_factor": None, "gradient_accumulation_steps": None}


class Optimizer(_BaseOptimizer):
    """Base of the Keras optimizers.

    Args:
        learning_rate: a float, a :class:`~deepgrad.keras.optimizers.schedules.
            LearningRateSchedule`, or a callable with no arguments. ``lr=`` (Keras 2's
            name) is accepted as an alias.
        weight_decay (float, optional): decoupled weight decay ``wd``.
        clipnorm, clipvalue, global_clipnorm (float, optional): gradient clipping; at most
            one of them.
        name (str, optional): the optimizer's name.
        decay (float, optional): Keras 2's time-based decay,
            ``lr / (1 + decay * iterations)``.

    A subclass writes ``init_state(param, group)`` (its slots, a dict of arrays shaped
    like ``param``), ``hyperparameters(lr)`` (per-step scalars, read once per update) and
    ``update_step(param, grad, state, hp)`` (update the array ``param`` in place).

    Example:
        >>> opt = Adam(learning_rate=1e-3)
        >>> loss.backward()
        >>> opt.apply(model.trainable_weights)       # reads each weight's .grad
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("optimizers", cls)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, lr=None, decay=None, **kwargs):
        # the PyTorch base is built from a parameter list; a Keras optimizer gets its
        # variables later, in build(), which adds them as the one parameter group
        self.defaults, self.param_groups, self.state = {}, [], {}
        for key, off in _UNSUPPORTED.items():
            if kwargs.pop(key, off) != off:
                raise NotImplementedError(f"{type(self).__name__}: argument {key!r} is not "
                                          f"supported by deepgrad.keras")
        if kwargs:
            raise ValueError(f"{type(self).__name__}: argument(s) not recognized: {kwargs}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set; received clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.name = name or type(self).__name__.lower()
        self.weight_decay, self.decay = weight_decay, decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.iterations = 0
        self.built = False
        self._has_constraints = False          # any tracked variable with a constraint
        self._exclude_ids, self._exclude_names = set(), ()
        self._learning_rate = None
        self.learning_rate = learning_rate if lr is None else lr

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The learning rate. For a float rate, a float-like view that also has Keras's
        ``assign`` / ``numpy`` (so ``K.set_value(opt.lr, 0.01)`` can work); for a schedule,
        its value at ``iterations``. Set it with ``opt.learning_rate = 0.01``."""
        if isinstance(self._learning_rate, float):
            return LearningRateVariable(self)
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or (
                callable(value) and not isinstance(value, (Tensor, np.ndarray, np.generic))):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, "
                            "you should instantiate the optimizer with a float "
                            "`learning_rate` argument.")
        try:
            lr = float(value.item() if isinstance(value, (Tensor, np.ndarray)) else value)
        except (TypeError, ValueError):
            lr = None
        if lr is None or isinstance(value, bool) or not lr >= 0:
            raise ValueError(f"Argument `learning_rate` should be a float >= 0, a "
                             f"LearningRateSchedule or a callable; received "
                             f"learning_rate={value!r}")
        self._learning_rate = lr

    lr = learning_rate     # Keras 2's name: opt.lr, opt.lr = 0.01

    def _current_learning_rate(self):
        """The rate as a float: the schedule at ``iterations``, the callable's value, or
        the float itself."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        return float(lr()) if callable(lr) else lr

    def _step_learning_rate(self):
        lr = self._current_learning_rate()
        return lr / (1.0 + self.decay * self.iterations) if self.decay else lr

    # ------------------------------------------------------------------ variables
    def build(self, var_list):
        """Track ``var_list`` (Tensors) and create their slots; known ones are skipped.

        Keras builds once; here a later call may add variables (e.g. layers unfrozen
        for fine-tuning), whose slots start at their initial values.
        """
        new = [v for v in var_list if v not in self.state]
        if not new and self.built:
            return
        if not self.param_groups:
            self.add_param_group({"params": []})
        self._check_params(new)
        group = self.param_groups[0]
        for v in new:
            group["params"].append(v)
            self.state[v] = self.init_state(v.array, group)
            if getattr(v, "constraint", None) is not None:
                self._has_constraints = True
        self.built = True

    #: Keras's order of the slot variables: groups of slot names, interleaved per
    #: tracked variable within a group, one group after the other (Keras's
    #: ``add_optimizer_variables``). Adam: ``(("momentum", "velocity"), ("velocity_hat",))``
    #: gives m_0, v_0, m_1, v_1, ..., vh_0, vh_1, ...
    slot_groups = ()

    @property
    def variables(self):
        """Keras 3's list: ``iterations``, ``learning_rate`` (a float rate only), then the
        slots in Keras's order (:attr:`slot_groups`) and any extra state (Nadam's
        product), as arrays; the slots are the live state arrays. This is the order of a
        Keras ``.keras`` file's ``optimizer/vars``."""
        head = [np.asarray(self.iterations, np.int64)]
        if isinstance(self._learning_rate, float):
            head.append(np.asarray(self._learning_rate, np.float32))
        return head + self._keras_slots() + self._extra_variables()

    def _keras_slots(self):
        params = self.param_groups[0]["params"] if self.param_groups else []
        return [self.state[p][name] for group in self.slot_groups for p in params
                for name in group if name in self.state[p]]

    def _extra_variables(self):
        """State beyond the per-variable slots, as arrays (none by default)."""
        return []

    def _set_extra_variables(self, arrays):
        if arrays:
            raise ValueError(f"{self.name}: {len(arrays)} unexpected extra state arrays")

    def assign_variables(self, arrays):
        """Set :attr:`variables` from arrays in that order (Keras's
        ``load_own_variables``); everything is checked before anything is written.

        Raises:
            ValueError: a different count (is the optimizer built on the same variables?)
                or a shape that does not fit.
        """
        current = self.variables
        arrays = [np.asarray(a) for a in arrays]
        if len(arrays) != len(current):
            raise ValueError(f"{self.name}: expected {len(current)} optimizer variables "
                             f"(iterations, learning rate and slots), received {len(arrays)}; "
                             f"build the optimizer on the model's trainable weights first")
        for i, (have, new) in enumerate(zip(current, arrays)):
            if have.shape != new.shape:
                raise ValueError(f"{self.name}: optimizer variable {i} has shape {have.shape},"
                                 f" received {new.shape}")
        n_head = 2 if isinstance(self._learning_rate, float) else 1
        n_slots = len(self._keras_slots())
        for slot, value in zip(self._keras_slots(), arrays[n_head:n_head + n_slots]):
            slot[...] = value
        self._set_extra_variables(arrays[n_head + n_slots:])
        self.iterations = int(arrays[0])
        if n_head == 2 and np.float32(self._learning_rate) != arrays[1]:
            self._learning_rate = float(arrays[1])     # (a float32 copy of ours: keep ours)

    def _slots(self):
        params = self.param_groups[0]["params"] if self.param_groups else []
        return [arr for p in params for arr in self.state[p].values()
                if isinstance(arr, np.ndarray)]

    def get_state(self):
        """``{"iterations": int, "variables": [copies of the slot arrays]}``."""
        return {"iterations": int(self.iterations), "variables": [a.copy() for a in self._slots()]}

    def set_state(self, state):
        """Restore what :meth:`get_state` returned (the optimizer must be built on the same
        variables in the same order)."""
        slots, arrays = self._slots(), list(state["variables"])
        if len(slots) != len(arrays):
            raise ValueError(f"{self.name}: the saved state has {len(arrays)} slot arrays, this "
                             f"optimizer has {len(slots)} (is it built on the same variables? "
                             f"call optimizer.build(model.trainable_weights) first)")
        for i, (slot, value) in enumerate(zip(slots, arrays)):
            value = np.asarray(value)
            if value.shape != slot.shape:
                raise ValueError(f"{self.name}: saved slot {i} has shape {value.shape}, "
                                 f"expected {slot.shape}")
            slot[...] = value
        self.iterations = int(state["iterations"])

    def get_weights(self):
        """Copies of :attr:`variables` (Keras 2's list form)."""
        return [np.array(a) for a in self.variables]

    def set_weights(self, weights):
        """Inverse of :meth:`get_weights` (:meth:`assign_variables`)."""
        self.assign_variables(weights)

    def state_dict(self):
        return {**super().state_dict(), "iterations": self.iterations}

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        iterations = state_dict.pop("iterations", self.iterations)
        super().load_state_dict(state_dict)
        self.iterations = int(iterations)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Skip weight decay for these variables, or those whose ``name`` (or ``path``)
        contains one of ``var_names`` (plain substrings)."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_names = tuple(var_names or ())

    def _use_weight_decay(self, var):
        if id(var) in self._exclude_ids:
            return False
        name = getattr(var, "name", None) or getattr(var, "path", None)
        return not (name and any(n in name for n in self._exclude_names))

    # ------------------------------------------------------------------ updates
    def apply(self, grads_or_vars, trainable_variables=None):
        """One update. Three forms:

        * ``apply(var_list)``: read each variable's ``.grad`` (those without one are
          skipped). The fast path for a training loop.
        * ``apply(grads, trainable_variables)``: Keras 3's form.
        * ``apply(grads)``: gradients for the variables the optimizer was built on.

        A list of Tensors that all require grad (or are already tracked) is taken as
        variables: gradients never require grad.
        """
        items = list(grads_or_vars)
        if trainable_variables is not None:
            variables = list(trainable_variables)
            if len(items) != len(variables):
                raise ValueError(f"apply: received {len(items)} gradients for "
                                 f"{len(variables)} variables; expected one per variable")
            grads, variables = _filter_empty_gradients(items, variables)
            return self._apply_pairs(grads, variables)
        if items and all(isinstance(v, Tensor) and (v.requires_grad or v in self.state)
                         for v in items):
            pairs = [(v.grad, v) for v in items if v.grad is not None]
            return self._apply_pairs([g for g, _ in pairs], [v for _, v in pairs], items)
        if not self.built:
            raise ValueError("When passing `grads` without `variables`, the optimizer must "
                             "already be built on a list of variables. Call "
                             "`optimizer.build(trainable_variables)` first.")
        params = self.param_groups[0]["params"]
        if len(items) != len(params):
            raise ValueError(f"When passing `grads` as a list of gradient tensors, the "
                             f"gradients must match the optimizer's variables one-to-one; "
                             f"received {len(items)} gradients for {len(params)} variables")
        return self._apply_pairs(items, params)

    def apply_gradients(self, grads_and_vars):
        """Keras's ``apply_gradients(zip(grads, vars))``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        grads, variables = _filter_empty_gradients([g for g, _ in pairs],
                                                   [v for _, v in pairs])
        self._apply_pairs(grads, variables)
        return self.iterations

    def step(self, closure=None):
        """PyTorch-style: update every tracked variable from its ``.grad``."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if self.built:
            self.apply(self.param_groups[0]["params"])
        return loss

    def _apply_pairs(self, grads, params, build=None):
        self.build(params if build is None else build)
        lr = self._step_learning_rate()
        grads = self._clip_gradients([_as_grad(g, p) for g, p in zip(grads, params)])
        hp = self.hyperparameters(lr)
        decay = lr * self.weight_decay if self.weight_decay else 0.0
        state, update = self.state, self.update_step
        for p, g in zip(params, grads):
            if decay and self._use_weight_decay(p):
                p.array *= 1.0 - decay               # theta - lr wd theta
            update(p.array, g, state[p], hp)
        if self._has_constraints:                  # w <- constraint(w), after the update
            for p in params:
                constraint = getattr(p, "constraint", None)
                if constraint is not None:
                    p.array[...] = constraint(p.array)
        self.iterations += 1

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = np.sqrt(sum(np.vdot(g, g).real for g in grads))
            if not np.isfinite(norm):
                return [g * np.nan for g in grads]
            scale = self.global_clipnorm / norm if norm > self.global_clipnorm else 1.0
            return grads if scale == 1.0 else [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------------ subclass hooks
    def init_state(self, param, group):
        """The slots of one variable: a dict of arrays of its shape and dtype."""
        return {}

    def hyperparameters(self, lr):
        """Per-update scalars for ``update_step`` (Python floats), from the step's ``lr``
        and ``self.iterations`` (still the count before this update)."""
        return lr

    def update_step(self, param, grad, state, hp):
        raise NotImplementedError(f"{type(self).__name__} does not define update_step")

    # ------------------------------------------------------------------ config
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, **_UNSUPPORTED}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config):
        config = copy.deepcopy(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        lr = self._learning_rate
        return f"<{type(self).__name__} name={self.name} learning_rate={lr!r} " \
               f"iterations={self.iterations}>"


class LearningRateVariable(np.lib.mixins.NDArrayOperatorsMixin):
    """``optimizer.learning_rate`` for a float rate: behaves as that float (``float()``,
    arithmetic, comparisons, formatting) and, like Keras's variable, has ``assign`` and
    ``numpy``; it always reads the optimizer's current rate."""

    __slots__ = ("_optimizer",)

    def __init__(self, optimizer):
        self._optimizer = optimizer

    def assign(self, value):
        self._optimizer.learning_rate = value

    def numpy(self):
        return np.asarray(float(self))

    def __float__(self):
        return float(self._optimizer._learning_rate)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(float(self), dtype=dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(float(i) if isinstance(i, LearningRateVariable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __format__(self, spec):
        return format(float(self), spec)

    def __hash__(self):
        return hash(float(self))

    def __repr__(self):
        return repr(float(self))


def _filter_empty_gradients(grads, variables):
    """Drop the variables whose gradient is None, with Keras's warning.

    Raises:
        ValueError: no gradient at all.
    """
    missing = [getattr(v, "path", None) or getattr(v, "name", None) or f"#{i}"
               for i, (g, v) in enumerate(zip(grads, variables)) if g is None]
    if not missing:
        return grads, variables
    if len(missing) == len(grads):
        raise ValueError("No gradients provided for any variable.")
    warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. "
                  f"If using `model.compile()`, did you forget to provide a `loss` argument?",
                  stacklevel=3)
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    return [g for g, _ in kept], [v for _, v in kept]


def _as_grad(g, param):
    """A gradient as an array of the variable's shape and dtype (Tensors unwrapped)."""
    g = g.array if isinstance(g, Tensor) else np.asarray(g)
    p = param.array
    if g.shape == p.shape and g.dtype == p.dtype:
        return g
    if g.shape != param.array.shape:
        raise ValueError(f"gradient of shape {g.shape} does not match its variable's shape "
                         f"{param.array.shape}")
    return g if g.dtype == param.array.dtype else g.astype(param.array.dtype)


def _clip_by_norm(g, clipnorm):
    """``g * clipnorm / max(||g||, clipnorm)``: unchanged when the norm is within bounds."""
    norm = float(np.sqrt(np.vdot(g, g).real))
    return g * (clipnorm / norm) if norm > clipnorm else g


registry.add_base("optimizers", Optimizer)
