"""deepgrad.device, Tensor.device/to/cpu/cuda and the default device, against PyTorch's rules."""
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.device import check_device


def test_device_parsing_str_repr_and_equality():
    d = dg.device("cpu")
    assert (d.type, d.index, str(d), repr(d)) == ("cpu", None, "cpu", "device(type='cpu')")
    d0 = dg.device("cpu:0")
    assert (d0.type, d0.index, str(d0), repr(d0)) == ("cpu", 0, "cpu:0",
                                                      "device(type='cpu', index=0)")
    assert dg.device("cpu", 0) == d0 and dg.device(d0) == d0
    assert d != d0                      # as torch: an index makes a different device
    assert (d == "cpu") is False        # a string is not a device, as torch
    assert hash(dg.device("cpu")) == hash(d) and len({d, dg.device("cpu"), d0}) == 2
    assert pickle.loads(pickle.dumps(d0)) == d0
    assert dg.device(type="cpu", index=1).index == 1


def test_device_naming_other_types_works_but_bad_strings_are_refused():
    cuda = dg.device("cuda:1")            # naming is fine, as in torch without CUDA
    assert (cuda.type, cuda.index) == ("cuda", 1)
    for bad, match in [("gpu", "expected one of"), ("CPU", "expected one of"),
                       ("cpu:x", "invalid device string"), ("cpu:-1", "invalid device string"),
                       ("cpu:0:1", "invalid device string")]:
        with pytest.raises(RuntimeError, match=match):
            dg.device(bad)
    with pytest.raises(RuntimeError, match="must not be negative"):
        dg.device("cpu", -1)
    with pytest.raises(RuntimeError, match="must not include an index"):
        dg.device("cpu:0", 0)
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.device(0)
    with pytest.raises(TypeError, match="received float"):
        dg.device(1.5)


@pytest.mark.parametrize("name", ["cuda", "cuda:1", "mps", 0])
def test_asking_for_a_missing_device_names_the_devices_that_exist(name):
    x = dg.ones(2)
    for call in (lambda: x.to(name), lambda: dg.zeros(2, device=name),
                 lambda: x.to(device=dg.device(f"cuda:{name}" if isinstance(name, int) else name))):
        with pytest.raises(RuntimeError, match="devices that exist are: 'cpu'"):
            call()
    with pytest.raises(RuntimeError, match="no device 'cuda'"):
        x.cuda()


def test_tensor_device_attributes():
    x = dg.zeros(2, 3)
    assert x.device == dg.device("cpu") and x.device.type == "cpu" and x.device.index is None
    assert x.is_cuda is False and x.is_cpu is True and x.get_device() == -1
    assert x.is_pinned() is False
    with pytest.raises(RuntimeError, match="accelerator"):
        x.pin_memory()


def test_to_returns_self_when_nothing_changes():
    x = dg.randn(2, 3)
    assert x.to("cpu") is x and x.to("cpu:0") is x and x.to(dg.device("cpu")) is x
    assert x.to(dg.float32) is x and x.to(x) is x and x.to() is x
    assert x.to("cpu", dg.float32) is x and x.to(device="cpu", dtype=dg.float32) is x
    assert x.cpu() is x and x.float() is x
    y = x.to(dg.float32, copy=True)
    assert y is not x and not np.shares_memory(y.array, x.array)
    np.testing.assert_array_equal(y.array, x.array)


def test_to_converts_dtype_in_all_three_forms():
    x = dg.tensor([1.5, -2.5])
    assert x.to(dg.float64).dtype == np.float64
    assert x.to("cpu", dg.int64).tolist() == [1, -2]
    assert x.to(dg.zeros(1, dtype=dg.float64)).dtype == np.float64
    assert x.to(dg.float64, False, True).dtype == np.float64
    assert x.to(float).dtype == np.float64 and x.to(int).dtype == np.int64
    assert x.to(dtype=dg.float16, non_blocking=True).dtype == np.float16


