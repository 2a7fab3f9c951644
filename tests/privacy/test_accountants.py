"""Privacy accountants: RDP, PRV, GDP and the noise for a target epsilon, against Opacus
(when installed) on the issue's grid and against closed forms and direct integration."""
import math
import warnings

import numpy as np
import pytest

from deepgrad.privacy.accountants import (
    GaussianAccountant, PRVAccountant, RDPAccountant, create_accountant, get_noise_multiplier,
    register_accountant)
from deepgrad.privacy.accountants.analysis import rdp as rdp_analysis
from deepgrad.privacy.accountants.analysis._numeric import ndtr

SIGMAS = [0.5, 0.8, 1.1, 2.0, 5.0]
RATES = [1e-3, 4.3e-3, 0.01, 0.1]
STEPS = [1, 10, 1000, 100000]
DELTAS = [1e-7, 1e-5, 1e-3]
ALPHAS = RDPAccountant.DEFAULT_ALPHAS


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # "optimal order is the largest alpha" etc.
        yield


def test_rdp_epsilon_equals_opacus_on_the_grid():
    ref = pytest.importorskip("opacus.accountants.analysis.rdp")
    worst = 0.0
    for sigma in SIGMAS:
        for q in RATES:
            mine = rdp_analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=ALPHAS)
            theirs = ref.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=ALPHAS)
            for steps in STEPS:
                for delta in DELTAS:
                    e1, a1 = rdp_analysis.get_privacy_spent(orders=ALPHAS, rdp=mine * steps,
                                                            delta=delta)
                    e2, a2 = ref.get_privacy_spent(orders=ALPHAS, rdp=theirs * steps,
                                                   delta=delta)
                    assert a1 == a2
                    worst = max(worst, abs(e1 - e2) / abs(e2))
    assert worst < 1e-6


def test_rdp_accountant_equals_opacus_accountant():
    opacus_acc = pytest.importorskip("opacus.accountants")
    mine, theirs = RDPAccountant(), opacus_acc.RDPAccountant()
    for sigma, q, n in [(1.1, 0.004, 300), (0.7, 0.02, 50), (1.1, 0.004, 10)]:
        for _ in range(n):
            mine.step(noise_multiplier=sigma, sample_rate=q)
            theirs.step(noise_multiplier=sigma, sample_rate=q)
    assert mine.history == theirs.history
    for delta in DELTAS:
        assert mine.get_epsilon(delta) == pytest.approx(theirs.get_epsilon(delta), rel=1e-6)


@pytest.mark.parametrize("accountant", ["rdp", "prv", "gdp"])
def test_noise_for_target_epsilon_equals_opacus(accountant):
    utils = pytest.importorskip("opacus.accountants.utils")
    cases = [(3.0, 1e-5, 0.01, 5)]
    if accountant == "rdp":
        cases += [(1.0, 1e-5, 256 / 60000, 10), (0.5, 1e-6, 1e-3, 20), (8.0, 1e-3, 0.1, 2)]
    for eps, delta, q, epochs in cases:
        mine = get_noise_multiplier(target_epsilon=eps, target_delta=delta, sample_rate=q,
                                    epochs=epochs, accountant=accountant)
        theirs = utils.get_noise_multiplier(target_epsilon=eps, target_delta=delta,
                                            sample_rate=q, epochs=epochs,
                                            accountant=accountant)
        assert mine == pytest.approx(theirs, rel=1e-6)


def test_prv_epsilon_close_to_opacus():
    opacus_acc = pytest.importorskip("opacus.accountants")
    histories = [[(1.1, 256 / 60000, 2340)], [(0.8, 0.01, 1000), (1.5, 0.02, 50)],
                 [(2.0, 0.001, 1)]]
    for history in histories:
        mine, theirs = PRVAccountant(), opacus_acc.PRVAccountant()
        mine.history, theirs.history = list(history), list(history)
        for delta in (1e-5, 1e-3):
            # both are upper bounds within eps_error = 0.01 of the truth; the implementations
            # differ only in the quadrature of the mean shift (~1e-8)
            assert abs(mine.get_epsilon(delta) - theirs.get_epsilon(delta)) < 1e-4


def test_gdp_epsilon_equals_opacus():
    opacus_acc = pytest.importorskip("opacus.accountants")
    for sigma, q, n in [(1.1, 256 / 60000, 2340), (0.8, 0.01, 100)]:
        mine, theirs = GaussianAccountant(), opacus_acc.GaussianAccountant()
        mine.history = theirs.history = [(sigma, q, n)]
        for poisson in (True, False):
            assert mine.get_epsilon(1e-5, poisson=poisson) == pytest.approx(
                theirs.get_epsilon(1e-5, poisson=poisson), rel=1e-9)


# ---------------------------------------------------------------------- NumPy references
def _log_a_by_integration(q, sigma, alpha):
    """log E_{z~N(0,s^2)}[((1-q) + q e^{(2z-1)/(2s^2)})^alpha] by a fine trapezoid rule."""
    z = np.linspace(-40 * sigma, 40 * sigma + 40, 400001)
    log_mu0 = -z ** 2 / (2 * sigma ** 2) - 0.5 * math.log(2 * math.pi * sigma ** 2)
    ratio = np.exp((2 * z - 1) / (2 * sigma ** 2))
    f = np.exp(log_mu0 + alpha * np.log((1 - q) + q * ratio))
    return math.log(np.trapezoid(f, z))


@pytest.mark.parametrize("q,sigma,alpha", [(0.01, 1.1, 2), (0.01, 1.1, 3.5), (0.1, 2.0, 1.5),
                                           (0.05, 0.8, 7), (0.004, 1.2, 14)])
