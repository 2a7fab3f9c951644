"""The optimizers that need more than the shared regression run of test_optim_vs_torch:
SparseAdam (sparse gradients), Muon (2-D parameters, Newton-Schulz), LBFGS (closures,
line search) and Adafactor on a 3-D parameter. Each follows torch's trajectory over 100
steps in float64; the checks that need no torch come first in each section."""
import contextlib

import numpy as np
import pytest

import deepgrad
from deepgrad import optim
from deepgrad.nn.parameter import Parameter
from deepgrad.optim.muon import adjust_lr, zeropower_via_newtonschulz


@contextlib.contextmanager
def torch_float64():
    """torch with float64 defaults and one thread (tiny problems)."""
    torch = pytest.importorskip("torch")
    default, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    try:
        yield torch
    finally:
        torch.set_default_dtype(default)
        torch.set_num_threads(threads)


def _close(ours, theirs, rtol=1e-10, atol=1e-12):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


# ====================================================================== SparseAdam
RNG = np.random.default_rng(0)
E0, TARGET = RNG.standard_normal((12, 4)), RNG.standard_normal((12, 4))
BATCHES = [RNG.integers(0, 12, size=5) for _ in range(100)]


def _sparse_run(lib, kwargs, embedding=True, dtype=np.float64):
    """Fit embedding rows to targets, a few looked-up rows per step (sparse gradients)."""
    if lib is deepgrad:
        E = Parameter(E0.astype(dtype))
        opt = optim.SparseAdam([E], **kwargs)
    else:
        E = lib.tensor(E0.astype(dtype), requires_grad=True)
        opt = lib.optim.SparseAdam([E], **kwargs)
    T = lib.tensor(TARGET.astype(dtype))
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for idx in BATCHES:
        opt.zero_grad()
        if lib is deepgrad:
            rows, wanted = E[idx], T[idx]
        else:
            it = lib.tensor(idx)
            rows = lib.nn.functional.embedding(it, E, sparse=True) if embedding else E[it]
            wanted = T[it]
        (((rows - wanted) ** 2).sum() * sign).backward()
        if lib is not deepgrad and not embedding:
            E.grad = E.grad.to_sparse()          # dense -> sparse: the nonzero entries
        opt.step()
    return np.array(E.detach().numpy()), opt


SPARSE_CONFIGS = [dict(lr=0.01), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
                  dict(lr=0.01, maximize=True)]


@pytest.mark.parametrize("kwargs", SPARSE_CONFIGS, ids=str)
@pytest.mark.parametrize("embedding", [True, False], ids=["embedding", "to_sparse"])
def test_sparse_adam_matches_torch(kwargs, embedding):
    ours, opt = _sparse_run(deepgrad, kwargs)
    with torch_float64() as torch:
        theirs, topt = _sparse_run(torch, kwargs, embedding)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    tstate = topt.state_dict()["state"][0]
    assert opt.state_dict()["state"][0]["step"] == tstate["step"] == 100
    np.testing.assert_allclose(opt.state_dict()["state"][0]["exp_avg_sq"],
                               tstate["exp_avg_sq"].numpy(), rtol=1e-10, atol=1e-14)


