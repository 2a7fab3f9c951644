"""``swap_in_optimizer_params_and_state``: step an optimizer on other parameters and state.

PyTorch's ``torch.optim.swap_in_optimizer_params_and_state``: for the duration of a
``with`` block the optimizer's groups hold the given tensors and hyperparameters and its
``state`` is the given ``state_dict()``-shaped state; on exit the live optimizer is
restored exactly. Unlike :meth:`Optimizer.load_state_dict` nothing is copied: arrays of the
swapped-in state are updated in place, so a ``step`` inside the block writes its results
into the caller's parameters and state dict.
"""
import contextlib
from collections import defaultdict

from deepgrad.autograd import Tensor

_NAME = "swap_in_optimizer_params_and_state"


def _check_state(state):
    if not isinstance(state, dict):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping "
                           f"packed parameter ids to per-param state dicts, got "
                           f"{type(state).__name__}")
    if any(isinstance(k, Tensor) for k in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by "
                           f"packed parameter ids, not by tensors")
    if any(not isinstance(v, dict) for v in state.values()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be "
                           f"dictionaries")
    return state


def _check_group(index, group, swapin_group):
    """The packed ids of one swap-in group, after checking it matches the live group."""
    if not isinstance(swapin_group, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary, "
                           f"got {type(swapin_group).__name__} for group {index}")
    ids = swapin_group.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style "
                           f"param_groups[*]['params'] entries of packed parameter ids; "
                           f"group {index} has {ids!r}")
    if len(group["params"]) != len(ids):
        raise RuntimeError(f"swapin_optim_state param group {index} has {len(ids)} params, the "
                           f"live optimizer's group has {len(group['params'])}")
    swapin_only = [k for k in swapin_group if k not in group]
    live_only = [k for k in group if k not in swapin_group]
    if swapin_only or live_only:
        raise RuntimeError(f"{_NAME} requires the param group keys to match the live "
                           f"optimizer's exactly for group {index}. Keys only in swap-in: "
                           f"{swapin_only}. Keys only in live: {live_only}.")
    return ids


def _prepare(optimizer, swapin_parameters, swapin_optim_state):
    """Check everything; return the swap-in state and ``(group, swapin_group, params)``."""
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state (take a step first)")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires an optimizer.state_dict()-shaped dict, got "
                           f"{type(swapin_optim_state).__name__}")
    state = _check_state(swapin_optim_state.get("state"))
    groups = swapin_optim_state.get("param_groups")
    if not isinstance(groups, list):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list "
                           f"of param-group dicts, got {type(groups).__name__}")
    if len(groups) != len(optimizer.param_groups):
        raise RuntimeError(f"swapin_optim_state has {len(groups)} parameter groups, the live "
                           f"optimizer has {len(optimizer.param_groups)}")
    flat = list(swapin_parameters.values())
    offset, seen, plan = 0, set(), []
    for index, (group, swapin_group) in enumerate(zip(optimizer.param_groups, groups)):
        ids = _check_group(index, group, swapin_group)
        seen.update(ids)
        if offset + len(ids) > len(flat):
            raise RuntimeError(f"{_NAME} requires the explicit parameters to match "
                               f"optimizer.param_groups ordering; got {len(flat)} tensors "
                               f"for at least {offset + len(ids)} parameters")
        plan.append((group, swapin_group, flat[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by "
                           f"packed parameter ids from param_groups[*]['params']; got extra "
                           f"keys {extra!r}")
    return state, plan


def _live(value):
    """A state value as ``update_step`` reads it: Tensors as their (shared) arrays."""
    return value.array if isinstance(value, Tensor) else value


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Temporarily replace an optimizer's parameters and state; restore them on exit.

    Args:
        optimizer (Optimizer): the live optimizer; its state must be initialised (it has
            stepped at least once).
        swapin_parameters (dict[str, Tensor]): the tensors to optimise inside the block, in
            the order of the optimizer's parameters (usually ``model.named_parameters()``
            order).
        swapin_optim_state (dict): ``{"state": {id: {...}}, "param_groups": [...]}`` as
            :meth:`Optimizer.state_dict` returns it; every group must have exactly the live
            group's keys. Only in-place edits of its arrays (or Tensors, whose arrays are
            shared) propagate back; replaced entries (a ``step`` counter, a buffer created
            inside the block) stay local.

    Raises:
        RuntimeError: a mismatch of groups, keys, ids or counts (before anything changes).

    Example:
        >>> params = {n: p.detach().clone() for n, p in model.named_parameters()}
        >>> sd = optimizer.state_dict()
        >>> with swap_in_optimizer_params_and_state(optimizer, params, sd):
        ...     optimizer.step()       # updates `params` and the arrays of `sd` in place
    """
    state, plan = _prepare(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    snapshots = [dict(g) for g in optimizer.param_groups]
    try:
        swapped = defaultdict(dict)
        for group, swapin_group, params in plan:
            group["params"] = params
            group.update({k: v for k, v in swapin_group.items() if k != "params"})
            for param, pid in zip(params, swapin_group["params"]):
                swapped[param] = {k: _live(v) for k, v in state.get(pid, {}).items()}
        optimizer.state = swapped
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = original_state
