"""Recurrent layers: SimpleRNN, LSTM, GRU (Keras 3 names, arguments, defaults, weights).

Each layer is a thin wrapper over one fused sequence op of :mod:`deepgrad.ops.rnn`
(``rnn_layer``, ``lstm_layer``, ``gru_layer``), the ops behind ``deepgrad.nn`` too, called
with ``layout="keras"``: the op reads Keras's weights as they are stored, so no layer
transposes a kernel or re-lays gates in the graph on any call:

    Keras (this module)                       op argument (layout="keras")
    kernel K (I, G*H), one gate per block     weight_ih
    recurrent_kernel R (H, G*H)               weight_hh
    bias b (G*H,)                             bias_ih (bias_hh None: Keras has one bias)
    GRU bias (2, 3H) = [input; recurrent]     bias_ih = b[0], bias_hh = b[1]
    LSTM gates [i, f, c, o], GRU [z, r, h]    the op maps them to its own order itself
    input (B, T, I), batch-major              (T, B, I), time-major (a transposed view)

The formulas in Keras's notation (x_t the input, h_{t-1} the previous state):

    SimpleRNN  h_t = tanh(x_t K + h_{t-1} R + b)                       (or relu)
    LSTM       [i, f, c~, o] = x_t K + h_{t-1} R + b,  i, f, o = sigmoid(.),  c~ = tanh(.)
               c_t = f c_{t-1} + i c~,                 h_t = o tanh(c_t)
    GRU        z = sigmoid(x_t K_z + b_z + h_{t-1} R_z + b'_z),   r likewise
               hh = tanh(x_t K_h + b_h + r (h_{t-1} R_h + b'_h))         (reset_after=True)
               h_t = z h_{t-1} + (1 - z) hh

Keras's GRU is PyTorch's, n = hh: PyTorch writes h_t = (1 - z) n + z h_{t-1}.

Masking (``mask`` (B, T), e.g. from ``Embedding(mask_zero=True)``): Keras skips masked
steps, carrying the state, and repeats the previous output there (zeros before the first
valid step). Without a per-sample loop: each sample's valid steps are gathered to the
front (one advanced index), the op runs once, and the output at step t is the op's
output after n_t = (valid steps up to t) steps, another gather from [0; outputs]. The
op only returns the LSTM's cell state after the last step, so an LSTM with
``return_state=True`` and a mask of unequal lengths raises NotImplementedError.
"""
import numpy as np

from deepgrad import ops
from deepgrad.autograd.tensor import Tensor
from deepgrad.keras import (activations, constraints, initializers, random, registry,
                           regularizers)
from deepgrad.keras.layers.layer import InputSpec, Layer


def _array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def _flip_time(x):
    """x[::-1] along the first (time) axis, differentiably."""
    return ops.getitem(x, slice(None, None, -1))


