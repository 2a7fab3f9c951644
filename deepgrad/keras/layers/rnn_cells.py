"""Keras 3's recurrent cells and the generic ``RNN`` layer.

A cell computes one time step, ``output, new_states = cell(x_t, states)``:
SimpleRNNCell, LSTMCell and GRUCell are the fused layers' steps (the same weights and
formulas, :mod:`deepgrad.keras.layers.recurrent`, one step of the engine's op);
StackedRNNCells chains cells. ``RNN(cell)`` loops a cell over the time axis: any object
with ``call(inputs, states)`` and ``state_size`` works (a user's cell too), masked steps
keep the previous state and output, ``go_backwards`` reads the sequence reversed.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import registry
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.recurrent import GRU, LSTM, SimpleRNN

_SEQUENCE_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
                  "zero_output_for_mask", "activity_regularizer")


class _FusedCell:
    """Mixin turning a fused recurrent layer into its one-step cell."""

    def __init__(self, units, **kwargs):
        if kwargs.get("dropout", 0) or kwargs.get("recurrent_dropout", 0):
            raise NotImplementedError(f"{type(self).__name__}: dropout in a cell is not "
                                      f"supported; use the fused layer's dropout= or a "
                                      f"Dropout layer")
        super().__init__(units, **kwargs)

    @property
    def state_size(self):
        return self.units if self._n_states == 1 else [self.units] * self._n_states

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        super().build((input_shape[0], None, input_shape[-1]))
        self.input_spec = None

    def call(self, inputs, states, training=None):
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        out, new_states = self._run(ops.unsqueeze(inputs, 0), states)
        return ops.getitem(out, 0), list(new_states)

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [Tensor(np.zeros((batch_size, s), self.dtype)) for s in sizes]

    def get_config(self):
        config = super().get_config()
        for key in _SEQUENCE_ARGS:
            config.pop(key, None)
        return config


class SimpleRNNCell(_FusedCell, SimpleRNN):
    """One step of SimpleRNN: ``h_t = tanh(x_t K + h_{t-1} R + b)`` (or relu)."""


class LSTMCell(_FusedCell, LSTM):
    """One step of LSTM (gates [i, f, c, o]); states [h, c]."""

    _n_states = 2


class GRUCell(_FusedCell, GRU):
    """One step of GRU (Keras 3's reset_after=True form)."""


def _flat(size):
    if isinstance(size, (list, tuple)):
        return [s for item in size for s in _flat(item)]
    return [size]


def _sizes(cell):
    return _flat(cell.state_size)


def _zeros_state(cell, batch, dtype):
    if hasattr(cell, "get_initial_state"):
        return list(cell.get_initial_state(batch_size=batch))
    return [Tensor(np.zeros((batch, s), dtype)) for s in _sizes(cell)]


class StackedRNNCells(Layer):
    """Cells applied one after the other within each step; the states are all cells'
    states in order."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell) or not hasattr(cell, "state_size"):
                raise ValueError(f"All cells must have a `call` method and a `state_size` "
                                 f"attribute. Received cell without: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self):
        """Each cell's state size, in order (nested, as Keras)."""
        return [cell.state_size for cell in self.cells]

    def group_states(self, flat):
        """The flat list of states split per cell (Keras returns them so)."""
        out, i = [], 0
        for cell in self.cells:
            n = len(_sizes(cell))
            out.append(list(flat[i:i + n]))
            i += n
        return out

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _sizes(last)[0])

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
            shape = shape[:-1] + (getattr(cell, "output_size", _sizes(cell)[0]),)
        self.built = True

    def get_initial_state(self, batch_size=None):
        return [s for cell in self.cells for s in _zeros_state(cell, batch_size, self.dtype)]


    def call(self, inputs, states, training=None):
        states = _flat(list(states))
        new_states, i = [], 0
        for cell in self.cells:
            n = len(_sizes(cell))
            own = states[i:i + n]
            inputs, own = cell(inputs, own if n > 1 else own, training=training) \
                if isinstance(cell, Layer) and cell._call_takes_training \
                else cell(inputs, own)
            new_states += list(own) if isinstance(own, (list, tuple)) else [own]
            i += n
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(),
                "cells": [registry.serialize(c, "layers") for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cells"] = [registry.deserialize(c, "layers") for c in config["cells"]]
        return cls(**config)


class RNN(Layer):
    """A recurrent layer around any cell (Keras 3's ``keras.layers.RNN``).

    Args:
        cell: a cell, or a list of cells (stacked).
        return_sequences, return_state, go_backwards, zero_output_for_mask: as Keras.
        stateful: refused (pass ``initial_state`` instead). ``unroll`` is accepted: the
            loop runs eagerly either way, with the same results.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell) or not hasattr(cell, "state_size"):
            raise ValueError(f"Argument `cell` should have a `call` method and a "
                             f"`state_size` attribute. Received: cell={cell}")
        if stateful:
            raise NotImplementedError("RNN: stateful=True is not supported (the state is not "
                                      "carried between batches); pass initial_state=")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, False, unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True

    def build(self, input_shape):
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((input_shape[0], input_shape[-1]))
            self.cell.built = True
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        batch, steps = sequences.shape[0], sequences.shape[1]
        states = _flat(list(initial_state)) if initial_state is not None else \
            _zeros_state(self.cell, batch, sequences.array.dtype)
        keep = None if mask is None else np.asarray(getattr(mask, "array", mask), bool)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs, prev = [], None
        for t in order:
            x_t = ops.getitem(sequences, (slice(None), t))
            if isinstance(self.cell, Layer) and self.cell._call_takes_training:
                out, new = self.cell(x_t, states, training=training)
            else:
                out, new = self.cell(x_t, states)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if keep is not None:
                m = Tensor(keep[:, t:t + 1])
                new = [ops.where(m, n, s) for n, s in zip(new, states)]
                fallback = prev if prev is not None and not self.zero_output_for_mask \
                    else 0.0
                out = ops.where(m, out, fallback)
            states, prev = new, out
            outputs.append(out)
        output = ops.stack(outputs, 1) if self.return_sequences else outputs[-1]
        if not self.return_state:
            return output
        if isinstance(self.cell, StackedRNNCells):
            return [output] + self.cell.group_states(states)
        return [output] + list(states)

    def compute_output_shape(self, input_shape):
        size = getattr(self.cell, "output_size", _sizes(self.cell)[0])
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [out] + [(batch, s) for s in _sizes(self.cell)]
        return out

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        return [out] + [None] * len(_sizes(self.cell)) if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "cell": registry.serialize(self.cell, "layers"),
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["cell"] = registry.deserialize(config["cell"], "layers")
        return cls(**config)
