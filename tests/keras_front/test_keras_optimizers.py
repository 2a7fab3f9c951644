"""deepgrad.keras.optimizers: every algorithm against a NumPy transcription of Keras's
formulas over 20 steps (float64, and float32 kept float32), the update forms, clipping,
decoupled weight decay, schedules, the legacy ``lr``/``decay`` arguments, state and
configs, and (when Keras 3 is installed) the same trajectories as Keras."""
import math
import os

import numpy as np
import pytest

import deepgrad
from deepgrad.keras import optimizers as O
from deepgrad.keras.optimizers import schedules as S
from deepgrad.nn import Parameter

RNG = np.random.default_rng(2)
SHAPES = [(3, 4), (4,), ()]
INIT = [RNG.standard_normal(s) for s in SHAPES]
GRADS = [[RNG.standard_normal(s) for s in SHAPES] for _ in range(20)]


# ---------------------------------------------------------------- NumPy references
def ref_sgd(lr=0.01, momentum=0.0, nesterov=False):
    def step(x, g, s, t):
        if not momentum:
            return x - lr * g
        s["m"] = momentum * s.get("m", 0.0) - lr * g
        return x + (momentum * s["m"] - lr * g if nesterov else s["m"])
    return step


def ref_adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def step(x, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
        v = s["v"]
        if amsgrad:
            v = s["vh"] = np.maximum(s.get("vh", 0.0), v)
        alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        return x - alpha * s["m"] / (np.sqrt(v) + epsilon)
    return step


def ref_rmsprop(lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def step(x, g, s, t):
        s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
        denom = s["v"] + epsilon
        if centered:
            s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
            denom = denom - s["a"] ** 2
        inc = lr * g / np.sqrt(denom)
        if momentum > 0:
            s["b"] = momentum * s.get("b", 0.0) + inc
            return x - s["b"]
        return x - inc
    return step


def ref_adagrad(lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    def step(x, g, s, t):
        s["acc"] = s.get("acc", initial_accumulator_value) + g * g
        return x - lr * g / np.sqrt(s["acc"] + epsilon)
    return step


def ref_adadelta(lr=0.001, rho=0.95, epsilon=1e-7):
    def step(x, g, s, t):
        s["g2"] = rho * s.get("g2", 0.0) + (1 - rho) * g * g
        delta = -np.sqrt(s.get("d2", 0.0) + epsilon) * g / np.sqrt(s["g2"] + epsilon)
        s["d2"] = rho * s.get("d2", 0.0) + (1 - rho) * delta ** 2
        return x + lr * delta
    return step


def ref_nadam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(t):
        return beta_1 * (1 - 0.5 * 0.96 ** t)

    def step(x, g, s, t):
        prod = math.prod(mu(i) for i in range(1, t + 1))
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
        m_hat = mu(t + 1) * s["m"] / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        v_hat = s["v"] / (1 - beta_2 ** t)
        return x - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return step


def ref_adamax(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def step(x, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["u"] = np.maximum(beta_2 * s.get("u", 0.0), np.abs(g))
        return x - lr * s["m"] / ((1 - beta_1 ** t) * (s["u"] + epsilon))
    return step


def ref_lion(lr=0.001, beta_1=0.9, beta_2=0.99):
    def step(x, g, s, t):
        m = s.get("m", 0.0)
        x = x - lr * np.sign(beta_1 * m + (1 - beta_1) * g)
        s["m"] = beta_2 * m + (1 - beta_2) * g
        return x
    return step


def ref_lamb(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def step(x, g, s, t):
        s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - beta_1)
        s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - beta_2)
        r = (s["m"] / (1 - beta_1 ** t)) / (np.sqrt(s["v"] / (1 - beta_2 ** t)) + epsilon)
        w_norm, r_norm = np.linalg.norm(x), np.linalg.norm(r)
        ratio = w_norm / r_norm if w_norm > 0 and r_norm > 0 else 1.0
        return x - ratio * lr * r
    return step


def ref_ftrl(lr=0.001, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    def step(x, g, s, t):
        n = s.get("n", np.full_like(np.asarray(x), init))
        z = s.get("z", 0.0)
        n_new = n + g * g
        z = z + (g + 2 * shrink * x) - (n_new ** -power - n ** -power) / lr * x
        quadratic = n_new ** -power / lr + 2 * (l2 + beta / (2 * lr))
        s["n"], s["z"] = n_new, z
        return (np.clip(z, -l1, l1) - z) / quadratic
    return step


def ref_adafactor(lr=0.001, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    def rms(a):
        return np.sqrt(np.mean(np.square(a)))

    def step(x, g, s, t):
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(eps2, rms(x)) * rho
        sq, beta = g * g + eps1, 1 - t ** decay
        if np.ndim(x) >= 2:
            s["r"] = beta * s.get("r", 0.0) + (1 - beta) * sq.mean(axis=-1)
            s["c"] = beta * s.get("c", 0.0) + (1 - beta) * sq.mean(axis=-2)
            v = (s["r"] / s["r"].mean(axis=-1, keepdims=True))[..., None] * s["c"][..., None, :]
        else:
            v = s["v"] = beta * s.get("v", 0.0) + (1 - beta) * sq
        u = g / np.sqrt(v)
        return x - alpha * u / max(1.0, rms(u) / clip)
    return step


def reference(update, lr_of_step=None, weight_decay=None, lr=None, clip=None):
    """Run a NumPy reference over GRADS; returns the final variables."""
    xs, states = [x.copy() for x in INIT], [{} for _ in INIT]
    for t, grads in enumerate(GRADS, start=1):
        grads = clip(grads) if clip else grads
        for i, g in enumerate(grads):
            if weight_decay:
                xs[i] = xs[i] - xs[i] * weight_decay * (lr_of_step(t - 1) if lr_of_step else lr)
            xs[i] = update(xs[i], g, states[i], t)
    return xs


def run(opt, dtype=np.float64, form="vars"):
    params = [Parameter(x.astype(dtype)) for x in INIT]
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = deepgrad.tensor(g.astype(dtype))
        if form == "vars":
            opt.apply(params)
        elif form == "pairs":
            opt.apply_gradients(zip([p.grad for p in params], params))
        else:
            opt.apply([p.grad.array for p in params], params)
    return params


CASES = [
    (O.SGD, {}, ref_sgd()),
    (O.SGD, {"learning_rate": 0.1, "momentum": 0.9}, ref_sgd(0.1, 0.9)),
    (O.SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}, ref_sgd(0.1, 0.9, True)),
    (O.Adam, {}, ref_adam()),
    (O.Adam, {"learning_rate": 0.01, "beta_1": 0.8, "amsgrad": True},
     ref_adam(0.01, 0.8, amsgrad=True)),
    (O.RMSprop, {}, ref_rmsprop()),
    (O.RMSprop, {"momentum": 0.9, "centered": True, "rho": 0.8},
     ref_rmsprop(rho=0.8, momentum=0.9, centered=True)),
    (O.Adagrad, {"learning_rate": 0.1}, ref_adagrad(0.1)),
    (O.Adadelta, {"learning_rate": 1.0}, ref_adadelta(1.0)),
    (O.Nadam, {"learning_rate": 0.01}, ref_nadam(0.01)),
    (O.Adamax, {"learning_rate": 0.01}, ref_adamax(0.01)),
    (O.Lion, {"learning_rate": 0.01, "beta_2": 0.9}, ref_lion(0.01, beta_2=0.9)),
    (O.Lamb, {"learning_rate": 0.01}, ref_lamb(0.01)),
    (O.Ftrl, {"learning_rate": 0.1, "l1_regularization_strength": 0.05,
              "l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.02,
              "beta": 0.5, "learning_rate_power": -0.6},
     ref_ftrl(0.1, -0.6, 0.1, 0.05, 0.1, 0.02, 0.5)),
    (O.Adafactor, {"learning_rate": 0.05, "clip_threshold": 0.8}, ref_adafactor(0.05, clip=0.8)),
]


@pytest.mark.parametrize("cls,kwargs,ref", CASES)
def test_algorithms_match_keras_formulas(cls, kwargs, ref):
    expected = reference(ref)
    for form in ("vars", "pairs", "keras3"):
        got = run(cls(**kwargs), form=form)
        for p, x in zip(got, expected):
            np.testing.assert_allclose(p.array, x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls,kwargs,ref", CASES)
def test_float32_stays_float32(cls, kwargs, ref):
    expected = reference(ref)
    for p, x in zip(run(cls(**kwargs), np.float32), expected):
        assert p.array.dtype == np.float32
        np.testing.assert_allclose(p.array, x, rtol=1e-4, atol=1e-5)


def test_adamw_decoupled_weight_decay():
    expected = reference(ref_adam(0.01), weight_decay=0.004, lr=0.01)
    for p, x in zip(run(O.AdamW(learning_rate=0.01)), expected):
        np.testing.assert_allclose(p.array, x, rtol=1e-10)
    expected = reference(ref_sgd(0.1), weight_decay=0.5, lr=0.1)
    for p, x in zip(run(O.SGD(learning_rate=0.1, weight_decay=0.5)), expected):
        np.testing.assert_allclose(p.array, x, rtol=1e-10)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)


def test_clipping():
    def by_norm(grads, c=0.5):
        return [g * c / max(np.sqrt((g * g).sum()), c) for g in grads]

    def by_global_norm(grads, c=0.5):
        norm = np.sqrt(sum((g * g).sum() for g in grads))
        return [g * c / max(norm, c) for g in grads]

    for kwargs, clip in [({"clipnorm": 0.5}, by_norm), ({"global_clipnorm": 0.5}, by_global_norm),
                         ({"clipvalue": 0.5}, lambda gs: [np.clip(g, -0.5, 0.5) for g in gs])]:
        expected = reference(ref_sgd(0.1, 0.9), clip=clip)
        for p, x in zip(run(O.SGD(learning_rate=0.1, momentum=0.9, **kwargs)), expected):
            np.testing.assert_allclose(p.array, x, rtol=1e-10)
    with pytest.raises(ValueError, match="Only one of"):
        O.Adam(clipnorm=1.0, clipvalue=1.0)


def test_legacy_lr_alias_and_decay():
    assert O.Adam(lr=0.002).learning_rate == 0.002
    assert O.SGD(lr=0.05).learning_rate == 0.05
    opt = O.SGD(lr=0.1, decay=0.01)
    expected = reference(lambda x, g, s, t: x - 0.1 / (1 + 0.01 * (t - 1)) * g)
    for p, x in zip(run(opt), expected):
        np.testing.assert_allclose(p.array, x, rtol=1e-10)
    opt.lr = 0.3                                   # Keras 2's attribute, settable
    assert opt.learning_rate == 0.3 and opt.lr == 0.3


def test_schedule_is_evaluated_at_iterations():
    schedule = S.ExponentialDecay(0.1, decay_steps=5, decay_rate=0.5)
    opt = O.SGD(learning_rate=schedule)
    expected = reference(lambda x, g, s, t: x - schedule(t - 1) * g)
    for p, x in zip(run(opt), expected):
        np.testing.assert_allclose(p.array, x, rtol=1e-10)
    assert opt.iterations == 20 and opt.learning_rate == pytest.approx(0.1 * 0.5 ** 4)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    cosine = O.Adam(learning_rate=S.CosineDecay(0.01, 20))
    expected = reference(ref_adam(), weight_decay=None)
    assert not np.allclose(run(cosine)[0].array, expected[0])


@pytest.mark.parametrize("schedule,values", [
    (S.ExponentialDecay(1.0, 10, 0.5), {0: 1.0, 10: 0.5, 15: 0.5 ** 1.5}),
    (S.ExponentialDecay(1.0, 10, 0.5, staircase=True), {9: 1.0, 15: 0.5, 20: 0.25}),
    (S.InverseTimeDecay(1.0, 10, 0.5), {0: 1.0, 10: 1 / 1.5, 20: 0.5}),
    (S.InverseTimeDecay(1.0, 10, 0.5, staircase=True), {15: 1 / 1.5}),
    (S.PolynomialDecay(1.0, 10, 0.1, power=2.0), {0: 1.0, 5: 0.9 * 0.25 + 0.1, 30: 0.1}),
    (S.PolynomialDecay(1.0, 10, 0.0, cycle=True), {5: 0.5, 15: 0.25}),
    (S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
     {0: 1.0, 10: 1.0, 11: 0.5, 20: 0.5, 21: 0.1}),
    (S.CosineDecay(1.0, 10, alpha=0.1), {0: 1.0, 5: 0.55, 10: 0.1, 50: 0.1}),
    (S.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4), {0: 0.0, 2: 0.5, 4: 1.0,
                                                                  9: 0.5, 14: 0.0}),
    (S.CosineDecayRestarts(1.0, 10), {0: 1.0, 5: 0.5, 10: 1.0, 20: 0.5, 30: 1.0}),
])
def test_schedule_values(schedule, values):
    for step, value in values.items():
        assert schedule(step) == pytest.approx(value, abs=1e-12)
    again = S.deserialize(S.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()


def test_learning_rate_setter_and_validation():
    opt = O.Adam()
    opt.learning_rate = np.float32(0.5)
    assert opt.learning_rate == 0.5
    opt.learning_rate = deepgrad.tensor(0.25)
    assert opt.learning_rate == 0.25
    lr = opt.learning_rate                       # a live, float-like view (Keras's variable)
    assert float(lr) == 0.25 and f"{lr:.2f}" == "0.25" and lr * 2 == 0.5 and lr > 0.1
    lr.assign(0.2)                               # what K.set_value(opt.lr, 0.2) needs
    assert float(lr) == 0.2 and lr.numpy() == np.float64(0.2)
    opt.learning_rate = opt.learning_rate * 0.5  # ReduceLROnPlateau-style update
    assert float(opt.lr) == 0.1
    opt.learning_rate = lambda: 0.125
    assert opt.learning_rate == 0.125
    for bad in ("fast", -1.0, [0.1]):
        with pytest.raises(ValueError, match="learning_rate"):
            O.SGD(learning_rate=bad)
    with pytest.raises(ValueError, match="momentum"):
        O.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="not recognized"):
        O.Adam(betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="ema_momentum"):
        O.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        O.Adam(use_ema=True, ema_overwrite_frequency=0.5)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        O.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        O.Adam(loss_scale_factor=0.0)


def test_state_round_trip_and_build_order():
    opt = O.Adam(learning_rate=0.01)
    params = run(opt)
    state = opt.get_state()
    assert state["iterations"] == 20 and len(state["variables"]) == 2 * len(SHAPES)
    fresh_params = [Parameter(p.array.copy()) for p in params]
    fresh = O.Adam(learning_rate=0.01)
    fresh.build(fresh_params)
    fresh.set_state(state)
    for a, b in ((params, opt), (fresh_params, fresh)):
        for p, g in zip(a, GRADS[0]):
            p.grad = deepgrad.tensor(g)
        b.apply(a)
    for p, q in zip(params, fresh_params):
        np.testing.assert_array_equal(p.array, q.array)
    weights = opt.get_weights()
    assert int(weights[0]) == 21
    fresh.set_weights(weights)
    assert fresh.iterations == 21
    with pytest.raises(ValueError, match="slot arrays"):
        O.Adam().set_state(state)
    sd = opt.state_dict()
    again = O.Adam(learning_rate=0.01)
    again.build([Parameter(p.array.copy()) for p in params])
    again.load_state_dict(sd)
    assert again.iterations == 21


def test_apply_forms_and_missing_gradients():
    p, q = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = O.SGD(learning_rate=0.5)
    p.grad = deepgrad.tensor(np.ones(3))
    opt.apply([p, q])                                   # q has no grad: skipped, still built
    np.testing.assert_allclose(p.array, 0.5)
    np.testing.assert_allclose(q.array, 1.0)
    assert opt.built and opt.iterations == 1
    opt.apply([np.ones(3), np.ones(2)])                 # grads only, in build order
    np.testing.assert_allclose(q.array, 0.5)
    with pytest.warns(UserWarning, match="do not exist"):
        opt.apply_gradients([(np.ones(3), p), (None, q)])
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply_gradients([(None, p)])
    with pytest.raises(ValueError, match="one-to-one"):
        opt.apply([np.ones(3)])
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        opt.apply([np.ones(4)], [p])
    with pytest.raises(ValueError, match="build"):
        O.SGD().apply([np.ones(3)])
    p.grad = deepgrad.tensor(np.ones(3))
    opt.zero_grad()
    assert p.grad is None
    p.grad = deepgrad.tensor(np.ones(3))
    opt.step()                                          # PyTorch-style alias
    assert opt.iterations == 4
    fresh, calls = O.SGD(), []
    with pytest.raises(RuntimeError, match=r"not built yet.*optimizer\.build"):
        fresh.step(lambda: calls.append(1))             # no silent no-op, closure not run
    assert calls == [] and not fresh.built


def test_exclude_from_weight_decay():
    p, q = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = O.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[q])
    for v in (p, q):
        v.grad = deepgrad.tensor(np.zeros(2))
    opt.apply([p, q])
    np.testing.assert_allclose(p.array, 1 - 0.05)
    np.testing.assert_allclose(q.array, 1.0)


def test_registry_and_configs():
    for name, cls in [("sgd", O.SGD), ("adam", O.Adam), ("adamw", O.AdamW),
                      ("rmsprop", O.RMSprop), ("adagrad", O.Adagrad), ("adadelta", O.Adadelta),
                      ("nadam", O.Nadam), ("Adam", O.Adam), ("RMSprop", O.RMSprop),
                      ("adamax", O.Adamax), ("adafactor", O.Adafactor), ("ftrl", O.Ftrl),
                      ("lion", O.Lion), ("Lamb", O.Lamb)]:
        opt = O.get(name)
        assert type(opt) is cls and opt.iterations == 0
    opt = O.SGD(learning_rate=0.1)
    assert O.get(opt) is opt and type(O.get(O.Nadam)) is O.Nadam
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamx'.*'adam'"):
        O.get("adamx")
    with pytest.raises(ValueError, match="Could not interpret"):
        O.get(0.1)
    for opt in (O.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
                O.Adam(learning_rate=S.ExponentialDecay(0.01, 100, 0.9), amsgrad=True),
                O.AdamW(weight_decay=0.01), O.RMSprop(centered=True, global_clipnorm=2.0),
                O.Adagrad(initial_accumulator_value=0.2), O.Adadelta(rho=0.9),
                O.Nadam(epsilon=1e-6), O.SGD(lr=0.1, decay=1e-3), O.Adamax(beta_2=0.99),
                O.Adafactor(clip_threshold=2.0), O.Ftrl(beta=0.5), O.Lion(beta_1=0.95),
                O.Lamb(epsilon=1e-6), O.Adam(use_ema=True, ema_overwrite_frequency=5),
                O.SGD(gradient_accumulation_steps=4, loss_scale_factor=128.0)):
        again = O.deserialize(O.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == opt.get_config()
    config = O.Adam().get_config()
    assert config["learning_rate"] == 0.001 and config["epsilon"] == 1e-7
    assert config["name"] == "adam" and config["weight_decay"] is None


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}), ("AdamW", {"learning_rate": 0.01}),
    ("RMSprop", {"momentum": 0.5, "centered": True}), ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}), ("Nadam", {"learning_rate": 0.01}),
    ("Adam", {"global_clipnorm": 1.0, "weight_decay": 0.1}),
    ("Adamax", {"learning_rate": 0.01}), ("Adafactor", {"learning_rate": 0.01}),
    ("Adafactor", {"learning_rate": 0.5, "clip_threshold": 0.5, "relative_step": False}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "beta": 0.1,
              "l2_regularization_strength": 0.01, "l2_shrinkage_regularization_strength": 0.01}),
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.1}), ("Lamb", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9}),
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 4}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "gradient_accumulation_steps": 3}),
    ("Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 4.0, "clipvalue": 0.2})])
def test_matches_keras(name, kwargs):
    keras = _keras()
    init = [x.astype(np.float32) for x in INIT[:2]]
    k_vars = [keras.Variable(x.copy()) for x in init]
    k_opt = getattr(keras.optimizers, name)(**kwargs)
    d_vars = [Parameter(x.copy()) for x in init]
    d_opt = getattr(O, name)(**kwargs)
    for grads in GRADS:
        grads = [g.astype(np.float32) for g in grads[:2]]
        k_opt.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], k_vars))
        d_opt.apply_gradients(zip(grads, d_vars))
    for k, d in zip(k_vars, d_vars):
        np.testing.assert_allclose(d.array, keras.ops.convert_to_numpy(k), rtol=2e-5, atol=2e-6)
    assert int(d_opt.iterations) == int(keras.ops.convert_to_numpy(k_opt.iterations))
    k_state = [keras.ops.convert_to_numpy(v) for v in k_opt.variables]
    assert [a.shape for a in d_opt.variables] == [a.shape for a in k_state]
    for a, b in zip(d_opt.variables, k_state):     # Keras's order: what .keras files hold
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    k_opt.finalize_variable_values(k_vars)          # EMA: weights <- their averages
    d_opt.finalize_variable_values(d_vars)
    for k, d in zip(k_vars, d_vars):
        np.testing.assert_allclose(d.array, keras.ops.convert_to_numpy(k), rtol=2e-5, atol=2e-6)