def test_sparse_adam_explicit_zeros_match_torch_to_sparse():
    """Zeros inside a dense gradient are outside the support, as for ``to_sparse()``."""
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal((6, 5))
    p = Parameter(p0.copy())
    opt = optim.SparseAdam([p], lr=0.02)
    grads = [rng.standard_normal((6, 5)) * (rng.random((6, 5)) < 0.4) for _ in range(100)]
    for g in grads:
        p.grad = deepgrad.tensor(g)
        opt.step()
    with torch_float64() as torch:
        tp = torch.tensor(p0, requires_grad=True)
        topt = torch.optim.SparseAdam([tp], lr=0.02)
        for g in grads:
            tp.grad = torch.tensor(g).to_sparse()
            topt.step()
        np.testing.assert_allclose(p.array, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_sparse_adam_leaves_untouched_entries_alone():
    """Entries outside the support keep value and moments; the step count still moves."""
    p = Parameter(np.arange(6.0).reshape(3, 2))
    opt = optim.SparseAdam([p], lr=0.1)
    g = np.array([[1.0, 0.0], [0.0, 0.0], [-2.0, 3.0]])
    p.grad = deepgrad.tensor(g)
    opt.step()
    # step 1 on the support: m = 0.1 g, v = 0.001 g^2, so
    # theta -= lr sqrt(0.001) / 0.1 * m / (sqrt(v) + eps) = lr g / (|g| + eps / sqrt(0.001))
    expected = np.arange(6.0).reshape(3, 2) - 0.1 * g / (np.abs(g) + 1e-8 / np.sqrt(0.001))
    np.testing.assert_allclose(p.array, expected, rtol=1e-14)
    p.grad = deepgrad.tensor(np.zeros((3, 2)))
    before = p.array.copy()
    opt.step()
    np.testing.assert_array_equal(p.array, before)
    assert opt.state[p]["step"] == 2
    np.testing.assert_array_equal(opt.state[p]["exp_avg"][1], [0.0, 0.0])


def test_sparse_adam_bad_arguments():
    p = Parameter(np.zeros(2))
    for kwargs, word in [(dict(lr=0.0), "lr"), (dict(eps=0.0), "eps"),
                         (dict(betas=(0.9, 1.0)), "betas")]:
        with pytest.raises(ValueError, match=f"SparseAdam: invalid {word}"):
            optim.SparseAdam([p], **kwargs)


# ====================================================================== Muon
X_M = RNG.standard_normal((32, 5))
Y_M = X_M @ RNG.standard_normal((5, 3))
A0, B0 = RNG.standard_normal((5, 8)) * 0.5, RNG.standard_normal((8, 3)) * 0.5


def _muon_run(lib, kwargs, steps=100, dtype=np.float64):
    """A two-matrix linear model (only 2-D parameters, as Muon requires)."""
    if lib is deepgrad:
        ps = [Parameter(A0.astype(dtype)), Parameter(B0.astype(dtype))]
        opt = optim.Muon(ps, **kwargs)
    else:
        ps = [lib.tensor(A0.astype(dtype), requires_grad=True),
              lib.tensor(B0.astype(dtype), requires_grad=True)]
        opt = lib.optim.Muon(ps, **kwargs)
    X, Y = lib.tensor(X_M.astype(dtype)), lib.tensor(Y_M.astype(dtype))
    for _ in range(steps):
        opt.zero_grad()
        ((X @ ps[0] @ ps[1] - Y) ** 2).mean().backward()
        opt.step()
    return [np.array(p.detach().numpy()) for p in ps]


def test_newton_schulz_orthogonalises():
    """The quintic map sends every singular value into about [0.6, 1.2], keeps the
    singular vectors, and handles tall matrices through the transpose."""
    rng = np.random.default_rng(2)
    for shape in [(8, 3), (5, 8), (16, 16)]:
        k = min(shape)                           # singular values from 1 to 20
        u0 = np.linalg.qr(rng.standard_normal((shape[0], k)))[0]
        v0 = np.linalg.qr(rng.standard_normal((shape[1], k)))[0]
        g = u0 @ np.diag(np.geomspace(1, 20, k)) @ v0.T
        o = zeropower_via_newtonschulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7)
        assert o.shape == g.shape and o.dtype == g.dtype
        s = np.linalg.svd(o, compute_uv=False)
        assert 0.6 < s.min() and s.max() < 1.2, s
        u, _, vt = np.linalg.svd(g, full_matrices=False)
        core = u.T @ o @ vt.T                    # diagonal: the same singular vectors
        np.testing.assert_allclose(core - np.diag(np.diag(core)), 0, atol=1e-10)
        np.testing.assert_allclose(np.sort(np.diag(core))[::-1], s, rtol=1e-10)
    x32 = zeropower_via_newtonschulz(rng.standard_normal((4, 6)).astype(np.float32),
                                     (3.4445, -4.775, 2.0315), 5, 1e-7)
    assert x32.dtype == np.float32


