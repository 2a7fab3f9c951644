"""Tensor dtype casts, type(), legacy tensor types, strides and layout, sizes, new_*, and
the dtype helpers (finfo, iinfo, promote_types, result_type, can_cast, typename)."""
import numpy as np
import pytest

import deepgrad as dg
from op_harness import check_op


CASTS = [("float", np.float32), ("double", np.float64), ("half", np.float16),
         ("long", np.int64), ("int", np.int32), ("short", np.int16), ("char", np.int8),
         ("byte", np.uint8), ("bool", np.bool_)]


@pytest.mark.parametrize("name,dtype", CASTS)
def test_casts(name, dtype):
    x = dg.tensor([-1.7, 0.0, 2.5])
    y = getattr(x, name)()
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.array, np.array([-1.7, 0.0, 2.5], np.float32).astype(dtype))
    assert getattr(y, name)() is y                     # no change -> self
    legacy = {"float": "Float", "double": "Double", "half": "Half", "long": "Long",
              "int": "Int", "short": "Short", "char": "Char", "byte": "Byte", "bool": "Bool"}
    assert y.type() == dg.typename(y) == f"torch.{legacy[name]}Tensor"


def test_cast_gradients_flow_back_in_the_source_dtype():
    v = np.linspace(-1, 1, 5)
    x64 = dg.tensor(v, requires_grad=True)
    (x64.float() * x64.half().float()).sum().backward()     # d(x^2)/dx = 2x, in float64
    assert x64.grad.dtype == np.float64
    np.testing.assert_allclose(x64.grad.array, 2 * v, rtol=1e-3)
    x = dg.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.array, [3.0, 3.0])
    assert not x.long().requires_grad


def test_type_names_strings_and_legacy_types():
    x = dg.zeros(2)
    assert x.type() == "torch.FloatTensor" and x.long().type() == "torch.LongTensor"
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.type(dg.IntTensor).dtype == np.int32 and x.type(dg.int64).dtype == np.int64
    assert x.type(dg.float32) is x and x.type_as(dg.zeros(1, dtype=dg.int64)).dtype == np.int64
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.FooTensor")
    with pytest.raises(RuntimeError, match="devices that exist"):
        x.type("torch.cuda.FloatTensor")
    assert dg.FloatTensor(2, 3).shape == (2, 3) and dg.FloatTensor(2, 3).dtype == np.float32
    assert dg.LongTensor([1, 2]).tolist() == [1, 2] and dg.LongTensor([1, 2]).dtype == np.int64
    assert dg.FloatTensor().shape == (0,) and dg.BoolTensor([1, 0]).tolist() == [True, False]
    assert isinstance(x, dg.FloatTensor) and not isinstance(x, dg.LongTensor)
    assert not isinstance(np.zeros(2, np.float32), dg.FloatTensor)
    with pytest.raises(TypeError, match="dtype int64"):
        dg.FloatTensor(dg.tensor([1, 2]))
    with pytest.raises(TypeError, match="sizes"):
        dg.FloatTensor([1], [2])


def test_typename():
    assert dg.typename(dg.zeros(1)) == "torch.FloatTensor"
    assert dg.typename(dg.zeros(1, dtype=dg.uint8)) == "torch.ByteTensor"
    assert dg.typename(1) == "int"
    assert dg.typename(dg.nn.Linear(1, 1)).endswith(".Linear")


