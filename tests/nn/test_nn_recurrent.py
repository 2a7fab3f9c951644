"""Recurrent layers: PyTorch's parameters, shapes and numbers (state_dict loaded from torch),
float64 gradchecks through whole stacks, dropout between layers, and the input checks."""
import math

import numpy as np
import pytest

import deepgrad as dg
from deepgrad.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

torch = pytest.importorskip("torch")

T, B, I, H = 3, 2, 3, 4
LAYERS = {"RNN": (RNN, torch.nn.RNN), "LSTM": (LSTM, torch.nn.LSTM), "GRU": (GRU, torch.nn.GRU)}
CELLS = {"RNNCell": (RNNCell, torch.nn.RNNCell), "LSTMCell": (LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (GRUCell, torch.nn.GRUCell)}
CONFIGS = [
    dict(),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=2, batch_first=True, bias=False),
    dict(bidirectional=True, batch_first=True),
]


def config_id(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "default"


def pair(name, table=LAYERS, dtype=torch.float64, **kwargs):
    """(deepgrad layer, torch layer) with the torch weights loaded into deepgrad."""
    torch.manual_seed(0)
    ours, theirs = table[name]
    t = theirs(I, H, **kwargs).to(dtype)
    d = ours(I, H, **kwargs, dtype=np.float64 if dtype == torch.float64 else np.float32)
    d.load_state_dict(t.state_dict())
    return d, t


def states(name, n, batch, dtype=np.float64, seed=1):
    """Initial states as float arrays: one (n, B, H) array, two for the LSTM."""
    rng = np.random.default_rng(seed)
    shape = (n, batch, H) if batch else (n, H)
    return [rng.standard_normal(shape).astype(dtype) for _ in range(2 if "LSTM" in name else 1)]


def run_both(d, t, name, x, hx, dtype=np.float64):
    """Forward, then backward of sum(out * v) + sum(h_n * w) in both; returns both sides'
    (output, finals, gradients of input, initial states and every parameter)."""
    xd = dg.Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    hd = [dg.Tensor(h, requires_grad=True) for h in hx]
    ht = [torch.tensor(h, requires_grad=True) for h in hx]
    pack = (lambda s: tuple(s) if "LSTM" in name else s[0]) if hx else (lambda s: None)
    od, fd = d(xd, pack(hd))
    ot, ft = t(xt, pack(ht))
    fd = fd if isinstance(fd, tuple) else (fd,)
    ft = ft if isinstance(ft, tuple) else (ft,)
    rng = np.random.default_rng(2)
    vs = [rng.standard_normal(tuple(o.shape)).astype(dtype) for o in (ot,) + ft]
    zero = dg.zeros((), dtype=dtype)
    sum(((o * dg.Tensor(v)).sum() for o, v in zip((od,) + fd, vs)), zero).backward()
    sum((o * torch.tensor(v)).sum() for o, v in zip((ot,) + ft, vs)).backward()
    grads_d = [xd.grad] + [h.grad for h in hd] + [p.grad for p in d.parameters()]
    grads_t = [xt.grad] + [h.grad for h in ht] + [p.grad for p in t.parameters()]
    return (od, fd, grads_d), (ot, ft, grads_t)


def assert_same(ours, theirs, rtol, atol):
    (od, fd, gd), (ot, ft, gt) = ours, theirs
    assert tuple(od.shape) == tuple(ot.shape)
    np.testing.assert_allclose(od.numpy(), ot.detach().numpy(), rtol=rtol, atol=atol)
    for a, b in zip(fd, ft):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
    assert len(gd) == len(gt)
    for k, (a, b) in enumerate(zip(gd, gt)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient {k}")


# ------------------------------------------------------------------ parameters
@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_state_dict_keys_and_shapes_are_torchs(name, config):
    d, t = pair(name, **config)
    assert [(k, tuple(v.shape)) for k, v in d.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in t.state_dict().items()]


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_state_dict_keys_and_shapes_are_torchs(name):
    d, t = pair(name, CELLS)
    assert [(k, tuple(v.shape)) for k, v in d.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in t.state_dict().items()]


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell])
def test_default_init_is_uniform_within_one_over_sqrt_hidden(cls):
    dg.manual_seed(0)
    layer = cls(16, 64)
    bound = 1 / math.sqrt(64)
    for name, p in layer.named_parameters():
        a = p.numpy()
        assert a.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound, name


