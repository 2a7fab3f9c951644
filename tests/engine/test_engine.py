"""The backward engine: deep graphs, accumulation, freed graphs, grad modes, dtypes, in-place
safety, gradient aliasing, gradcheck itself, and a flat memory footprint in a training loop."""
import time
import tracemalloc

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops


def leaf(values, dtype=np.float32):
    return dg.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------- depth and accumulation
def test_backward_through_a_chain_of_10000_ops():
    x = leaf([1.0, 2.0], np.float64)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    start = time.perf_counter()
    y.sum().backward()
    assert time.perf_counter() - start < 2.0
    np.testing.assert_allclose(x.grad.array, [1.0001 ** 10_000] * 2, rtol=1e-9)


def test_backward_through_a_deep_mixed_chain():
    x = leaf([0.5], np.float64)
    y = x
    for i in range(3_000):
        y = ops.tanh(y) + 0.1 if i % 2 else (y * 0.9).reshape(1)
    y.backward(dg.ones(1, dtype=np.float64))
    assert np.isfinite(x.grad.array).all()


def test_gradients_add_up_across_paths():
    x = leaf([1.0, -2.0, 3.0])
    y = x * x + 3 * x                       # x used by three ops
    y.sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * x.array + 3)


def test_diamond_graph_accumulates_before_propagating():
    x = leaf(2.0, np.float64)
    a = x * 3
    b = a.exp()
    c = a * a
    (b + c).backward()                      # d/dx = 3 e^{3x} + 18 x
    assert x.grad.item() == pytest.approx(3 * np.exp(6) + 36)


def test_the_same_tensor_on_both_sides_of_an_op():
    x = leaf([1.5, -0.5])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.array, 2 * x.array)
    x.grad = None
    (x - x).sum().backward()
    np.testing.assert_array_equal(x.grad.array, [0, 0])
    x.grad = None
    (x / x).sum().backward()
    np.testing.assert_allclose(x.grad.array, [0, 0], atol=1e-7)


@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
def test_leaf_grad_accumulates_over_two_backward_calls(shape):
    x = leaf(np.full(shape, 2.0))
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert isinstance(x.grad.array, np.ndarray) and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.array, np.full(shape, 7.0))


def test_root_leaf_backward_seeds_its_own_grad():
    x = leaf(3.0)
    x.backward()
    x.backward()
    assert x.grad.item() == 2.0


def test_only_leaves_that_require_grad_get_a_grad():
    a = leaf([1.0, 2.0])
    b = dg.tensor([3.0, 4.0])
    y = a * b
    (y * y).sum().backward()
    assert b.grad is None and y.grad is None
    np.testing.assert_allclose(a.grad.array, 2 * a.array * b.array ** 2)


def test_unused_branches_do_not_receive_gradient():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    w * 2                                   # a branch that backward never reaches
    (x * 2).sum().backward()
    assert w.grad is None


# ----------------------------------------------------------------- freed graphs
def test_backward_twice_through_a_freed_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError,
                       match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    first = x.grad.array.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.array, 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_releases_the_saved_arrays():
    x = leaf(np.ones((3, 3)))
    h = x.exp()
    y = (h * h).sum()
    y.backward()
    assert h.grad_fn.inputs is None and not hasattr(h.grad_fn, "out")
    assert y.grad_fn.inputs is None


def test_a_second_graph_sharing_a_retained_prefix():
    x = leaf([1.0, 2.0])
    h = x * 3
    h.sum().backward(retain_graph=True)
    (h * h).sum().backward()                # goes through h's node again
    np.testing.assert_allclose(x.grad.array, 3 + 18 * x.array)


# ----------------------------------------------------------------- seeds and errors
def test_backward_on_a_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"implicitly created only for scalar outputs.*\(2,\)"):
        y.backward()
    y.backward(dg.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.array, [2.0, 20.0])


def test_backward_with_a_gradient_of_the_wrong_shape():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\), expected.*\(2,\)"):
        y.backward(np.ones(3))