def test_muon_first_step_formula():
    """Step 1: B = (1 - mu) g, nesterov look-ahead (1 - mu^2) g, then the decoupled decay
    and the adjusted rate, from the docstring."""
    g = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    p = Parameter(np.ones((2, 3)))
    opt = optim.Muon([p], lr=0.1, weight_decay=0.2, momentum=0.9)
    p.grad = deepgrad.tensor(g)
    opt.step()
    look_ahead = (1 - 0.9) * g + 0.9 * ((1 - 0.9) * g)
    ortho = zeropower_via_newtonschulz(look_ahead, (3.4445, -4.775, 2.0315), 5, 1e-7)
    expected = np.ones((2, 3)) * (1 - 0.1 * 0.2) - adjust_lr(0.1, None, (2, 3)) * ortho
    np.testing.assert_allclose(p.array, expected, rtol=1e-12)
    assert adjust_lr(0.1, "original", (8, 2)) == pytest.approx(0.2)
    assert adjust_lr(0.1, "match_rms_adamw", (8, 2)) == pytest.approx(0.1 * 0.2 * 8 ** 0.5)


def test_muon_refuses_non_matrices_and_bad_options():
    with pytest.raises(ValueError, match=r"Muon only supports 2D parameters.*\(3,\)"):
        optim.Muon([Parameter(np.zeros((2, 2))), Parameter(np.zeros(3))])
    p = Parameter(np.zeros((2, 2)))
    for kwargs, word in [(dict(adjust_lr_fn="sqrt"), "adjust_lr_fn"),
                         (dict(ns_steps=100), "ns_steps"), (dict(momentum=-0.1), "momentum"),
                         (dict(ns_coefficients=(1.0, 2.0)), "ns_coefficients")]:
        with pytest.raises(ValueError, match=f"Muon: invalid {word}"):
            optim.Muon([p], **kwargs)


MUON_CONFIGS = [dict(lr=0.01), dict(lr=0.01, nesterov=False, weight_decay=0.01, momentum=0.9),
                dict(lr=0.01, adjust_lr_fn="match_rms_adamw", ns_steps=3,
                     ns_coefficients=(2.0, -1.5, 0.5))]


def _newton_schulz_float64(torch):
    """torch's iteration without its bfloat16 cast (the one deliberate difference)."""
    def iterate(grad, ns_coefficients, ns_steps, eps):
        a, b, c = ns_coefficients
        x = grad.T if grad.size(0) > grad.size(1) else grad
        x = x / x.norm().clamp(min=eps)
        for _ in range(ns_steps):
            gram = x @ x.T
            x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
        return x.T if grad.size(0) > grad.size(1) else x
    return iterate


@pytest.mark.parametrize("kwargs", MUON_CONFIGS, ids=str)
def test_muon_matches_torch_without_bfloat16(kwargs, monkeypatch):
    ours = _muon_run(deepgrad, kwargs)
    with torch_float64() as torch:
        import torch.optim._muon as torch_muon
        monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz",
                            _newton_schulz_float64(torch))
        theirs = _muon_run(torch, kwargs)
    _close(ours, theirs)


