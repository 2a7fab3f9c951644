"""KernelShap, Lime and the NumPy linear models: exact answers on linear models, the
solvers' optimality conditions, scikit-learn's solutions, and Captum with the same
perturbation samples.

Captum casts the surrogate's training data to float32 before fitting (LimeBase) and fits in
float32; with the model's outputs rounded to float32 on both sides (exact in float32) and
Captum's scikit-learn surrogate fitting in float64, the two fit the same problem."""
import itertools

import numpy as np
import pytest

import deepgrad
import deepgrad.nn as dnn
from deepgrad.interpret import KernelShap, Lime
from deepgrad.interpret.lime import default_perturb_func
from deepgrad.interpret.linear_model import Lasso, LinearRegression, Ridge
from interpret_twins import (assert_close, captum_attr, images, nn_cnn, nn_mlp, to_np,
                             to_torch, torch_module)


def linear_model(seed=0):
    deepgrad.manual_seed(seed)
    return dnn.Linear(5, 3, dtype=deepgrad.float64)


def problem(n=40, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, (n, p)).astype(float)
    y = X @ rng.normal(size=p) + 0.3 * rng.normal(size=n) + 1.5
    w = rng.uniform(0.1, 2.0, n)
    return X, y, w


# ------------------------------------------------------------------------------ solvers
def test_linear_regression_solves_the_weighted_normal_equations():
    X, y, w = problem()
    model = LinearRegression().fit(X, y, sample_weight=w)
    A = np.hstack([X, np.ones((len(y), 1))])
    sol = np.linalg.solve(A.T @ (w[:, None] * A), A.T @ (w * y))
    np.testing.assert_allclose(model.coef_, sol[:-1], rtol=1e-10)
    np.testing.assert_allclose(model.intercept_, sol[-1], rtol=1e-10)
    np.testing.assert_allclose(model.predict(X), A @ sol, rtol=1e-10)


def test_lasso_meets_its_optimality_conditions():
    """KKT: v-weighted correlation of each feature with the residual is alpha * sign(b_j)
    where b_j != 0 and at most alpha in size where b_j == 0."""
    X, y, w = problem()
    alpha = 0.05
    model = Lasso(alpha=alpha).fit(X, y, sample_weight=w)
    v = w / w.sum()
    Xc = X - v @ X
    resid = (y - v @ y) - Xc @ model.coef_
    corr = Xc.T @ (v * resid)
    active = model.coef_ != 0
    assert active.any() and not active.all()
    np.testing.assert_allclose(corr[active], alpha * np.sign(model.coef_[active]), atol=1e-9)
    assert np.all(np.abs(corr[~active]) <= alpha + 1e-9)


def test_ridge_closed_form():
    X, y, w = problem()
    model = Ridge(alpha=0.7).fit(X, y, sample_weight=w)
    Xc, yc = X - w @ X / w.sum(), y - w @ y / w.sum()
    ref = np.linalg.solve(Xc.T @ (w[:, None] * Xc) + 0.7 * np.eye(6), Xc.T @ (w * yc))
    np.testing.assert_allclose(model.coef_, ref, rtol=1e-10)


@pytest.mark.parametrize("n", [40, 4])         # 4 samples, 6 features: minimum-norm solution
def test_solvers_match_scikit_learn(n):
    sk = pytest.importorskip("sklearn.linear_model")
    X, y, w = problem(n=n)
    pairs = [(LinearRegression(), sk.LinearRegression()),
             (Ridge(alpha=0.3), sk.Ridge(alpha=0.3))]
    if n > 6:
        pairs.append((Lasso(alpha=0.02), sk.Lasso(alpha=0.02, tol=1e-14, max_iter=1000000)))
    for ours, theirs in pairs:
        ours.fit(X, y, sample_weight=w)
        theirs.fit(X, y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-7, atol=1e-10)


# ------------------------------------------------------------------------------ methods
def test_kernel_shap_is_exact_on_a_linear_model():
    """Shapley values of a linear model: phi_i = w_i (x_i - x'_i), whatever the samples."""
    model = linear_model()
    w = model.weight.detach().numpy()
    x = np.random.default_rng(0).normal(size=(1, 5))
    deepgrad.manual_seed(1)
    phi = KernelShap(model).attribute(x, baselines=0.25, target=2, n_samples=12)
    np.testing.assert_allclose(phi, (x - 0.25) * w[2], rtol=1e-8, atol=1e-10)


def test_kernel_shap_local_accuracy_groups_and_seeds():
    model, _ = nn_mlp()
    x = np.random.default_rng(2).normal(size=(1, 5))
    mask = np.array([[0, 0, 1, 2, 2]])
    deepgrad.manual_seed(3)
    phi = KernelShap(model).attribute(x, target=0, feature_mask=mask, n_samples=30)
    np.testing.assert_array_equal(phi[0, 0], phi[0, 1])
    with deepgrad.no_grad():
        gap = (model(deepgrad.from_numpy(x)) - model(deepgrad.zeros(1, 5, dtype=deepgrad.float64)))
    total = phi[0, [0, 2, 3]].sum()
    np.testing.assert_allclose(total, gap[0, 0].item(), rtol=1e-5)
    deepgrad.manual_seed(3)
    again = KernelShap(model).attribute(x, target=0, feature_mask=mask, n_samples=30)
    np.testing.assert_array_equal(phi, again)
    coefs = KernelShap(model).attribute(x, target=0, feature_mask=mask, n_samples=30,
                                        return_input_shape=False)
    assert coefs.shape == (1, 3)