class _FusedRNN(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, weights, checks, masking, outputs.

    A subclass sets ``_gates`` (G), ``_n_states`` and writes ``_run(x, states)``: the
    engine op on a time-major input (T, B, I), returning (outputs (T, B, H), final states).
    """

    float_inputs = True              # bool/int inputs become the layer's dtype

    _gates = 1
    _n_states = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 **kwargs):
        cls = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{cls}: received an invalid value for argument `units`, expected "
                             f"a positive integer, got {units!r}.")
        kwargs.pop("implementation", None)      # Keras's kernel-fusion switch: one op here
        kwargs.pop("use_cudnn", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if stateful:
            raise NotImplementedError(f"{cls}: stateful=True is not supported (the state is "
                                      f"not carried between batches); pass initial_state= "
                                      f"to the call instead")
        if recurrent_dropout > 0:
            raise NotImplementedError(
                f"{cls}: recurrent_dropout={recurrent_dropout} is not supported: it needs a "
                f"dropout mask on h_(t-1) inside every step of the fused op. Use dropout= "
                f"(on the inputs) or a Dropout layer between recurrent layers")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        # the input dropout masks' own stream when seeded (else the global generator)
        self.seed_generator = None if seed is None else random.SeedGenerator(seed)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), False, bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._check_activations()

    def _check_activations(self):
        """The fused ops compute tanh cells with sigmoid gates only."""
        cls = type(self).__name__
        if self.activation is not activations.tanh:
            raise NotImplementedError(f"{cls}: only activation='tanh' is supported by the fused "
                                      f"op, received {self.activation!r}")
        if self.recurrent_activation is not activations.sigmoid:
            raise NotImplementedError(f"{cls}: only recurrent_activation='sigmoid' is supported "
                                      f"by the fused op, received {self.recurrent_activation!r}")

    @property
    def keras_cell_name(self):
        """Keras keeps a recurrent layer's weights in a cell (``lstm_cell``): a ``.keras``
        file stores them under ``<layer>/cell/vars``."""
        return registry.snake_case(type(self).__name__) + "_cell"

    # ------------------------------------------------------------------ weights
    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        InputSpec(ndim=3).check(self, input_shape)
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f'{type(self).__name__} "{self.name}": the last dimension of the '
                             f'inputs must be known, received input shape {tuple(input_shape)}')
        gh = self._gates * self.units
        self.kernel = self.add_weight(shape=(in_dim, gh), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, gh), name="recurrent_kernel", initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = self.add_weight(
            shape=self._bias_shape(), name="bias", initializer=self._bias_initializer(),
            regularizer=self.bias_regularizer, constraint=self.bias_constraint
        ) if self.use_bias else None
        self.input_spec = InputSpec(ndim=3, axes={-1: in_dim})
        self.built = True

    def _op_weights(self):
        """(weight_ih, weight_hh, bias_ih, bias_hh) for the op with ``layout="keras"``: the
        weights as Keras stores them."""
        return self.kernel, self.recurrent_kernel, self.bias, None

    def _run(self, x, states):
        raise NotImplementedError

    # ------------------------------------------------------------------ call
    def _initial_states(self, initial_state, batch, dtype):
        if initial_state is None:
            return [None] * self._n_states
        states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != self._n_states:
            raise ValueError(f'{type(self).__name__} "{self.name}" expects {self._n_states} '
                             f'initial state tensor(s), received {len(states)}')
        out = []
        for s in states:
            s = s if isinstance(s, Tensor) else Tensor(np.asarray(s, dtype))
            if tuple(s.shape) != (batch, self.units):
                raise ValueError(f'{type(self).__name__} "{self.name}": expected initial state '
                                 f'of shape ({batch}, {self.units}), received {tuple(s.shape)}')
            out.append(s)
        return out

    def _time_mask(self, mask, batch, steps):
        """The mask as a (B, T) bool array, or None when no step is masked."""
        if mask is None:
            return None
        m = _array(mask).astype(bool)
        if m.ndim == 3 and m.shape[-1] == 1:
            m = m[..., 0]
        if m.shape != (batch, steps):
            raise ValueError(f'{type(self).__name__} "{self.name}": expected a mask of shape '
                             f'({batch}, {steps}) (batch, timesteps), received {m.shape}')
        return None if m.all() else m

    def _run_masked(self, x, states, m):
        """The op on each sample's valid steps only: (outputs (T, B, H), final states)."""
        B = m.shape[0]
        batch = np.arange(B)[None, :]
        count = np.cumsum(m, axis=1).T                      # (T, B): valid steps up to t
        lengths = count[-1]
        longest = int(lengths.max())
        if self._n_states > 1 and self.return_state and lengths.min() != longest:
            raise NotImplementedError(
                f'{type(self).__name__} "{self.name}": return_state=True with a mask of unequal '
                f'lengths {sorted(set(lengths.tolist()))} is not supported (the fused op gives '
                f'the cell state after its last step only)')
        zero = np.zeros((B, self.units), x.dtype)
        states = [Tensor(zero) if s is None else s for s in states]
        if longest == 0:                                    # every step masked: nothing runs
            return Tensor(np.zeros((m.shape[1], B, self.units), x.dtype)), states
        order = np.argsort(~m, axis=1, kind="stable").T[:longest]   # valid steps first
        out, finals = self._run(ops.getitem(x, (order, batch)), states)
        out = ops.getitem(ops.cat([Tensor(zero[None]), out], 0), (count, batch))
        h = ops.where((lengths > 0)[:, None], ops.getitem(out, -1), states[0])
        return out, [h] + list(finals[1:])

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """(B, T, I) -> output, or [output, *states] with return_state."""
        B, T = sequences.shape[0], sequences.shape[1]
        x = sequences
        if training and self.dropout > 0:           # one mask per sequence, as Keras's cells
            keep = random.dropout_mask((B, 1, x.shape[2]), self.dropout, dtype=x.dtype,
                                       seed=self.seed_generator)
            x = x * Tensor._wrap(keep)
        x = ops.transpose(x, 0, 1)                  # (T, B, I), time-major
        m = self._time_mask(mask, B, T)
        if self.go_backwards:
            x, m = _flip_time(x), None if m is None else m[:, ::-1]
        states = self._initial_states(initial_state, B, x.dtype)
        if m is None:
            out, finals = self._run(x, states)
        else:
            out, finals = self._run_masked(x, states, m)
            if self.zero_output_for_mask:
                out = ops.where(m.T[:, :, None], out, 0.0)
        output = ops.transpose(out, 0, 1) if self.return_sequences else ops.getitem(out, -1)
        return [output] + list(finals) if self.return_state else output

    # ------------------------------------------------------------------ shapes & config
    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self._n_states
        return out

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        return [out] + [None] * self._n_states if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}