def test_backward_accepts_a_one_element_non_scalar():
    x = leaf([[2.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad.array, [[4.0]])


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        dg.tensor([1.0]).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only floating point tensors"):
        dg.tensor([1, 2], requires_grad=True)


# ----------------------------------------------------------------- grad modes, detach
def test_no_graph_is_built_under_no_grad():
    x = leaf([1.0, 2.0])
    with dg.no_grad():
        assert not dg.is_grad_enabled()
        y = (x * 2).exp().sum()
        z = ops.cross_entropy(x.reshape(1, 2), dg.tensor([1]))
    assert dg.is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad and t.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = leaf([1.0])

    @dg.no_grad()
    def f():
        inner = x * 2
        with dg.enable_grad():
            outer = x * 3
        return inner, outer
    inner, outer = f()
    assert not inner.requires_grad and outer.requires_grad and outer.grad_fn is not None


def test_set_grad_enabled_as_context_and_function():
    x = leaf([1.0])
    with dg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    dg.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        dg.set_grad_enabled(True)
    assert dg.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with dg.no_grad():
            raise ValueError
    assert dg.is_grad_enabled()


def test_detach_shares_values_but_stops_gradients():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.array, x.array)
    (x * d).sum().backward()                # d is a constant: d/dx (x * d) = d
    np.testing.assert_array_equal(x.grad.array, x.array)
    assert d.grad is None
    assert not x.data.requires_grad and np.shares_memory(x.data.array, x.array)


# ----------------------------------------------------------------- dtypes
FLOAT32_OPS = [
    lambda x, w: x + w, lambda x, w: x - w, lambda x, w: x * w, lambda x, w: x / (w * w + 1),
    lambda x, w: (x * x + 1) ** w, lambda x, w: x ** 2 + 2 ** w, lambda x, w: 1 - x / 3 - w,
    lambda x, w: ops.maximum(x, w) + ops.minimum(x, w), lambda x, w: ops.where(x > w, x, w),
    lambda x, w: (x * w).exp() + (x * x + 1).log() + (w * w + 1).sqrt() + abs(x),
    lambda x, w: ops.clip(x, -0.5, 0.5) + ops.relu(w) + ops.leaky_relu(x) + ops.elu(w),
    lambda x, w: ops.gelu(x) + ops.gelu(w, "tanh") + ops.sigmoid(x) + ops.tanh(w),
    lambda x, w: ops.softplus(x) + ops.silu(w) + ops.softmax(x, 1) + ops.log_softmax(w, 0),
    lambda x, w: x.sum(1) + w.mean(0) + x.amax(1) + w.amin(0) + x.max(1)[0] + w.min(0)[0],
    lambda x, w: x.var(1) + w.std(0) + x.logsumexp(1) + x.norm() + ops.norm(w, 1, 0),
    lambda x, w: x @ w.T + ops.linear(x, w, w[:, 0]),
    lambda x, w: x.reshape(9).view(3, 3).permute(1, 0).transpose(0, 1).flatten() + w.T.sum(),
    lambda x, w: x.unsqueeze(0).expand(2, 3, 3).repeat(1, 2, 1)[:, ::2, np.array([0, 0])]
    + w.squeeze()[:, :2],
    lambda x, w: ops.cat([x, w], 1) + ops.stack([x, w]).sum(0).repeat(1, 2),
    lambda x, w: ops.split(x, 2, 1)[0].sum() + ops.chunk(w, 3)[1].sum() + x[x > 0].sum(),
    lambda x, w: ops.cross_entropy(x, dg.tensor([0, 2, 1]), label_smoothing=0.1)
    + ops.nll_loss(ops.log_softmax(w, 1), dg.tensor([1, 1, 0])),
    lambda x, w: ops.mse_loss(x, w) + ops.l1_loss(x, w) + ops.smooth_l1_loss(x, w)
    + ops.huber_loss(x, w),
    lambda x, w: ops.binary_cross_entropy(ops.sigmoid(x), ops.sigmoid(w))
    + ops.binary_cross_entropy_with_logits(x, ops.sigmoid(w))
    + ops.kl_div(ops.log_softmax(x, 1), ops.softmax(w, 1), reduction="batchmean"),
    lambda x, w: ops.dropout(x, 0.3) + x.clone() + ops.cast(ops.cast(w, np.float64), np.float32),
]


@pytest.mark.parametrize("k", range(len(FLOAT32_OPS)))
def test_float32_stays_float32_through_ops_and_gradients(k):
    rng = np.random.default_rng(k)
    x = leaf(rng.uniform(-1, 1, (3, 3)))
    w = leaf(rng.uniform(-1, 1, (3, 3)))
    out = FLOAT32_OPS[k](x, w)
    assert out.dtype == np.float32
    out.sum().backward()
    for t in (x, w):
        assert t.grad is not None and t.grad.dtype == np.float32


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a @ b, ops.maximum, lambda a, b: ops.where(a > 0, a, b),
    ops.mse_loss, ops.l1_loss, lambda a, b: ops.linear(a, b)])
