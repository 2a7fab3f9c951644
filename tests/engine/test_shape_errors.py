"""Clear errors, in PyTorch's words, for shapes that cannot work: operands that do not
broadcast (naming the dimension), ragged nested lists, negative sizes, convolution
kernels, strides and dilations that are not positive. Each is compared with PyTorch's
error when torch is installed."""
import warnings

import numpy as np
import pytest

import deepgrad


def torch_agrees(fn, text=None, kind=Exception):
    """With torch installed: ``fn(torch)`` raises ``kind`` with ``text`` in its message.
    Without it, nothing (deepgrad's side of the test has run already)."""
    try:
        import torch
    except ImportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(kind) as err:
            fn(torch)
    assert text is None or text in str(err.value), str(err.value)


# --------------------------------------------------------------- broadcasting
BINARY = [
    ("add", lambda m, a, b: a + b),
    ("mul", lambda m, a, b: a * b),
    ("sub", lambda m, a, b: a - b),
    ("div", lambda m, a, b: a / b),
    ("pow", lambda m, a, b: a ** b),
    ("maximum", lambda m, a, b: m.maximum(a, b)),
    ("atan2", lambda m, a, b: m.atan2(a, b)),
    ("eq", lambda m, a, b: a == b),
    ("lt", lambda m, a, b: a < b),
    ("where", lambda m, a, b: m.where(a > 0, a, b)),
    ("add_", lambda m, a, b: a.add_(b)),
    ("mul_", lambda m, a, b: a.mul_(b)),
]
SHAPES = [((2, 3), (2, 4), "The size of tensor a (3) must match the size of tensor b (4) at "
                           "non-singleton dimension 1"),
          ((2, 3), (4, 1, 4), "The size of tensor a (3) must match the size of tensor b (4) "
                              "at non-singleton dimension 2"),
          ((5, 2), (3, 2), "The size of tensor a (5) must match the size of tensor b (3) at "
                           "non-singleton dimension 0")]


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
def test_operands_that_do_not_broadcast_name_the_dimension(name, op, shapes):
    sa, sb, message = shapes
    if name.endswith("_") and len(sb) > len(sa):
        pytest.skip("an in-place op cannot grow its target (tested below)")
    a, b = deepgrad.ones(*sa), deepgrad.ones(*sb)
    before = a.numpy().copy()
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        op(deepgrad, a, b)
    np.testing.assert_array_equal(a.numpy(), before)        # nothing written
    if name != "where":     # torch's where names the condition and others differently
        torch_agrees(lambda m: op(m, m.ones(*sa), m.ones(*sb)), message, RuntimeError)


def test_the_error_also_names_the_op_and_both_shapes_and_stays_a_value_error():
    a = deepgrad.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError) as err:          # NumPy's type, for code catching it
        a * deepgrad.ones(2, 4)
    assert "Mul of shapes (2, 3), (2, 4)" in str(err.value)
    assert isinstance(err.value, RuntimeError)      # PyTorch's type