def test_ema_accumulation_and_loss_scaling():
    grads = [RNG.standard_normal(2) for _ in range(6)]
    opt = O.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.8)
    p, x, avg = Parameter(np.array([1.0, 2.0])), np.array([1.0, 2.0]), None
    for g in grads:
        opt.apply([g], [p])
        x = x - 0.1 * g
        avg = x if avg is None else 0.8 * avg + 0.2 * x     # mu = 0 at the first update
        np.testing.assert_allclose(p.array, x, rtol=1e-12)
    np.testing.assert_allclose(opt.variables[2], avg, rtol=1e-12)   # iterations, lr, average
    opt.finalize_variable_values([p])
    np.testing.assert_allclose(p.array, avg, rtol=1e-12)

    opt = O.SGD(learning_rate=0.1, gradient_accumulation_steps=3)
    p = Parameter(np.array([1.0, 2.0]))
    for i, g in enumerate(grads[:3]):
        opt.apply([g], [p])
        if i < 2:
            np.testing.assert_array_equal(p.array, [1.0, 2.0])
    np.testing.assert_allclose(p.array, np.array([1.0, 2.0]) - 0.1 * sum(grads[:3]) / 3)
    assert opt.iterations == 1 and int(opt.variables[0]) == 3
    np.testing.assert_array_equal(opt.variables[2], 0.0)          # accumulator reset

    opt = O.SGD(learning_rate=0.1, loss_scale_factor=4.0)
    p = Parameter(np.array([1.0, 2.0]))
    opt.apply([4.0 * grads[0]], [p])                              # gradients of 4 * loss
    np.testing.assert_allclose(p.array, np.array([1.0, 2.0]) - 0.1 * grads[0])
    assert opt.scale_loss(2.0) == 8.0 and O.SGD().scale_loss(2.0) == 2.0


