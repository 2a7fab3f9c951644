"""The ``Optimizer`` base: construction errors, hyperparameter validation, param groups,
``zero_grad``, ``step`` details and ``state_dict`` / ``load_state_dict``."""
import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter

ALL = {
    "SGD": dict(lr=0.1, momentum=0.9, nesterov=True),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.01),
    "Adadelta": dict(lr=0.5, rho=0.8, weight_decay=0.1),
    "Adamax": dict(lr=0.01, weight_decay=0.1),
    "NAdam": dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
    "RAdam": dict(lr=0.01, betas=(0.5, 0.9)),        # rectified from step 6 on
    "ASGD": dict(lr=0.01, t0=3),
    "Rprop": dict(lr=0.01),
    "SparseAdam": dict(lr=0.01),
    "Adafactor": dict(lr=0.01, weight_decay=0.1),
    "Muon": dict(lr=0.01),
}
SHAPES = {"Muon": [(3, 2), (2, 4)]}                  # Muon takes matrices only


def _params(dtype=np.float64, seed=0, shapes=((3, 2), (2,))):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]


def _set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = deepgrad.Tensor(rng.standard_normal(p.shape).astype(p.dtype))


# ---------------------------------------------------------------------- construction
@pytest.mark.parametrize("name", list(ALL) + ["LBFGS"])
def test_empty_parameter_list(name):
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        getattr(optim, name)([])
    with pytest.raises(ValueError, match="empty parameter list"):
        getattr(optim, name)(iter([]))


def test_single_tensor_set_and_non_tensor_are_refused():
    p = Parameter(np.zeros(2))
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}])
    with pytest.raises(TypeError, match="only optimize Tensors.*ndarray"):
        optim.SGD([np.zeros(2)])


def test_non_leaf_and_duplicates_are_refused():
    p, q = _params()
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2.0])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p, q]}])
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([p, p])


def test_generator_of_parameters_and_named_parameters():
    p, q = _params()
    opt = optim.Adam(x for x in [p, q])
    assert [id(x) for x in opt.param_groups[0]["params"]] == [id(p), id(q)]
    named = optim.SGD([("w", p), ("b", q)], lr=0.1)
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert named.param_groups[0]["params"][0] is p


BAD = [
    ("SGD", dict(lr=-0.1), "lr", "-0.1"),
    ("SGD", dict(momentum=-0.5), "momentum", "-0.5"),
    ("SGD", dict(weight_decay=-1e-4), "weight_decay", "-0.0001"),
    ("SGD", dict(nesterov=True), "Nesterov", "momentum=0"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov", "dampening=0.1"),
    ("Adam", dict(lr=-1e-3), "lr", "-0.001"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas", "(1.0, 0.999)"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas", "(0.9, -0.1)"),
    ("Adam", dict(betas=(0.9,)), "betas", "(0.9,)"),
    ("Adam", dict(eps=-1e-8), "eps", "-1e-08"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay", "-0.01"),
    ("AdamW", dict(betas=(0.9, 1.5)), "betas", "1.5"),
    ("RMSprop", dict(alpha=1.5), "alpha", "1.5"),
    ("RMSprop", dict(alpha=-0.1), "alpha", "-0.1"),
    ("RMSprop", dict(eps=-1.0), "eps", "-1.0"),
    ("RMSprop", dict(momentum=-0.9), "momentum", "-0.9"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay", "-0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value", "-1.0"),
    ("Adagrad", dict(lr=float("nan")), "lr", "nan"),
    ("Adam", dict(lr="fast"), "lr", "'fast'"),
    ("Adam", dict(capturable=True), "capturable", "True"),
    ("Adam", dict(fused=True, foreach=True), "fused", "True"),
    ("SGD", dict(differentiable=True), "differentiable", "True"),
    ("RMSprop", dict(foreach="yes"), "foreach", "'yes'"),
    ("Adadelta", dict(rho=1.5), "rho", "1.5"),
    ("Adadelta", dict(eps=-1e-6), "eps", "-1e-06"),
    ("Adamax", dict(betas=(1.0, 0.999)), "betas", "(1.0, 0.999)"),
    ("Adamax", dict(lr=-2e-3), "lr", "-0.002"),
    ("NAdam", dict(momentum_decay=-0.1), "momentum_decay", "-0.1"),
    ("NAdam", dict(betas=(0.9, 1.0)), "betas", "(0.9, 1.0)"),
    ("RAdam", dict(weight_decay=-0.1), "weight_decay", "-0.1"),
    ("RAdam", dict(differentiable=True), "differentiable", "True"),
    ("ASGD", dict(lr=-0.01), "lr", "-0.01"),
    ("ASGD", dict(capturable=True), "capturable", "True"),
    ("Rprop", dict(etas=(1.5, 1.2)), "etas", "(1.5, 1.2)"),
    ("Rprop", dict(etas=(0.5, 0.9)), "etas", "(0.5, 0.9)"),
    ("Rprop", dict(step_sizes=(1.0, 0.5)), "step_sizes", "(1.0, 0.5)"),
    ("SparseAdam", dict(lr=0.0), "lr", "0.0"),
    ("SparseAdam", dict(eps=-1.0), "eps", "-1.0"),
    ("Adafactor", dict(beta2_decay=0.5), "beta2_decay", "0.5"),
    ("Adafactor", dict(d=0.5), "d", "0.5"),
    ("Adafactor", dict(eps=(-1.0, 1e-3)), "eps", "(-1.0, 0.001)"),
    ("LBFGS", dict(history_size=0), "history_size", "0"),
    ("LBFGS", dict(line_search_fn="wolfe"), "line_search_fn", "'wolfe'"),
]


@pytest.mark.parametrize("name, kwargs, arg, shown", BAD,
                         ids=[f"{n}-{k}" for n, kw, k, _ in BAD])
def test_bad_hyperparameters_name_the_argument_and_value(name, kwargs, arg, shown):
    with pytest.raises(ValueError) as info:
        getattr(optim, name)(_params(), **kwargs)
    message = str(info.value)
    assert arg in message and shown in message and name in message


def test_bad_hyperparameter_in_a_param_group():
    p, q = _params()
    with pytest.raises(ValueError, match="lr.*-1"):
        optim.SGD([{"params": [p]}, {"params": [q], "lr": -1}], lr=0.1)
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="betas"):
        opt.add_param_group({"params": [q], "betas": (0.9, 1.0)})
    assert len(opt.param_groups) == 1


# ---------------------------------------------------------------------- groups
def test_param_groups_with_different_lrs_and_defaults():
    p, q = _params()
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[1]["maximize"] is False
    p0, q0 = p.array.copy(), q.array.copy()
    _set_grads([p, q], 1)
    opt.step()
    np.testing.assert_allclose(p.array, p0 - 0.1 * p.grad.array, rtol=1e-15)
    np.testing.assert_allclose(q.array, q0 - 0.5 * q.grad.array, rtol=1e-15)


def test_add_param_group():
    p, q = _params()
    opt = optim.Adam([p], lr=0.01)
    opt.add_param_group({"params": q, "lr": 0.1})
    assert len(opt.param_groups) == 2
    assert [id(x) for x in opt.param_groups[1]["params"]] == [id(q)]
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    _set_grads([p, q], 2)
    opt.step()
    assert opt.state[q]["step"] == 1
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [q]})
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([q])


