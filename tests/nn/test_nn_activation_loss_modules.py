"""Activation, distance and loss modules: options, repr, state_dict, init, and their
agreement with the functional form and with PyTorch's modules."""
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn import functional as F

ACTIVATIONS = [
    ("ReLU6", (), {}), ("ReLU6", (), {"inplace": True}), ("Hardtanh", (-2.0, 3.0), {}),
    ("Hardswish", (), {}), ("Hardsigmoid", (), {}), ("Hardshrink", (0.3,), {}),
    ("Softshrink", (0.3,), {}), ("Mish", (), {}), ("SELU", (), {}), ("CELU", (0.5,), {}),
    ("GLU", (1,), {}), ("LogSigmoid", (), {}), ("Softmin", (1,), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("Softmax2d", (), {}),
    ("RReLU", (0.1, 0.3), {}), ("ReLU", (), {"inplace": True}), ("ELU", (0.5, True), {}),
    ("LeakyReLU", (0.2,), {}), ("SiLU", (), {}), ("PReLU", (), {}), ("Softmax", (-1,), {}),
    ("LogSoftmax", (1,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", ACTIVATIONS,
                         ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)])
def test_activation_modules_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    ours.eval(), theirs.eval()
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 2))
    a = dg.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    if name == "PReLU":
        ours.double(), theirs.double()
    y, ty = ours(a * 1.0), theirs(t * 1.0)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(ty.shape)
    (y * dg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-10)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_prelu_parameters_init_and_training():
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"] and m.weight.shape == (3,)
    np.testing.assert_allclose(m.weight.numpy(), 0.1)
    assert m.weight.dtype == np.float32 and repr(m) == "PReLU(num_parameters=3)"
    x = dg.tensor(-np.ones((2, 3, 4), np.float32))
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), -8.0)
    with pytest.raises(RuntimeError, match="weight has 3 parameters but the input has 5 channels"):
        m(dg.ones(2, 5))
    with pytest.raises(ValueError, match="num_parameters must be a positive int"):
        nn.PReLU(0)
    with pytest.raises(RuntimeError, match="no device 'cuda'"):
        nn.PReLU(device="cuda")


def test_rrelu_module_train_and_eval():
    m = nn.RReLU(0.1, 0.3)
    x = -dg.ones(1000)
    dg.manual_seed(0)
    y = m(x).numpy()
    assert -0.3 <= y.min() and y.max() <= -0.1 and y.std() > 0.03
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)
    with pytest.raises(ValueError, match="lower .* must be less than or equal to upper"):
        nn.RReLU(0.5, 0.1)


def test_module_option_checks():
    with pytest.raises(ValueError, match=r"max_val \(1.0\) must be greater than min_val \(2.0\)"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.warns(FutureWarning, match="min_value"):
        assert nn.Hardtanh(min_value=-3.0).min_val == -3.0
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(dg.ones(2, 3))
    with pytest.raises(ValueError, match="alpha cannot be 0"):
        nn.CELU(0.0)
    with pytest.raises(ValueError, match="lambd must be >= 0"):
        nn.Softshrink(-1.0)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        nn.Softmin()(dg.ones(2, 3))


def test_softmax2d_is_a_channel_softmax():
    x = dg.randn(2, 3, 4, 5, dtype=dg.float64)
    np.testing.assert_allclose(nn.Softmax2d()(x).numpy().sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(nn.Softmax2d()(x[0]).numpy(), nn.Softmax2d()(x).numpy()[0])


# ----------------------------------------------------------------- losses
RNG = np.random.default_rng(2)
X, Y = RNG.standard_normal((2, 5, 4))
SIGN = RNG.choice([-1.0, 1.0], 5)
CLS = RNG.integers(0, 4, 5)
LOSSES = [
    ("PoissonNLLLoss", {"log_input": False, "full": True}, lambda: (np.abs(X) + 0.1, np.abs(Y) * 3)),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}, lambda: (X, Y, np.abs(X) + 0.1)),
    ("MarginRankingLoss", {"margin": 0.2}, lambda: (X[:, 0], Y[:, 0], SIGN)),
    ("HingeEmbeddingLoss", {"margin": 0.5, "reduction": "sum"}, lambda: (X, np.sign(Y))),
    ("SoftMarginLoss", {"reduction": "none"}, lambda: (X, np.sign(Y))),
    ("CosineEmbeddingLoss", {"margin": 0.1}, lambda: (X, Y, SIGN)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, lambda: (X, CLS)),
    ("MultiLabelMarginLoss", {}, lambda: (X, np.array([[3, 0, -1, 1]] * 5))),
    ("MultiLabelSoftMarginLoss", {}, lambda: (X, (Y > 0) * 1.0)),
    ("TripletMarginLoss", {"margin": 0.7, "p": 1.0, "swap": True}, lambda: (X, Y, X * Y)),
    ("TripletMarginWithDistanceLoss", {"margin": 0.3}, lambda: (X, Y, X * Y)),
    ("NLLLoss", {"ignore_index": 1}, lambda: (X, CLS)),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, lambda: (X, CLS)),
    ("MSELoss", {"reduction": "sum"}, lambda: (X, Y)),
    ("SmoothL1Loss", {"beta": 0.5}, lambda: (X, Y)),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, lambda: (X, Y)),
]


@pytest.mark.parametrize("name, kwargs, make", LOSSES, ids=[c[0] for c in LOSSES])
def test_loss_modules_match_torch(name, kwargs, make):
    torch = pytest.importorskip("torch")
    args = make()
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    a = [dg.tensor(v, requires_grad=i == 0) for i, v in enumerate(args)]
    t = [torch.tensor(v, requires_grad=i == 0) for i, v in enumerate(args)]
    y, ty = ours(*a), theirs(*t)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-9)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(a[0].grad.numpy(), t[0].grad.numpy(), rtol=1e-7, atol=1e-12)
    assert ours.reduction == theirs.reduction


def test_weighted_losses_keep_weight_as_buffer():
    torch = pytest.importorskip("torch")
    w = np.array([1.0, 2.0, 0.5, 1.5])
    for name in ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss", "MultiLabelSoftMarginLoss",
                 "BCELoss"):
        ours = getattr(nn, name)(weight=dg.tensor(w))
        theirs = getattr(torch.nn, name)(weight=torch.tensor(w))
        assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    bce = nn.BCEWithLogitsLoss(weight=dg.tensor(w), pos_weight=dg.tensor(w))
    assert list(bce.state_dict()) == list(torch.nn.BCEWithLogitsLoss(
        weight=torch.tensor(w), pos_weight=torch.tensor(w)).state_dict())
    assert nn.CrossEntropyLoss().state_dict() == {}


def test_loss_module_options_and_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.SoftMarginLoss(reduction="avg")
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(TypeError, match="distance_function must be callable"):
        nn.TripletMarginWithDistanceLoss(distance_function=3)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.HingeEmbeddingLoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert nn.MSELoss(reduce=False).reduction == "none"
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        m = nn.NLLLoss2d()
    assert isinstance(m, nn.NLLLoss)
    x = dg.log_softmax(dg.randn(2, 3, 4, 4), 1)
    t = dg.randint(0, 3, (2, 4, 4))
    np.testing.assert_allclose(m(x, t).numpy(), F.nll_loss(x, t).numpy())
    cos = nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - F.cosine_similarity(a, b))
    assert cos(dg.randn(3, 4), dg.randn(3, 4), dg.randn(3, 4)).shape == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.PoissonNLLLoss(), nn.GaussianNLLLoss(), nn.CTCLoss()
