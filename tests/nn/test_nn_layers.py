"""Layers: forward against the formula, gradcheck, PyTorch init statistics and parity."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def test_linear_forward_matches_formula_and_gradchecks():
    lin = nn.Linear(5, 3).double()
    x = dg.randn(4, 5, dtype=dg.float64, requires_grad=True)
    W, b = lin.weight.numpy(), lin.bias.numpy()
    np.testing.assert_allclose(lin(x).numpy(), x.numpy() @ W.T + b, rtol=1e-12)
    assert dg.gradcheck(lambda x, w, b: nn.functional.linear(x, w, b), (x, lin.weight, lin.bias))


def test_linear_on_3d_input_and_without_bias():
    lin = nn.Linear(5, 3, bias=False).double()
    assert lin.bias is None and len(list(lin.parameters())) == 1
    x = dg.randn(2, 4, 5, dtype=dg.float64, requires_grad=True)
    assert lin(x).shape == (2, 4, 3)
    assert dg.gradcheck(lambda x, w: nn.functional.linear(x, w), (x, lin.weight))


def test_linear_bad_input_names_shapes():
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(4, 6\).*weight of shape \(3, 5\)"):
        nn.Linear(5, 3)(dg.randn(4, 6))


def test_linear_default_init_bounds():
    dg.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = lin.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    # U(-a, a) has variance a^2 / 3
    assert abs(w.var() - bound ** 2 / 3) < 0.05 * bound ** 2 / 3
    assert np.abs(lin.bias.numpy()).max() <= bound


@pytest.mark.parametrize("layer,ref", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Tanh(), np.tanh),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.Softplus(), lambda x: np.log1p(np.exp(x))),
    (nn.GELU(), None),
    (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
])
def test_activation_modules_forward_and_gradcheck(layer, ref):
    x = dg.randn(3, 4, dtype=dg.float64, requires_grad=True)
    if ref is not None:
        np.testing.assert_allclose(layer(x).numpy(), ref(x.numpy()), rtol=1e-10, atol=1e-12)
    assert dg.gradcheck(layer, (x,))


def test_flatten_unflatten():
    x = dg.randn(2, 3, 4, 5, dtype=dg.float64, requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert dg.gradcheck(lambda x: nn.Flatten()(x), (x,))


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.L1Loss(), nn.SmoothL1Loss(), nn.HuberLoss(),
                                  nn.BCEWithLogitsLoss()])
def test_regression_loss_modules_gradcheck(loss):
    x = dg.randn(3, 4, dtype=dg.float64, requires_grad=True)
    y = dg.rand(3, 4, dtype=dg.float64)
    assert dg.gradcheck(lambda x: loss(x, y), (x,))


def test_classification_loss_modules_gradcheck():
    x = dg.randn(5, 4, dtype=dg.float64, requires_grad=True)
    t = dg.tensor([0, 3, 1, 1, 2])
    assert dg.gradcheck(lambda x: nn.CrossEntropyLoss(label_smoothing=0.1)(x, t), (x,))
    assert dg.gradcheck(lambda x: nn.NLLLoss()(dg.log_softmax(x, 1), t), (x,))
    p = dg.sigmoid(dg.randn(5, 4, dtype=dg.float64)).detach().requires_grad_()
    assert dg.gradcheck(lambda p: nn.BCELoss()(p, dg.rand(5, 4, dtype=dg.float64) * 0 + 0.3), (p,))
    q = dg.softmax(dg.randn(5, 4, dtype=dg.float64), 1)
    assert dg.gradcheck(lambda x: nn.KLDivLoss(reduction="batchmean")(dg.log_softmax(x, 1), q), (x,))


def test_loss_module_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_init_functions_fill_in_place_with_dtype_kept():
    w = nn.Parameter(np.zeros((200, 100), np.float32))
    for fn in (nn.init.xavier_uniform_, nn.init.xavier_normal_, nn.init.kaiming_uniform_,
               nn.init.kaiming_normal_, nn.init.orthogonal_):
        out = fn(w)
        assert out is w and w.dtype == np.float32 and w.numpy().std() > 0
    a = math.sqrt(6 / 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= a
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 100)) < 0.01
    nn.init.orthogonal_(w)
    q = w.numpy().astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(100), atol=1e-5)
    nn.init.zeros_(w)
    assert not w.numpy().any()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    with pytest.raises(ValueError, match="fan in and fan out"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3, np.float32)))


def test_state_dict_matches_pytorch_and_weights_move_both_ways():
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    dnet = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    tsd, dsd = tnet.state_dict(), dnet.state_dict()
    assert list(tsd) == list(dsd)
    assert all(tuple(tsd[k].shape) == dsd[k].shape for k in tsd)
    dnet.load_state_dict(tsd)                       # torch tensors accepted
    x = np.random.rand(4, 6).astype(np.float32)
    np.testing.assert_allclose(dnet(x).numpy(), tnet(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    tnet.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in dnet.state_dict().items()})


def test_mlp_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.Tanh(), torch.nn.Linear(6, 4)).double()
    dnet = nn.Sequential(nn.Linear(8, 6), nn.Tanh(), nn.Linear(6, 4)).double()
    dnet.load_state_dict(tnet.state_dict())
    x = np.random.rand(5, 8)
    t = np.array([0, 3, 2, 1, 3])
    torch.nn.functional.cross_entropy(tnet(torch.from_numpy(x)), torch.from_numpy(t)).backward()
    nn.functional.cross_entropy(dnet(x), dg.tensor(t)).backward()
    for (k, p), tp in zip(dnet.named_parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


def test_kaiming_init_of_a_zero_element_tensor_is_a_no_op_as_pytorch():
    import warnings
    import deepgrad as dg
    w = dg.empty(5, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dg.nn.init.kaiming_uniform_(w) is w
        assert dg.nn.init.kaiming_normal_(w) is w
    assert any("zero-element" in str(c.message) for c in caught)
    assert dg.nn.Linear(0, 3).weight.shape == (3, 0)