# ------------------------------------------------------------------ parity with torch
@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
@pytest.mark.parametrize("with_states", [False, True], ids=["hx=None", "hx"])
def test_matches_torch_float64(name, config, with_states):
    d, t = pair(name, **config)
    shape = (B, T, I) if config.get("batch_first") else (T, B, I)
    x = np.random.default_rng(0).standard_normal(shape)
    n = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    hx = states(name, n, B) if with_states else []
    assert_same(*run_both(d, t, name, x, hx), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch_batch_one_relu_and_unbatched(name):
    kwargs = dict(nonlinearity="relu") if name == "RNN" else {}
    d, t = pair(name, num_layers=2, **kwargs)
    rng = np.random.default_rng(3)
    assert_same(*run_both(d, t, name, rng.standard_normal((T, 1, I)), states(name, 2, 1)),
                rtol=1e-10, atol=1e-12)
    assert_same(*run_both(d, t, name, rng.standard_normal((T, I)), states(name, 2, None)),
                rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(LAYERS))
def test_matches_torch_float32(name):
    d, t = pair(name, dtype=torch.float32, num_layers=2, batch_first=True)
    x = np.random.default_rng(4).standard_normal((B, T, I)).astype(np.float32)
    ours, theirs = run_both(d, t, name, x, states(name, 2, B, np.float32), np.float32)
    assert ours[0].dtype == np.float32 and all(g.dtype == np.float32 for g in ours[2])
    assert_same(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("batch", [B, None], ids=["batched", "unbatched"])
def test_cells_match_torch(name, batch):
    d, t = pair(name, CELLS, **({"nonlinearity": "relu"} if name == "RNNCell" else {}))
    rng = np.random.default_rng(5)
    x = rng.standard_normal((batch, I) if batch else (I,))
    hx = [h[0] for h in states(name, 1, batch)]
    for given in (hx, None):
        xd, xt = dg.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        hd = None if given is None else [dg.Tensor(h, requires_grad=True) for h in given]
        ht = None if given is None else [torch.tensor(h, requires_grad=True) for h in given]
        pack = (lambda s: None if s is None else (tuple(s) if name == "LSTMCell" else s[0]))
        od, ot = d(xd, pack(hd)), t(xt, pack(ht))
        od, ot = (od, ot) if name == "LSTMCell" else ((od,), (ot,))
        for a, b in zip(od, ot):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
        zero = dg.zeros((), dtype=dg.float64)
        sum(((a * (k + 1)).sum() for k, a in enumerate(od)), zero).backward()
        sum((b * (k + 1)).sum() for k, b in enumerate(ot)).backward()
        for a, b in zip([xd] + (hd or []), [xt] + (ht or [])):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
        for a, b in zip(d.parameters(), t.parameters()):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)
        d.zero_grad(), t.zero_grad()


# ------------------------------------------------------------------ gradcheck through stacks
@pytest.mark.parametrize("name", list(LAYERS))
def test_gradcheck_two_layer_bidirectional_stack_with_initial_states(name):
    dg.manual_seed(0)
    layer = LAYERS[name][0](I, 3, num_layers=2, bidirectional=True, batch_first=True,
                            dtype=np.float64)
    x = dg.randn(B, T, I, dtype=dg.float64, requires_grad=True)
    hx = [dg.randn(4, B, 3, dtype=dg.float64, requires_grad=True)
          for _ in range(2 if name == "LSTM" else 1)]

    def fn(x, *hx_and_params):
        out, finals = layer(x, tuple(hx_and_params[:2]) if name == "LSTM" else hx_and_params[0])
        return (out,) + (finals if isinstance(finals, tuple) else (finals,))
    assert dg.gradcheck(fn, (x, *hx, *layer.parameters()))


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_gradcheck_cells(cls):
    dg.manual_seed(0)
    cell = cls(I, H, dtype=np.float64)
    x = dg.randn(B, I, dtype=dg.float64, requires_grad=True)
    assert dg.gradcheck(lambda x, *p: cell(x), (x, *cell.parameters()))


# ------------------------------------------------------------------ dropout between layers
def test_dropout_acts_between_layers_in_training_only():
    d, t = pair("LSTM", num_layers=2, dropout=0.5)
    x = np.random.default_rng(6).standard_normal((T, B, I))
    d.eval(), t.eval()
    np.testing.assert_allclose(d(dg.Tensor(x))[0].numpy(), t(torch.tensor(x))[0].detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    d.train()
    dg.manual_seed(1)
    a = d(dg.Tensor(x))[0]
    dg.manual_seed(1)
    b = d(dg.Tensor(x))[0]
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), d.eval()(dg.Tensor(x))[0].numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="dropout"):
        LSTM(I, H, dropout=0.2)