def test_muon_close_to_torch_bfloat16():
    """Against unmodified torch the difference is bfloat16 rounding (~1-2% of an update)."""
    with torch_float64() as torch:
        import torch.optim._muon as torch_muon
        g = np.random.default_rng(3).standard_normal((8, 3))
        theirs = torch_muon._zeropower_via_newtonschulz(
            torch.tensor(g), (3.4445, -4.775, 2.0315), 5, 1e-7).double().numpy()
        ours = zeropower_via_newtonschulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7)
        assert np.abs(ours - theirs).max() < 0.05 * np.abs(ours).max()
        first = _muon_run(deepgrad, dict(lr=0.01), steps=1)
        tfirst = _muon_run(torch, dict(lr=0.01), steps=1)
        step = np.abs(first[1] - B0).max()
        assert np.abs(first[1] - tfirst[1]).max() < 0.1 * step


# ====================================================================== LBFGS
X_L = RNG.standard_normal((64, 5))
Y_L = (X_L @ RNG.standard_normal((5, 3)) + RNG.standard_normal((64, 3)) > 0).astype(float)
W0_L = RNG.standard_normal((5, 3)) * 0.1
X_T = RNG.standard_normal((40, 4))
Y_T = np.sin(X_T @ RNG.standard_normal((4, 2)))
W1_T, W2_T = RNG.standard_normal((4, 6)) * 0.5, RNG.standard_normal((6, 2)) * 0.5


def _data(lib, array, like):
    """``array`` as a tensor of ``lib`` with the dtype of the tensor ``like``."""
    if lib is deepgrad:
        return deepgrad.tensor(array.astype(like.dtype))
    return lib.tensor(array, dtype=like.dtype)


def _logistic(lib, ps):
    """Convex: L2-regularised logistic regression (3 independent outputs)."""
    z = _data(lib, X_L, ps[0]) @ ps[0] + ps[1]
    return ((lib.log(1 + lib.exp(z)) - _data(lib, Y_L, ps[0]) * z).mean()
            + 0.01 * (ps[0] ** 2).sum())


def _tanh_net(lib, ps):
    """Non-convex: a one-hidden-layer tanh network."""
    return ((lib.tanh(_data(lib, X_T, ps[0]) @ ps[0]) @ ps[1] - _data(lib, Y_T, ps[0])) ** 2
            ).mean()


def _lbfgs_run(lib, kwargs, steps, problem, dtype=np.float64):
    start = [W0_L, np.zeros(3)] if problem is _logistic else [W1_T, W2_T]
    if lib is deepgrad:
        ps = [Parameter(a.astype(dtype)) for a in start]
        opt = optim.LBFGS(ps, **kwargs)
    else:
        ps = [lib.tensor(a.astype(dtype), requires_grad=True) for a in start]
        opt = lib.optim.LBFGS(ps, **kwargs)

    def closure():
        opt.zero_grad()
        loss = problem(lib, ps)
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    state = opt.state[ps[0]]
    return ([np.array(p.detach().numpy()) for p in ps], losses,
            (state["func_evals"], state["n_iter"]))


LBFGS_CONFIGS = [
    (dict(max_iter=1, lr=0.5), 100, _logistic),
    (dict(max_iter=1, line_search_fn="strong_wolfe", history_size=5), 100, _logistic),
    (dict(), 5, _logistic),
    (dict(line_search_fn="strong_wolfe"), 5, _logistic),
    (dict(history_size=3, max_iter=10, lr=0.8), 10, _logistic),
    (dict(max_iter=20, tolerance_change=0, tolerance_grad=0), 1, _tanh_net),
    (dict(max_iter=20, tolerance_change=0, tolerance_grad=0, line_search_fn="strong_wolfe",
          max_eval=1000), 1, _tanh_net),
]


@pytest.mark.parametrize("kwargs, steps, problem", LBFGS_CONFIGS,
                         ids=[f"{c[2].__name__}-{c[1]}-{c[0]}" for c in LBFGS_CONFIGS])
def test_lbfgs_matches_torch(kwargs, steps, problem):
    ours, losses, counts = _lbfgs_run(deepgrad, kwargs, steps, problem)
    with torch_float64() as torch:
        theirs, tlosses, tcounts = _lbfgs_run(torch, kwargs, steps, problem)
    _close(ours, theirs)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-10)
    assert counts == tcounts