def test_adagrad_state_exists_before_the_first_step():
    p, q = _params()
    opt = optim.Adagrad([p, q], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(opt.state[p]["sum"], np.full(p.shape, 0.25))
    assert opt.state[q]["step"] == 0


# ---------------------------------------------------------------------- zero_grad and step
def test_zero_grad_set_to_none_and_to_zero():
    p, q = _params()
    opt = optim.SGD([p, q], lr=0.1)
    _set_grads([p, q], 3)
    grad_array = p.grad.array
    opt.zero_grad(set_to_none=False)
    assert p.grad.array is grad_array and not grad_array.any() and not q.grad.array.any()
    opt.zero_grad()
    assert p.grad is None and q.grad is None


def test_step_skips_parameters_without_gradient():
    p, q = _params()
    opt = optim.Adam([p, q])
    q0 = q.array.copy()
    _set_grads([p], 4)
    opt.step()
    np.testing.assert_array_equal(q.array, q0)
    assert q not in opt.state and opt.state[p]["step"] == 1


def test_zero_gradient_still_steps_with_momentum():
    """A zero grad (not None) is a step: momentum keeps moving the parameter."""
    p = Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    p.grad = deepgrad.Tensor(np.ones(2))
    opt.step()
    opt.zero_grad(set_to_none=False)
    opt.step()
    np.testing.assert_allclose(p.array, [-1.5, -1.5])


def test_step_with_closure_records_the_graph():
    p = Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with deepgrad.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.array, [0.5, -1.0])   # p - 0.25 * 2p


def test_training_with_autograd_lowers_the_loss():
    rng = np.random.default_rng(0)
    X = deepgrad.tensor(rng.standard_normal((64, 4)).astype(np.float32))
    y = X @ deepgrad.tensor(np.array([1.0, -2.0, 0.5, 3.0], np.float32))
    w = Parameter(np.zeros(4, np.float32))
    opt = optim.Adam([w], lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3 and w.array.dtype == np.float32


def test_repr_lists_groups():
    opt = optim.SGD(_params(), lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.1" in text


# ---------------------------------------------------------------------- state_dict
def _train(opt, params, seeds):
    for seed in seeds:
        _set_grads(params, seed)
        opt.step()


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_state_dict_round_trip_continues_identically(name, dtype):
    params = _params(dtype, shapes=SHAPES.get(name, ((3, 2), (2,))))
    opt = getattr(optim, name)(params, **ALL[name])
    _train(opt, params, range(5))
    saved = opt.state_dict()
    saved_params = [p.array.copy() for p in params]
    _train(opt, params, range(5, 10))                      # the uninterrupted run

    resumed = [Parameter(a) for a in saved_params]
    opt2 = getattr(optim, name)(resumed, lr=123.0)         # other hyperparameters: overwritten
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == ALL[name]["lr"]
    _train(opt2, resumed, range(5, 10))
    for p, r in zip(params, resumed):
        assert r.array.dtype == dtype
        np.testing.assert_array_equal(p.array, r.array)
    for r in resumed:
        for value in opt2.state[r].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == dtype


def test_state_dict_layout_and_snapshot():
    params = _params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}])
    _train(opt, params, [0])
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert isinstance(sd["state"][0]["exp_avg"], np.ndarray)
    before = sd["state"][0]["exp_avg"].copy()
    _train(opt, params, [1])
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)   # a snapshot


