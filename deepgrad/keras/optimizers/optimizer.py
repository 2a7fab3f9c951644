"""The base of Keras's optimizers: Keras 3's ``BaseOptimizer`` contract, on the shared
update rules of :mod:`deepgrad.optim.rules`.

A Keras optimizer is created before the model's weights exist (``compile('adam')``), so
it receives them later: ``build(var_list)`` (done implicitly by the first ``apply``)
creates every variable's slots at once, in the order Keras saves them. One call of
``apply(grads, variables)`` (or ``apply_gradients(zip(grads, variables))``), as Keras 3:

    g     <- g / loss_scale_factor                  if set (the loss was scaled)
    with gradient_accumulation_steps = k: add g to the variable's accumulator; every k-th
          call continue with g <- (g + accumulator) / k and reset the accumulators,
          otherwise stop here
    g     <- clip(g)                                clipnorm | global_clipnorm | clipvalue
    theta <- theta (1 - lr * wd)                    weight_decay = wd (decoupled)
    theta <- rule(theta, g, slots, lr, t)           the algorithm, t = iterations + 1
    average <- mu average + (1 - mu) theta          use_ema (mu = 0 at the first update);
          theta <- average every ema_overwrite_frequency updates
    theta <- constraint(theta)                      the variable's constraint, if any
    _iterations <- _iterations + 1

``iterations`` is ``_iterations // k`` with accumulation (the updates made), else
``_iterations``; schedules are evaluated at ``_iterations``, as in Keras.
``lr`` is ``learning_rate`` (a float, a schedule or a callable), divided by
``1 + decay * _iterations`` when Keras 2's ``decay`` argument is given.

Each algorithm is a subclass that writes three small methods and names its slots:

* ``_slots_for(param)``: its slots for one variable, a dict of arrays (``param``'s
  shape and dtype unless the algorithm factors them);
* ``_constants(lr, t)``: the per-update numbers, read once per update;
* ``_update(param, grad, slots, constants)``: one call of a :mod:`deepgrad.optim.rules`
  function;
* ``slot_groups``: Keras's order of the slot variables (see :attr:`Optimizer.variables`).
"""
import copy

import numpy as np

from deepgrad.autograd.grad_mode import enable_grad
from deepgrad.autograd.tensor import Tensor
from deepgrad.autograd.version_counter import StepWrites, bump_all
from deepgrad.keras import registry
from deepgrad.keras.optimizers import schedules
from deepgrad.keras.optimizers.gradients import (LearningRateVariable, _as_grad, _clip_by_norm,
                                                 _filter_empty_gradients)
from deepgrad.nn.utils.clip_grad import get_total_norm


