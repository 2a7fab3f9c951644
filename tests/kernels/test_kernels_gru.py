"""The compiled GRU steps equal the NumPy path bit for bit (output, state and every
gradient), in both weight layouts, float32 and float64, with and without initial state
and biases, forward and reverse; and the op passes a float64 gradcheck with them."""
import numpy as np
import pytest

pytest.importorskip("numba")

from deepgrad import kernels, ops  # noqa: E402
from deepgrad.autograd import gradcheck  # noqa: E402
from recurrent_cases import assert_same_bits  # noqa: E402
from recurrent_cases import gru_inputs as make_inputs  # noqa: E402
from recurrent_cases import run_gru as run  # noqa: E402
from threads import threads  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["pytorch", "keras"])
@pytest.mark.parametrize("init", [False, True], ids=["zero_state", "initial_state"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("bias", [False, True], ids=["no_bias", "bias"])
def test_equal_to_numpy_path(dtype, layout, init, reverse, bias):
    inputs, seeds = make_inputs(dtype, layout, init, bias)
    assert_same_bits(run(inputs, seeds, True, reverse, layout),
                     run(inputs, seeds, False, reverse, layout))


@pytest.mark.parametrize("T, B, H", [(1, 3, 2), (5, 1, 1), (9, 33, 17)])
def test_equal_to_numpy_path_odd_sizes(T, B, H):
    inputs, seeds = make_inputs(np.float32, "pytorch", True, True, T=T, B=B, H=H, seed=T)
    assert_same_bits(run(inputs, seeds, True), run(inputs, seeds, False))


def test_backward_twice_and_threads():
    inputs, seeds = make_inputs(np.float64, "keras", True, True)
    with threads(1):
        one = run(inputs, seeds, True, layout="keras", twice=True)
    with threads(2):
        two = run(inputs, seeds, True, layout="keras", twice=True)
    assert_same_bits(one, two)
    assert_same_bits(one, run(inputs, seeds, False, layout="keras", twice=True))


@pytest.mark.parametrize("layout", ["pytorch", "keras"])
def test_gradcheck_with_kernels(layout):
    inputs, _ = make_inputs(np.float64, layout, True, True, T=3, B=2, I=3, H=2)

    def f(*a):
        out, h = ops.gru_layer(*a, layout=layout)
        return out.sum() + (h * h).sum()

    with kernels.use(True):
        assert gradcheck(f, inputs)
