"""Version counters: a tensor saved for backward and modified in place before backward
makes backward raise PyTorch's error; ordinary training never trips it.

Every case runs the same code on deepgrad and, when it is installed, on PyTorch, and both
must agree on raising or not (one documented exception: writes through ``.data``).
"""
import numpy as np
import pytest

import deepgrad

MESSAGE = "one of the variables needed for gradient computation has been modified by an " \
          "inplace operation"


def _libs():
    return ["deepgrad", "torch"]


def lib(name):
    return deepgrad if name == "deepgrad" else pytest.importorskip("torch")


def leaf(m, shape, seed=0):
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape).astype(np.float32)
    return m.tensor(values.tolist(), requires_grad=True)


# --------------------------------------------------------------- cases: (m) -> None
def mul_then_add_to_a_factor(m):
    a, b = leaf(m, (3, 4)), leaf(m, (3, 4), 1)
    y = (a * b).sum()
    with m.no_grad():
        a.add_(1)
    y.backward()


def mul_by_a_constant_then_modify_the_input(m):     # x is not saved: its grad needs only 2
    x = leaf(m, (3,))
    y = (x * 2).sum()
    with m.no_grad():
        x.add_(1)
    y.backward()


def matmul_then_scale_the_weight(m):
    x, w = leaf(m, (3, 4)), leaf(m, (4, 5), 1)
    y = (x @ w).sum()
    with m.no_grad():
        w.mul_(2)
    y.backward()


def exp_then_modify_its_output(m):
    a = leaf(m, (3, 4))
    y = (a * 1.5).exp()
    with m.no_grad():
        y.add_(1)
    y.sum().backward()


def sigmoid_then_modify_its_output(m):
    a = leaf(m, (2, 3))
    y = a.sigmoid()
    with m.no_grad():
        y.mul_(2)
    y.sum().backward()


def view_saved_then_base_written_by_setitem(m):
    w, x = leaf(m, (3, 4)), leaf(m, (12,), 1)
    y = (w.view(12) * x).sum()
    with m.no_grad():
        w[0, 0] = 5.0
    y.backward()


def base_saved_then_written_through_a_view(m):
    w, x = leaf(m, (3, 4)), leaf(m, (3, 4), 1)
    y = (w * x).sum()
    with m.no_grad():
        w.view(-1).add_(1)
    y.backward()


def setitem_on_a_saved_input(m):
    a, b = leaf(m, (4,)), leaf(m, (4,), 1)
    y = (a * b).sum()
    with m.no_grad():
        a[1] = 0.0
    y.backward()


def add_then_modify_an_addend(m):          # Add saves nothing
    a, b = leaf(m, (4,)), leaf(m, (4,), 1)
    y = (a + b).sum()
    with m.no_grad():
        b.add_(1)
    y.backward()


def detach_shares_the_counter(m):
    a = leaf(m, (3,))
    y = a.exp()
    y.detach().zero_()
    y.sum().backward()


def second_backward_after_a_write(m):
    a, b = leaf(m, (3,)), leaf(m, (3,), 1)
    y = (a * b).sum()
    y.backward(retain_graph=True)
    with m.no_grad():
        b.sub_(1)
    y.backward()


def custom_function_saving_its_input(m):
    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    a = leaf(m, (3,))
    y = Square.apply(a).sum()
    with m.no_grad():
        a.add_(1)
    y.backward()


def autograd_grad_after_a_write(m):        # the general walk (grad, hooks) checks too
    a, b = leaf(m, (3,)), leaf(m, (3,), 1)
    y = (a * b).sum()
    with m.no_grad():
        a.mul_(2)
    m.autograd.grad(y, [b])


def _mlp(m, inplace_relu=False):
    m.manual_seed(0)
    return m.nn.Sequential(m.nn.Linear(4, 8), m.nn.ReLU(inplace=inplace_relu),
                           m.nn.Linear(8, 2))


def _batch(m):
    rng = np.random.default_rng(3)
    return (m.tensor(rng.normal(size=(6, 4)).astype(np.float32).tolist()),
            m.tensor(rng.integers(0, 2, 6).tolist()))


def optimizer_step_between_forward_and_backward(m):
    model = _mlp(m)
    opt = m.optim.SGD(model.parameters(), lr=0.1)
    x, y = _batch(m)
    m.nn.functional.cross_entropy(model(x), y).backward()   # every parameter has a grad
    loss = m.nn.functional.cross_entropy(model(x), y)
    opt.step()                                              # writes the saved weights
    loss.backward()


