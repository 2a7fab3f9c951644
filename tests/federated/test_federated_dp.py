"""DP-FedAvg: Poisson sampling of clients, update clipping, Gaussian noise, user-level
accounting (McMahan et al. 2018)."""
import numpy as np
import pytest

from deepgrad import federated


def _clients(global_weights, deltas):
    return [[g + d for g, d in zip(global_weights, client)] for client in deltas]


def test_clipping_and_fixed_denominator_without_noise():
    g = [np.zeros((2, 2)), np.zeros(3)]
    rng = np.random.default_rng(0)
    deltas = [[rng.normal(size=(2, 2)) * s, rng.normal(size=3) * s] for s in (0.1, 1.0, 5.0)]
    dp = federated.DPFedAvg(noise_multiplier=0.0, clipping_norm=1.0, fraction_fit=0.3,
                            server_learning_rate=0.5)
    new, metrics = dp.aggregate(g, _clients(g, deltas), [5, 6, 7], rng=rng, num_clients=10)
    flat = [np.concatenate([a.ravel() for a in d]) for d in deltas]
    clipped = [f * min(1.0, 1.0 / np.linalg.norm(f)) for f in flat]
    expected = 0.5 * sum(clipped) / (0.3 * 10)      # eta * sum / (q K), unweighted
    np.testing.assert_allclose(np.concatenate([a.ravel() for a in new]), expected,
                               rtol=1e-12)
    norms = [np.linalg.norm(f) for f in flat]
    assert metrics["clipped_fraction"] == pytest.approx(np.mean(np.array(norms) > 1.0))
    mean = sum(clipped) / 3
    np.testing.assert_allclose(metrics["client_drift"],
                               np.sqrt(np.mean([np.sum((c - mean) ** 2) for c in clipped])),
                               rtol=1e-10)
    np.testing.assert_allclose(metrics["update_norm"], np.linalg.norm(sum(clipped) / 3.0),
                               rtol=1e-10)


def test_noise_std_is_z_times_clip_over_expected_clients():
    g = [np.zeros(200_000, np.float32)]
    dp = federated.DPFedAvg(noise_multiplier=1.3, clipping_norm=0.7, fraction_fit=0.25)
    new, _ = dp.aggregate(g, [], [], rng=np.random.default_rng(1), num_clients=8)
    assert new[0].dtype == np.float32
    expected = 1.3 * 0.7 / (0.25 * 8)
    # the sample std of 200k normals is within 1% of sigma with overwhelming probability
    assert abs(new[0].std() / expected - 1) < 0.01
    assert abs(new[0].mean()) < 5 * expected / np.sqrt(200_000)


def test_integer_arrays_keep_the_global_value():
    g = [np.zeros(3), np.array(7, np.int64)]
    dp = federated.DPFedAvg(noise_multiplier=0.5, clipping_norm=1.0, fraction_fit=1.0)
    new, _ = dp.aggregate(g, [[np.ones(3), np.array(100, np.int64)]], [4],
                          rng=np.random.default_rng(0), num_clients=1)
    assert int(new[1]) == 7


def test_poisson_sampling_of_clients():
    dp = federated.DPFedAvg(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=0.2)
    rng = np.random.default_rng(0)
    counts = [len(dp.sample_clients(50, rng)) for _ in range(2000)]
    # Binomial(50, 0.2): mean 10, std 2.83; the mean of 2000 rounds is within 0.3 of 10
    assert abs(np.mean(counts) - 10) < 0.3
    assert np.std(counts) == pytest.approx(np.sqrt(50 * 0.2 * 0.8), rel=0.1)
    assert min(counts) < 10 < max(counts)


def test_user_level_accounting_uses_the_rdp_accountant():
    from deepgrad.privacy.accountants.rdp import RDPAccountant
    dp = federated.DPFedAvg(noise_multiplier=1.1, clipping_norm=1.0, fraction_fit=0.05,
                            delta=1e-4)
    g = [np.zeros(4)]
    rng = np.random.default_rng(0)
    for _ in range(3):
        chosen = dp.sample_clients(100, rng)
        _, metrics = dp.aggregate(g, _clients(g, [[np.ones(4)]] * len(chosen)),
                                  [1] * len(chosen), rng=rng, num_clients=100)
    reference = RDPAccountant()
    for _ in range(3):
        reference.step(noise_multiplier=1.1, sample_rate=0.05)
    assert dp.get_epsilon(1e-4) == reference.get_epsilon(1e-4)
    assert metrics["epsilon"] == reference.get_epsilon(1e-4)
    assert 0 < metrics["epsilon"] < np.inf