def test_stride_contiguous_and_memory_formats():
    x = dg.zeros(2, 3, 4, 5)
    assert x.stride() == (60, 20, 5, 1) and x.stride(1) == 20 and x.stride(-1) == 1
    assert x.is_contiguous() and x.contiguous() is x
    y = x.to(memory_format=dg.channels_last)
    assert y.stride() == (60, 1, 15, 3)
    assert not y.is_contiguous() and y.is_contiguous(memory_format=dg.channels_last)
    assert y.contiguous().stride() == (60, 20, 5, 1)
    assert y.contiguous(memory_format=dg.channels_last) is y
    t = dg.zeros(2, 3).t()
    assert t.stride() == (1, 3) and not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.stride() == (2, 1)
    np.testing.assert_array_equal(c.array, t.array)
    assert dg.zeros(3).expand(2, 3).stride() == (0, 1) and dg.zeros(()).stride() == ()
    with pytest.raises(IndexError, match="out of range"):
        dg.zeros(2, 3).stride(2)
    with pytest.raises(RuntimeError, match="rank 4"):
        dg.zeros(2, 3).contiguous(memory_format=dg.channels_last)
    assert not dg.zeros(2, 3).is_contiguous(memory_format=dg.channels_last)
    v = dg.zeros(2, 3, 4, 5, 6).to(memory_format=dg.channels_last_3d)
    assert v.is_contiguous(memory_format=dg.channels_last_3d)


def test_contiguous_is_differentiable():
    check_op(lambda x: x.transpose(-1, -2).contiguous() * 2,
             lambda a: np.swapaxes(a, -1, -2) * 2, [(2, 3), (1, 4, 3)])
    check_op(lambda x: x.to(memory_format=dg.channels_last) ** 2, lambda a: a ** 2,
             [(1, 2, 2, 4), (2, 3, 1, 2)])


def test_sizes():
    x = dg.zeros(2, 3, dtype=dg.float64)
    assert x.element_size() == 8 and x.itemsize == 8 and x.nbytes == 48
    assert x.ndimension() == 2 and x.nelement() == 6 and x.numel() == 6
    assert dg.zeros(3).expand(2, 3).nbytes == 24
    assert x.layout is dg.strided


def test_predicates():
    assert dg.zeros(1).is_floating_point() and not dg.zeros(1, dtype=dg.int64).is_floating_point()
    assert dg.is_floating_point(dg.zeros(1))
    with pytest.raises(TypeError, match="Tensor"):
        dg.is_floating_point(1.0)
    assert dg.zeros(1).is_signed() and dg.zeros(1, dtype=dg.int8).is_signed()
    assert not dg.zeros(1, dtype=dg.uint8).is_signed()
    assert not dg.zeros(1, dtype=dg.bool).is_signed()
    assert dg.is_signed(dg.zeros(1))
    assert dg.tensor(1.0).is_nonzero() and not dg.tensor([0]).is_nonzero()
    assert dg.is_nonzero(dg.tensor([[2]]))
    with pytest.raises(RuntimeError, match="more than one value"):
        dg.zeros(2).is_nonzero()
    with pytest.raises(RuntimeError, match="no values"):
        dg.zeros(0).is_nonzero()
    assert not dg.zeros(1).is_complex()


def test_new_factories_inherit_dtype():
    x = dg.zeros(2, dtype=dg.float64)
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2, 3)).dtype == np.float64
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_empty(0).shape == (0,)
    assert x.new_full((2,), 3).dtype == np.float64 and x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert x.new_tensor([1, 2]).dtype == np.float64
    assert x.new_tensor([1, 2], dtype=dg.int64).dtype == np.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    assert x.new(2, 3).shape == (2, 3) and x.new([1, 2]).dtype == np.float64
    assert x.new().shape == (0,)
    src = dg.tensor([1.0], requires_grad=True)
    cp = x.new_tensor(src)
    assert not cp.requires_grad and not np.shares_memory(cp.array, src.array)
    with pytest.raises(RuntimeError, match="devices that exist"):
        x.new_zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="negative"):
        x.new_zeros(-1)


def test_finfo_iinfo():
    f = dg.finfo(dg.float32)
    assert f.bits == 32 and f.eps == float(np.finfo(np.float32).eps) and f.dtype == "float32"
    assert isinstance(f.max, float) and f.tiny == f.smallest_normal
    assert dg.finfo().bits == 32 and dg.finfo(dg.float64).resolution == 1e-15
    i = dg.iinfo(dg.int32)
    assert (i.bits, i.min, i.max, i.dtype) == (32, -2 ** 31, 2 ** 31 - 1, "int32")
    with pytest.raises(TypeError, match="iinfo"):
        dg.finfo(dg.int32)
    with pytest.raises(TypeError, match="finfo"):
        dg.iinfo(dg.float32)


