"""deepgrad.Generator, manual_seed and the default generator (torch.Generator's names)."""
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import backend


def test_generator_seeds_reproduce_and_are_independent_of_the_default():
    g = dg.Generator().manual_seed(7)
    a = backend.rng(g).random(5)
    dg.manual_seed(0)
    g.manual_seed(7)
    b = backend.rng(g).random(5)
    np.testing.assert_array_equal(a, b)
    assert g.initial_seed() == 7


def test_manual_seed_returns_the_default_generator_and_wraps_negative_seeds():
    g = dg.manual_seed(-1)
    assert g is dg.default_generator
    assert g.initial_seed() == 2 ** 64 - 1
    with pytest.raises(TypeError, match="int seed"):
        dg.manual_seed(1.5)
    with pytest.raises(ValueError, match="2\\*\\*64"):
        dg.manual_seed(2 ** 64)


def test_state_round_trip_replays_the_stream():
    g = dg.Generator().manual_seed(3)
    backend.rng(g).random(2)
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (48,)
    first = backend.rng(g).random(4)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(backend.rng(g).random(4), first)
    assert g.initial_seed() == 3
    clone = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(backend.rng(clone).random(3), backend.rng(g).random(3))


def test_seed_gives_a_fresh_seed_and_bad_state_is_refused():
    g = dg.Generator()
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2 ** 64
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(dg.zeros(48))
    with pytest.raises(ValueError, match="shape"):
        g.set_state(dg.tensor(np.zeros(3, np.uint8)))
    assert g.initial_seed() == s


def test_generator_device_and_refused_devices():
    assert dg.Generator().device == dg.device("cpu")
    assert dg.Generator("cpu:0").device.type == "cpu"
    with pytest.raises(RuntimeError, match="devices that exist are: 'cpu'"):
        dg.Generator("cuda")


def test_rng_refuses_other_objects():
    with pytest.raises(TypeError, match="deepgrad.Generator"):
        backend.rng(42)
    assert backend.rng(np.random.default_rng(0)) is not None
