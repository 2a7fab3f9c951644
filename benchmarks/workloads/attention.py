"""Attention workloads: a small Transformer encoder classifier (issue 7's new hot path).

    transformer  2x TransformerEncoderLayer(d_model 64, 4 heads, feed-forward 128,
                 dropout 0, batch_first) over 32 tokens, mean over tokens -> Linear(64, 10),
                 CE, Adam lr 1e-3, batch 32

PyTorch and deepgrad.nn build the same modules (same ``state_dict`` keys, weights copied
from PyTorch's initialisation). Dropout is 0 so that the columns' losses can be compared
step by step. There is no Keras column (deepgrad.keras has no MultiHeadAttention yet).
"""
from dataclasses import dataclass

import numpy as np

from benchmarks.workloads import Workload, register
from benchmarks.workloads.common import nn_builders, reference_state


@dataclass(frozen=True)
class EncoderSpec:
    tokens: int = 32
    d_model: int = 64
    heads: int = 4
    feedforward: int = 128
    layers: int = 2
    classes: int = 10
    lr: float = 1e-3


def encoder_classifier(nn, spec):
    """The spec's model from ``nn`` (``torch.nn`` or ``deepgrad.nn``)."""
    class EncoderClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(spec.d_model, spec.heads, spec.feedforward,
                                               dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, spec.layers, enable_nested_tensor=False)
            self.fc = nn.Linear(spec.d_model, spec.classes)

        def forward(self, x):                      # x: (B, T, d_model)
            return self.fc(self.encoder(x).mean(dim=1))
    return EncoderClassifier()


def encoder_workload(name, seed, description, batch, spec):
    def make_model(nn):
        return encoder_classifier(nn, spec)

    def make_batch(rng):
        x = rng.standard_normal((batch, spec.tokens, spec.d_model), dtype=np.float32)
        return x, rng.integers(0, spec.classes, batch).astype(np.int64)

    return register(Workload(
        name=name, seed=seed, description=description, batch=batch, make_batch=make_batch,
        reference_state=lambda s: reference_state(make_model, s),
        make_model=make_model,
        builders=nn_builders(make_model, "Adam", spec.lr, "cross_entropy")))


encoder_workload("transformer", "-", "2x TransformerEncoderLayer(64, 4 heads, ff 128) over 32 "
                 "tokens, mean -> Linear(10), CE, Adam", 32, EncoderSpec())