def test_promotion_rules():
    assert dg.promote_types(dg.int64, dg.float32) == np.float32
    assert dg.promote_types(dg.uint8, dg.int8) == np.int16
    assert dg.promote_types(dg.bool, dg.uint8) == np.uint8
    assert dg.promote_types(dg.float16, dg.float64) == np.float64
    assert dg.result_type(dg.tensor([1]), 1.0) == np.float32
    assert dg.result_type(dg.tensor([1], dtype=dg.int32), dg.tensor(1)) == np.int32
    assert dg.result_type(dg.tensor([True]), 2) == np.int64
    assert dg.result_type(1, 2.0) == np.float32
    assert dg.result_type(dg.tensor(1, dtype=dg.uint8), 300) == np.uint8
    assert dg.can_cast(dg.float64, dg.float32) and not dg.can_cast(dg.float32, dg.int32)
    assert dg.can_cast(dg.int64, dg.uint8) and not dg.can_cast(dg.int32, dg.bool)
    assert dg.can_cast(dg.bool, dg.int8) and not dg.can_cast(dg.uint8, dg.bool)


def test_promotion_against_torch():
    torch = pytest.importorskip("torch")
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for a in names:
        for b in names:
            t = str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]
            assert dg.promote_types(getattr(np, a if a != "bool" else "bool_"),
                                    getattr(np, b if b != "bool" else "bool_")) == np.dtype(t)
            assert dg.can_cast(np.dtype(a), np.dtype(b)) == \
                torch.can_cast(getattr(torch, a), getattr(torch, b))
    for x, y in [([1], 2.5), ([1.0], 3), (2, 3), (True, 1), ([True], False)]:
        tt = torch.result_type(torch.tensor(x) if isinstance(x, list) else x,
                               torch.tensor(y) if isinstance(y, list) else y)
        dd = dg.result_type(dg.tensor(x) if isinstance(x, list) else x,
                            dg.tensor(y) if isinstance(y, list) else y)
        assert dd == np.dtype(str(tt).split(".")[1])


def test_missing_tensor_attribute_says_so():
    x = dg.zeros(1)
    assert not hasattr(x, "definitely_not_a_method")
    with pytest.raises(AttributeError, match="deepgrad does not implement"):
        x.definitely_not_a_method
    with pytest.raises(AttributeError, match="sparse is out of deepgrad's scope"):
        x.to_sparse()
    with pytest.raises(AttributeError, match="out of deepgrad's scope"):
        x.q_scale()


def test_legacy_tensor_size_constructor():
    assert dg.Tensor(2, 3).shape == (2, 3) and dg.Tensor(2, 3).dtype == np.float32
    assert dg.Tensor(2, 3, 4, 5).shape == (2, 3, 4, 5)
    assert dg.Tensor().shape == (0,)
    assert dg.Tensor(3).shape == () and dg.Tensor(3).item() == 3       # one int is data
    w = dg.nn.Parameter(dg.Tensor(4, 2))                            # old custom layers
    assert w.shape == (4, 2) and w.requires_grad
    with pytest.raises(TypeError, match="non-negative ints"):
        dg.Tensor(2, -3)
    torch = pytest.importorskip("torch")
    assert tuple(torch.Tensor(2, 3, 4).shape) == dg.Tensor(2, 3, 4).shape


def test_float_tensors_print_with_pytorch_fixed_decimals():
    import deepgrad as dg
    assert repr(dg.tensor([0.5, 0.25])) == "tensor([0.5000, 0.2500])"
    assert repr(dg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(dg.tensor([[1.25, 2.0], [3.0, 4.0]])) == ("tensor([[1.2500, 2.0000],\n"
                                                          "        [3.0000, 4.0000]])")
