"""Keras 3's STFT initializer (vs Keras 3 and a NumPy DFT reference) and the module-level
aliases of keras.initializers."""
import numpy as np
import pytest

from deepgrad.keras import initializers as I

STFT_CASES = [dict(), dict(side="imag", window="hamming", scaling="spectrum", periodic=True),
              dict(window=None, scaling=None), dict(window="blackman", periodic=True),
              dict(window=list(np.linspace(0, 1, 16)), scaling="spectrum")]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_stft_against_keras(kwargs):
    keras = pytest.importorskip("keras")
    ours = I.STFT(**kwargs)((16, 1, 9))
    theirs = np.asarray(keras.initializers.STFT(**kwargs)((16, 1, 9)))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=3e-6)


def test_stft_numpy_reference():
    # the real and imaginary kernels together are the windowed DFT matrix (density scaled)
    t, f = 8, 5
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(t) / (t - 1))   # symmetric Hann
    dft = np.exp(-2j * np.pi * np.outer(np.arange(t), np.arange(f)) / (2 * (f - 1)))
    ref = dft * win[:, None] / np.sqrt((win ** 2).sum())
    re = I.STFT("real")((t, 1, f), dtype="float64")[:, 0]
    im = I.STFT("imag")((t, 1, f), dtype="float64")[:, 0]
    np.testing.assert_allclose(re + 1j * im, ref, atol=1e-12)
    x = np.random.default_rng(0).standard_normal(t)
    np.testing.assert_allclose(x @ (re + 1j * im),
                               np.fft.rfft(x * win, 2 * (f - 1)) / np.sqrt((win ** 2).sum()),
                               atol=1e-12)


def test_stft_config_and_errors():
    init = I.get("stft")
    assert isinstance(init, I.STFT) and I.STFTInitializer is I.STFT
    assert I.deserialize(I.serialize(init)).get_config() == init.get_config()
    with pytest.raises(ValueError, match="side.*'real' or 'imag'.*'both'"):
        I.STFT(side="both")
    with pytest.raises(ValueError, match="Unknown window 'kaiserish'"):
        I.STFT(window="kaiserish")
    with pytest.raises(ValueError, match="Scaling.*'l2'"):
        I.STFT(scaling="l2")
    with pytest.raises(ValueError, match="window.*\\(3,\\).*frame_length=4"):
        I.STFT(window=[1, 2, 3])((4, 1, 3))


def test_aliases_are_keras_names():
    pairs = {"constant": I.Constant, "zeros": I.Zeros, "ones": I.Ones, "identity": I.Identity,
             "IdentityInitializer": I.Identity, "orthogonal": I.Orthogonal,
             "OrthogonalInitializer": I.Orthogonal, "glorot_uniform": I.GlorotUniform,
             "glorot_normal": I.GlorotNormal, "he_normal": I.HeNormal,
             "he_uniform": I.HeUniform, "lecun_normal": I.LecunNormal,
             "lecun_uniform": I.LecunUniform, "random_normal": I.RandomNormal,
             "random_uniform": I.RandomUniform, "truncated_normal": I.TruncatedNormal,
             "variance_scaling": I.VarianceScaling}
    for name, cls in pairs.items():
        assert getattr(I, name) is cls
    assert I.glorot_uniform(seed=1)((3, 4)).shape == (3, 4)