def test_fit_finalizes_ema_and_scales_the_loss():
    from deepgrad import keras
    x = RNG.standard_normal((16, 3)).astype("float32")
    y = RNG.standard_normal((16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    opt = O.Adam(learning_rate=0.05, use_ema=True, ema_momentum=0.5)
    model.compile(opt, "mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    averages = opt.variables[2:2 + len(model.trainable_weights)]
    for w, a in zip(model.trainable_weights, averages):
        np.testing.assert_array_equal(w.array, a)

    def losses(**kwargs):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(O.SGD(learning_rate=0.05, **kwargs), "mse")
        return model.fit(x, y, batch_size=4, epochs=2, verbose=0).history["loss"]
    np.testing.assert_allclose(losses(loss_scale_factor=64.0), losses(), rtol=1e-5)


def test_both_fronts_step_with_the_shared_rules(monkeypatch):
    from deepgrad import optim
    from deepgrad.optim import rules
    assert not issubclass(O.Optimizer, optim.Optimizer)
    calls = []
    real = rules.adam
    monkeypatch.setattr(rules, "adam", lambda *a, **k: calls.append(k) or real(*a, **k))
    p, q = Parameter(np.ones(3)), Parameter(np.ones(3))
    p.grad = q.grad = deepgrad.tensor(np.full(3, 0.5))
    optim.Adam([p], lr=0.1, eps=1e-7).step()
    O.Adam(learning_rate=0.1).apply([q])
    assert [c.get("epsilon_hat", False) for c in calls] == [False, True]
    # same step from both fronts at step 1 up to where epsilon sits
    np.testing.assert_allclose(p.array, q.array, rtol=1e-6)
