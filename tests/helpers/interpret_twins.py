"""Small models built twice: in deepgrad (nn or keras) and as a PyTorch copy with the same
weights, for comparing deepgrad.interpret with Captum (tests/interpret).

Every builder returns ``(deepgrad_model, make_torch_copy)``: the copy is built only when
called, so tests that need no PyTorch never import it. Weights are float64 by default.
"""
import numpy as np
import pytest

import deepgrad
import deepgrad.nn as dnn


def torch_module():
    return pytest.importorskip("torch")


def captum_attr():
    torch = torch_module()
    attr = pytest.importorskip("captum.attr")
    torch.set_default_dtype(torch.float64)
    return attr


# ------------------------------------------------------------------------------ nn models
class NNCnn(dnn.Module):
    """Conv(1->3, 3x3) -> ReLU -> MaxPool(2) -> Flatten -> Linear(48, 8) -> Tanh ->
    Linear(8, 4) [-> Softmax]; input (N, 1, 10, 10)."""

    def __init__(self, softmax=False, dtype=deepgrad.float64):
        super().__init__()
        self.conv = dnn.Conv2d(1, 3, 3, dtype=dtype)
        self.relu = dnn.ReLU()
        self.pool = dnn.MaxPool2d(2)
        self.fc1 = dnn.Linear(48, 8, dtype=dtype)
        self.act = dnn.Tanh()
        self.fc2 = dnn.Linear(8, 4, dtype=dtype)
        self.softmax = dnn.Softmax(dim=1) if softmax else None

    def forward(self, x):
        h = self.pool(self.relu(self.conv(x))).flatten(1)
        out = self.fc2(self.act(self.fc1(h)))
        return self.softmax(out) if self.softmax is not None else out


def nn_cnn(softmax=False, seed=0):
    deepgrad.manual_seed(seed)
    model = NNCnn(softmax).eval()

    def make_torch():
        torch = torch_module()
        nn = torch.nn

        class TorchCnn(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 3, 3)
                self.relu = nn.ReLU()
                self.pool = nn.MaxPool2d(2)
                self.fc1 = nn.Linear(48, 8)
                self.act = nn.Tanh()
                self.fc2 = nn.Linear(8, 4)
                self.softmax = nn.Softmax(dim=1) if softmax else None

            def forward(self, x):
                # "* 1.0" keeps ReLU and MaxPool from sharing a tensor: Captum 0.9's DeepLift
                # hooks then read a stale gradient (meta-pytorch/captum#1104, fixed by PR
                # #1843 after 0.9.0); the model's values are unchanged
                h = self.pool(self.relu(self.conv(x)) * 1.0).flatten(1)
                out = self.fc2(self.act(self.fc1(h)))
                return self.softmax(out) if self.softmax is not None else out
        return _copy_state(model, TorchCnn())
    return model, make_torch


class NNMlp(dnn.Module):
    """Linear(5, 6) -> Sigmoid -> Linear(6, 6) -> ELU -> Linear(6, 6) -> LeakyReLU ->
    Linear(6, 6) -> Softplus -> Linear(6, 3): every elementwise nonlinearity of DeepLift."""

    def __init__(self, dtype=deepgrad.float64):
        super().__init__()
        self.net = dnn.Sequential(
            dnn.Linear(5, 6, dtype=dtype), dnn.Sigmoid(), dnn.Linear(6, 6, dtype=dtype),
            dnn.ELU(), dnn.Linear(6, 6, dtype=dtype), dnn.LeakyReLU(0.1),
            dnn.Linear(6, 6, dtype=dtype), dnn.Softplus(), dnn.Linear(6, 3, dtype=dtype))

    def forward(self, x):
        return self.net(x)


def nn_mlp(seed=0):
    deepgrad.manual_seed(seed)
    model = NNMlp().eval()

    def make_torch():
        nn = torch_module().nn
        copy = nn.Module()
        copy.net = nn.Sequential(nn.Linear(5, 6), nn.Sigmoid(), nn.Linear(6, 6), nn.ELU(),
                                 nn.Linear(6, 6), nn.LeakyReLU(0.1), nn.Linear(6, 6),
                                 nn.Softplus(), nn.Linear(6, 3))
        copy.forward = copy.net.forward
        return _copy_state(model, copy)
    return model, make_torch


class NNEmbed(dnn.Module):
    """Embedding(20, 4) -> mean over the sequence -> Linear(4, 3); token ids (N, 6)."""

    def __init__(self, dtype=deepgrad.float64):
        super().__init__()
        self.emb = dnn.Embedding(20, 4, dtype=dtype)
        self.fc = dnn.Linear(4, 3, dtype=dtype)

    def forward(self, ids):
        return self.fc(deepgrad.tanh(self.emb(ids)).mean(1))


