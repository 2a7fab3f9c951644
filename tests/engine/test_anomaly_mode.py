"""Anomaly mode: the first op whose forward or backward makes NaN/inf is named, with its
input shapes and the line of the user's code that called it; nothing is recorded while
it is off; keras ``fit`` warns once when the loss turns NaN."""
import os
import warnings

import numpy as np
import pytest

import deepgrad
from deepgrad import autograd, nn

HERE = os.path.abspath(__file__)


def line_of(marker):
    """The line number of the one line of this file that ends with ``# <marker>``."""
    with open(HERE) as f:
        hits = [i for i, line in enumerate(f, 1) if line.rstrip().endswith(f"# <{marker}>")]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.fixture(autouse=True)
def anomaly_off_afterwards():
    yield
    autograd.set_detect_anomaly(False)


def quiet_detect_anomaly(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return autograd.detect_anomaly(**kwargs)


# --------------------------------------------------------------- a deep nn model
class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.lin = nn.Linear(n, n)

    def forward(self, x):
        return deepgrad.relu(self.lin(x)) + x


class Deep(nn.Module):
    """Three residual blocks, then a log whose argument is negative for every input."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(5), Block(5), Block(5))
        self.head = nn.Linear(5, 1)

    def forward(self, x):
        h = self.blocks(x)
        h = (h.abs() + 1.0) * -1.0
        return self.head(h.log())  # <nn-log>


def test_anomaly_mode_names_the_log_deep_in_an_nn_model_and_the_line():
    deepgrad.manual_seed(0)
    model, x = Deep(), deepgrad.randn(4, 5)
    assert np.isnan(model(x).detach().numpy()).all()      # off: NaN flows on silently
    with quiet_detect_anomaly():
        with pytest.raises(RuntimeError) as err:
            model(x)
    msg = str(err.value)
    assert "Function 'LogBackward' produced nan values" in msg and "forward of Log" in msg
    assert "input shapes [(4, 5)]" in msg
    assert f"{HERE}:{line_of('nn-log')} (in forward)" in msg and "h.log()" in msg


def test_the_error_comes_before_any_weight_changes():
    deepgrad.manual_seed(0)
    model, x = Deep(), deepgrad.randn(4, 5)
    opt = deepgrad.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    with quiet_detect_anomaly(), pytest.raises(RuntimeError, match="LogBackward"):
        model(x).sum().backward()
        opt.step()
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


# --------------------------------------------------------------- a deep keras model
def _keras_model():
    keras = deepgrad.keras

    class NegLog(keras.layers.Layer):
        def call(self, inputs):
            shifted = keras.ops.abs(inputs) * -1.0 - 1.0
            return keras.ops.log(shifted)  # <keras-log>

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(8, activation="tanh"), NegLog(),
                             keras.layers.Dense(1)])


def test_anomaly_mode_names_the_log_deep_in_a_keras_model_through_fit():
    model = _keras_model()
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 6)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    with quiet_detect_anomaly(), pytest.raises(RuntimeError) as err:
        model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    msg = str(err.value)
    assert "LogBackward" in msg and "forward of Log" in msg and "input shapes [(4, 8)]" in msg
    assert f"{HERE}:{line_of('keras-log')} (in call)" in msg


# --------------------------------------------------------------- backward anomalies
def _sqrt_at_zero(m):
    x = m.tensor([0.0, 4.0], requires_grad=True)
    y = (x.sqrt() * 0.0).sum()  # <sqrt>
    y.backward()
    return x.grad


def test_a_nan_made_by_backward_names_the_node_and_its_forward_line():
    with quiet_detect_anomaly(), pytest.raises(RuntimeError) as err:
        _sqrt_at_zero(deepgrad)
    msg = str(err.value)
    assert "Function 'SqrtBackward' returned nan values in its 0th output." in msg
    assert "input shapes [(2,)]" in msg and f"{HERE}:{line_of('sqrt')}" in msg
    assert np.isnan(_sqrt_at_zero(deepgrad).numpy()[0])     # off: no error, NaN gradient


def test_backward_nan_is_reported_as_pytorch_reports_it():
    torch = pytest.importorskip("torch")
    for m, name in ((deepgrad, "SqrtBackward"), (torch, "SqrtBackward0")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # both announce the mode; torch prints traces
            with m.autograd.detect_anomaly(), pytest.raises(
                    RuntimeError, match=f"Function '{name}' returned nan values in its 0th "
                                        f"output"):
                _sqrt_at_zero(m)


def test_an_inf_made_by_backward_from_a_finite_gradient_is_reported():
    x = deepgrad.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt().sum()                   # d sqrt(x)/dx = inf at 0
    with quiet_detect_anomaly(), pytest.raises(RuntimeError,
                                               match="'SqrtBackward' returned inf values"):
        y.backward()


def test_forward_division_by_zero_is_an_inf_made_by_the_op():
    a = deepgrad.tensor([1.0, 2.0], requires_grad=True)
    b = deepgrad.tensor([1.0, 0.0])
    with quiet_detect_anomaly(), pytest.raises(RuntimeError, match="DivBackward' produced "
                                                                   "inf values"):
        a / b


# --------------------------------------------------------------- what is not an anomaly
def test_non_finite_values_handed_in_are_not_blamed_on_the_op():
    x = deepgrad.tensor([1.0, 2.0], requires_grad=True)
    mask = deepgrad.tensor([True, False])
    with quiet_detect_anomaly():
        masked = x.masked_fill(mask, float("-inf"))        # a -inf argument: on purpose
        assert np.isneginf(masked.numpy()[0])
        z = x + deepgrad.tensor([float("inf"), 0.0])       # an inf input: not made here
        assert np.isinf(z.numpy()[0])
        scores = deepgrad.softmax(masked, dim=0)            # exp(-inf) = 0 is finite
        scores.sum().backward()


def test_anomaly_mode_off_records_nothing():
    x = deepgrad.tensor([1.0], requires_grad=True)
    assert not hasattr((x * 2).grad_fn, "_trace")
    with quiet_detect_anomaly():
        y = x * 2  # <recorded>
    assert y.grad_fn._trace[:2] == (HERE, line_of("recorded"))


def test_check_nan_false_records_lines_for_the_version_counter_error():
    a, b = (deepgrad.tensor([1.0, 2.0], requires_grad=True) for _ in range(2))
    with quiet_detect_anomaly(check_nan=False):
        y = (a * b).log()                  # no NaN check: log of 1, 4 anyway
        z = (a - 5).log()                  # would be NaN: not checked
        y = (y * b).sum()  # <saved-by-mul>
    assert np.isnan(z.detach().numpy()).all()
    with deepgrad.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match=f"The node was created at {HERE}:"
                                           f"{line_of('saved-by-mul')}"):
        y.backward()


def test_detect_anomaly_as_a_decorator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @autograd.detect_anomaly()
        def step(x):
            return (x - 10).log()

        with pytest.raises(RuntimeError, match="forward of Log"):
            step(deepgrad.tensor([1.0], requires_grad=True))
    assert not autograd.is_anomaly_enabled()


# --------------------------------------------------------------- keras fit and NaN losses
def _nan_fit(callbacks=None, epochs=2):
    model = _keras_model()
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 6)).astype(np.float32), rng.normal(size=(8, 1)).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=4, epochs=epochs, verbose=0, callbacks=callbacks)
    nan = [w for w in caught if "training loss became nan" in str(w.message)]
    return model, history, nan


def test_fit_warns_once_naming_epoch_and_batch_when_the_loss_becomes_nan():
    model, history, nan = _nan_fit()
    assert len(nan) == 1 and issubclass(nan[0].category, RuntimeWarning)
    assert "at epoch 1 (index 0), batch 0" in str(nan[0].message)
    assert nan[0].filename == HERE                              # points at the fit call
    assert len(history.history["loss"]) == 2                    # training goes on


def test_terminate_on_nan_still_stops_training():
    keras = deepgrad.keras
    model, history, nan = _nan_fit([keras.callbacks.TerminateOnNaN()], epochs=3)
    assert model.stop_training and len(history.history["loss"]) == 1 and len(nan) == 1


def test_fit_with_finite_losses_does_not_warn():
    keras = deepgrad.keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 3), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model.fit(x, np.ones((8, 1), np.float32), batch_size=4, epochs=2, verbose=0)