def test_mixing_float32_and_float64_raises_a_clear_type_error(op):
    a = dg.ones(2, 2, requires_grad=True)
    b = dg.ones(2, 2, dtype=np.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"float32 and float64.*never upcasts silently"):
        op(a, b)
    with pytest.raises(TypeError, match=r"float64 and float32"):
        op(b, a)


def test_python_floats_and_constant_scalars_adopt_the_tensor_dtype():
    x = leaf([1.0, 2.0])
    assert (x * dg.tensor(2.0, dtype=np.float64)).dtype == np.float32
    with pytest.raises(TypeError, match="never upcasts"):
        x * leaf(2.0, np.float64)         # a 0-d tensor that requires grad is not a constant


# ----------------------------------------------------------------- in-place safety
INPLACE = {
    "+=": lambda t: t.__iadd__(1.0), "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0), "/=": lambda t: t.__itruediv__(2.0),
    "add_": lambda t: t.add_(dg.ones(2), alpha=2), "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0), "div_": lambda t: t.div_(2.0),
    "clamp_": lambda t: t.clamp_(0, 1), "copy_": lambda t: t.copy_(dg.zeros(2)),
    "__setitem__": lambda t: t.__setitem__(0, 5.0), "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_change_of_a_leaf_that_requires_grad_raises(name):
    x = leaf([1.0, 2.0])
    before = x.array.copy()
    with pytest.raises(RuntimeError, match="in-place operation.*no_grad"):
        INPLACE[name](x)
    np.testing.assert_array_equal(x.array, before)


@pytest.mark.parametrize("name", list(INPLACE))
def test_in_place_change_is_allowed_under_no_grad_and_on_constants(name):
    x = leaf([1.0, 2.0])
    with dg.no_grad():
        INPLACE[name](x)
    assert x.requires_grad and x.is_leaf and x.dtype == np.float32
    c = dg.tensor([1.0, 2.0])
    INPLACE[name](c)
    assert not np.array_equal(c.array, [1.0, 2.0])


def test_sgd_update_under_no_grad_keeps_the_leaf_a_leaf():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    with dg.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.array, [0.8, 1.6])


# ----------------------------------------------------------------- gradient aliasing
def _independent(*arrays):
    return all(not np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])


@pytest.mark.parametrize("build", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: (a + b) * 1,
    lambda a, b: ops.cat([a, b]).reshape(2, 2)[0] * 0 + a + b,
    lambda a, b: ops.stack([a, b]).sum(0), lambda a, b: a.clone() + b.reshape(2),
    lambda a, b: a.expand(3, 2).sum(0) + b, lambda a, b: ops.where(a > 0, a, b) + a + b,
], ids=["add", "sub", "add-mul", "cat-reshape", "stack", "clone", "expand", "where"])
def test_leaf_grads_are_never_aliased(build):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    z = build(a, b)
    seed = np.ones(z.shape, np.float32)
    z.backward(seed)
    assert _independent(a.grad.array, b.grad.array, seed, a.array, b.array)
    b_before = b.grad.array.copy()
    a.grad.array += 100                    # an optimizer scaling one grad in place ...
    np.testing.assert_array_equal(b.grad.array, b_before)   # ... leaves the other alone


