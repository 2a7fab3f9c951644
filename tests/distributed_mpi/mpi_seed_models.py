"""The seed models and data the MPI checks train, on both fronts.

    mlp   seed 000: 784-128-10 ReLU, cross-entropy
    cnn   seed 004: Conv(32, 3x3)-ReLU-MaxPool(2)-Dense(128)-ReLU-Dense(10) on 28x28x1
    lstm  seed 004: 3 x LSTM(50) over 50 steps x 8 features, last step -> Dense(1), MSE

``batches(kind, steps, global_batch, seed)`` gives ``steps`` global batches (x in
PyTorch's layout, y); the Keras front takes images channels-last.
"""
import numpy as np

KINDS = ("mlp", "cnn", "lstm")


def batches(kind, steps, global_batch, seed=1):
    rng = np.random.default_rng(seed)
    n = steps * global_batch
    if kind == "mlp":
        x, y = rng.random((n, 784)), rng.integers(0, 10, n)
    elif kind == "cnn":
        x, y = rng.random((n, 1, 28, 28)), rng.integers(0, 10, n)
    else:
        x, y = rng.standard_normal((n, 50, 8)), rng.standard_normal((n, 1))
    return x, y


def torch_model(nn, kind):
    """The model in deepgrad.nn (or torch.nn), float64."""
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).double()
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(32 * 13 * 13, 128), nn.ReLU(),
                             nn.Linear(128, 10)).double()

    class StackedLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 50, num_layers=3, batch_first=True)
            self.fc = nn.Linear(50, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])
    return StackedLSTM().double()


def torch_loss(nn, kind):
    return nn.functional.mse_loss if kind == "lstm" else nn.functional.cross_entropy


def keras_model(keras, kind, dtype="float64"):
    L = keras.layers
    if kind == "mlp":
        layers = [keras.Input((784,), dtype=dtype), L.Dense(128, activation="relu", dtype=dtype),
                  L.Dense(10, dtype=dtype)]
    elif kind == "cnn":
        layers = [keras.Input((28, 28, 1), dtype=dtype),
                  L.Conv2D(32, (3, 3), activation="relu", dtype=dtype),
                  L.MaxPooling2D((2, 2), dtype=dtype), L.Flatten(dtype=dtype),
                  L.Dense(128, activation="relu", dtype=dtype), L.Dense(10, dtype=dtype)]
    else:
        layers = [keras.Input((50, 8), dtype=dtype),
                  L.LSTM(50, return_sequences=True, dtype=dtype),
                  L.LSTM(50, return_sequences=True, dtype=dtype), L.LSTM(50, dtype=dtype),
                  L.Dense(1, dtype=dtype)]
    return keras.Sequential(layers)


def keras_loss(keras, kind):
    if kind == "lstm":
        return keras.losses.MeanSquaredError()
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def keras_layout(kind, x):
    return x.transpose(0, 2, 3, 1) if kind == "cnn" else x