def test_rdp_equals_direct_integration(q, sigma, alpha):
    expected = _log_a_by_integration(q, sigma, alpha) / (alpha - 1)
    got = rdp_analysis.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=[alpha])[0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_rdp_special_cases():
    orders = [1.5, 2, 10]
    assert np.allclose(rdp_analysis.compute_rdp(q=1.0, noise_multiplier=2.0, steps=3,
                                                orders=orders),
                       [3 * a / 8 for a in orders])              # Gaussian: alpha / (2 s^2)
    assert np.all(rdp_analysis.compute_rdp(q=0.0, noise_multiplier=1.0, steps=5,
                                           orders=orders) == 0)
    assert np.all(np.isinf(rdp_analysis.compute_rdp(q=0.1, noise_multiplier=0.0, steps=1,
                                                    orders=orders)))
    assert isinstance(rdp_analysis.compute_rdp(q=0.1, noise_multiplier=1.0, steps=1,
                                               orders=2.5), float)


def test_conversion_formula_and_best_order():
    orders = np.array([2.0, 4.0, 8.0])
    rdp = np.array([0.1, 0.3, 0.9])
    delta = 1e-5
    expected = rdp - (math.log(delta) + np.log(orders)) / (orders - 1) + np.log(
        (orders - 1) / orders)
    eps, best = rdp_analysis.get_privacy_spent(orders=orders, rdp=rdp, delta=delta)
    assert eps == pytest.approx(expected.min()) and best == orders[expected.argmin()]


def test_tf_privacy_tutorial_epsilons_by_the_current_conversion():
    # TF Privacy's MNIST runs: (noise, epochs) -> epsilon 0.93, 2.52, 8.77 at delta 1e-5
    for sigma, epochs, published in [(1.2, 10, 0.93), (1.12, 60, 2.52), (0.6, 30, 8.77)]:
        acc = RDPAccountant()
        acc.history = [(sigma, 256 / 60000, math.ceil(epochs * 60000 / 256))]
        assert round(acc.get_epsilon(1e-5), 2) == published


def test_epsilon_grows_with_steps_and_shrinks_with_noise():
    eps = []
    for steps in (10, 100, 1000):
        acc = RDPAccountant()
        acc.history = [(1.0, 0.01, steps)]
        eps.append(acc.get_epsilon(1e-5))
    assert eps[0] < eps[1] < eps[2]
    low, high = RDPAccountant(), RDPAccountant()
    low.history, high.history = [(0.8, 0.01, 100)], [(1.6, 0.01, 100)]
    assert high.get_epsilon(1e-5) < low.get_epsilon(1e-5)


def test_prv_of_the_gaussian_mechanism_matches_its_exact_curve():
    # q = 1: T steps of sigma are one Gaussian mechanism of sigma / sqrt(T), whose exact
    # delta(eps) = Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s)
    sigma, T, delta = 2.0, 16, 1e-5
    s = sigma / math.sqrt(T)

    def exact_delta(eps):
        return ndtr(1 / (2 * s) - eps * s) - math.exp(eps) * ndtr(-1 / (2 * s) - eps * s)
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if exact_delta(mid) > delta else (lo, mid)
    acc = PRVAccountant()
    acc.history = [(sigma, 1.0, T)]
    eps = acc.get_epsilon(delta, eps_error=0.01)
    assert hi <= eps <= hi + 0.02                # an upper bound within 2 eps_error


def test_noise_for_target_meets_the_budget_within_tolerance():
    q, epochs, delta, target = 0.01, 5, 1e-5, 2.0
    sigma = get_noise_multiplier(target_epsilon=target, target_delta=delta, sample_rate=q,
                                 epochs=epochs)
    acc = RDPAccountant()
    acc.history = [(sigma, q, int(epochs / q))]
    assert target - 0.01 <= acc.get_epsilon(delta) <= target


def test_history_merges_steps_and_state_dict_round_trip():
    acc = RDPAccountant()
    for sigma in (1.0, 1.0, 1.0, 2.0, 2.0, 1.0):
        acc.step(noise_multiplier=sigma, sample_rate=0.01)
    assert acc.history == [(1.0, 0.01, 3), (2.0, 0.01, 2), (1.0, 0.01, 1)]
    other = RDPAccountant()
    other.load_state_dict(acc.state_dict())
    assert other.history == acc.history and other.get_epsilon(1e-5) == acc.get_epsilon(1e-5)
    with pytest.raises(ValueError, match="prv"):
        PRVAccountant().load_state_dict(acc.state_dict())


def test_bad_inputs():
    with pytest.raises(ValueError, match="EITHER"):
        get_noise_multiplier(target_epsilon=1, target_delta=1e-5, sample_rate=0.01)
    with pytest.raises(ValueError, match="budget is too low"):
        get_noise_multiplier(target_epsilon=1e-6, target_delta=1e-9, sample_rate=0.5, steps=10**6)
    with pytest.raises(ValueError, match="sample rate"):
        rdp_analysis.compute_rdp(q=1.5, noise_multiplier=1, steps=1, orders=[2])
    with pytest.raises(ValueError, match="noise_multiplier"):
        RDPAccountant().step(noise_multiplier=-1, sample_rate=0.1)
    with pytest.raises(ValueError, match="delta"):
        rdp_analysis.get_privacy_spent(orders=[2], rdp=[0.1], delta=1.0)
    with pytest.raises(ValueError, match="mechanism"):
        create_accountant("moments")
    with pytest.raises(ValueError, match="already registered"):
        register_accountant("rdp", RDPAccountant)
    with pytest.raises(ValueError, match="constant"):
        g = GaussianAccountant()
        g.step(noise_multiplier=1.0, sample_rate=0.1)
        g.step(noise_multiplier=2.0, sample_rate=0.1)