def test_load_state_dict_casts_float64_state_to_float32_params():
    params64 = _params(np.float64)
    opt = optim.Adam(params64)
    _train(opt, params64, [0, 1])
    params32 = _params(np.float32)
    opt32 = optim.Adam(params32)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[params32[0]]["exp_avg"].dtype == np.float32
    _train(opt32, params32, [2])
    assert all(p.array.dtype == np.float32 for p in params32)


def test_load_state_dict_rejects_mismatch_without_changing_anything():
    p, q = _params()
    source = optim.SGD([p, q], lr=0.1, momentum=0.9)
    _train(source, [p, q], [0])
    target_params = _params(seed=1)
    target = optim.SGD([{"params": target_params[:1]}, {"params": target_params[1:]}],
                       lr=0.2, momentum=0.9)
    _train(target, target_params, [1])
    before = target.state_dict()
    with pytest.raises(ValueError, match="1 parameter groups.*has 2"):
        target.load_state_dict(source.state_dict())
    one_group = optim.SGD([target_params[0]], lr=0.3)
    with pytest.raises(ValueError, match="group 0 has 2 parameters.*has 1"):
        one_group.load_state_dict(source.state_dict())
    bad_shape = source.state_dict()
    bad_shape["state"][1]["momentum_buffer"] = np.zeros(7)
    two = optim.SGD(_params(), lr=0.3, momentum=0.9)
    with pytest.raises(ValueError, match="shape"):
        two.load_state_dict(bad_shape)
    assert two.param_groups[0]["lr"] == 0.3 and not two.state
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"][0]["momentum_buffer"],
                                  before["state"][0]["momentum_buffer"])


def test_load_state_dict_keeps_scheduler_initial_lr():
    params = _params()
    opt = optim.SGD(params, lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(3):
        opt.step()
        sched.step()
    opt2 = optim.SGD(_params(), lr=0.7)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.param_groups[0]["initial_lr"] == 0.1
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.01)


def test_plain_sgd_keeps_no_state_and_momentum_can_be_switched_on():
    p, q = _params()
    opt = optim.SGD([p, q], lr=0.1)
    _train(opt, [p, q], [0, 1])
    assert opt.state_dict()["state"] == {}
    opt.param_groups[0]["momentum"] = 0.9
    _set_grads([p, q], 2)
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], p.grad.array)


@pytest.mark.parametrize("name, switches", [
    ("SGD", dict(foreach=True, fused=False)), ("SGD", dict(fused=True)),
    ("Adam", dict(foreach=False)), ("Adam", dict(fused=True)), ("AdamW", dict(fused=True)),
    ("Adagrad", dict(fused=True)), ("RMSprop", dict(foreach=True)),
    ("NAdam", dict(foreach=True)), ("Adafactor", dict(foreach=True))])
def test_implementation_switches_change_nothing(name, switches):
    """``foreach``/``fused`` choose PyTorch kernels; here every value computes the same."""
    runs = []
    for kwargs in ({}, switches):
        params = _params()
        opt = getattr(optim, name)(params, lr=0.01, **kwargs)
        _train(opt, params, range(3))
        assert all(opt.param_groups[0][k] == v for k, v in kwargs.items())
        runs.append([p.array for p in params])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_optimizers_without_a_switch_refuse_it_as_torch_does():
    with pytest.raises(TypeError, match="fused"):
        optim.NAdam(_params(), fused=True)
    with pytest.raises(TypeError, match="capturable"):
        optim.SGD(_params(), capturable=False)


def test_adamw_is_adam_with_decoupled_decay():
    runs = []
    for cls, kwargs in [(optim.AdamW, {}), (optim.Adam, dict(decoupled_weight_decay=True))]:
        params = _params()
        opt = cls(params, lr=0.01, weight_decay=0.1, **kwargs)
        _train(opt, params, range(4))
        runs.append([p.array for p in params])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    opt = optim.AdamW(_params())
    sd = opt.state_dict()
    sd["param_groups"][0]["decoupled_weight_decay"] = False
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True    # as torch's AdamW


def test_muon_state_dict_keeps_the_momentum():
    params = _params(shapes=[(3, 2), (2, 4)])
    opt = optim.Muon(params)
    _train(opt, params, [0])
    assert set(opt.state_dict()["state"][1]) == {"momentum_buffer"}
