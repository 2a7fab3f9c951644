"""Recurrent workloads: the stacked LSTM regressor of seed 004.

    lstm3  seed 004  3 stacked LSTM(50) over 50 steps x 8 features, the last step's
                     output -> Linear(50, 1), MSE, Adam lr 1e-3, batch 32

PyTorch and deepgrad.nn use one ``nn.LSTM(8, 50, num_layers=3, batch_first=True)`` and a
``Linear`` on ``output[:, -1]``; the Keras columns stack ``LSTM(50,
return_sequences=True)`` twice, ``LSTM(50)`` and ``Dense(1)``. Inputs: one fixed batch of
standard normal float32 sequences and targets.
"""
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, register
from benchmarks.workloads.common import nn_builders, reference_state
from benchmarks.workloads.keras_models import keras_builders


@dataclass(frozen=True)
class LSTMSpec:
    steps: int = 50
    features: int = 8
    hidden: int = 50
    layers: int = 3
    outputs: int = 1
    lr: float = 1e-3


def stacked_lstm(nn, spec):
    """The spec's model from ``nn`` (``torch.nn`` or ``deepgrad.nn``), batch first."""
    class StackedLSTM(nn.Module):
        """``nn.LSTM`` layers, then a ``Linear`` on the last time step's output."""

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(spec.features, spec.hidden, num_layers=spec.layers,
                                batch_first=True)
            self.fc = nn.Linear(spec.hidden, spec.outputs)

        def forward(self, x):                     # x: (B, T, features)
            out, _ = self.lstm(x)                 # (B, T, hidden)
            return self.fc(out[:, -1])            # (B, outputs)
    return StackedLSTM()


def keras_sequential(keras, spec):
    """The spec's model from ``keras`` (Keras 3 or ``deepgrad.keras``)."""
    L = keras.layers
    layers = [keras.Input((spec.steps, spec.features))]
    layers += [L.LSTM(spec.hidden, return_sequences=True) for _ in range(spec.layers - 1)]
    layers += [L.LSTM(spec.hidden), L.Dense(spec.outputs)]
    return keras.Sequential(layers)


def lstm_workload(name, seed, description, batch, spec):
    def make_model(nn):
        return stacked_lstm(nn, spec)

    def make_batch(rng):
        x = rng.standard_normal((batch, spec.steps, spec.features), dtype=np.float32)
        return x, rng.standard_normal((batch, spec.outputs), dtype=np.float32)

    builders = nn_builders(make_model, "Adam", spec.lr, "mse_loss")
    builders.update(keras_builders(lambda keras: keras_sequential(keras, spec), "Adam",
                                   spec.lr, "mse_loss"))
    return register(Workload(
        name=name, seed=seed, description=description, batch=batch, make_batch=make_batch,
        reference_state=lambda s: reference_state(make_model, s),
        make_model=make_model, builders=builders))


lstm_workload("lstm3", "004", "3x LSTM(50) over 50x8, last step -> Dense(1), MSE, Adam", 32,
              LSTMSpec())