def nn_embed(seed=0):
    deepgrad.manual_seed(seed)
    model = NNEmbed().eval()

    def make_torch():
        torch = torch_module()
        nn = torch.nn

        class TorchEmbed(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(20, 4)
                self.fc = nn.Linear(4, 3)

            def forward(self, ids):
                return self.fc(torch.tanh(self.emb(ids)).mean(1))
        return _copy_state(model, TorchEmbed())
    return model, make_torch


def _copy_state(model, copy):
    torch = torch_module()
    state = {k: torch.tensor(np.asarray(v.numpy())) for k, v in model.state_dict().items()}
    copy.load_state_dict(state)
    return copy.double().eval()


# ------------------------------------------------------------------------------ keras
def keras_cnn(seed=0, dtype="float64"):
    """Keras's channels-last CNN: Conv2D(3, 3, relu) -> MaxPooling2D -> Flatten ->
    Dense(8, tanh) -> Dense(4, softmax); input (N, 10, 10, 1). The PyTorch copy takes the
    same NHWC input (it permutes inside). The Sequential's own dtype policy is float32 (as
    in Keras 3), so inputs and the gradients reaching them pass through float32 at its
    boundary: keras comparisons agree to float32's resolution, well inside 1e-5."""
    from deepgrad import keras
    keras.utils.set_random_seed(seed)
    L = keras.layers
    model = keras.Sequential([
        L.Input((10, 10, 1), dtype=dtype), L.Conv2D(3, 3, activation="relu", dtype=dtype),
        L.MaxPooling2D(2, dtype=dtype), L.Flatten(dtype=dtype),
        L.Dense(8, activation="tanh", dtype=dtype), L.Dense(4, activation="softmax",
                                                            dtype=dtype)])

    def make_torch():
        torch = torch_module()
        nn = torch.nn
        conv, dense1, dense2 = model.layers[0], model.layers[3], model.layers[4]

        class TorchKerasCnn(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 3, 3)
                self.relu = nn.ReLU()
                self.pool = nn.MaxPool2d(2)
                self.fc1 = nn.Linear(48, 8)
                self.act = nn.Tanh()
                self.fc2 = nn.Linear(8, 4)
                self.softmax = nn.Softmax(dim=1)

            def forward(self, x):                       # x: (N, H, W, C) as keras
                # "* 1.0": see TorchCnn (Captum 0.9's adjacent-hook bug, captum#1104)
                h = self.pool(self.relu(self.conv(x.permute(0, 3, 1, 2))) * 1.0)
                h = h.permute(0, 2, 3, 1).flatten(1)    # keras Flatten order (H, W, C)
                return self.softmax(self.fc2(self.act(self.fc1(h))))
        copy = TorchKerasCnn().double()
        with torch.no_grad():
            copy.conv.weight.copy_(torch.tensor(_np(conv.kernel).transpose(3, 2, 0, 1)))
            copy.conv.bias.copy_(torch.tensor(_np(conv.bias)))
            copy.fc1.weight.copy_(torch.tensor(_np(dense1.kernel).T))
            copy.fc1.bias.copy_(torch.tensor(_np(dense1.bias)))
            copy.fc2.weight.copy_(torch.tensor(_np(dense2.kernel).T))
            copy.fc2.bias.copy_(torch.tensor(_np(dense2.bias)))
        return copy.eval()
    return model, make_torch


def _np(variable):
    value = getattr(variable, "value", variable)
    value = getattr(value, "numpy", lambda: value)()
    return np.array(value, dtype=np.float64)


# ------------------------------------------------------------------------------ helpers
def to_torch(*arrays):
    torch = torch_module()
    out = tuple(torch.tensor(np.asarray(getattr(a, "numpy", lambda a=a: a)()))
                for a in arrays)
    return out if len(out) > 1 else out[0]


def to_np(value):
    if isinstance(value, tuple):
        return tuple(to_np(v) for v in value)
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value, dtype=np.float64)


def assert_close(actual, expected, rtol=1e-5, atol=1e-12):
    """Equal within ``rtol`` relative to the largest magnitude of ``expected`` (so
    entries that are zero up to rounding do not count as large relative errors)."""
    a, e = to_np(actual), to_np(expected)
    if isinstance(a, tuple):
        for x, y in zip(a, e):
            assert_close(x, y, rtol, atol)
        return
    assert a.shape == e.shape, (a.shape, e.shape)
    scale = max(np.abs(e).max(initial=0.0), atol)
    err = np.abs(a - e).max(initial=0.0)
    assert err <= rtol * scale, f"max error {err:.3e} > {rtol} * {scale:.3e}"


def images(n=3, seed=1, shape=(1, 10, 10)):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n,) + shape)
