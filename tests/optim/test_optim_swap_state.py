"""``swap_in_optimizer_params_and_state``: stepping on swapped-in parameters and state,
exact restoration on exit, and refusal of mismatched state (PyTorch 2.13's contract)."""
import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter
from deepgrad.optim import swap_in_optimizer_params_and_state


def _initial(seed=0):
    """Starting values and first gradients of two parameters."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in [(3, 2), (2,)]]
    return values, [rng.standard_normal(v.shape) for v in values]


def _setup(seed=0):
    values, grads = _initial(seed)
    params = [Parameter(v) for v in values]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.01)
    for p, g in zip(params, grads):
        p.grad = deepgrad.tensor(g)
    opt.step()
    return params, opt


def _swap_in(params, opt, seed=1):
    rng = np.random.default_rng(seed)
    swapped = {f"p{i}": Parameter(p.array + 1.0) for i, p in enumerate(params)}
    for p in swapped.values():
        p.grad = deepgrad.tensor(rng.standard_normal(p.shape))
    return swapped, opt.state_dict()


def test_step_acts_on_the_swapped_in_tensors_and_state():
    params, opt = _setup()
    live_arrays = [p.array.copy() for p in params]
    live_state = opt.state_dict()
    live_groups = opt.param_groups
    group_lists = [g["params"] for g in live_groups]
    swapped, sd = _swap_in(params, opt)
    exp_avg = sd["state"][0]["exp_avg"]
    before_swapped = {k: p.array.copy() for k, p in swapped.items()}
    sd["param_groups"][1]["lr"] = 0.5                  # a swapped-in hyperparameter
    with swap_in_optimizer_params_and_state(opt, swapped, sd):
        assert opt.param_groups[0]["params"][0] is swapped["p0"]
        assert opt.param_groups[1]["lr"] == 0.5
        opt.step()
    # the swapped-in tensors and the state dict's arrays were updated in place
    assert not np.array_equal(swapped["p0"].array, before_swapped["p0"])
    assert sd["state"][0]["exp_avg"] is exp_avg
    assert not np.array_equal(exp_avg, live_state["state"][0]["exp_avg"])
    # the live optimizer is exactly as before
    for p, a in zip(params, live_arrays):
        np.testing.assert_array_equal(p.array, a)
    assert opt.param_groups is live_groups
    assert [g["params"] for g in opt.param_groups] == group_lists
    assert opt.param_groups[0]["params"] is group_lists[0]
    assert opt.param_groups[1]["lr"] == 0.05
    after = opt.state_dict()
    assert after["param_groups"] == live_state["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["exp_avg"],
                                  live_state["state"][0]["exp_avg"])
    # the same step as loading that state into a fresh optimizer over those tensors
    ref_params = [Parameter(before_swapped[k]) for k in ("p0", "p1")]
    for r, s in zip(ref_params, swapped.values()):
        r.grad = s.grad
    ref = optim.Adam([{"params": ref_params[:1]}, {"params": ref_params[1:]}], lr=0.01)
    ref.load_state_dict(live_state)
    ref.param_groups[1]["lr"] = 0.5
    ref.step()
    for r, s in zip(ref_params, swapped.values()):
        np.testing.assert_array_equal(r.array, s.array)


def test_live_optimizer_restored_after_an_error_inside():
    params, opt = _setup()
    state = opt.state
    swapped, sd = _swap_in(params, opt)
    with pytest.raises(RuntimeError, match="boom"):
        with swap_in_optimizer_params_and_state(opt, swapped, sd):
            raise RuntimeError("boom")
    assert opt.state is state and opt.param_groups[0]["params"][0] is params[0]


def test_matches_torch():
    torch = pytest.importorskip("torch")
    params, opt = _setup()
    swapped, sd = _swap_in(params, opt)
    values, grads = _initial()
    tparams = [torch.tensor(v, requires_grad=True) for v in values]
    topt = torch.optim.Adam([{"params": tparams[:1]}, {"params": tparams[1:], "lr": 0.05}],
                            lr=0.01)
    for p, g in zip(tparams, grads):
        p.grad = torch.tensor(g)
    topt.step()
    tswapped = {k: torch.tensor(np.array(p.array), requires_grad=True)
                for k, p in swapped.items()}
    for k, p in tswapped.items():
        p.grad = torch.tensor(np.array(swapped[k].grad.array))
    tsd = topt.state_dict()
    with swap_in_optimizer_params_and_state(opt, swapped, sd):
        opt.step()
    with torch.optim.swap_in_optimizer_params_and_state(topt, tswapped, tsd):
        topt.step()
    for k in swapped:
        np.testing.assert_allclose(swapped[k].array, tswapped[k].detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(sd["state"][1]["exp_avg_sq"], tsd["state"][1]["exp_avg_sq"],
                               rtol=1e-12)


@pytest.mark.parametrize("break_it, match", [
    (lambda sd, ps: sd.pop("state"), "be a dict mapping packed parameter ids"),
    (lambda sd, ps: sd["state"].__setitem__(7, {}), "extra keys \\[7\\]"),
    (lambda sd, ps: sd["state"].__setitem__(0, [1]), "dictionaries"),
    (lambda sd, ps: sd["param_groups"].pop(), "1 parameter groups, the live optimizer has 2"),
    (lambda sd, ps: sd["param_groups"][0].pop("eps"), "Keys only in live: \\['eps'\\]"),
    (lambda sd, ps: sd["param_groups"][1].__setitem__("momentum", 0.9),
     "Keys only in swap-in: \\['momentum'\\]"),
    (lambda sd, ps: sd["param_groups"][0].__setitem__("params", ["a"]), "packed parameter ids"),
    (lambda sd, ps: sd["param_groups"][0]["params"].append(1), "group 0 has 2 params"),
    (lambda sd, ps: ps.pop("p1"), "match optimizer.param_groups ordering"),
])
def test_mismatches_are_refused_before_anything_changes(break_it, match):
    params, opt = _setup()
    swapped, sd = _swap_in(params, opt)
    break_it(sd, swapped)
    groups = [dict(g) for g in opt.param_groups]
    with pytest.raises(RuntimeError, match=match):
        with swap_in_optimizer_params_and_state(opt, swapped, sd):
            pass
    assert [dict(g) for g in opt.param_groups] == groups


def test_needs_initialised_state():
    p = Parameter(np.zeros(2))
    opt = optim.Adam([p])
    with pytest.raises(RuntimeError, match="initialized optimizer state"):
        with swap_in_optimizer_params_and_state(opt, {"p": Parameter(np.zeros(2))},
                                                opt.state_dict()):
            pass