class Optimizer:
    """Base of the Keras optimizers (Keras 3's arguments).

    Args:
        learning_rate: a float, a :class:`~deepgrad.keras.optimizers.schedules.
            LearningRateSchedule`, or a callable with no arguments. ``lr=`` (Keras 2's
            name) is accepted as an alias.
        weight_decay (float, optional): decoupled weight decay ``wd``.
        clipnorm, clipvalue, global_clipnorm (float, optional): gradient clipping; at most
            one of them.
        use_ema (bool): keep an exponential moving average of the weights.
        ema_momentum (float): its momentum ``mu`` in [0, 1]. Default 0.99.
        ema_overwrite_frequency (int, optional): copy the average into the weights every
            this many updates; None: only at the end of ``fit``
            (:meth:`finalize_variable_values`).
        loss_scale_factor (float, optional): ``fit`` multiplies the loss by it before
            the backward pass (:meth:`scale_loss`) and the gradients are divided by it.
        gradient_accumulation_steps (int, optional): update every this many calls (>= 2),
            with the mean of the gradients received since the last update.
        name (str, optional): the optimizer's name.
        decay (float, optional): Keras 2's time-based decay,
            ``lr / (1 + decay * iterations)``.

    Example:
        >>> opt = Adam(learning_rate=1e-3)
        >>> opt.apply(grads, model.trainable_weights)
        >>> loss.backward(); opt.apply(model.trainable_weights)   # reads each .grad
    """

    #: Keras's order of the slot variables: groups of slot names, interleaved per
    #: tracked variable within a group, one group after the other (Keras's
    #: ``add_optimizer_variables``). Adam: ``(("momentum", "velocity"), ("velocity_hat",))``
    #: gives m_0, v_0, m_1, v_1, ..., vh_0, vh_1, ...
    slot_groups = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry.register_subclass("optimizers", cls)

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, lr=None, decay=None, **kwargs):
        if kwargs:
            raise ValueError(f"{type(self).__name__}: argument(s) not recognized: {kwargs}")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set; received clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        if gradient_accumulation_steps and not (
                isinstance(gradient_accumulation_steps, int) and gradient_accumulation_steps >= 2):
            raise ValueError(f"`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: "
                                 f"ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(f"`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        if loss_scale_factor is not None and not loss_scale_factor > 0:
            raise ValueError(f"`loss_scale_factor` must be a number > 0 or None; received "
                             f"loss_scale_factor={loss_scale_factor!r}")
        self.name = name or type(self).__name__.lower()
        self.weight_decay, self.decay = weight_decay, decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = bool(use_ema), ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps or None
        self._iterations = 0
        self.built = False
        self._trainable_variables = []         # in build order
        self.state = {}                        # variable -> {slot name: array}
        self._built_on, self._built_len = None, 0    # the last list build() saw (fast re-check)
        self._has_constraints = False          # any tracked variable with a constraint
        self._exclude_ids, self._exclude_names = set(), ()
        self._learning_rate = None
        self.learning_rate = learning_rate if lr is None else lr

    # ------------------------------------------------------------------ step count
    @property
    def iterations(self):
        """The number of updates made: calls of ``apply`` (``// gradient_accumulation_steps``
        with accumulation). Setting it sets the count of calls."""
        steps = self.gradient_accumulation_steps
        return self._iterations // steps if steps else self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

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
        """The rate as a float: the schedule at ``_iterations``, the callable's value, or
        the float itself."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(self._iterations))
        return float(lr()) if callable(lr) else lr

    def _step_learning_rate(self):
        lr = self._current_learning_rate()
        return lr / (1.0 + self.decay * self._iterations) if self.decay else lr

    # ------------------------------------------------------------------ variables
    def build(self, var_list):
        """Track ``var_list`` (Tensors) and create their slots (and, with EMA or gradient
        accumulation, their averages and accumulators); known ones are skipped.

        Keras builds once; here a later call may add variables (e.g. layers unfrozen
        for fine-tuning), whose slots start at their initial values.
        """
        if var_list is self._built_on and len(var_list) == self._built_len:
            return
        new = [v for v in var_list if v not in self.state]
        seen = set()
        for v in new:
            if not isinstance(v, Tensor):
                raise TypeError(f"{self.name}: can only optimize Tensors (variables), but one "
                                f"of the variables is a {type(v).__name__}")
            if id(v) in seen:
                raise ValueError(f"{self.name}: a variable appears twice in the list to build "
                                 f"on; each variable may appear once")
            seen.add(id(v))
        for v in new:
            slots = {}
            if self.use_ema:
                slots["average"] = np.zeros_like(v.array)
            if self.gradient_accumulation_steps:
                slots["gradient_accumulator"] = np.zeros_like(v.array)
            slots.update(self._slots_for(v.array))
            self.state[v] = slots
            self._trainable_variables.append(v)
            if getattr(v, "constraint", None) is not None:
                self._has_constraints = True
        self.built = True
        if isinstance(var_list, list):
            self._built_on, self._built_len = var_list, len(var_list)

    @property
    def variables(self):
        """Keras 3's list: ``iterations`` (the count of calls), ``learning_rate`` (a
        float rate only), the EMA averages and gradient accumulators (when used), the
        slots in Keras's order (:attr:`slot_groups`) and any extra state (Nadam's
        product), as arrays; the slots are the live state arrays. This is the order of
        a Keras ``.keras`` file's ``optimizer/vars``."""
        head = [np.asarray(self._iterations, np.int64)]
        if isinstance(self._learning_rate, float):
            head.append(np.asarray(self._learning_rate, np.float32))
        return head + self._keras_slots() + self._extra_variables()

    def _keras_slots(self):
        groups = (("average",), ("gradient_accumulator",)) + tuple(self.slot_groups)
        params = self._trainable_variables
        return [self.state[p][name] for group in groups for p in params
                for name in group if name in self.state[p]]

    def _variable_names(self):
        """Names of :attr:`variables` as Keras writes them in legacy ``.h5`` files:
        ``adam/iteration``, ``adam/learning_rate``, ``adam/dense_kernel_momentum``..."""
        head = ["iteration"] + (["learning_rate"] if isinstance(self._learning_rate, float)
                                else [])
        groups = (("average",), ("gradient_accumulator",)) + tuple(self.slot_groups)
        params = self._trainable_variables
        slots = [f"{str(getattr(p, 'path', None) or 'variable').replace('/', '_')}_{name}"
                 for group in groups for p in params for name in group if name in self.state[p]]
        extra = [f"extra_{i}" for i in range(len(self._extra_variables()))]
        return [f"{self.name}/{n}" for n in head + slots + extra]

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
        slots = self._keras_slots()
        for slot, value in zip(slots, arrays[n_head:n_head + len(slots)]):
            slot[...] = value
        self._set_extra_variables(arrays[n_head + len(slots):])
        self._iterations = int(arrays[0])
        if n_head == 2 and np.float32(self._learning_rate) != arrays[1]:
            self._learning_rate = float(arrays[1])     # (a float32 copy of ours: keep ours)

    def _slots(self):
        return [arr for p in self._trainable_variables for arr in self.state[p].values()
                if isinstance(arr, np.ndarray)]

    def get_state(self):
        """``{"iterations": int, "variables": [copies of the slot arrays, variable by
        variable]}``."""
        return {"iterations": int(self._iterations),
                "variables": [a.copy() for a in self._slots()]}

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
        for slot, value in zip(slots, arrays):
            slot[...] = value
        self._iterations = int(state["iterations"])

    def get_weights(self):
        """Copies of :attr:`variables` (Keras 2's list form)."""
        return [np.array(a) for a in self.variables]

    def set_weights(self, weights):
        """Inverse of :meth:`get_weights` (:meth:`assign_variables`)."""
        self.assign_variables(weights)

    def state_dict(self):
        """PyTorch-style snapshot: :meth:`get_state`."""
        return self.get_state()

    def load_state_dict(self, state_dict):
        """PyTorch-style restore: :meth:`set_state`."""
        self.set_state(state_dict)

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
        items = grads_or_vars if isinstance(grads_or_vars, list) else list(grads_or_vars)
        if items is self._built_on and len(items) == self._built_len \
                and trainable_variables is None:
            # the list build() checked last (fit's trainable weights): read each .grad
            grads, variables = [], []
            for v in items:
                g = v.grad
                if g is not None:
                    a, p = g.array if type(g) is Tensor else None, v.array
                    if a is None or a.shape != p.shape or a.dtype != p.dtype:
                        a = _as_grad(g, v)           # converted, or a clear error
                    grads.append(a)
                    variables.append(v)
            return self._apply_pairs(grads, variables, checked=True)
        if trainable_variables is not None:
            variables = list(trainable_variables)
            if len(items) != len(variables):
                raise ValueError(f"apply: received {len(items)} gradients for "
                                 f"{len(variables)} variables; expected one per variable")
            if not items:
                return None
            self.build(variables)
            grads, variables = _filter_empty_gradients(items, variables)
            return self._apply_pairs(grads, variables)
        if items and all(isinstance(v, Tensor) and (v.requires_grad or v in self.state)
                         for v in items):
            self.build(items)
            pairs = [(v.grad, v) for v in items if v.grad is not None]
            return self._apply_pairs([g for g, _ in pairs], [v for _, v in pairs])
        if not items:
            return None
        if not self.built:
            raise ValueError("When passing `grads` without `variables`, the optimizer must "
                             "already be built on a list of variables. Call "
                             "`optimizer.build(trainable_variables)` first.")
        params = self._trainable_variables
        if len(items) != len(params):
            raise ValueError(f"When passing `grads` as a list of gradient tensors, the "
                             f"gradients must match the optimizer's variables one-to-one; "
                             f"received {len(items)} gradients for {len(params)} variables")
        grads, variables = _filter_empty_gradients(items, params)
        return self._apply_pairs(grads, variables)

    def apply_gradients(self, grads_and_vars):
        """Keras's ``apply_gradients(zip(grads, vars))``; returns ``iterations``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])
        return self.iterations

    def step(self, closure=None):
        """PyTorch-style: update every tracked variable from its ``.grad``.

        Raises:
            RuntimeError: the optimizer is not built yet, so it tracks no variables (raised
                before ``closure`` runs; a silent no-op would leave the weights unchanged).
        """
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__}.step() updates the variables the optimizer was built "
                f"with, and this optimizer is not built yet (it tracks no variables). Call "
                f"optimizer.build(model.trainable_variables) first (compile + fit does it), "
                f"or pass the gradients explicitly: optimizer.apply(grads, variables)")
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self.apply(self._trainable_variables)
        return loss

    def zero_grad(self, set_to_none=True):
        """PyTorch-style: clear the gradients of the tracked variables."""
        for p in self._trainable_variables:
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array.fill(0)

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when it is set (a train step's loss before the
        backward pass), else ``loss``."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _apply_pairs(self, grads, params, checked=False):
        """The update of ``params`` (already built) with ``grads`` (arrays or Tensors;
        ``checked``: arrays of the params' shapes and dtypes already)."""
        if not checked:
            grads = [_as_grad(g, p) for g, p in zip(grads, params)]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        steps = self.gradient_accumulation_steps
        if not steps:
            self._update_all(grads, params)
        else:
            state = self.state
            if (self._iterations + 1) % steps:
                for g, p in zip(grads, params):
                    state[p]["gradient_accumulator"] += g
            else:
                grads = [(g + state[p]["gradient_accumulator"]) / steps
                         for g, p in zip(grads, params)]
                self._update_all(grads, params)
                for p in self._trainable_variables:
                    state[p]["gradient_accumulator"].fill(0)
        if self.use_ema:
            self._update_moving_averages()
        if self._has_constraints:                  # w <- constraint(w), after the update
            for p in params:
                constraint = getattr(p, "constraint", None)
                if constraint is not None:
                    p.array[...] = constraint(p.array)
        self._iterations += 1

    def _update_all(self, grads, params):
        """Clip, decay and step every variable (Keras's ``_backend_update_step``)."""
        lr = self._step_learning_rate()
        grads = self._clip_gradients(grads)
        steps = self.gradient_accumulation_steps
        constants = self._constants(lr, (self._iterations // steps if steps else
                                         self._iterations) + 1)
        decay = lr * self.weight_decay if self.weight_decay else 0.0
        state, update = self.state, self._update
        try:
            for p, g in zip(params, grads):
                if decay and self._use_weight_decay(p):
                    p.array *= 1.0 - decay               # theta - lr wd theta
                update(p.array, g, state[p], constants)
        finally:                                         # autograd's version counters
            everything = self._trainable_variables
            if len(params) != len(everything):
                bump_all([p.array for p in params])
            else:                                        # all of them: bumped as one
                writes = self.__dict__.get("_step_writes")
                if writes is None:
                    writes = self.__dict__["_step_writes"] = StepWrites()
                writes.wrote((everything,), len(everything))

    def _update_moving_averages(self):
        """``average <- mu average + (1 - mu) theta`` for every tracked variable (``mu = 0``
        before the first update), and the overwrite every ``ema_overwrite_frequency``."""
        t = self.iterations
        mu = self.ema_momentum if t else 0.0
        for p in self._trainable_variables:
            avg = self.state[p]["average"]
            avg *= mu
            avg += (1.0 - mu) * p.array
        freq = self.ema_overwrite_frequency
        if freq and (t + 1) % freq == 0:
            self.finalize_variable_values(self._trainable_variables)

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, copy each variable's moving average into it (``fit`` does this
        after its last epoch, as Keras)."""
        if not self.use_ema:
            return
        if len(var_list) != len(self._trainable_variables):
            raise ValueError(f"The length of model variables ({len(var_list)}) to override "
                             f"does not match the length of model variables stored in the "
                             f"optimizer ({len(self._trainable_variables)}). Please check if "
                             f"the optimizer was called on your model.")
        for v, p in zip(var_list, self._trainable_variables):
            v.array[...] = self.state[p]["average"]

    def _clip_gradients(self, grads):
        """Keras's clipping, on the norms of ``nn.utils.get_total_norm``."""
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = float(get_total_norm(grads, 2.0).item())
            if not np.isfinite(norm):
                return [g * np.nan for g in grads]
            scale = self.global_clipnorm / norm if norm > self.global_clipnorm else 1.0
            return grads if scale == 1.0 else [g * scale for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------------ subclass hooks
    def _slots_for(self, param):
        """The slots of one variable (a dict of arrays), created by :meth:`build`."""
        return {}

    def _constants(self, lr, t):
        """Per-update numbers for :meth:`_update` (Python floats), from the update's
        ``lr`` and step ``t = iterations + 1``."""
        return lr

    def _update(self, param, grad, slots, constants):
        """Update the array ``param`` (and its slots) in place with one rule."""
        raise NotImplementedError(f"{type(self).__name__} does not define _update")

    # ------------------------------------------------------------------ config
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
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


registry.add_base("optimizers", Optimizer)