def test_in_place_ops_refuse_to_grow_their_target_as_pytorch():
    a = deepgrad.ones(3)
    with pytest.raises(RuntimeError, match=r"add_: output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        a.add_(deepgrad.ones(2, 3))
    assert a._version == 0
    torch_agrees(lambda m: m.ones(3).add_(m.ones(2, 3)),
                 "output with shape [3] doesn't match the broadcast shape [2, 3]", RuntimeError)


def test_shapes_that_broadcast_are_unaffected():
    out = deepgrad.ones(2, 1, 3) + deepgrad.ones(4, 1)
    assert out.shape == (2, 4, 3)
    assert (deepgrad.ones(3, 1) == deepgrad.ones(1, 3)).shape == (3, 3)


# --------------------------------------------------------------- ragged nested lists
RAGGED = [([[1, 2], [3]], "expected sequence of length 2 at dim 1 (got 1)"),
          ([[1.0, 2.0], [3.0, 4.0, 5.0]], "expected sequence of length 2 at dim 1 (got 3)"),
          ([[[1], [2]], [[3], [4, 5]]], "expected sequence of length 1 at dim 2 (got 2)"),
          ([[1, 2], [3, 4], []], "expected sequence of length 2 at dim 1 (got 0)")]


@pytest.mark.parametrize("data,message", RAGGED)
@pytest.mark.parametrize("make", ["tensor", "as_tensor", "Tensor"])
def test_ragged_lists_name_the_dim_and_lengths_as_pytorch(data, message, make):
    with pytest.raises(ValueError) as err:
        getattr(deepgrad, make)(data)
    assert message in str(err.value) and "rectangular" in str(err.value)
    if make == "tensor":
        torch_agrees(lambda m: m.tensor(data), message, ValueError)


def test_a_number_beside_lists_is_named():
    with pytest.raises(ValueError, match=r"expected a sequence at dim 1 \(got int 3 beside "
                                         r"sequences\)"):
        deepgrad.tensor([[1, 2], 3])
    torch_agrees(lambda m: m.tensor([[1, 2], 3]), "not a sequence", TypeError)


def test_rectangular_lists_still_work():
    assert deepgrad.tensor([[1, 2], [3, 4]]).shape == (2, 2)
    assert deepgrad.tensor([[[1.0]], [[2.0]]]).shape == (2, 1, 1)
    assert deepgrad.tensor([]).shape == (0,)


# --------------------------------------------------------------- negative sizes
@pytest.mark.parametrize("factory", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(-1,), (2, -3)])
def test_negative_sizes_are_refused_with_the_size(factory, size):
    with pytest.raises(RuntimeError, match=r"must be non-negative, received \(" +
                                           ", ".join(str(s) for s in size)):
        getattr(deepgrad, factory)(*size)
    torch_agrees(lambda m: getattr(m, factory)(*size), None, RuntimeError)


def test_negative_sizes_of_full_and_the_legacy_constructor():
    with pytest.raises(RuntimeError, match="full: dimension sizes must be non-negative"):
        deepgrad.full((2, -1), 1.0)
    with pytest.raises(TypeError, match="non-negative ints, received"):
        deepgrad.Tensor(2, -1)


# --------------------------------------------------------------- convolution layers
@pytest.mark.parametrize("layer", ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"])
@pytest.mark.parametrize("kwargs,arg", [({"kernel_size": 0}, "kernel_size"),
                                        ({"kernel_size": -1}, "kernel_size"),
                                        ({"kernel_size": 3, "stride": 0}, "stride"),
                                        ({"kernel_size": 3, "dilation": 0}, "dilation")])
def test_conv_layers_refuse_non_positive_kernel_stride_dilation(layer, kwargs, arg):
    with pytest.raises(ValueError, match=f"{layer}: {arg} must be positive in every "
                                         f"dimension, received {arg}="):
        getattr(deepgrad.nn, layer)(1, 8, **kwargs)


def test_conv2d_with_a_zero_kernel_was_a_silent_result_and_is_now_refused():
    with pytest.raises(ValueError, match=r"kernel_size must be positive in every dimension, "
                                         r"received kernel_size=\(3, 0\)"):
        deepgrad.nn.Conv2d(1, 8, (3, 0))
    x = deepgrad.ones(1, 1, 5, 5)
    with pytest.raises(ValueError, match=r"conv2d: kernel size should be greater than zero"):
        deepgrad.nn.functional.conv2d(x, deepgrad.ones(8, 1, 0, 3))
    # PyTorch builds the layer (with a warning) and refuses at the first forward
    torch_agrees(lambda m: m.nn.Conv2d(1, 8, 0)(m.ones(1, 1, 5, 5)),
                 "kernel size should be greater than zero", RuntimeError)


def test_conv_kernel_size_of_the_wrong_type():
    with pytest.raises(TypeError, match="kernel_size must be an int or a tuple of 2 ints"):
        deepgrad.nn.Conv2d(1, 8, "3")