@pytest.mark.filterwarnings("ignore:GDP accounting is experimental")   # Opacus's warning
@pytest.mark.parametrize("name", ["prv", "gdp"])
def test_other_accountants(name):
    from deepgrad.privacy.accountants import create_accountant
    dp = federated.DPFedAvg(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=0.02,
                            accountant=name)
    reference = create_accountant(name)
    g = [np.zeros(2)]
    for _ in range(20):
        dp.aggregate(g, [], [], rng=np.random.default_rng(0), num_clients=500)
        reference.step(noise_multiplier=1.0, sample_rate=0.02)
    assert dp.get_epsilon(1e-5) == pytest.approx(reference.get_epsilon(1e-5), rel=1e-12)


@pytest.mark.filterwarnings("ignore:Optimal order is the largest alpha")   # the bisection's
def test_noise_for_a_target_budget_lands_on_it():
    """Planning a run with the accountants' inverse: the epsilon after the planned rounds
    is at most the target (and within the bisection's tolerance of it)."""
    from deepgrad.privacy.accountants import get_noise_multiplier
    z = get_noise_multiplier(target_epsilon=2.0, target_delta=1e-4, sample_rate=0.1,
                             steps=30, accountant="rdp")
    dp = federated.DPFedAvg(noise_multiplier=z, clipping_norm=1.0, fraction_fit=0.1)
    for _ in range(30):
        dp.aggregate([np.zeros(2)], [], [], rng=np.random.default_rng(0), num_clients=100)
    assert 1.98 <= dp.get_epsilon(1e-4) <= 2.0


def test_user_level_epsilon_matches_opacus():
    pytest.importorskip("opacus")
    from opacus.accountants import RDPAccountant as OpacusRDP
    dp = federated.DPFedAvg(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=0.01)
    reference = OpacusRDP()
    g = [np.zeros(2)]
    rng = np.random.default_rng(0)
    for _ in range(50):
        dp.aggregate(g, [], [], rng=rng, num_clients=1000)
        reference.step(noise_multiplier=1.0, sample_rate=0.01)
    np.testing.assert_allclose(dp.get_epsilon(1e-5), reference.get_epsilon(1e-5), rtol=1e-6)


def test_dp_simulation_trains_with_clipped_noisy_updates():
    import deepgrad as dg
    from deepgrad import nn, optim
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    part = federated.IidPartitioner(40, seed=0)
    part.dataset = (x, y)
    clients = [part.load_partition(i) for i in range(40)]
    dg.manual_seed(0)
    model = nn.Linear(4, 2)
    dp = federated.DPFedAvg(noise_multiplier=0.3, clipping_norm=0.5, fraction_fit=0.5,
                            local_epochs=2, batch_size=5, delta=1e-3)
    history = federated.simulate(model, clients, dp, num_rounds=8, test_data=(x, y),
                                 loss_fn=nn.CrossEntropyLoss(),
                                 optimizer_fn=lambda p: optim.SGD(p, lr=0.2), seed=0,
                                 verbose=0)
    # a linearly separable task: even with noise std 0.3*0.5/20 per coordinate the
    # global model learns it
    assert history.rounds[-1]["test_accuracy"] > 0.9
    eps = history.history["epsilon"]
    assert all(a < b for a, b in zip(eps, eps[1:]))     # the budget only grows
    assert eps[-1] == dp.get_epsilon(1e-3)


@pytest.mark.parametrize("kwargs, message", [
    (dict(noise_multiplier=-0.1, clipping_norm=1.0), "noise_multiplier"),
    (dict(noise_multiplier=1.0, clipping_norm=0.0), "clipping_norm"),
    (dict(noise_multiplier=1.0, clipping_norm=-1.0), "clipping_norm"),
    (dict(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=0.0), "fraction_fit"),
    (dict(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=2.0), "fraction_fit"),
    (dict(noise_multiplier=1.0, clipping_norm=1.0, delta=1.0), "delta"),
    (dict(noise_multiplier=1.0, clipping_norm=1.0, accountant="moments"), "mechanism"),
    (dict(noise_multiplier=1.0, clipping_norm=1.0, proximal_mu=-1), "proximal_mu"),
])
def test_bad_dp_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        federated.DPFedAvg(**kwargs)


def test_aggregate_needs_population_and_rng():
    dp = federated.DPFedAvg(noise_multiplier=1.0, clipping_norm=1.0, fraction_fit=0.5)
    g = [np.zeros(2)]
    with pytest.raises(ValueError, match="num_clients"):
        dp.aggregate(g, [[np.ones(2)]], [1], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        dp.aggregate(g, [[np.ones(2)]], [1], num_clients=4)
    with pytest.raises(ValueError, match="shape"):
        dp.aggregate(g, [[np.ones(3)]], [1], rng=np.random.default_rng(0), num_clients=4)
    assert len(dp.accountant.history) == 0          # nothing was accounted
