"""Module API as PyTorch code relies on it: registration rules, traversal options,
state_dict (keys, metadata, hooks, strict/assign loads), repr, copying and pickling."""
import copy
import pickle

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("count", dg.zeros(1))
        self.register_buffer("scratch", dg.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(dg.ones(1))
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(2, 2))

    def forward(self, x):
        return self.head(self.block(x)) * self.scale


def _torch_net():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tnn.Linear(3, 2)
            self.register_buffer("count", torch.zeros(1))
            self.register_buffer("scratch", torch.zeros(2), persistent=False)

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.scale = tnn.Parameter(torch.ones(1))
            self.block = TBlock()
            self.head = tnn.Sequential(tnn.ReLU(), tnn.Linear(2, 2))
    return torch, TNet()


# ---------------------------------------------------------------------- registration
def test_buffers_persistent_and_nn_buffer_class():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.scratch"]
    assert "block.scratch" not in net.state_dict() and "block.count" in net.state_dict()
    net.block.extra = nn.Buffer(dg.ones(3), persistent=False)
    net.block.kept = nn.Buffer(dg.ones(1))
    assert "extra" in net.block._buffers and "block.extra" not in net.state_dict()
    assert "block.kept" in net.state_dict()
    net.block.count = dg.ones(1)            # reassigning keeps it a (persistent) buffer
    assert net.block._buffers["count"] is net.block.count and "block.count" in net.state_dict()
    net.block.scratch = dg.ones(2)
    assert "block.scratch" not in net.state_dict()


def test_registration_errors_are_clear_and_change_nothing():
    m = nn.Module()
    m.plain = 3
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", dg.zeros(1))
    with pytest.raises(KeyError, match='buffer name can.*t contain'):
        m.register_buffer("a.b", dg.zeros(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_parameter("", nn.Parameter(dg.zeros(1)))
    with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'b'"):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'p'"):
        m.register_parameter("p", dg.zeros(1))
    w = dg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf Tensor"):
        m.register_parameter("q", _non_leaf_param(w))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("sub", 3)
    assert not m._buffers and not m._parameters and not m._modules
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = dg.zeros(2, 2)
    assert isinstance(lin.weight, nn.Parameter)
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="cannot assign 'int' as child module '0'"):
        setattr(seq, "0", 5)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Early(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(dg.zeros(1))
        Early()


def _non_leaf_param(w):
    p = nn.Parameter(dg.zeros(2))
    p._ctx = (w * 2)._ctx              # what a parameter computed from others looks like
    return p


def test_setattr_moves_between_registries_and_delattr():
    m = nn.Module()
    m.x = nn.Parameter(dg.zeros(1))
    with pytest.raises(TypeError, match="cannot assign 'Identity' as parameter 'x'"):
        m.x = nn.Identity()                 # as torch: a parameter name takes a Parameter
    m.y = nn.Identity()
    m.y = nn.Parameter(dg.ones(1))          # a parameter replaces the module
    assert "y" not in m._modules and m._parameters["y"] is m.y
    m.x = None                              # a registered parameter may become None
    assert m._parameters["x"] is None and m.x is None and list(m.parameters()) == [m.y]
    del m.x
    assert "x" not in m._parameters and not hasattr(m, "x")
    m._parameters["direct"] = nn.Parameter(dg.ones(1))   # put into a registry directly
    assert m.direct is m._parameters["direct"]
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope


def test_get_submodule_parameter_buffer_and_set_submodule():
    net = Net()
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_submodule("") is net
    assert net.get_parameter("block.fc.weight") is net.block.fc.weight
    assert net.get_buffer("block.count") is net.block.count
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("block.nope")
    with pytest.raises(AttributeError, match="`count` is not an nn.Parameter"):
        net.get_parameter("block.count")
    with pytest.raises(AttributeError, match="`fc` is not a buffer"):
        net.get_buffer("block.fc")
    net.set_submodule("block.fc", nn.Linear(3, 2, bias=False))
    assert net.block.fc.bias is None
    with pytest.raises(AttributeError, match="has no attribute `new`"):
        net.set_submodule("block.new", nn.ReLU(), strict=True)
    net.set_submodule("block.new", nn.ReLU())
    assert isinstance(net.block.new, nn.ReLU)


# ---------------------------------------------------------------------- traversal
def test_named_members_options():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in seq.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in seq.named_modules(prefix="model")] == ["model", "model.0", "model.1"]
    assert [n for n, _ in Net().named_parameters(prefix="net", recurse=False)] == ["net.scale"]
    assert [n for n, _ in seq.named_children()] == ["0", "1"]      # each child once
    assert len(list(seq.modules())) == 3


