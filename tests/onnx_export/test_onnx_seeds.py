"""Every seed model, rebuilt with the listing's architecture (random weights, no training),
exported to ONNX, run in onnxruntime and compared with deepgrad within 1e-5 (float32), at
the traced batch size and at another one (the batch axis is dynamic).

Keras listings export through Keras 3's ``model.export(path, format="onnx")``, the
PyTorch listing through ``deepgrad.onnx.export``. Inputs are in the ranges the examples
feed (pixels in [0, 1], standardised features, noisy sine windows).
"""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_roundtrip import assert_roundtrip, session  # noqa: E402

import deepgrad  # noqa: E402
import deepgrad.nn as nn  # noqa: E402
from deepgrad.keras.layers import (  # noqa: E402
    LSTM, Conv2D, Dense, Flatten, Input, MaxPooling2D)
from deepgrad.keras.models import Model, Sequential  # noqa: E402
from deepgrad.keras.utils import set_random_seed  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    set_random_seed(0)


def _pixels(*shape):
    return np.random.default_rng(1).random(shape).astype("float32")


def test_seed000_keras_mnist_mlp():
    model = Sequential()
    model.add(Dense(128, activation='relu', input_shape=(784,)))
    model.add(Dense(10, activation='softmax'))
    assert_roundtrip(model, [_pixels(2, 784)], keras=True)


def test_seed001_keras_mlp():
    model = Sequential()
    model.add(Dense(32, input_dim=784, activation='relu'))
    model.add(Dense(64, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    assert_roundtrip(model, [_pixels(2, 784)], keras=True)


def test_seed001_tf_keras_mlp():
    tf = deepgrad                                    # import deepgrad as tf
    model = tf.keras.models.Sequential()
    model.add(tf.keras.layers.Dense(32, input_dim=784, activation='relu'))
    model.add(tf.keras.layers.Dense(64, activation='relu'))
    model.add(tf.keras.layers.Dense(10, activation='softmax'))
    assert_roundtrip(model, [_pixels(2, 784)], keras=True)


class Net(nn.Module):                                # seed 001, section 4.3, as listed
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = deepgrad.relu(self.fc1(x))
        x = deepgrad.relu(self.fc2(x))
        x = deepgrad.softmax(self.fc3(x), dim=1)
        return x


def test_seed001_torch_mlp():
    deepgrad.manual_seed(0)
    data = assert_roundtrip(Net(), [_pixels(2, 784)])
    names = {i.name for i in session(data).get_inputs()}
    assert names == {"x0"}


def test_seed002_keras_cifar10_cnn():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    data = assert_roundtrip(model, [_pixels(2, 32, 32, 3)], keras=True, batch=3)
    (inp,) = session(data).get_inputs()
    assert inp.shape == ["batch", 32, 32, 3]         # Keras's channels-last layout kept


@pytest.mark.parametrize("listing", ["3.1-3.4", "4.1-4.5"])
def test_seed003_tf_keras_mlp(listing):
    if listing == "3.1-3.4":                         # import deepgrad as tf
        model = deepgrad.keras.Sequential([
            deepgrad.keras.layers.Dense(64, activation='relu', input_shape=(784,)),
            deepgrad.keras.layers.Dense(64, activation='relu'),
            deepgrad.keras.layers.Dense(10, activation='softmax')])
    else:                                            # from tensorflow.keras.models import ...
        model = Sequential([Dense(64, activation='relu', input_shape=(784,)),
                            Dense(64, activation='relu'),
                            Dense(10, activation='softmax')])
    standardised = np.random.default_rng(2).standard_normal((2, 784)).astype("float32")
    assert_roundtrip(model, [standardised], keras=True)


def test_seed004_keras_cnn():
    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    assert_roundtrip(model, [_pixels(2, 28, 28, 1)], keras=True, batch=3)


def test_seed004_keras_lstm():
    timesteps, input_dim, output_dim = 50, 8, 1
    model = Sequential()
    model.add(LSTM(50, return_sequences=True, input_shape=(timesteps, input_dim)))
    model.add(LSTM(50, return_sequences=True))
    model.add(LSTM(50))
    model.add(Dense(output_dim))
    rng = np.random.default_rng(3)
    wave = np.sin(2 * np.pi * 0.05 * np.arange(timesteps))[None, :, None]
    x = (wave + 0.3 * rng.standard_normal((2, timesteps, input_dim))).astype("float32")
    data = assert_roundtrip(model, [x], keras=True)
    ops = [n.op_type for n in __import__("onnx").load_from_string(data).graph.node]
    assert ops.count("LSTM") == 3                    # one ONNX LSTM per layer, not unrolled


def test_seed004_keras_autoencoder():
    input_dim, encoding_dim = 784, 32
    input_layer = Input(shape=(input_dim,))
    encoded = Dense(encoding_dim, activation='relu')(input_layer)
    decoded = Dense(input_dim, activation='sigmoid')(encoded)
    autoencoder = Model(input_layer, decoded)
    assert_roundtrip(autoencoder, [_pixels(2, input_dim)], keras=True)
