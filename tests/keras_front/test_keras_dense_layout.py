"""A large float32 Keras ``Dense`` kernel is stored in Fortran order (the transpose of a
C-ordered (units, input_dim) array, PyTorch's layout, for OpenBLAS's sake); smaller ones
and float64 stay C-ordered. Its shape, values, weights API and training are Keras's,
whatever the memory order."""
import copy
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import keras
from deepgrad.keras import layers


def _fortran_only(a):
    return a.flags.f_contiguous and not a.flags.c_contiguous


def test_kernel_shape_and_values_are_keras_with_the_storage_transposed():
    dg.manual_seed(0)
    d = layers.Dense(128)
    d.build((None, 1024))                                  # 2^17 elements: the threshold
    assert d.kernel.shape == (1024, 128) and _fortran_only(d.kernel.array)
    kernel, bias = d.get_weights()
    assert kernel.flags.c_contiguous and kernel.shape == (1024, 128)
    np.testing.assert_array_equal(kernel, d.kernel.numpy())
    new = np.arange(1024 * 128, dtype=np.float32).reshape(1024, 128) / 1e4
    stored = d.kernel.array
    d.set_weights([new, bias])
    assert d.kernel.array is stored and _fortran_only(stored)    # written in place
    np.testing.assert_array_equal(d.kernel.numpy(), new)
    d.kernel.assign(new + 1)
    np.testing.assert_array_equal(d.kernel.numpy(), new + 1)
    for clone in (copy.deepcopy(d.kernel), pickle.loads(pickle.dumps(d.kernel))):
        np.testing.assert_array_equal(clone.numpy(), new + 1)
    assert _fortran_only(copy.deepcopy(d.kernel).array)
    x = np.random.default_rng(1).standard_normal((3, 1024)).astype(np.float32)
    np.testing.assert_allclose(d(x).numpy(), x @ (new + 1), rtol=1e-5)


@pytest.mark.parametrize("shape, units, dtype", [
    ((None, 1023), 128, "float32"),                        # one row short of 2^17
    ((None, 1024), 128, "float64"),                        # no swapped product in float64
    ((None, 784), 128, "float32")])
def test_smaller_or_float64_kernels_stay_c_ordered(shape, units, dtype):
    d = layers.Dense(units, dtype=dtype)
    d.build(shape)
    assert d.kernel.array.flags.c_contiguous and d.kernel.dtype == dtype


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_training_equals_training_with_a_c_ordered_kernel(optimizer):
    """fit with the Fortran-ordered kernels and with the same kernels made C-ordered:
    the same losses and weights to float32 rounding (the products differ in order only),
    and the kernels, their gradients and the optimizer's slots keep their order."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((96, 1100)).astype(np.float32)
    y = rng.integers(0, 10, 96)
    runs = []
    for order in ("F", "C"):
        dg.manual_seed(0)
        model = keras.Sequential([keras.Input((1100,)), layers.Dense(128, activation="relu"),
                                  layers.Dense(10)])
        model.compile(optimizer=optimizer, metrics=["accuracy"],
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        big = model.layers[0].kernel
        if order == "C":
            big.array = np.ascontiguousarray(big.array)
        hist = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False)
        kept = [big.array, big.grad.array] + list(model.optimizer.state[big].values())
        assert all(_fortran_only(a) if order == "F" else a.flags.c_contiguous for a in kept)
        assert model.layers[1].kernel.array.flags.c_contiguous       # 128 x 10: small
        runs.append((hist.history["loss"], model.get_weights()))
    (loss_f, w_f), (loss_c, w_c) = runs
    np.testing.assert_allclose(loss_f, loss_c, rtol=1e-4)
    assert loss_f[-1] < loss_f[0]
    for a, b in zip(w_f, w_c):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