def test_to_is_differentiable_and_casts_the_gradient_back():
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(dg.float64)
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.array, [2.0, 4.0])


def test_to_bad_arguments():
    x = dg.ones(2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(dtype=dg.float64, foo=1)
    with pytest.raises(TypeError, match="first argument"):
        x.to([1])
    with pytest.raises(TypeError, match="copy must be a bool"):
        x.to(dg.float64, copy="yes")
    with pytest.raises(TypeError, match="memory_format"):
        x.to(memory_format="channels_last")
    with pytest.raises(RuntimeError, match="rank 4"):
        x.to(memory_format=dg.channels_last)


def test_check_device_accepts_every_spelling_of_the_cpu():
    for d in ("cpu", "cpu:0", dg.device("cpu"), dg.device("cpu", 3)):
        assert check_device(d, "x") == dg.device("cpu")
    assert check_device(None, "x") is None
    with pytest.raises(TypeError, match="device must be"):
        check_device(1.0, "x")


def test_default_device_and_device_context_manager():
    assert dg.get_default_device() == dg.device("cpu")
    dg.set_default_device("cpu")
    dg.set_default_device(None)
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.set_default_device("cuda")
    with dg.device("cpu") as d:
        assert d.type == "cpu" and dg.zeros(1).device == d
    assert dg.backend.default_device is None


def test_module_to_and_cuda():
    m = dg.nn.Linear(2, 3)
    assert m.to("cpu") is m and m.to(dg.device("cpu")) is m and m.cpu() is m
    assert m.to(dg.float64) is m and m.weight.dtype == np.float64
    with pytest.raises(RuntimeError, match="devices that exist"):
        m.to("cuda")
    with pytest.raises(RuntimeError, match="devices that exist"):
        m.cuda()
    with pytest.raises(TypeError, match="floating point"):
        m.to(dg.int64)
    with pytest.raises(RuntimeError, match="copy"):
        m.to(dg.float32, copy=True)
    assert m.to(dg.zeros(1, dtype=dg.float32)).weight.dtype == np.float32
    assert m.half().weight.dtype == np.float16 and m.float().weight.dtype == np.float32
    bn = dg.nn.BatchNorm2d(3)
    bn.double()
    assert bn.weight.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    bn.type(dg.float32)                      # type() casts every tensor, as torch's
    assert bn.num_batches_tracked.dtype == np.float32
    conv = dg.nn.Conv2d(2, 4, 3).to(memory_format=dg.channels_last)
    assert conv.weight.is_contiguous(memory_format=dg.channels_last)
    x = dg.randn(1, 2, 5, 5)
    ref = dg.nn.Conv2d(2, 4, 3)
    ref.load_state_dict(conv.state_dict())
    np.testing.assert_allclose(conv(x).array, ref(x).array, rtol=1e-6)


def test_set_default_tensor_type():
    try:
        dg.set_default_tensor_type("torch.DoubleTensor")
        assert dg.get_default_dtype() is dg.float64 and dg.tensor([1.0]).dtype == np.float64
        dg.set_default_tensor_type(dg.FloatTensor)
        assert dg.get_default_dtype() is dg.float32
        with pytest.raises(TypeError, match="floating-point"):
            dg.set_default_tensor_type("torch.LongTensor")
    finally:
        dg.set_default_dtype(dg.float32)


def test_against_torch_device_semantics():
    torch = pytest.importorskip("torch")
    for spec in ["cpu", "cpu:0", "cuda", "cuda:2", "mps"]:
        t, d = torch.device(spec), dg.device(spec)
        assert (t.type, t.index, str(t), repr(t).replace("torch.", "")) == \
            (d.type, d.index, str(d), repr(d))
    tx = torch.zeros(2)
    dx = dg.zeros(2)
    assert str(tx.device) == str(dx.device) and tx.get_device() == dx.get_device()
    assert tx.is_cuda == dx.is_cuda and tx.is_cpu == dx.is_cpu
