"""autograd.grad / autograd.backward / backward(inputs=), tensor hooks, retain_grad, grad
modes (decorators, generators, inference_mode), anomaly detection, Variable, and
autograd.functional, against hand-derived values and PyTorch's behaviour."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import autograd
from deepgrad.autograd.functional import jacobian, jvp, vjp


def leaf(values, dtype=np.float64):
    return dg.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------- autograd.grad
def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x = leaf([1.0, 2.0])
    (g,) = autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.array, 3 * x.array ** 2)
    assert x.grad is None and not g.requires_grad and g.dtype == np.float64


def test_grad_with_respect_to_intermediate_tensors_and_leaves():
    x = leaf([1.0, -1.0])
    z = x * 2
    w = (z * z).sum()
    gz, gx = autograd.grad(w, [z, x])
    np.testing.assert_allclose(gz.array, 2 * z.array)
    np.testing.assert_allclose(gx.array, 8 * x.array)
    assert x.grad is None


def test_grad_frees_the_graph_unless_retained():
    x = leaf([1.0])
    y = (x * x).sum()
    autograd.grad(y, x, retain_graph=True)
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)


def test_grad_outputs_weight_each_output():
    x = leaf([1.0, 2.0])
    (g,) = autograd.grad(x * 2, x, grad_outputs=dg.tensor([1.0, 5.0], dtype=np.float64))
    np.testing.assert_allclose(g.array, [2, 10])
    (g,) = autograd.grad([(x * 2).sum(), (x * 3).sum()], [x],
                         grad_outputs=[None, dg.tensor(2.0, dtype=np.float64)])
    np.testing.assert_allclose(g.array, [8, 8])


def test_grad_of_a_tensor_with_respect_to_itself():
    x = leaf([1.0, 2.0])
    y = x * 3
    assert autograd.grad(y, y, dg.ones(2, dtype=np.float64))[0].tolist() == [1, 1]
    assert autograd.grad(x, x, dg.ones(2, dtype=np.float64))[0].tolist() == [1, 1]


def test_unused_inputs_allow_unused_and_materialize_grads():
    x, unused = leaf([1.0, 2.0]), leaf([3.0])
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match="index 1 appears to not have been used"):
        autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = autograd.grad(y, [x, unused], retain_graph=True, allow_unused=True)
    assert gu is None and gx.tolist() == [3, 3]
    gx, gu = autograd.grad(y, [x, unused], retain_graph=True, materialize_grads=True)
    assert gu.tolist() == [0.0] and gu.dtype == np.float64
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        autograd.grad(y, [x, unused], materialize_grads=True, allow_unused=False)


def test_grad_with_dict_inputs_returns_a_dict():
    x = leaf([1.0])
    assert autograd.grad((x * 3).sum(), {"x": x})["x"].tolist() == [3.0]


@pytest.mark.parametrize("call, exc, match", [
    (lambda x: autograd.grad((x * 2).sum(), [dg.ones(2)]), RuntimeError,
     "does not require grad"),
    (lambda x: autograd.grad(dg.ones(2).sum(), [x]), RuntimeError,
     "element 0 of tensors does not require grad"),
    (lambda x: autograd.grad(x * 2, [x]), RuntimeError,
     "implicitly created only for scalar outputs"),
    (lambda x: autograd.grad(x * 2, [x], grad_outputs=dg.ones(3, dtype=np.float64)),
     RuntimeError, r"Mismatch in shape: grad_output\[0\] has a shape of \(3,\)"),
    (lambda x: autograd.grad(x * 2, [x], grad_outputs=[None, None]), RuntimeError,
     "grad_outputs has 2 entries, expected one per output"),
    (lambda x: autograd.grad([1.0], [x]), TypeError, "outputs must be a Tensor"),
    (lambda x: autograd.grad((x * 2).sum(), [x], is_grads_batched=True),
     NotImplementedError, "vmap"),
])
def test_grad_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(leaf([1.0, 2.0]))


def test_grad_walks_only_the_part_of_the_graph_leading_to_the_inputs():
    x, w = leaf([1.0]), leaf([2.0])
    a = x * 3
    b = w * 5
    loss = (a * b).sum()
    autograd.grad(loss, [a])              # stops at a: w's branch and x are not touched
    loss2 = (b * 2).sum()                 # b's node was not run, so not freed
    loss2.backward()
    assert w.grad.tolist() == [10.0]


def test_grad_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x, w = leaf(xv), leaf(wv)
    h = (x @ w).tanh()
    gh, gx, gw = autograd.grad((h * h).sum() + h.sum(), [h, x, w])
    tx = torch.tensor(xv, requires_grad=True)
    tw = torch.tensor(wv, requires_grad=True)
    th = (tx @ tw).tanh()
    tg = torch.autograd.grad((th * th).sum() + th.sum(), [th, tx, tw])
    for a, b in zip((gh, gx, gw), tg):
        np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-12)


# ----------------------------------------------------------------- autograd.backward
def test_backward_of_several_roots():
    a, b = leaf([1.0, 1.0]), leaf([1.0, 1.0])
    autograd.backward([(a * 2).sum(), a * b], [None, dg.ones(2, dtype=np.float64)])
    assert a.grad.tolist() == [3, 3] and b.grad.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        autograd.backward(a * 2)


def test_backward_inputs_accumulate_only_into_those():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [3, 4] and b.grad is None
    z = a * 2
    (z * z).sum().backward(inputs=[z])
    assert z.grad.tolist() == [4, 8] and z.retains_grad and a.grad.tolist() == [3, 4]
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * b).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        (a * b).sum().backward(inputs=[dg.ones(2)])


def test_grad_variables_is_the_old_name_of_grad_tensors():
    a = leaf([1.0, 2.0])
    with pytest.warns(UserWarning, match="deprecated"):
        autograd.backward([a * 3], grad_variables=[dg.ones(2, dtype=np.float64)])
    assert a.grad.tolist() == [3, 3]


# ----------------------------------------------------------------- hooks and retain_grad
def test_hooks_see_and_replace_gradients():
    a = leaf([1.0, 1.0])
    z = a * 2
    seen = []
    z.register_hook(lambda g: seen.append(("z", g.tolist())) or g * 10)
    a.register_hook(lambda g: seen.append(("a", g.tolist())))
    z.retain_grad()
    (z.sum() + (a * 1).sum()).backward()
    assert seen == [("z", [1, 1]), ("a", [21, 21])]       # a leaf hook sees the total once
    assert a.grad.tolist() == [21, 21] and z.grad.tolist() == [10, 10]


def test_leaf_hook_replacement_is_what_accumulates_and_handles_remove():
    a = leaf([1.0, 2.0])
    h = a.register_hook(lambda g: g * 100)
    (a * a).sum().backward()
    assert a.grad.tolist() == [200, 400]
    h.remove()
    a.grad = None
    (a * a).sum().backward()
    assert a.grad.tolist() == [2, 4]


def test_hooks_and_retain_grad_in_autograd_grad():
    a = leaf([1.0, 1.0])
    z = a * 2
    z.register_hook(lambda g: g * 10)
    z.retain_grad()
    gz, ga = autograd.grad((z * z).sum(), [z, a])
    assert gz.tolist() == [4, 4]           # captured before z's hook, as PyTorch
    assert ga.tolist() == [80, 80] and z.grad.tolist() == [40, 40]


def test_retain_grad_accumulates_and_reports():
    a = leaf([1.0])
    e = a * 1
    e.retain_grad()
    assert e.retains_grad and not a.retains_grad
    (e * 2).sum().backward(retain_graph=True)
    (e * 2).sum().backward()
    assert e.grad.tolist() == [4.0]
    a.retain_grad()                       # a leaf: nothing to do
    assert not a.retains_grad


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    a = leaf([1.0, 2.0])
    seen = []
    a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (a * 5).sum().backward()
    assert seen == [[5, 5]]


@pytest.mark.parametrize("call, match", [
    (lambda: dg.ones(2).register_hook(lambda g: g), "doesn't require gradient"),
    (lambda: (leaf([1.0]) * 2).register_post_accumulate_grad_hook(lambda t: None),
     "non-leaf"),
    (lambda: dg.ones(2).retain_grad(), "requires_grad=False"),
    (lambda: (leaf([1.0]) * 2).requires_grad_(False), "only change requires_grad flags of leaf"),
])
def test_hook_bad_input(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_hook_changing_the_shape_is_refused():
    b = leaf([1.0, 2.0])
    b.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="changed the size of value"):
        (b * 2).sum().backward()


def test_detach_in_place_and_requires_grad_in_place():
    a = leaf([1.0])
    y = a * 2
    assert y.detach_() is y and y.is_leaf and not y.requires_grad and y.grad_fn is None
    x = dg.ones(2, dtype=np.float64)
    assert x.requires_grad_() is x and x.requires_grad


# ----------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad_decorate_with_and_without_parentheses():
    x = leaf([1.0])

    @dg.no_grad
    def bare():
        return x * 2

    @dg.no_grad()
    def called():
        @dg.enable_grad
        def inner():
            return x * 3
        return x * 2, inner()

    assert not bare().requires_grad
    a, b = called()
    assert not a.requires_grad and b.requires_grad


def test_no_grad_on_a_generator_applies_to_each_step_only():
    x = leaf([1.0])

    @dg.no_grad()
    def gen():
        for _ in range(2):
            yield (x * 2).requires_grad, dg.is_grad_enabled()

    steps = []
    for step in gen():
        steps.append(step)
        assert dg.is_grad_enabled()            # the caller's mode between steps
    assert steps == [(False, False), (False, False)]


def test_set_grad_enabled_function_context_and_decorator():
    x = leaf([1.0])
    with dg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert dg.is_grad_enabled()

    @dg.set_grad_enabled(False)
    def f():
        return (x * 2).requires_grad

    assert dg.is_grad_enabled() and f() is False and dg.is_grad_enabled()
    with pytest.raises(TypeError, match="must be a bool"):
        dg.set_grad_enabled(1)


def test_inference_mode_context_decorator_and_nesting():
    x = leaf([1.0])
    with dg.inference_mode():
        assert dg.is_inference_mode_enabled() and not dg.is_grad_enabled()
        y, t = x * 2, dg.Tensor(np.ones(2))
        assert y.is_inference() and t.is_inference() and not y.requires_grad
        with dg.inference_mode(False):
            assert not dg.is_inference_mode_enabled() and dg.is_grad_enabled()
            assert not (x * 2).is_inference() and not dg.Tensor(np.ones(1)).is_inference()
    assert not dg.is_inference_mode_enabled() and not x.is_inference()
    assert dg.is_inference(y) and not dg.is_inference(x)
    with pytest.raises(TypeError, match="expected a Tensor"):
        dg.is_inference(3)
    with dg.no_grad():
        with dg.inference_mode(False):
            assert dg.is_grad_enabled()           # as PyTorch

    @dg.inference_mode
    def bare():
        return x * 2

    @dg.inference_mode(mode=True)
    def called():
        return x * 2

    assert bare().is_inference() and called().is_inference()


def test_autograd_names_the_grad_mode_classes():
    assert autograd.no_grad is dg.no_grad and autograd.inference_mode is dg.inference_mode
    assert autograd.grad_mode.set_grad_enabled is dg.set_grad_enabled


# ----------------------------------------------------------------- anomaly detection
def test_detect_anomaly_names_the_op_that_returned_nan():
    x = leaf([1.0, 2.0])
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with autograd.detect_anomaly():
            assert autograd.is_anomaly_enabled()
            with pytest.raises(RuntimeError,
                               match=r"Function 'MulBackward' returned nan values in its 0th "
                                     r"output"):
                (x * float("nan")).sum().backward()
    assert not autograd.is_anomaly_enabled()
    (x * float("nan")).sum().backward()        # off again: no check
    assert np.isnan(x.grad.array).all()


def test_set_detect_anomaly_as_function_and_context():
    autograd.set_detect_anomaly(True)
    try:
        assert autograd.is_anomaly_enabled() and autograd.is_anomaly_check_nan_enabled()
    finally:
        autograd.set_detect_anomaly(False)
    with autograd.set_detect_anomaly(True, check_nan=False):
        assert autograd.is_anomaly_enabled() and not autograd.is_anomaly_check_nan_enabled()
        x = leaf([1.0])
        (x * float("nan")).sum().backward()     # check_nan=False: no error
    assert not autograd.is_anomaly_enabled()


def test_anomaly_check_names_a_custom_function():
    class Bad(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="Function 'BadBackward' returned nan"):
                Bad.apply(leaf([1.0])).sum().backward()


# ----------------------------------------------------------------- Variable
def test_variable_is_a_tensor():
    v = dg.ones(2)
    var = autograd.Variable(v, requires_grad=True)
    assert isinstance(var, dg.Tensor) and var is not v and var.requires_grad
    assert isinstance(v, autograd.Variable) and not isinstance(3, autograd.Variable)
    assert autograd.Variable(leaf([1.0]) * 2).is_leaf
    assert autograd.Variable().shape == (0,)
    with pytest.raises(TypeError, match="has to be a tensor, but got list"):
        autograd.Variable([1.0])
    with pytest.warns(UserWarning, match="volatile was removed"):
        autograd.Variable(v, volatile=True)


# ----------------------------------------------------------------- autograd.functional
def test_jacobian_structures_and_values():
    x = dg.tensor([1.0, 2.0], dtype=np.float64)
    np.testing.assert_allclose(jacobian(lambda a: a * a, x).array, np.diag([2, 4]))
    j1, j2 = jacobian(lambda a: (a * 2, a.sum()), x)
    assert j1.shape == (2, 2) and j2.tolist() == [1, 1]
    (ja, jb), = [jacobian(lambda a, b: a * b, (x, dg.tensor([3.0, 4.0], dtype=np.float64)))]
    np.testing.assert_allclose(ja.array, np.diag([3, 4]))
    np.testing.assert_allclose(jb.array, np.diag([1, 2]))
    nested = jacobian(lambda a, b: (a * b,), (x, x))
    assert len(nested) == 1 and len(nested[0]) == 2
    assert not jacobian(lambda a: a * 2, x).requires_grad
    zero = jacobian(lambda a: dg.ones(2, dtype=np.float64), x)
    assert zero.shape == (2, 2) and not zero.array.any()


def test_jacobian_strict_and_bad_input():
    x = dg.tensor([1.0, 2.0], dtype=np.float64)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        jacobian(lambda a: dg.ones(2, dtype=np.float64), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        jacobian(lambda a, b: a * 2, (x, x), strict=True)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        jacobian(lambda a: 3, x)
    with pytest.raises(TypeError, match="inputs given to jacobian"):
        jacobian(lambda a: a, [x])
    with pytest.raises(RuntimeError, match="floating point"):
        jacobian(lambda a: a, dg.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="forward-mode"):
        jacobian(lambda a: a, x, strategy="forward-mode")
    with pytest.raises(ValueError, match="strategy"):
        jacobian(lambda a: a, x, strategy="bad")


def test_vjp_and_jvp():
    x = dg.tensor([1.0, 2.0], dtype=np.float64)
    out, g = vjp(lambda a: (a * a).sum(), x)
    assert out.item() == 5.0 and g.tolist() == [2, 4]
    out, g = vjp(lambda a: a * a, x, dg.tensor([1.0, 3.0], dtype=np.float64))
    assert g.tolist() == [2, 12]
    out, jv = jvp(lambda a, b: a * b, (x, x), (dg.tensor([1.0, 3.0], dtype=np.float64),
                                               dg.ones(2, dtype=np.float64)))
    assert jv.tolist() == [2, 8]
    with pytest.raises(RuntimeError, match="can only be None if the user-provided function"):
        vjp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match="can only be None if the input"):
        jvp(lambda a: a * 2, x)
    with pytest.raises(RuntimeError, match=r"invalid size: should be \(2,\) but got \(3,\)"):
        vjp(lambda a: a * 2, x, dg.ones(3, dtype=np.float64))


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF
    rng = np.random.default_rng(2)
    xv, wv, vv, uv = (rng.standard_normal(s) for s in ((3,), (3, 2), (3,), (2,)))

    def f(lib):
        return lambda x, w: ((x @ w).tanh(), (x * x).sum())

    xs = (dg.tensor(xv), dg.tensor(wv))
    ts = (torch.tensor(xv), torch.tensor(wv))
    for a, b in zip(jacobian(f(dg), xs), TF.jacobian(f(torch), ts)):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p.array, q.numpy(), rtol=1e-12, atol=1e-14)
    g = vjp(lambda x: f(dg)(x, xs[1])[0], xs[0], dg.tensor(uv))[1]
    tg = TF.vjp(lambda x: f(torch)(x, ts[1])[0], ts[0], torch.tensor(uv))[1]
    np.testing.assert_allclose(g.array, tg.numpy(), rtol=1e-12)
    jv = jvp(lambda x: f(dg)(x, xs[1])[0], xs[0], dg.tensor(vv))[1]
    tjv = TF.jvp(lambda x: f(torch)(x, ts[1])[0], ts[0], torch.tensor(vv))[1]
    np.testing.assert_allclose(jv.array, tjv.numpy(), rtol=1e-12)
