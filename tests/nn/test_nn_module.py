"""Module API: registration, traversal, state_dict, train/eval, casting, calling."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.register_buffer("steps", dg.zeros(1))

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_parameters_and_names_are_registered_in_order():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert len(list(m.parameters())) == 4
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]


def test_shared_parameter_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2


def test_state_dict_keys_shapes_and_buffers():
    sd = Net().state_dict()
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]  # PyTorch order
    assert sd["fc1.weight"].shape == (3, 4) and sd["fc2.bias"].shape == (2,)


def test_load_state_dict_accepts_numpy_and_validates_before_writing():
    a, b = Net(), Net()
    b.load_state_dict({k: v.numpy().copy() for k, v in a.state_dict().items()})
    x = dg.randn(5, 4)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    bad = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    bad["fc2.weight"] = np.zeros((9, 9), np.float32)
    before = b.fc1.weight.numpy().copy()
    bad["fc1.weight"] = np.ones((3, 4), np.float32)
    with pytest.raises(RuntimeError, match="size mismatch for fc2.weight"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.fc1.weight.numpy(), before)   # unchanged
    with pytest.raises(RuntimeError, match=r"Missing key\(s\) in state_dict"):
        b.load_state_dict({"fc1.weight": np.zeros((3, 4))})
    res = b.load_state_dict({"fc1.weight": np.zeros((3, 4)), "extra": np.zeros(1)}, strict=False)
    assert "extra" in res.unexpected_keys and "fc2.bias" in res.missing_keys


def test_train_eval_propagates_and_dropout_obeys():
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    assert all(x.training for x in m.modules())
    m.eval()
    assert not any(x.training for x in m.modules())
    x = dg.randn(4, 3)
    np.testing.assert_array_equal(m(x).numpy(), m[0](x).numpy())


def test_zero_grad_and_requires_grad_():
    m = Net()
    m(dg.randn(2, 4)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m(dg.randn(2, 4)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in m.parameters())
    m.requires_grad_(False)
    assert not m(dg.randn(2, 4)).requires_grad


def test_double_and_float_cast_parameters_in_place():
    m = Net().double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m(np.random.rand(2, 4)).dtype == np.float64
    m.float()
    assert all(p.dtype == np.float32 for p in m.parameters())


def test_module_called_on_numpy_converts_to_its_dtype():
    m = nn.Linear(4, 2)
    out = m(np.random.rand(3, 4))          # float64 array, float32 module
    assert isinstance(out, dg.Tensor) and out.dtype == np.float32


def test_default_dtype_is_float32_and_float64_on_request():
    assert nn.Linear(2, 2).weight.dtype == np.float32
    assert nn.Linear(2, 2, dtype=dg.float64).weight.dtype == np.float64


def test_repr_reads_like_pytorch():
    r = repr(Net())
    assert "(fc1): Linear(in_features=4, out_features=3, bias=True)" in r
    assert r.startswith("Net(") and "(act): ReLU()" in r


def test_containers():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
    assert "a" in md and len(list(md.parameters())) == 2
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and len(seq[:2]) == 2
    assert seq(dg.randn(5, 2)).shape == (5, 1)


def test_assigning_plain_tensor_over_parameter_is_an_error():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        m.weight = dg.zeros(2, 2)


def test_setattr_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_missing_forward():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(dg.zeros(1))