class SimpleRNN(_FusedRNN):
    """Fully connected RNN, h_t = activation(x_t K + h_{t-1} R + b); the engine's ``rnn_layer``.

    Args:
        units (int): H, the size of h_t.
        activation: 'tanh' (default) or 'relu' (what the fused op computes).
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer
        ('orthogonal'), bias_initializer ('zeros'), kernel/recurrent/bias regularizers.
        dropout (float): fraction of the input features dropped in training, one mask per
            sequence. recurrent_dropout must be 0 (NotImplementedError otherwise).
        seed (int, optional): the dropout masks come from the layer's own
            ``keras.random.SeedGenerator(seed)`` (else deepgrad's global generator).
        return_sequences (bool): return all outputs (B, T, H) instead of the last (B, H).
        return_state (bool): return ``[output, h_T]``.
        go_backwards (bool): process the sequence in reverse; outputs in processing order.
    Weights:
        kernel (I, H), recurrent_kernel (H, H), bias (H,).
    Shape:
        (batch, timesteps, features) -> (batch, units) or (batch, timesteps, units).
    Example:
        >>> SimpleRNN(4)(np.zeros((2, 5, 3))).shape
        (2, 4)
    """

    _NONLINEARITY = {activations.tanh: "tanh", activations.relu: "relu"}

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, activation=activation, **kwargs)

    def _check_activations(self):
        if self.activation not in self._NONLINEARITY:
            raise NotImplementedError(f"SimpleRNN: only activation='tanh' or 'relu' is supported "
                                      f"by the fused op, received {self.activation!r}")

    def _run(self, x, states):
        out, h = ops.rnn_layer(x, states[0], *self._op_weights(),
                               nonlinearity=self._NONLINEARITY[self.activation], layout="keras")
        return out, [h]

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTM(_FusedRNN):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997); the engine's ``lstm_layer``.

        [i, f, c~, o] = x_t K + h_{t-1} R + b,   c_t = f c_{t-1} + i c~,   h_t = o tanh(c_t)

    with i, f, o sigmoid gates and c~ = tanh(.). The op takes K, R and b as they are
    (``layout="keras"``).

    Args:
        units, activation, return_sequences, ...: as :class:`SimpleRNN`.
        recurrent_activation: 'sigmoid', the only one the fused op computes.
        unit_forget_bias (bool): True: the forget gate's bias starts at 1.
        return_state (bool): True returns ``[output, h_T, c_T]``.
        initial_state: ``[h0, c0]`` (a call argument).
    Weights:
        kernel (I, 4H), recurrent_kernel (H, 4H), bias (4H,).
        count_params() = 4 (H (I + H) + H).
    Example:
        >>> LSTM(50, return_sequences=True)(np.zeros((32, 10, 8))).shape
        (32, 10, 50)
    """

    _gates = 4
    _n_states = 2

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, h = self.bias_initializer, self.units

        def bias_with_forget_ones(shape, dtype=None):     # blocks [i, f, c, o], f = 1
            return np.concatenate([np.asarray(init((h,), dtype=dtype)), np.ones(h, dtype),
                                   np.asarray(init((2 * h,), dtype=dtype))])
        return bias_with_forget_ones

    def _run(self, x, states):
        out, h, c = ops.lstm_layer(x, states[0], states[1], *self._op_weights(), layout="keras")
        return out, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(_FusedRNN):
    """Gated recurrent unit (Cho et al., 2014), Keras 3's reset_after=True form; the
    engine's ``gru_layer``:

        z = sigmoid(x_t K_z + b_z + h_{t-1} R_z + b'_z),   r likewise,
        hh = tanh(x_t K_h + b_h + r (h_{t-1} R_h + b'_h)),  h_t = z h_{t-1} + (1 - z) hh

    which is PyTorch's GRU with the gate blocks [z, r, h] in the order [r, z, n]; the op
    takes Keras's kernels and gate order as they are (``layout="keras"``).

    Args:
        As :class:`LSTM` (without unit_forget_bias), plus reset_after (True; False, the
        Keras 2 form with r applied before R_h, is not computed by the op:
        NotImplementedError).
    Weights:
        kernel (I, 3H), recurrent_kernel (H, 3H), bias (2, 3H) = [input bias; recurrent
        bias]. count_params() = 3 (H (I + H) + 2H).
    """

    _gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        if not reset_after:
            raise NotImplementedError("GRU: reset_after=False is not supported (the fused op "
                                      "computes the reset_after=True form, Keras 3's default "
                                      "and PyTorch's)")
        super().__init__(units, **kwargs)
        self.reset_after = True

    def _bias_shape(self):
        return (2, 3 * self.units)

    def _op_weights(self):
        if self.bias is None:
            return self.kernel, self.recurrent_kernel, None, None
        return (self.kernel, self.recurrent_kernel, ops.getitem(self.bias, 0),
                ops.getitem(self.bias, 1))

    def _run(self, x, states):
        out, h = ops.gru_layer(x, states[0], *self._op_weights(), layout="keras")
        return out, [h]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
