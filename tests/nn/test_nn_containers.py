"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Container."""
from collections import OrderedDict

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import nn


def _names(m):
    return [n for n, _ in m.named_parameters()]


def test_sequential_indexing_editing_and_arithmetic():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3)
    seq = nn.Sequential(a, b, c)
    assert seq[-1] is c and seq[0] is a and len(seq[1:]) == 2 and seq[1:][0] is b
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    del seq[1]
    assert list(seq._modules) == ["0", "1"] and seq[1] is c
    assert getattr(seq, "1") is c and not hasattr(seq, "2")
    seq.insert(1, b)
    assert list(seq) == [a, b, c]
    seq.insert(-1, nn.Tanh())
    assert isinstance(seq[2], nn.Tanh) and seq[3] is c
    assert seq.pop(2).__class__ is nn.Tanh and len(seq) == 3
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    both = seq + nn.Sequential(nn.ReLU())
    assert len(both) == 4 and both[0] is a
    twice = nn.Sequential(a) * 2
    assert list(twice) == [a, a] and _names(twice) == ["0.weight", "0.bias"]
    seq *= 2
    assert len(seq) == 6 and seq[3] is a
    with pytest.raises(ValueError, match="Non-positive multiplication factor"):
        seq * 0
    with pytest.raises(ValueError, match="supports only objects of Sequential class"):
        seq + [nn.ReLU()]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.fc is named[0] and _names(named) == ["fc.weight", "fc.bias"]
    np.testing.assert_allclose(named(dg.ones(1, 2)).numpy(),
                               np.maximum(named.fc(dg.ones(1, 2)).numpy(), 0))


def test_module_list_methods_and_repr_match_torch():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == [
        "Sigmoid", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    popped = layers.pop(-1)
    assert isinstance(popped, nn.Tanh) and len(layers) == 5
    del layers[0:2]
    assert list(layers._modules) == ["0", "1", "2"]
    layers += [nn.ReLU()]
    assert len(layers + layers) == 8
    with pytest.raises(TypeError, match="should be called with an iterable"):
        layers.extend(nn.ReLU())
    with pytest.raises(IndexError, match="out of range"):
        layers[10] = nn.ReLU()
    torch = pytest.importorskip("torch")
    ref = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(),
                               torch.nn.ReLU()])
    assert repr(layers) == repr(ref)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_module_dict_methods():
    d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 1)})
    assert list(d) == ["b", "a"]                        # insertion order, as torch
    d.update([("z", nn.Tanh()), ("c", nn.ReLU())])      # pairs keep their order
    assert list(d.keys()) == ["b", "a", "z", "c"] and "z" in d
    assert isinstance(d.pop("z"), nn.Tanh) and "z" not in d and not hasattr(d, "z")
    del d["c"]
    assert len(d) == 2 and [k for k, _ in d.items()] == ["b", "a"]
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        d.update([("x", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        d.update(5)
    d.clear()
    assert len(d) == 0 and not list(d.parameters())


def test_parameter_list():
    plist = nn.ParameterList([dg.ones(2), nn.Parameter(dg.zeros(3)), "note"])
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad
    assert plist[2] == "note" and len(plist) == 3
    assert _names(plist) == ["0", "1"]
    plist.append(dg.ones(1))
    plist.extend([dg.ones(4)])
    plist[1] = dg.full((2, 2), 3.0)
    assert isinstance(plist[1], nn.Parameter) and plist[1].shape == (2, 2)
    assert [p.shape for p in plist[3:]] == [(1,), (4,)] and isinstance(plist[3:], nn.ParameterList)
    assert plist[-1].shape == (4,)
    with pytest.raises(TypeError, match="should be called with an iterable, but got Tensor"):
        plist.extend(dg.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist(1)
    assert list(plist.state_dict()) == ["0", "1", "3", "4"]
    torch = pytest.importorskip("torch")
    ref = torch.nn.ParameterList([torch.ones(2), torch.zeros(2, 2), "note", torch.ones(1),
                                  torch.ones(4)])
    assert repr(plist).replace("deepgrad.", "torch.") == repr(ref)


def test_parameter_dict_every_method():
    pd = nn.ParameterDict({"b": dg.ones(2), "a": nn.Parameter(dg.zeros(1))})
    assert list(pd) == ["a", "b"] and isinstance(pd["b"], nn.Parameter)
    pd["c"] = dg.ones(3)
    assert pd.get("c").shape == (3,) and pd.get("missing", 5) == 5
    assert pd.setdefault("a") is pd["a"] and pd.setdefault("d", dg.ones(1)).shape == (1,)
    assert list(reversed(pd)) == ["d", "c", "b", "a"]
    k, v = pd.popitem()
    assert k == "d" and v.shape == (1,) and "d" not in pd
    assert pd.pop("c").shape == (3,) and list(pd.keys()) == ["a", "b"]
    cp = pd.copy()
    assert cp["a"] is pd["a"] and list(cp) == ["a", "b"]
    merged = pd | nn.ParameterDict({"z": dg.ones(1)})
    assert list(merged) == ["a", "b", "z"] and list(pd) == ["a", "b"]
    pd |= {"y": dg.ones(1)}
    assert list(pd) == ["a", "b", "y"] and [k for k, _ in pd.items()] == ["a", "b", "y"]
    assert len(list(pd.values())) == 3 and _names(pd) == ["a", "b", "y"]
    fk = pd.fromkeys(["p", "q"], dg.ones(2))
    assert list(fk) == ["p", "q"]
    with pytest.raises(TypeError, match="not a string"):
        pd[3] = dg.ones(1)
    del pd["y"]
    pd.clear()
    assert len(pd) == 0 and not list(pd.parameters())
    with pytest.raises(KeyError):
        pd.popitem()
    torch = pytest.importorskip("torch")
    ref = torch.nn.ParameterDict({"b": torch.ones(2), "a": torch.zeros(1)})
    ours = nn.ParameterDict({"b": dg.ones(2), "a": dg.zeros(1)})
    assert repr(ours).replace("deepgrad.", "torch.") == repr(ref)


def test_parameter_containers_state_dict_round_trip_with_torch():
    torch = pytest.importorskip("torch")
    ref = torch.nn.ModuleDict({"pl": torch.nn.ParameterList([torch.randn(2), torch.randn(3)]),
                               "pd": torch.nn.ParameterDict({"w": torch.randn(2, 2)})})
    ours = nn.ModuleDict({"pl": nn.ParameterList([dg.zeros(2), dg.zeros(3)]),
                          "pd": nn.ParameterDict({"w": dg.zeros(2, 2)})})
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    np.testing.assert_array_equal(ours["pd"]["w"].numpy(), ref["pd"]["w"].detach().numpy())


def test_container_is_deprecated():
    with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
        c = nn.Container(fc=nn.Linear(1, 1))
    assert _names(c) == ["fc.weight", "fc.bias"]