def zero_grad_between_forward_and_backward(m):            # grads are not saved tensors
    model = _mlp(m)
    opt = m.optim.SGD(model.parameters(), lr=0.1)
    x, y = _batch(m)
    m.nn.functional.cross_entropy(model(x), y).backward()
    loss = m.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=False)
    loss.backward()


def load_state_dict_between_forward_and_backward(m):
    model = _mlp(m)
    x, _ = _batch(m)
    loss = model(x).sum()
    state = {k: v * 2 for k, v in model.state_dict().items()}
    model.load_state_dict(state)                  # copies into the saved weights
    loss.backward()


def write_after_backward(m):
    a, b = leaf(m, (3,)), leaf(m, (3,), 1)
    (a * b).sum().backward()
    with m.no_grad():
        a.add_(1)
        b.mul_(3)


RAISING = [mul_then_add_to_a_factor, matmul_then_scale_the_weight, exp_then_modify_its_output,
           sigmoid_then_modify_its_output, view_saved_then_base_written_by_setitem,
           base_saved_then_written_through_a_view, setitem_on_a_saved_input,
           detach_shares_the_counter, second_backward_after_a_write,
           optimizer_step_between_forward_and_backward, custom_function_saving_its_input,
           autograd_grad_after_a_write, load_state_dict_between_forward_and_backward]
LEGAL = [mul_by_a_constant_then_modify_the_input, add_then_modify_an_addend,
         zero_grad_between_forward_and_backward, write_after_backward]


@pytest.mark.parametrize("name", _libs())
@pytest.mark.parametrize("case", RAISING, ids=lambda c: c.__name__)
def test_a_write_into_a_saved_tensor_makes_backward_raise(case, name):
    with pytest.raises(RuntimeError, match=MESSAGE):
        case(lib(name))


@pytest.mark.parametrize("name", _libs())
@pytest.mark.parametrize("case", LEGAL, ids=lambda c: c.__name__)
def test_a_write_nothing_saved_depends_on_is_fine(case, name):
    case(lib(name))


def test_legal_writes_leave_the_gradients_right():
    a, b = leaf(deepgrad, (4,)), leaf(deepgrad, (4,), 1)
    b0 = b.array.copy()
    y = (a + b * 3).sum()               # b is saved by nobody whose grad is asked (3 is)
    with deepgrad.no_grad():
        b.add_(1)
    y.backward()
    np.testing.assert_array_equal(a.grad.array, np.ones(4))
    np.testing.assert_array_equal(b.grad.array, np.full(4, 3.0))
    np.testing.assert_array_equal(b.array, b0 + 1)


# --------------------------------------------------------------- the message
def test_the_message_names_type_shape_producer_and_versions():
    with pytest.raises(RuntimeError) as err:
        exp_then_modify_its_output(deepgrad)
    msg = str(err.value)
    assert "[deepgrad.FloatTensor [3, 4]], which is output 0 of ExpBackward, is at version " \
           "1; expected version 0 instead" in msg
    assert "saved for backward by ExpBackward" in msg


def test_the_message_of_a_leaf_has_no_producer_and_counts_every_write():
    a, b = leaf(deepgrad, (2, 5)), leaf(deepgrad, (2, 5), 1)
    with deepgrad.no_grad():
        a.mul_(1.0)                               # version 1 before it is saved
    y = (a * b).sum()
    with deepgrad.no_grad():
        a.add_(1)
        a[0] = 0.0
    with pytest.raises(RuntimeError) as err:
        y.backward()
    msg = str(err.value)
    assert "[deepgrad.FloatTensor [2, 5]] is at version 3; expected version 1 instead" in msg
    assert "which is output" not in msg and "saved for backward by MulBackward" in msg


def test_the_message_matches_pytorchs_wording():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as mine:
        exp_then_modify_its_output(deepgrad)
    with pytest.raises(RuntimeError) as theirs:
        exp_then_modify_its_output(torch)
    for text in (str(mine.value), str(theirs.value)):
        assert MESSAGE in text and "[3, 4]], which is output 0 of Exp" in text
        assert "is at version 1; expected version 0 instead" in text


def test_the_error_is_raised_before_any_gradient_is_written():
    a, b = leaf(deepgrad, (3,)), leaf(deepgrad, (3,), 1)
    y = (a.exp() * b).sum()
    with deepgrad.no_grad():
        b.add_(1)
    with pytest.raises(RuntimeError, match=MESSAGE):
        y.backward()
    assert a.grad is None and b.grad is None