def test_kernel_shap_sampler_follows_the_shapley_kernel():
    """Coalition sizes k are drawn with probability proportional to (M-1)/(k(M-k))."""
    ks = KernelShap(lambda t: t.sum(1))
    M = 6
    k = np.arange(1, M)
    probs = np.zeros(M)
    probs[1:] = (M - 1) / (k * (M - k))
    probs /= probs.sum()
    deepgrad.manual_seed(0)
    gen = ks.kernel_shap_perturb_generator(None, num_interp_features=M,
                                           num_select_distribution=probs)
    rows = np.concatenate([r.numpy() for r in itertools.islice(gen, 4002)])
    np.testing.assert_array_equal(rows[0], 1)
    np.testing.assert_array_equal(rows[1], 0)
    sizes = np.bincount(rows[2:].sum(1), minlength=M)[1:M] / 4000
    assert np.abs(sizes - probs[1:]).max() < 0.03
    assert np.abs(rows[2:].mean(0) - rows[2:].mean()).max() < 0.05      # no feature favoured


def test_lime_with_a_linear_surrogate_is_exact_on_a_linear_model():
    model = linear_model()
    w = model.weight.detach().numpy()
    x = np.random.default_rng(4).normal(size=(2, 5))
    deepgrad.manual_seed(5)
    with pytest.warns(UserWarning, match="multiple inputs"):
        attr = Lime(model, interpretable_model=LinearRegression()).attribute(
            x, target=[1, 2], n_samples=20)
    np.testing.assert_allclose(attr, x * w[[1, 2]], rtol=1e-8, atol=1e-10)


def test_lime_default_is_a_seeded_lasso():
    net, _ = nn_mlp()

    def model(t):                    # outputs large enough for alpha=0.01 to keep features
        return net(t) * 100
    x = np.random.default_rng(6).normal(size=(1, 5))
    deepgrad.manual_seed(7)
    a = Lime(model).attribute(x, target=1, n_samples=40)
    deepgrad.manual_seed(7)
    b = Lime(model).attribute(x, target=1, n_samples=40)
    np.testing.assert_array_equal(a, b)
    assert np.count_nonzero(a) > 0
    deepgrad.manual_seed(8)
    assert not np.array_equal(a, Lime(model).attribute(x, target=1, n_samples=40))


# ------------------------------------------------------------------------------ Captum
def _float64_models():
    from captum._utils.models.linear_model import SkLearnLasso, SkLearnLinearRegression

    def double(batches):
        return [tuple(t.double() for t in batch) for batch in batches]

    class LR64(SkLearnLinearRegression):
        def fit(self, train_data, **kwargs):
            return super().fit(double(train_data), **kwargs)

    class Lasso64(SkLearnLasso):
        def fit(self, train_data, **kwargs):
            return super().fit(double(train_data), **kwargs)
    return LR64, Lasso64


def _kernel_shap_samples(count, n):
    sizes = np.arange(count, dtype=float)
    probs = np.zeros(count)
    probs[1:] = (count - 1) / (sizes[1:] * (count - sizes[1:]))
    gen = KernelShap(lambda t: t).kernel_shap_perturb_generator(
        None, num_interp_features=count, num_select_distribution=probs / probs.sum())
    return [r.numpy() for r in itertools.islice(gen, n)]


@pytest.mark.parametrize("masked", [False, True])
def test_kernel_shap_matches_captum(masked):
    attr = captum_attr()
    pytest.importorskip("sklearn")
    torch = torch_module()
    LR64, _ = _float64_models()
    model, make = nn_cnn()
    tmodel = make()
    x = images(1)
    rows, cols = np.indices((10, 10))
    mask = (cols // 3 + 4 * (rows // 5))[None, None] if masked else None     # 8 patches
    count = 8 if masked else 100
    n = 40
    deepgrad.manual_seed(9)
    ours = KernelShap(lambda t: model(t).to(deepgrad.float32).to(deepgrad.float64)).attribute(
        x, target=2, n_samples=n, baselines=0.1, feature_mask=mask)
    deepgrad.manual_seed(9)
    samples = [torch.tensor(s) for s in _kernel_shap_samples(count, n)]

    def same_samples(original_inp, **kwargs):
        yield from samples
    theirs = attr.KernelShap(lambda t: tmodel(t).float().double())
    theirs.interpretable_model, theirs.perturb_func = LR64(), same_samples
    expected = theirs.attribute(to_torch(x), target=2, n_samples=n, baselines=0.1,
                                feature_mask=None if mask is None else to_torch(mask))
    assert_close(ours, expected)


def test_lime_matches_captum_on_a_batch():
    attr = captum_attr()
    pytest.importorskip("sklearn")
    torch = torch_module()
    _, Lasso64 = _float64_models()
    model, make = nn_mlp()
    tmodel = make()
    x = np.random.default_rng(8).normal(size=(2, 5))
    n = 30
    deepgrad.manual_seed(10)
    with pytest.warns(UserWarning, match="multiple inputs"):
        ours = Lime(lambda t: (model(t) * 100).to(deepgrad.float32).to(deepgrad.float64)) \
            .attribute(x, target=[0, 2], n_samples=n, perturbations_per_eval=4)
    deepgrad.manual_seed(10)
    draws = iter([torch.tensor(default_perturb_func(None, num_interp_features=5).numpy())
                  for _ in range(2 * n)])
    theirs = attr.Lime(lambda t: (tmodel(t) * 100).float().double(),
                       interpretable_model=Lasso64(alpha=0.01, tol=1e-14, max_iter=1000000),
                       perturb_func=lambda original_inp, **kwargs: next(draws))
    expected = theirs.attribute(to_torch(x), target=[0, 2], n_samples=n,
                                perturbations_per_eval=4)
    assert np.count_nonzero(ours) > 2            # the Lasso keeps some features
    assert_close(ours, expected)
    assert_close(np.asarray(ours), to_np(expected))