# ------------------------------------------------------------------ bad input
def test_bad_input_errors_name_the_layer_and_both_shapes():
    lstm = LSTM(I, H, num_layers=2, batch_first=True)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size. "
                                           r"Expected 3, received 5 \(input shape \(2, 3, 5\)\)"):
        lstm(dg.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"LSTM: expected input of 2 dimensions \(seq_len, "
                                         r"input_size\) or 3 dimensions \(batch, seq_len, "
                                         r"input_size\), received shape \(1, 2, 3, 3\)"):
        lstm(dg.randn(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"LSTM: expected h_0 of shape \(2, 2, 4\), received "
                                           r"\(1, 2, 4\)"):
        lstm(dg.randn(2, 3, 3), (dg.zeros(1, 2, 4), dg.zeros(2, 2, 4)))
    with pytest.raises(TypeError, match=r"LSTM: expected hx as a tuple \('h_0', 'c_0'\)"):
        lstm(dg.randn(2, 3, 3), dg.zeros(2, 2, 4))
    with pytest.raises(TypeError,
                       match=r"GRU: input has dtype float64 but the parameters are float32"):
        GRU(I, H)(dg.randn(3, 2, 3, dtype=dg.float64))
    with pytest.raises(RuntimeError, match=r"GRUCell: expected input of shape \(batch, 3\) or "
                                           r"\(3,\), received \(2, 4\)"):
        GRUCell(I, H)(dg.randn(2, 4))
    with pytest.raises(RuntimeError,
                       match=r"LSTMCell: expected c of shape \(2, 4\), received \(4,\)"):
        LSTMCell(I, H)(dg.randn(2, 3), (dg.zeros(2, 4), dg.zeros(4)))
    with pytest.raises(ValueError, match=r"RNN: nonlinearity must be 'tanh' or 'relu'"):
        RNN(I, H, nonlinearity="gelu")
    with pytest.raises(ValueError, match=r"LSTM: hidden_size must be an int >= 1, received 0"):
        LSTM(I, 0)


def test_numpy_input_and_repr():
    lstm = LSTM(8, 50, num_layers=3, batch_first=True, dropout=0.1)
    out, (h, c) = lstm(np.zeros((4, 5, 8)))
    assert out.shape == (4, 5, 50) and h.shape == c.shape == (3, 4, 50)
    assert out.dtype == np.float32
    assert repr(lstm) == "LSTM(8, 50, num_layers=3, batch_first=True, dropout=0.1)"
    assert repr(GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