def test_lbfgs_float32_matches_torch_loosely():
    ours, _, _ = _lbfgs_run(deepgrad, dict(max_iter=5), 4, _logistic, np.float32)
    assert all(p.dtype == np.float32 for p in ours)
    torch = pytest.importorskip("torch")
    theirs, _, _ = _lbfgs_run(torch, dict(max_iter=5), 4, _logistic, np.float32)
    _close(ours, theirs, rtol=1e-4, atol=1e-5)


def test_lbfgs_solves_least_squares():
    """On a quadratic L-BFGS reaches the normal-equations solution (no torch needed)."""
    rng = np.random.default_rng(4)
    A, y = rng.standard_normal((30, 4)), rng.standard_normal(30)
    w = Parameter(np.zeros(4))
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = ((deepgrad.tensor(A) @ w - deepgrad.tensor(y)) ** 2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(w.array, np.linalg.lstsq(A, y, rcond=None)[0], rtol=1e-8)


def test_lbfgs_needs_a_closure_and_one_group():
    w = Parameter(np.zeros(2))
    opt = optim.LBFGS([w])
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    with pytest.raises(TypeError, match="needs a closure.*None"):
        opt.step(None)
    assert not opt.state                          # nothing ran
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [Parameter(np.zeros(1))]}])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [Parameter(np.zeros(1))]})
    for kwargs, word in [(dict(line_search_fn="armijo"), "line_search_fn"),
                         (dict(history_size=0), "history_size"), (dict(lr=-1), "lr"),
                         (dict(max_iter=2.5), "max_iter")]:
        with pytest.raises(ValueError, match=f"LBFGS: invalid {word}"):
            optim.LBFGS([w], **kwargs)


def test_lbfgs_state_dict_round_trip():
    """Save after 2 steps, load into a fresh optimizer: the same next steps as going on."""
    ours, _, _ = _lbfgs_run(deepgrad, dict(max_iter=3, history_size=4), 5, _logistic)
    ps = [Parameter(W0_L.copy()), Parameter(np.zeros(3))]
    opt = optim.LBFGS(ps, max_iter=3, history_size=4)

    def closure_for(params, optimizer):
        def closure():
            optimizer.zero_grad()
            loss = _logistic(deepgrad, params)
            loss.backward()
            return loss
        return closure

    for _ in range(2):
        opt.step(closure_for(ps, opt))
    saved = opt.state_dict()
    resumed = [Parameter(p.array.copy()) for p in ps]
    opt2 = optim.LBFGS(resumed, lr=0.3)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["history_size"] == 4
    for _ in range(3):
        opt2.step(closure_for(resumed, opt2))
    for a, b in zip(ours, resumed):
        np.testing.assert_array_equal(a, b.array)


# ====================================================================== Adafactor, 3-D
def test_adafactor_three_dimensional_parameter_matches_torch():
    """A 3-D parameter is factored over its last two dims, batched over the first."""
    rng = np.random.default_rng(5)
    W0, X, Y = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 8, 4)), None
    Y = np.tanh(X @ rng.standard_normal((2, 4, 3)))

    def run(lib):
        W = Parameter(W0) if lib is deepgrad else lib.tensor(W0, requires_grad=True)
        opt = (optim if lib is deepgrad else lib.optim).Adafactor([W], lr=0.005,
                                                                   weight_decay=0.1)
        for _ in range(100):
            opt.zero_grad()
            ((lib.tensor(X) @ W - lib.tensor(Y)) ** 2).mean().backward()
            opt.step()
        return np.array(W.detach().numpy()), opt.state[W]

    ours, state = run(deepgrad)
    assert state["row_var"].shape == (2, 4, 1) and state["col_var"].shape == (2, 1, 3)
    with torch_float64() as torch:
        theirs, _ = run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