def test_leaf_grad_does_not_alias_the_seed_or_views_of_it():
    x = leaf([1.0, 2.0])
    g = dg.tensor([5.0, 6.0])
    y = x.clone()
    y.backward(g)
    assert not np.shares_memory(x.grad.array, g.array)
    x2 = leaf([1.0, 2.0])
    x2.backward(g)
    assert not np.shares_memory(x2.grad.array, g.array)


def test_accumulating_into_one_grad_does_not_change_another():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    (a * 2).sum().backward()               # accumulates into a.grad in place
    np.testing.assert_array_equal(a.grad.array, [3, 3])
    np.testing.assert_array_equal(b.grad.array, [1, 1])


# ----------------------------------------------------------------- gradcheck itself
class _WrongExp(dg.Function):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, g):
        return g * self.out * 1.01           # 1% off


def test_gradcheck_catches_a_wrong_backward():
    x = dg.tensor(np.linspace(-1, 1, 4), dtype=np.float64, requires_grad=True)
    with pytest.raises(dg.GradcheckError, match=r"Jacobian mismatch for output 0 with "
                                                r"respect to input 0(.|\n)*worst element"):
        dg.gradcheck(lambda t: _WrongExp.apply(t), x)
    assert dg.gradcheck(lambda t: _WrongExp.apply(t), x, raise_exception=False) is False


def test_gradcheck_warns_off_float64_and_needs_a_differentiable_input():
    with pytest.warns(UserWarning, match="not a double precision"):
        dg.gradcheck(lambda t: t * 2, leaf([1.0]), raise_exception=False)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        dg.gradcheck(lambda t: t * 2, dg.tensor([1.0], dtype=np.float64))


def test_gradcheck_handles_non_contiguous_inputs_and_extra_arguments():
    a = np.random.default_rng(0).standard_normal((3, 2)).T      # transposed view
    x = dg.Tensor(a, requires_grad=True)
    c = dg.tensor(np.arange(6.0).reshape(2, 3), dtype=np.float64)
    assert dg.gradcheck(lambda t, k, s: (t * k * s).exp(), (x, c, 0.5))
    np.testing.assert_array_equal(x.array, a)                     # left as it was


# ----------------------------------------------------------------- memory
def test_training_loop_keeps_a_flat_memory_footprint():
    """10,000 SGD steps of a 2-layer MLP: the peak traced memory of the last 1,000 steps is
    no higher than that of steps 1,000-2,000 (a leak of one small object per step would add
    about 0.5 MB). Graphs must be freed by backward and by reference counting alone."""
    rng = np.random.default_rng(0)
    X = dg.tensor(rng.standard_normal((8, 4)), dtype=np.float32)
    Y = dg.tensor(rng.standard_normal((8, 2)), dtype=np.float32)
    W1 = dg.tensor(rng.standard_normal((4, 8)) * 0.5, dtype=np.float32, requires_grad=True)
    W2 = dg.tensor(rng.standard_normal((8, 2)) * 0.5, dtype=np.float32, requires_grad=True)

    def step():
        loss = ops.mse_loss(ops.relu(X @ W1) @ W2, Y)
        loss.backward()
        with dg.no_grad():
            for p in (W1, W2):
                p -= 0.05 * p.grad
                p.grad = None
        return loss.item()

    peaks = []
    first = step()
    tracemalloc.start()
    try:
        for i in range(1, 10_000):
            if i % 1000 == 0:
                tracemalloc.reset_peak()
            last = step()
            if i % 1000 == 999:
                peaks.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    assert last < first                                   # it did train
    early, late = peaks[1], peaks[-1]
    assert late <= early + 32 * 1024, f"peak traced memory grew from {early} to {late} bytes"