def test_apply_order_and_train_eval_recursion_match_torch():
    net = Net()
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "Block", "ReLU", "Linear", "Sequential", "Net"]
    torch, tnet = _torch_net()
    tvisited = []
    tnet.apply(lambda m: tvisited.append(type(m).__name__.lstrip("T")))
    assert visited == tvisited

    class Frozen(nn.Module):          # an overridden train() is honoured by the parent
        def train(self, mode=True):
            return super().train(False)
    outer = nn.Sequential(Frozen(), nn.Dropout())
    outer.eval().train()
    assert outer.training and outer[1].training and not outer[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        outer.train("yes")


def test_requires_grad_and_zero_grad():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(dg.randn(4, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------------- state_dict
def test_state_dict_keys_order_and_metadata_match_torch():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "block.count", "block.fc.weight", "block.fc.bias",
                        "head.1.weight", "head.1.bias"]
    assert sd._metadata[""] == {"version": 1} and "block.fc" in sd._metadata
    assert not sd["scale"].requires_grad and net.state_dict(keep_vars=True)["scale"] is net.scale
    shared = nn.Linear(2, 2)
    assert list(nn.Sequential(shared, shared).state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias"]
    torch, tnet = _torch_net()
    assert list(tnet.state_dict()) == list(sd)
    assert set(tnet.state_dict()._metadata) == set(sd._metadata)


def test_load_state_dict_from_torch_and_back():
    torch, tnet = _torch_net()
    net = Net()
    with torch.no_grad():
        tnet.block.count.fill_(7.0)
    result = net.load_state_dict(tnet.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    tout = tnet.head(tnet.block.fc(torch.tensor(x))) * tnet.scale
    np.testing.assert_allclose(net(dg.tensor(x)).numpy(), tout.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert net.block.count.item() == 7.0
    back = type(tnet)()
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in net.state_dict().items()})


def test_load_state_dict_strict_assign_and_errors_before_writing():
    a, b = Net(), Net()
    before = b.block.fc.weight.numpy().copy()
    bad = dict(a.state_dict())
    bad["head.1.weight"] = dg.zeros(5, 5)
    with pytest.raises(RuntimeError, match=r"size mismatch for head.1.weight: copying a param "
                                           r"with shape \(5, 5\)"):
        b.load_state_dict(bad)
    np.testing.assert_array_equal(b.block.fc.weight.numpy(), before)
    partial = {"block.fc.weight": a.block.fc.weight, "other": dg.zeros(1)}
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "scale"') as e:
        b.load_state_dict(partial)
    assert 'Unexpected key(s) in state_dict: "other"' in str(e.value)
    np.testing.assert_array_equal(b.block.fc.weight.numpy(), before)
    keys = b.load_state_dict(partial, strict=False)
    assert keys.unexpected_keys == ["other"] and "scale" in keys.missing_keys
    np.testing.assert_array_equal(b.block.fc.weight.numpy(), a.block.fc.weight.numpy())
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        b.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match="expected a Tensor or array"):
        b.load_state_dict({**a.state_dict(), "scale": "text"})
    # assign: the module takes the given tensors; parameters stay Parameters
    new_w = dg.tensor(np.ones((2, 3), np.float64))
    c = Net()
    c.block.fc.weight.requires_grad_(False)
    c.load_state_dict({**c.state_dict(), "block.fc.weight": new_w}, assign=True)
    assert isinstance(c.block.fc.weight, nn.Parameter)
    assert c.block.fc.weight.dtype == np.float64 and not c.block.fc.weight.requires_grad
    assert c.block.fc.weight.array is new_w.array


def test_state_dict_hooks():
    net = Net()
    calls = []
    net.block.register_state_dict_pre_hook(lambda m, prefix, keep: calls.append(prefix))

    def post(m, sd, prefix, meta):
        sd[prefix + "note"] = dg.tensor(1.0)
    net.block.register_state_dict_post_hook(post)
    sd = net.state_dict()
    assert calls == ["block."] and "block.note" in sd
    net.register_state_dict_post_hook(lambda m, sd, p, meta: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        net.state_dict()
    other = Net()
    other._register_state_dict_hook(lambda m, sd, p, meta: {"only": dg.zeros(1)})
    assert list(other.state_dict()) == ["only"]       # the private hook may replace it


def test_load_state_dict_pre_and_post_hooks():
    net = Net()
    sd = {k.replace("fc.", "dense."): v for k, v in Net().state_dict().items()}

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        for k in list(state_dict):
            if k.startswith(prefix + "dense."):
                state_dict[k.replace("dense.", "fc.")] = state_dict.pop(k)
    net.block.register_load_state_dict_pre_hook(rename)
    assert repr(net.load_state_dict(sd)) == "<All keys matched successfully>"
    np.testing.assert_array_equal(net.block.fc.bias.numpy(), sd["block.dense.bias"].numpy())
    lenient = Net()
    lenient.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())
    lenient.load_state_dict({"scale": dg.zeros(1)})    # missing keys cleared: no error
    assert lenient.scale.item() == 0.0


def test_extra_state_round_trip():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.tag = "a"

        def get_extra_state(self):
            return {"tag": self.tag}

        def set_extra_state(self, state):
            self.tag = state["tag"]
    a, b = WithExtra(), WithExtra()
    a.tag = "z"
    sd = a.state_dict()
    assert sd["_extra_state"] == {"tag": "z"}
    b.load_state_dict(sd)
    assert b.tag == "z"
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "_extra_state"'):
        WithExtra().load_state_dict({k: v for k, v in sd.items() if k != "_extra_state"})
    with pytest.raises(RuntimeError, match="Unexpected key"):
        nn.Linear(1, 1).load_state_dict({**nn.Linear(1, 1).state_dict(), "_extra_state": 1})


# ---------------------------------------------------------------------- repr, copy, pickle
def test_repr_matches_torch():
    net = Net()
    torch, tnet = _torch_net()
    assert repr(net) == repr(tnet).replace("TNet", "Net").replace("TBlock", "Block")

    class Multi(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    assert repr(Multi()) == "Multi(\n  a=1\n  b=2\n)"


def test_deepcopy_and_pickle_give_independent_equal_models():
    net = Net()
    net.block.count.fill_(3.0)
    x = dg.randn(2, 3)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        np.testing.assert_array_equal(clone(x).numpy(), net(x).numpy())
        assert clone.block.count.item() == 3.0
        assert isinstance(clone.scale, nn.Parameter) and clone.scale.requires_grad
        assert clone.block._non_persistent_buffers_set == {"scratch"}
        with dg.no_grad():
            clone.block.fc.weight.fill_(0.0)
        assert not np.all(net.block.fc.weight.numpy() == 0)
        assert clone.block.fc.weight is clone.get_parameter("block.fc.weight")


def test_registries_mirror_direct_writes_also_after_copying():
    lin = nn.Linear(2, 2)
    for m in (lin, copy.deepcopy(lin), pickle.loads(pickle.dumps(lin))):
        m._parameters["extra"] = nn.Parameter(dg.ones(1))
        assert m.extra is m._parameters["extra"]
        m._parameters.pop("extra")
        assert not hasattr(m, "extra")
        del m._parameters["bias"]
        assert not hasattr(m, "bias") and [n for n, _ in m.named_parameters()] == ["weight"]
        m._buffers.update({"b": dg.zeros(1)})
        assert m.b is m._buffers["b"]
        m._buffers.clear()
        assert not hasattr(m, "b")


def test_hooks_survive_deepcopy():
    lin = nn.Linear(2, 2)
    calls = []
    lin.register_forward_hook(lambda m, a, o: calls.append(m))
    twin = copy.deepcopy(lin)
    twin(dg.randn(1, 2))
    assert calls == [twin]


def test_container_alias_and_class_attributes():
    assert nn.Module._version == 1 and nn.Module.call_super_init is False
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        nn.Module(foo=1)
    assert "fc" in dir(Block()) and "count" in dir(Block())