# --------------------------------------------------------------- _version
@pytest.mark.parametrize("name", _libs())
def test_version_counts_in_place_writes_and_is_shared_by_views(name):
    m = lib(name)
    x = m.zeros(3, 4)
    assert x._version == 0
    x.add_(1)
    x.mul_(2)
    assert x._version == 2
    v = x.view(12)
    v[0] = 7.0
    assert x._version == v._version == 3
    assert x.detach()._version == 3 and x.clone()._version == 0
    x += 1
    x.zero_()
    assert x._version == 5 and (x + 1)._version == 0


@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_an_optimizer_step_bumps_each_parameter_it_updates(opt):
    model = _mlp(deepgrad)
    optimizer = getattr(deepgrad.optim, opt)(model.parameters(), lr=0.01)
    x, y = _batch(deepgrad)
    before = [p._version for p in model.parameters()]
    deepgrad.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    assert all(p._version > v for p, v in zip(model.parameters(), before))


@pytest.mark.parametrize("rebind", ["data", "vector_to_parameters"])
def test_parameters_given_new_arrays_are_followed_by_the_optimizer(rebind):
    model = _mlp(deepgrad)
    optimizer = deepgrad.optim.SGD(model.parameters(), lr=0.1)
    x, y = _batch(deepgrad)
    deepgrad.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()                               # registers the parameters' arrays
    if rebind == "data":
        for p in model.parameters():
            p.data = p.detach().numpy() * 1.0      # a new array for every parameter
    else:
        flat = deepgrad.nn.utils.parameters_to_vector(model.parameters()).clone()
        deepgrad.nn.utils.vector_to_parameters(flat, model.parameters())
    loss = deepgrad.nn.functional.cross_entropy(model(x), y)
    optimizer.step()                               # writes the new arrays
    with pytest.raises(RuntimeError, match=MESSAGE):
        loss.backward()


def test_counters_keep_no_memory_alive():
    import gc
    import weakref
    from deepgrad.autograd import version_counter
    model = _mlp(deepgrad)
    optimizer = deepgrad.optim.Adam(model.parameters(), lr=0.01)
    x, y = _batch(deepgrad)
    deepgrad.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
    refs = [weakref.ref(p.array) for p in model.parameters()]
    scratch = deepgrad.zeros(1000)
    scratch.add_(1)
    refs.append(weakref.ref(scratch.array))
    count = len(version_counter._counters)
    del model, optimizer, scratch
    gc.collect()
    assert all(r() is None for r in refs)
    assert len(version_counter._counters) <= count - len(refs)


# --------------------------------------------------------------- ordinary training
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
@pytest.mark.parametrize("inplace_relu", [False, True])
def test_training_loops_never_trip_the_check(opt, inplace_relu):
    model = _mlp(deepgrad, inplace_relu)
    optimizer = getattr(deepgrad.optim, opt)(model.parameters(), lr=0.05)
    x, y = _batch(deepgrad)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = deepgrad.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_inplace_relu_training_matches_pytorch():
    torch = pytest.importorskip("torch")
    curves = []
    for m in (deepgrad, torch):
        model = _mlp(m, inplace_relu=True)
        mine = _mlp(deepgrad)                 # the same initial weights in both libraries
        for p, q in zip(model.parameters(), mine.parameters()):
            with m.no_grad():
                p.copy_(m.tensor(q.detach().numpy().tolist()))
        optimizer = m.optim.Adam(model.parameters(), lr=0.05)
        x, y = _batch(m)
        curve = []
        for _ in range(5):
            optimizer.zero_grad()
            loss = m.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            curve.append(loss.item())
        curves.append(curve)
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-5)


def test_lbfgs_closure_steps_never_trip_the_check():
    model = _mlp(deepgrad)
    optimizer = deepgrad.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)
    x, y = _batch(deepgrad)

    def closure():
        optimizer.zero_grad()
        loss = deepgrad.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss
    first = optimizer.step(closure).item()
    assert closure().item() < first


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_keras_fit_never_trips_the_check(opt):
    keras = deepgrad.keras
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2)])
    model.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype(np.float32), rng.integers(0, 2, 32)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    weights = model.trainable_weights
    assert all(w._version > 0 for w in weights)         # the optimizer wrote each of them


def test_writes_through_dot_data_are_caught_where_pytorch_misses_them():
    # PyTorch gives .data its own counter, so this backward silently uses the new
    # values there; deepgrad's counter follows the memory, and raises.
    def case(m):
        a = leaf(m, (3,))
        y = a.exp()
        y.data.add_(1)
        y.sum().backward()
        return a.grad
    with pytest.raises(RuntimeError, match=MESSAGE):
        case(deepgrad)
    torch = pytest.importorskip("torch")
    case(torch)
