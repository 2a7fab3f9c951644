"""The compiled LSTM steps equal the NumPy path bit for bit (outputs, states and every
gradient), in both weight layouts, float32 and float64, with and without initial states
and biases, forward and reverse, at one and two threads; and the op still passes a
float64 gradcheck with them.

float32 runs the whole-loop kernels when they are available (test_kernels_lstm_loop.py);
here they are switched off, so float32 tests the per-step kernels, which remain its path
where no CBLAS GEMM is found."""
import numpy as np
import pytest

pytest.importorskip("numba")

import deepgrad as dg  # noqa: E402
from deepgrad import kernels, ops  # noqa: E402
from deepgrad.autograd import gradcheck  # noqa: E402
from deepgrad.ops import rnn_lstm  # noqa: E402
from recurrent_cases import assert_same_bits  # noqa: E402
from recurrent_cases import lstm_inputs as make_inputs  # noqa: E402
from recurrent_cases import run_lstm as run  # noqa: E402
from threads import threads  # noqa: E402


@pytest.fixture(autouse=True)
def _per_step_kernels(monkeypatch):
    """The per-step kernels for float32 too."""
    monkeypatch.setattr(rnn_lstm, "_loop_kernels", lambda dtype: None)


def test_kernels_are_found():
    with kernels.use(True):
        assert kernels.get("lstm", "forward_gates") is not None
        assert kernels.get("lstm", "backward_step") is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["pytorch", "keras"])
@pytest.mark.parametrize("init", [False, True], ids=["zero_state", "initial_state"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_equal_to_numpy_path(dtype, layout, init, reverse):
    inputs, seeds = make_inputs(dtype, layout, init, n_bias=2 if layout == "pytorch" else 1)
    assert_same_bits(run(inputs, seeds, True, reverse, layout),
                     run(inputs, seeds, False, reverse, layout))


@pytest.mark.parametrize("T, B, H, n_bias, layout", [
    (1, 3, 2, 2, "pytorch"), (5, 1, 1, 0, "pytorch"), (4, 2, 3, 1, "keras"),
    (9, 33, 17, 2, "keras")])
def test_equal_to_numpy_path_odd_sizes_and_biases(T, B, H, n_bias, layout):
    inputs, seeds = make_inputs(np.float32, layout, True, n_bias, T=T, B=B, H=H, seed=T)
    assert_same_bits(run(inputs, seeds, True, layout=layout),
                     run(inputs, seeds, False, layout=layout))


def test_equal_to_numpy_path_when_only_weights_need_gradients():
    # no dx rows in backward's GEMM (its dh goes through a separate buffer)
    inputs, seeds = make_inputs(np.float64, "pytorch", False, 2)
    x = inputs[0]
    x.requires_grad = False
    assert_same_bits(run(inputs, seeds, True), run(inputs, seeds, False))


def test_backward_twice_equal_to_numpy_path():
    inputs, seeds = make_inputs(np.float64, "keras", True, 1)
    assert_same_bits(run(inputs, seeds, True, layout="keras", twice=True),
                     run(inputs, seeds, False, layout="keras", twice=True))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")       # NaN through the GEMMs
def test_large_and_nonfinite_inputs_equal_to_numpy_path():
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, seed=3)
    x = inputs[0].numpy()
    x[0, 0, 0], x[1, 1, 1], x[2, 2, :] = np.inf, np.nan, 1e30     # saturated gates, NaN
    a, b = run(inputs, seeds, True), run(inputs, seeds, False)
    assert np.isnan(a[0]).any()
    assert_same_bits(a, b)


def test_same_bits_at_one_and_two_threads():
    inputs, seeds = make_inputs(np.float32, "pytorch", True, 2, T=12, B=32, H=50, I=8)
    with threads(1):
        one = run(inputs, seeds, True)
    with threads(2):
        two = run(inputs, seeds, True)
    assert_same_bits(one, two)


def test_no_grad_forward_equal_to_numpy_path():
    inputs, _ = make_inputs(np.float32, "keras", True, 1)
    res = []
    for flag in (False, True):
        with kernels.use(flag), dg.no_grad():
            res.append([y.numpy().copy() for y in ops.lstm_layer(*inputs, layout="keras")])
    assert_same_bits(*res)


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_gradcheck_with_kernels(layout):
    inputs, _ = make_inputs(np.float64, layout, True, 2 if layout == "pytorch" else 1,
                            T=3, B=2, I=3, H=2)
    inputs = [t for t in inputs if t is not None]

    def f(*a):
        out, h, c = ops.lstm_layer(*a, layout=layout)
        return out.sum() + (h * c).sum()

    with kernels.use(True):
        assert gradcheck(f, inputs)
