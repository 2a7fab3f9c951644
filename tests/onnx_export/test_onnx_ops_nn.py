"""Each op family of the PyTorch-style front, exported with ``deepgrad.onnx.export`` and
run in onnxruntime: outputs within 1e-5 of deepgrad's, at the traced batch size (2) and
at batch 5 (the batch axis is dynamic)."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_roundtrip import assert_roundtrip  # noqa: E402

import deepgrad as torch  # noqa: E402
import deepgrad.nn as nn  # noqa: E402
import deepgrad.nn.functional as F  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


class Lambda(nn.Module):
    def __init__(self, fn, *modules):
        super().__init__()
        self.fn, self.mods = fn, nn.ModuleList(modules)

    def forward(self, *xs):
        return self.fn(self.mods, *xs)


CASES = {
    # linear maps: 2-D input (Gemm) and 3-D input (MatMul)
    "linear_2d": (lambda: nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)), (6,)),
    "linear_3d": (lambda: nn.Linear(6, 4), (5, 6)),
    "linear_no_bias": (lambda: nn.Linear(6, 4, bias=False), (6,)),
    # convolutions: padding, stride, dilation, groups
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2,
                                               groups=2), nn.Conv1d(6, 3, 1)), (4, 11)),
    "conv2d": (lambda: nn.Sequential(nn.Conv2d(4, 6, 3, stride=(2, 1), padding=1, groups=2),
                                     nn.Conv2d(6, 2, (2, 3), dilation=(2, 1))), (4, 9, 8)),
    "conv2d_same": (lambda: nn.Conv2d(3, 4, 3, padding="same", bias=False), (3, 7, 6)),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                    output_padding=1), (4, 5, 5)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(4, 3, 4, stride=3), (4, 6)),
    # pooling
    "max_pool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (3, 9, 8)),
    "max_pool1d": (lambda: nn.MaxPool1d(2), (3, 9)),
    "avg_pool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (3, 9, 8)),
    "avg_pool2d_exclude_pad_ceil": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                         count_include_pad=False), (3, 8, 8)),
    "avg_pool1d": (lambda: nn.AvgPool1d(3, stride=2), (3, 9)),
    "adaptive_avg_global": (lambda: nn.AdaptiveAvgPool2d(1), (3, 5, 7)),
    "adaptive_avg_uneven": (lambda: nn.AdaptiveAvgPool2d((2, 3)), (3, 5, 7)),
    "adaptive_max_global": (lambda: nn.AdaptiveMaxPool2d((1, 1)), (3, 5, 7)),
    # padding modes and interpolation (gathers along an axis)
    "pads": (lambda: nn.Sequential(nn.ReflectionPad2d((1, 2, 0, 1)),
                                   nn.ReplicationPad2d((0, 1, 2, 0)), nn.ZeroPad2d(1)),
             (3, 5, 4)),
    "upsample": (lambda: nn.Sequential(nn.Upsample(scale_factor=2),
                                       nn.Upsample(size=(7, 9), mode="bilinear")), (3, 4, 3)),
    # normalisation
    "batch_norm2d": (lambda: _with_stats(nn.BatchNorm2d(3)), (3, 4, 4)),
    "batch_norm1d": (lambda: _with_stats(nn.BatchNorm1d(5)), (5,)),
    "layer_norm": (lambda: nn.LayerNorm([4, 5]), (3, 4, 5)),
    "group_norm": (lambda: nn.GroupNorm(2, 4), (4, 3, 3)),
    "instance_norm": (lambda: nn.InstanceNorm1d(3, affine=True), (3, 6)),
    # dropout in inference
    "dropout": (lambda: nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.5), nn.Dropout1d(0.3),
                                      nn.AlphaDropout(0.2), nn.Linear(6, 2)), (6,)),
    # shape ops, concatenation, arithmetic
    "reshape_flatten": (lambda: nn.Sequential(nn.Conv2d(2, 3, 2), nn.Flatten(),
                                              nn.Unflatten(1, (3, 4)), nn.Flatten(0, 1)),
                        (2, 3, 3)),
    "arith_concat": (lambda: Lambda(lambda m, x: torch.cat([x * 2.0 + 1.0, x - x.mean(1, True),
                                                            x / 3.0, -x, x ** 2], 1)), (4,)),
    "view_permute_slice": (lambda: Lambda(
        lambda m, x: x.view(x.shape[0], 3, 4).permute(0, 2, 1)[:, 1:, ::2].transpose(1, 2)
        .unsqueeze(1).squeeze(1)[..., -1]), (12,)),
    "stack_expand_sum": (lambda: Lambda(
        lambda m, x: torch.stack([x, x.exp()], 2).sum(-1) + x[:, :1].expand(-1, 4)
        + x.amax(dim=1, keepdim=True) - torch.logsumexp(x, 1, keepdim=True)), (4,)),
    "clamp_where_max": (lambda: Lambda(
        lambda m, x: x.clamp(-0.5, 0.7) + torch.maximum(x, x.abs().sqrt()) * x.max(1)[0]
        .unsqueeze(1)), (4,)),
    "residual": (lambda: Lambda(lambda m, x: m[1](m[0](x) + x) * torch.sigmoid(x),
                                nn.Linear(5, 5), nn.LayerNorm(5)), (5,)),
}


def _with_stats(bn):
    c = bn.num_features
    bn.running_mean.array[:] = np.linspace(-0.5, 0.5, c)
    bn.running_var.array[:] = np.linspace(0.5, 2.0, c)
    bn.weight.array[:] = np.linspace(0.8, 1.2, c)
    bn.bias.array[:] = np.linspace(-0.1, 0.1, c)
    return bn


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_families(case):
    make, shape = CASES[case]
    assert_roundtrip(make(), [_x(2, *shape)])


ACTIVATIONS = [nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1),
               nn.LeakyReLU(0.2), nn.ELU(0.5), nn.SELU(), nn.CELU(0.7), nn.GELU(),
               nn.GELU(approximate="tanh"), nn.SiLU(), nn.Softplus(beta=2.0, threshold=3.0),
               nn.Mish(), nn.Hardtanh(-0.5, 0.8), nn.ReLU6(), nn.Hardsigmoid(), nn.Hardswish(),
               nn.PReLU(), nn.LogSigmoid(), nn.Softsign(), nn.Tanhshrink(), nn.Softshrink(0.3),
               nn.Hardshrink(0.4), nn.Threshold(0.1, -2.0), nn.Softmin(dim=1)]


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: repr(a))
def test_activations(act):
    x = _x(2, 3, 4) * 3.0
    assert_roundtrip(nn.Sequential(nn.Linear(4, 4), act), [x])


def test_embedding():
    idx = np.array([[1, 0, 7], [9, 3, 3]], np.int64)
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    assert_roundtrip(model, [idx])


@pytest.mark.parametrize("cell", ["rnn_relu", "lstm_2_layers", "gru_bidirectional",
                                  "lstm_time_major_bidirectional"])
def test_recurrent(cell):
    model = {"rnn_relu": lambda: nn.RNN(4, 5, nonlinearity="relu", batch_first=True),
             "lstm_2_layers": lambda: nn.LSTM(4, 5, num_layers=2, batch_first=True),
             "gru_bidirectional": lambda: nn.GRU(4, 3, bidirectional=True, batch_first=True),
             "lstm_time_major_bidirectional": lambda: nn.LSTM(4, 3, num_layers=2,
                                                              bidirectional=True)}[cell]()
    if cell == "lstm_time_major_bidirectional":      # (T, B, I): the batch is axis 1
        assert_roundtrip(model, [_x(6, 2, 4)], batch=None)
    else:
        assert_roundtrip(model, [_x(2, 6, 4)])        # outputs: out, h_n (, c_n)


def test_lstm_with_initial_states():
    model = nn.LSTM(4, 5, num_layers=2, batch_first=True)
    h0, c0 = _x(2, 2, 5, seed=1), _x(2, 2, 5, seed=2)
    wrapped = Lambda(lambda m, x, h, c: m[0](x, (h, c)), model)
    assert_roundtrip(wrapped, [_x(2, 6, 4), h0, c0], batch=None)


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention(batch_first):
    mha = nn.MultiheadAttention(8, 2, batch_first=batch_first)
    model = Lambda(lambda m, q, kv: m[0](q, kv, kv)[0], mha)
    q, kv = (_x(2, 5, 8), _x(2, 7, 8, seed=1)) if batch_first else (_x(5, 2, 8),
                                                                      _x(7, 2, 8, seed=1))
    assert_roundtrip(model, [q, kv], batch=5 if batch_first else None)


def test_scaled_dot_product_attention_causal():
    model = Lambda(lambda m, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    assert_roundtrip(model, [_x(2, 2, 5, 4), _x(2, 2, 5, 4, seed=1), _x(2, 2, 5, 3, seed=2)])


def test_transformer_encoder_layer():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    assert_roundtrip(layer, [_x(2, 5, 8)])


def test_transformer_decoder_layer_causal_mask():
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    mask = nn.Transformer.generate_square_subsequent_mask(5)      # float -inf above diagonal
    model = Lambda(lambda m, x, memory: m[0](x, memory, tgt_mask=mask), layer)
    assert_roundtrip(model, [_x(2, 5, 8), _x(2, 6, 8, seed=1)])
