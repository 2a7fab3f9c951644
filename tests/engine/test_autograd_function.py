"""PyTorch-style custom functions (static forward/backward with ctx) on deepgrad's engine,
against hand-derived gradients and PyTorch's behaviour (same code run on both)."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad.autograd.function import FunctionCtx, once_differentiable


def leaf(values, dtype=np.float64):
    return dg.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


def make_classes(lib):
    """The same custom functions written against ``lib`` (deepgrad or torch)."""
    F = lib.autograd.Function

    class MulConstant(F):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            ctx.save_for_backward(x)
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    class Cube(F):                                    # saves its output
        @staticmethod
        def forward(ctx, x):
            out = x * x * x
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, out = ctx.saved_tensors
            return g * 3 * out / x

    class SplitScale(F):                              # two differentiable outputs
        @staticmethod
        def forward(ctx, x, y):
            return x * 2, x * y

        @staticmethod
        def backward(ctx, ga, gb):
            x, y = ctx.saved_vals
            return ga * 2 + gb * y, gb * x

    class SplitScaleSaved(SplitScale):
        @staticmethod
        def forward(ctx, x, y):
            ctx.saved_vals = (x, y)
            return x * 2, x * y

    class Setup(F):                                   # forward without ctx + setup_context
        @staticmethod
        def forward(x, power, scale=1.0):
            return scale * x ** power

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, power, scale = inputs
            ctx.power, ctx.scale = power, scale
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * ctx.scale * ctx.power * x ** (ctx.power - 1), None, None

    return MulConstant, Cube, SplitScaleSaved, Setup


MulConstant, Cube, SplitScale, Setup = make_classes(dg)


def test_static_forward_backward_with_ctx_and_a_non_tensor_argument():
    x = leaf([1.0, -2.0, 3.0])
    y = MulConstant.apply(x, 2.5)
    assert y.requires_grad and type(y.grad_fn).__name__ == "MulConstantBackward"
    assert y.grad_fn.name() == "MulConstantBackward" and "grad_fn=<MulConstantBackward>" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, [2.5] * 3)


def test_ctx_is_the_grad_fn_and_holds_arbitrary_attributes():
    x = leaf([1.0, 2.0])
    y = MulConstant.apply(x, 3.0)
    assert isinstance(y.grad_fn, FunctionCtx) and y.grad_fn.k == 3.0
    assert y.grad_fn.needs_input_grad == (True, False)


def test_saved_output_comes_back_with_its_grad_fn_and_gradient_is_right():
    x = leaf([0.5, -1.5, 2.0])
    y = Cube.apply(x)
    (y * dg.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.array, 3 * x.array ** 2 * [1, 2, 3])


def test_saved_tensors_after_backward_raise_the_freed_graph_error():
    x = leaf([1.0])
    y = MulConstant.apply(x, 2.0)
    y.backward(dg.ones(1, dtype=np.float64))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn.saved_tensors
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(dg.ones(1, dtype=np.float64))


def test_retain_graph_keeps_saved_tensors_for_a_second_backward():
    x = leaf([2.0])
    y = Cube.apply(x)
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.array, [24.0])


def test_two_outputs_both_used_and_one_used():
    x, y = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    a, b = SplitScale.apply(x, y)
    assert a.requires_grad and b.requires_grad
    (a.sum() + 10 * b.sum()).backward()
    np.testing.assert_allclose(x.grad.array, 2 + 10 * y.array)
    np.testing.assert_allclose(y.grad.array, 10 * x.array)
    x.grad = y.grad = None
    a, b = SplitScale.apply(x, y)
    b.sum().backward()                          # a gets a zero gradient (materialized)
    np.testing.assert_allclose(x.grad.array, y.array)


def test_setup_context_style_with_keyword_and_default_arguments():
    x = leaf([1.0, 2.0])
    Setup.apply(x, 3).sum().backward()
    np.testing.assert_allclose(x.grad.array, 3 * x.array ** 2)
    x.grad = None
    Setup.apply(x, power=2, scale=0.5).sum().backward()
    np.testing.assert_allclose(x.grad.array, x.array)


def test_forward_runs_without_grad_and_backward_gets_tensors():
    seen = {}

    class Probe(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["fwd"] = dg.is_grad_enabled()
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = dg.is_grad_enabled()
            seen["type"] = type(g)
            return g * 2

    Probe.apply(leaf([1.0])).sum().backward()
    assert seen == {"fwd": False, "bwd": False, "type": dg.Tensor}


def test_no_node_when_no_input_requires_grad_or_under_no_grad():
    x = dg.tensor([1.0, 2.0])
    y = MulConstant.apply(x, 2.0)
    assert not y.requires_grad and y.grad_fn is None
    with dg.no_grad():
        y = MulConstant.apply(leaf([1.0]), 2.0)
    assert not y.requires_grad and y.grad_fn is None


def test_needs_input_grad_per_argument():
    seen = []

    class Add(dg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            seen.append(ctx.needs_input_grad)
            return a + b

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return (g if ctx.needs_input_grad[0] else None,
                    g if ctx.needs_input_grad[1] else None, None)

    x = leaf([1.0])
    Add.apply(x, dg.tensor([2.0], dtype=np.float64), "c").sum().backward()
    assert seen == [(True, False, False)] * 2
    np.testing.assert_allclose(x.grad.array, [1.0])


def test_mark_non_differentiable_and_integer_outputs_get_no_gradient():
    got = {}

    class SortLike(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = dg.tensor(np.argsort(x.array))
            doubled = x * 2
            ctx.mark_non_differentiable(doubled)
            return x * 1, idx, doubled

        @staticmethod
        def backward(ctx, g, g_idx, g_doubled):
            got["idx"], got["doubled"] = g_idx, g_doubled
            return g

    x = leaf([3.0, 1.0])
    out, idx, doubled = SortLike.apply(x)
    assert out.requires_grad and not idx.requires_grad and not doubled.requires_grad
    out.sum().backward()
    assert got["idx"].dtype == np.int64 and not got["idx"].array.any()
    assert got["doubled"].dtype == np.float64 and not got["doubled"].array.any()


def test_set_materialize_grads_false_passes_none():
    got = []

    class Two(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, ga, gb):
            got.append(gb)
            return ga if gb is None else ga + 2 * gb

    x = leaf([1.0])
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got == [None] and x.grad.item() == 1.0


def test_non_tensor_outputs_pass_through_and_list_outputs_are_not_tracked():
    class Mixed(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 5

        @staticmethod
        def backward(ctx, g, g5):
            assert g5 is None
            return g * 2

    x = leaf([1.0])
    y, five = Mixed.apply(x)
    assert five == 5
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_an_input_returned_as_is_becomes_a_new_tensor_with_the_node():
    class Ident(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = leaf([1.0, 2.0])
    y = Ident.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    np.testing.assert_array_equal(y.array, x.array)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, [5, 5])


def test_mark_dirty_rebases_the_history_of_the_modified_input():
    class MulInPlace(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.array *= 2
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = leaf([1.0, 3.0])
    b = a * 3
    c = MulInPlace.apply(b)
    assert c is b and type(b.grad_fn).__name__ == "MulInPlaceBackward"
    c.sum().backward()
    np.testing.assert_allclose(a.grad.array, [6, 6])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad .* in-place"):
        MulInPlace.apply(leaf([1.0]))


def test_once_differentiable_runs_backward_without_grad():
    class Exp(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            assert not dg.is_grad_enabled()
            y, = ctx.saved_tensors
            return g * y

    x = leaf([0.0, 1.0])
    Exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.array, np.exp(x.array))


def test_gradients_are_summed_back_to_a_broadcast_input_shape_and_cast_to_its_dtype():
    class Spread(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return dg.ones(4, 3, dtype=np.float64)    # expandable from (3,), float64

    x = leaf([1.0, 2.0, 3.0], np.float32)
    Spread.apply(x).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.array, [4, 4, 4])


@pytest.mark.parametrize("ret, match", [
    (lambda g: (g, g), r"incorrect number of gradients \(expected 1, got 2\)"),
    (lambda g: (g[:1],), r"invalid gradient at index 0 - got \[1\] but expected shape "
                         r"compatible with \[2\]"),
    (lambda g: g.array, "Tensor or None"),
])
def test_bad_backward_results_are_reported_with_the_function_name(ret, match):
    class Bad(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ret(g)

    with pytest.raises((RuntimeError, TypeError), match=match):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


def test_gradient_for_a_non_tensor_argument_must_be_none():
    class Bad(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="different than None at position 2"):
        Bad.apply(leaf([1.0]), 2.0).sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class Bad(dg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="argument 1 is of type int"):
        Bad.apply(leaf([1.0]))


def test_instance_style_deepgrad_ops_still_work_alongside():
    class Square(dg.autograd.Function):             # deepgrad's array-level protocol
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, g):
            return 2 * g * self.x

    x = leaf([3.0])
    Square.apply(x).backward()
    assert x.grad.item() == 6.0
    assert not hasattr(Square, "_backward_cls")


def test_gradcheck_of_custom_functions():
    x, y = leaf([0.3, -1.2, 2.0]), leaf([1.5, 0.5, -0.7])
    assert dg.autograd.gradcheck(lambda a: MulConstant.apply(a, 1.7), (x,))
    assert dg.autograd.gradcheck(Cube.apply, (x,))
    assert dg.autograd.gradcheck(SplitScale.apply, (x, y))
    assert dg.autograd.gradcheck(lambda a: Setup.apply(a, 3, 0.25), (x,))


def test_same_gradients_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv, yv = rng.uniform(0.5, 2, (2, 3)), rng.uniform(-1, 1, (2, 3))
    for lib, mk in ((dg, lambda v: dg.tensor(v, dtype=np.float64, requires_grad=True)),
                    (torch, lambda v: torch.tensor(v, requires_grad=True))):
        M, C, S, St = make_classes(lib)
        x, y = mk(xv), mk(yv)
        a, b = S.apply(x, y)
        loss = (M.apply(C.apply(x), 0.5) * St.apply(y, 2, scale=3.0)).sum() + (a * b).sum()
        loss.backward()
        if lib is dg:
            ref = (x.grad.array, y.grad.array, loss.item())
        else:
            np.testing.assert_allclose(ref[0], x.grad.numpy(), rtol=1e-12)
            np.testing.assert_allclose(ref[1], y.grad.numpy(), rtol=1e-12)
            assert ref[2] == pytest.approx(loss.item(), rel=1e-12)
