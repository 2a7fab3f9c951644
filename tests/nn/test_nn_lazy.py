"""Lazy modules and uninitialized tensors, against PyTorch's lazy modules."""
import copy
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn
from deepgrad.nn.parameter import is_lazy

CASES = [  # (name, args, kwargs, input shape)
    ("LazyLinear", (4,), {}, (2, 3)),
    ("LazyLinear", (4,), {"bias": False}, (2, 5, 3)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 2, 7)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 2, 7, 7)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 2, 5)),
    ("LazyConvTranspose2d", (4, 2), {"groups": 2, "bias": False}, (1, 2, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"momentum": None}, (2, 2, 3, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"affine": False}, (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES)
def test_lazy_module_initializes_like_torch(name, args, kwargs, shape):
    m = getattr(nn, name)(*args, **kwargs).double()
    assert m.has_uninitialized_params()
    keys_before = list(m.state_dict())
    x = np.random.default_rng(0).normal(size=shape)
    y = m(dg.tensor(x))
    ordinary = type(m)
    assert not ordinary.__name__.startswith("Lazy") and ordinary.__name__ == name[4:]
    assert not hasattr(m, "_initialize_hook") and not m._forward_pre_hooks
    assert not any(is_lazy(t) for t in list(m.parameters()) + list(m.buffers()))
    assert all(p.dtype == np.float64 for p in m.parameters())
    torch = pytest.importorskip("torch")
    t = getattr(torch.nn, name)(*args, **kwargs).double()
    assert list(t.state_dict()) == keys_before
    ty = t(torch.tensor(x))
    assert type(t).__name__ == ordinary.__name__
    sd = t.state_dict()
    assert list(m.state_dict()) == list(sd)
    for k, v in m.state_dict().items():
        assert tuple(v.shape) == tuple(sd[k].shape), k
    assert repr(m).split("(")[0] == repr(t).split("(")[0]
    m2 = getattr(nn, name)(*args, **kwargs).double()
    m2.load_state_dict({k: v.numpy() for k, v in sd.items()})   # materialized from the dict
    assert not m2.has_uninitialized_params()
    if name.startswith("LazyBatch") or name.startswith("LazyInstance"):
        m2.eval(), t.eval()
    np.testing.assert_allclose(m2(dg.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert y.shape == tuple(ty.shape)


def test_lazy_linear_init_dtype_and_training():
    dg.manual_seed(0)
    m = nn.LazyLinear(5)
    assert repr(m) == "LazyLinear(in_features=0, out_features=5, bias=True)"
    m(dg.randn(3, 100))
    assert m.in_features == 100 and m.weight.shape == (5, 100)
    assert np.abs(m.weight.numpy()).max() <= 0.1 and m.weight.dtype == np.float32
    assert np.std(m.weight.numpy()) > 0.02            # kaiming-uniform, not zeros
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    x, target = dg.randn(32, 4), dg.randn(32, 1)
    model(x)
    opt = dg.optim.SGD(model.parameters(), lr=0.05)
    first = None
    for _ in range(20):
        loss = ((model(x) - target) ** 2).mean()
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first
    m64 = nn.LazyConv1d(2, 3, dtype=dg.float64)
    m64(dg.randn(1, 3, 5).double())
    assert m64.weight.dtype == np.float64


def test_uninitialized_tensors():
    p = nn.UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and is_lazy(p) and p.requires_grad
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        p.numel()
    p.materialize((2, 3), dtype=dg.float64)
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == np.float64
    b = nn.UninitializedBuffer(persistent=False)
    assert not b.requires_grad and is_lazy(b)
    b.materialize(4)
    assert isinstance(b, nn.Buffer) and b.shape == (4,) and not b.persistent
    with pytest.raises(ValueError, match="non-negative ints"):
        nn.UninitializedParameter().materialize((-1,))
    with pytest.raises(RuntimeError, match="deepgrad has no device 'cuda'"):
        nn.UninitializedParameter(device="cuda")
    q = copy.deepcopy(nn.UninitializedParameter(dtype=dg.float64))
    assert is_lazy(q) and q.dtype == np.float64
    r = pickle.loads(pickle.dumps(nn.UninitializedBuffer(dtype=dg.float64)))
    assert is_lazy(r) and r.dtype == np.float64


def test_lazy_module_copy_pickle_and_errors():
    m = nn.LazyLinear(3)
    for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert twin.has_uninitialized_params()
        twin(dg.randn(2, 4))
        assert type(twin) is nn.Linear and twin.weight.shape == (3, 4)
    assert m.has_uninitialized_params()                  # the original is still lazy
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        nn.LazyConv2d(4, 3)(dg.randn(5, 5))
    with pytest.raises(ValueError, match="must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(dg.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match="out_channels must be a positive int divisible"):
        nn.LazyConv2d(3, 3, groups=2)
    lazy_a, lazy_b = nn.LazyLinear(2), nn.LazyLinear(2)
    lazy_b.load_state_dict(lazy_a.state_dict())          # uninitialized into uninitialized
    assert lazy_b.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="uninitialized"):
        nn.Linear(3, 2).load_state_dict(lazy_a.state_dict())
