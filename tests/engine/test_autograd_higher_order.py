"""Double backward (create_graph=True): gradients of gradients through the covered ops, custom
Functions and hooks; gradgradcheck; autograd.functional's hessian / vhp / hvp; against
hand-derived values and PyTorch."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import autograd
from deepgrad.autograd.function import once_differentiable
from deepgrad.autograd.functional import hessian, hvp, vhp
from deepgrad.nn import functional as F


def leaf(values):
    return dg.tensor(np.asarray(values, dtype=np.float64), dtype=np.float64, requires_grad=True)


def randn(*shape, seed=0):
    return leaf(np.random.default_rng(seed).standard_normal(shape))


def test_gradient_of_a_gradient():
    x = leaf([1.0, 2.0])
    (g,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad and g.tolist() == [3, 12]            # 3 x^2
    (h,) = autograd.grad(g.sum(), x)
    assert h.tolist() == [6, 12]                                # 6 x


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = leaf([0.5, -1.0])
    (x.tanh() ** 2).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.grad_fn is not None
    t = np.tanh(x.array)
    np.testing.assert_allclose(first.array, 2 * t * (1 - t ** 2))
    (g2,) = autograd.grad(first.sum(), x)
    np.testing.assert_allclose(g2.array, 2 * (1 - t ** 2) ** 2 - 4 * t ** 2 * (1 - t ** 2))


# every covered op, through gradgradcheck (second derivatives vs finite differences)
CASES = {
    "add_sub_mul_div": (lambda a, b: (a + b) * (a - b) / (b * b + 1), [(2, 3), (3,)]),
    "neg_pow_exp_log_sqrt": (lambda a: -(a * a + 1).log() + (a * 0.5).exp() * (a * a + 2).sqrt()
                             + a ** 3, [(2, 3)]),
    "pow_tensor_exponent": (lambda a, b: (a * a + 0.5) ** b, [(3,), (3,)]),
    "abs_clamp_maximum_where": (lambda a, b: a.abs() ** 3 + dg.clamp(a, -0.5, 0.5) * b
                                + dg.maximum(a, b) ** 2 + dg.where(a > 0, a * b, b * b),
                                [(2, 3), (2, 3)]),
    "matmul_shapes": (lambda a, b, v: ((a @ b).tanh() @ v) ** 2, [(2, 3, 4), (4, 2), (2,)]),
    "matmul_vectors": (lambda u, v, m: (u @ v) * (m @ v), [(3,), (3,), (2, 3)]),
    "linear_sigmoid_sum_mean": (lambda x, w, b: F.linear(x, w, b).sigmoid().sum(0).mean()
                                + F.linear(x, w).relu().sum() * 0.1, [(4, 3), (2, 3), (2,)]),
    # Keras's layout, kernel (in, out), with the ReLU fused into the same node
    "dense_kernel_layout_fused_relu": (lambda x, k, b: (dg.ops.dense(x, k, b, activation="relu")
                                                        ** 2).sum() + dg.ops.dense(x, k).tanh()
                                       .sum(), [(4, 3), (3, 5), (5,)]),
    "dense_kernel_layout_fused_sigmoid": (lambda x, k, b: (dg.ops.dense(x, k, b, activation="sigmoid")
                                                           ** 2).sum(), [(4, 3), (3, 5), (5,)]),
    "leaky_relu_shapes": (lambda a: F.leaky_relu(a.reshape(6, 2).permute(1, 0), 0.2)
                          .expand(3, 2, 6) ** 2, [(3, 4)]),
    "index_cat_stack": (lambda a, b: dg.cat([a[:, 1:] ** 2, b], 1)
                        * dg.stack([a[0, :2], b[:, 0]]).sum(), [(2, 3), (2, 2)]),
    "clone": (lambda a: a.clone() ** 3, [(3,)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradgradcheck_of_covered_ops(name):
    fn, shapes = CASES[name]
    xs = [randn(*s, seed=k) for k, s in enumerate(shapes)]
    if name == "pow_tensor_exponent":
        xs[1] = leaf(np.random.default_rng(5).uniform(0.5, 2.5, 3))
    assert autograd.gradgradcheck(fn, xs)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_double_backward_of_a_fused_dense_activation_equals_the_two_ops(activation):
    """Dense(activation="relu" or "sigmoid") is one node (Keras's kernel layout, the
    activation inside): its second derivatives equal those of dense then the activation,
    and of PyTorch's layout."""
    act = getattr(F, activation)
    rng = np.random.default_rng(0)
    x0, k0, b0 = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    results = []
    for form in ("fused", "two ops", "linear"):
        x, b = leaf(x0), leaf(b0)
        w = leaf(k0.T.copy() if form == "linear" else k0)
        y = (act(F.linear(x, w, b)) if form == "linear" else
             dg.ops.dense(x, w, b, activation=activation) if form == "fused" else
             act(dg.ops.dense(x, w, b)))
        (gx,) = autograd.grad((y ** 2).sum(), [x], create_graph=True)
        gw, gb, gxx = autograd.grad((gx ** 3).sum(), [w, b, x])
        results.append((gw.numpy().T if form == "linear" else gw.numpy(), gb.numpy(), gxx.numpy()))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_double_backward_through_a_cast_keeps_dtypes():
    x = dg.tensor([1.0, 2.0], requires_grad=True)                  # float32
    (g,) = autograd.grad((x.double() ** 3).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    assert g.dtype == h.dtype == np.float32 and h.tolist() == [6, 12]


def test_gradgradcheck_catches_a_wrong_second_derivative():
    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x.detach()             # the detach cuts one path of d/dx

    x = randn(3)
    assert autograd.gradcheck(Cube.apply, (x,))
    assert not autograd.gradgradcheck(Cube.apply, (x,), raise_exception=False)
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradgradcheck(Cube.apply, (x,))


def test_custom_function_backward_is_differentiated_with_its_tensor_ops():
    class Square(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            assert dg.is_grad_enabled()                # as PyTorch with create_graph
            x, = ctx.saved_tensors
            return 2 * g * x

    x = leaf([1.5, -2.0])
    (g,) = autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x)
    assert g.tolist() == [3, -4] and h.tolist() == [2, 2]
    assert autograd.gradgradcheck(Square.apply, (randn(3),))


def test_once_differentiable_refuses_a_second_differentiation():
    class Exp(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    x = leaf([0.0, 1.0])
    (g,) = autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.array, np.exp(x.array))
    assert not g.requires_grad                     # as PyTorch: no grad_output needs grad
    v = leaf([1.0, 1.0])
    (g,) = autograd.grad(Exp.apply(x), x, v, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        g.sum().backward()


def test_an_op_without_double_backward_is_named():
    x = randn(3)
    with pytest.raises(NotImplementedError, match=r"backward of AmaxBackward cannot be "
                                                  r"differentiated again"):
        autograd.grad(x.max(), x, create_graph=True)


def test_hooks_see_tensors_with_create_graph():
    x = leaf([1.0, 2.0])
    z = x * x
    seen = []
    z.register_hook(lambda g: seen.append(g.requires_grad) or g * 3)
    (g,) = autograd.grad(z.sum(), x, create_graph=True)
    assert seen == [False] and g.tolist() == [6, 12]            # 3 * 2x


def test_gradient_penalty_matches_torch():
    """WGAN-GP: || d critic(x) / dx || penalised, trained through by backward."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    xv, w1, b1, w2 = (rng.standard_normal(s) for s in ((5, 4), (6, 4), (6,), (1, 6)))

    def penalty(lib, fn, mk):
        x, W1, B1, W2 = (mk(v) for v in (xv, w1, b1, w2))
        out = fn.linear(fn.leaky_relu(fn.linear(x, W1, B1), 0.2), W2)
        (g,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        gp = ((((g * g).sum(1) + 1e-12) ** 0.5 - 1) ** 2).mean()
        gp.backward()
        return gp.item(), [t.grad for t in (W1, B1, W2)]

    gp, grads = penalty(dg, F, leaf)
    tgp, tgrads = penalty(torch, torch.nn.functional,
                          lambda v: torch.tensor(v, requires_grad=True))
    assert gp == pytest.approx(tgp, rel=1e-12)
    for a, b in zip(grads, tgrads):
        np.testing.assert_allclose(a.array, b.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------- functional second order
def mlp_loss(x, w):
    return ((x @ w).tanh() ** 2).sum()


def test_hessian_vhp_hvp_values():
    x = dg.tensor([1.0, 2.0], dtype=np.float64)
    np.testing.assert_allclose(hessian(lambda a: (a ** 3).sum(), x).array, np.diag([6, 12]))
    out, v = vhp(lambda a: (a ** 3).sum(), x, dg.tensor([1.0, 0.0], dtype=np.float64))
    assert out.item() == 9 and v.tolist() == [6, 0]
    assert hvp(lambda a: (a ** 3).sum(), x, dg.tensor([0.0, 1.0], dtype=np.float64))[1] \
        .tolist() == [0, 12]
    zero = hessian(lambda a: a.sum(), x)
    assert zero.shape == (2, 2) and not zero.array.any()
    (haa, hab), (hba, hbb) = hessian(lambda a, b: (a * a * b).sum(), (x, x))
    np.testing.assert_allclose(haa.array, np.diag([2, 4]))        # 2 b
    np.testing.assert_allclose(hab.array, np.diag([2, 4]))        # 2 a
    assert not hbb.array.any()


def test_second_order_functional_bad_input():
    x = dg.tensor([1.0, 2.0], dtype=np.float64)
    with pytest.raises(RuntimeError, match="should contain a single element"):
        hessian(lambda a: a ** 3, x)
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        hessian(lambda a: ((a ** 3).sum(), a.sum()), x)
    with pytest.raises(RuntimeError, match="with respect to input 1 is independent"):
        hessian(lambda a, b: (a * a).sum(), (x, x), strict=True)
    with pytest.raises(RuntimeError, match="can only be None if the input"):
        vhp(lambda a: (a ** 3).sum(), x)
    with pytest.raises(RuntimeError, match=r"invalid size: should be \(2,\) but got \(3,\)"):
        hvp(lambda a: (a ** 3).sum(), x, dg.ones(3, dtype=np.float64))
    with pytest.raises(NotImplementedError, match="create_graph=True is not supported"):
        hessian(lambda a: (a ** 3).sum(), x, create_graph=True)


def test_second_order_functional_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF
    rng = np.random.default_rng(4)
    xv, wv, vx, vw = (rng.standard_normal(s) for s in ((2, 3), (3, 2), (2, 3), (3, 2)))
    dx, dw = dg.tensor(xv), dg.tensor(wv)
    tx, tw = torch.tensor(xv), torch.tensor(wv)
    for a, b in zip(hessian(mlp_loss, (dx, dw)), TF.hessian(mlp_loss, (tx, tw))):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p.array, q.numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((vhp, TF.vhp), (hvp, TF.hvp)):
        got = ours(mlp_loss, (dx, dw), (dg.tensor(vx), dg.tensor(vw)))[1]
        want = theirs(mlp_loss, (tx, tw), (torch.tensor(vx), torch.tensor(vw)))[1]
        for p, q in zip(got, want):
            np.testing.assert_allclose(p.array, q.numpy(), rtol=1e-10, atol=1e-12)
