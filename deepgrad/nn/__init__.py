"""``deepgrad.nn``: modules, parameters, init and the functional API (PyTorch's layout)."""
from deepgrad.nn.parameter import Parameter
from deepgrad.nn.module import Module
from deepgrad.nn.containers import Sequential, ModuleList, ModuleDict
from deepgrad.nn.parameter import Buffer, UninitializedParameter, UninitializedBuffer
from deepgrad.nn.containers import Container, ParameterList, ParameterDict
from deepgrad.nn.attention import MultiheadAttention
from deepgrad.nn.transformer import (
    Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer,
    TransformerDecoderLayer)
from deepgrad.nn.lazy import (
    LazyLinear, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
    LazyConvTranspose3d, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyInstanceNorm1d,
    LazyInstanceNorm2d, LazyInstanceNorm3d)
from deepgrad.nn.linear import Linear, Identity
from deepgrad.nn.flatten import Flatten, Unflatten
from deepgrad.nn.dropout import Dropout
from deepgrad.nn.activation import (
    ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, Softplus, SiLU, Softmax, LogSoftmax)
from deepgrad.nn.loss import (
    MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss,
    NLLLoss, KLDivLoss)
from deepgrad.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from deepgrad.nn.pooling import (
    MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d,
    AdaptiveMaxPool2d)
from deepgrad.nn.normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm)
from deepgrad.nn.embedding import Embedding
from deepgrad.nn.upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d
from deepgrad.nn.padding import (
    ConstantPad1d, ConstantPad2d, ConstantPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, CircularPad1d, CircularPad2d, CircularPad3d)
from deepgrad.nn.recurrent import (
    RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell)
from deepgrad.nn.conv import Conv3d, ConvTranspose3d
from deepgrad.nn.pooling import (
    MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool3d, LPPool1d,
    LPPool2d, LPPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, FractionalMaxPool2d,
    FractionalMaxPool3d)
from deepgrad.nn.fold import Fold, Unfold
from deepgrad.nn.pixelshuffle import PixelShuffle, PixelUnshuffle, ChannelShuffle
from deepgrad.nn.normalization import (
    InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, RMSNorm, LocalResponseNorm, CrossMapLRN2d)
from deepgrad.nn.embedding import EmbeddingBag
from deepgrad.nn.activation import (
    PReLU, RReLU, ReLU6, Hardtanh, Hardswish, Hardsigmoid, Hardshrink, Softshrink, Mish, SELU,
    CELU, GLU, LogSigmoid, Softmin, Softsign, Tanhshrink, Threshold, Softmax2d)
from deepgrad.nn.dropout import Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout
from deepgrad.nn.distance import CosineSimilarity, PairwiseDistance
from deepgrad.nn.linear import Bilinear
from deepgrad.nn.loss import (
    NLLLoss2d, PoissonNLLLoss, GaussianNLLLoss, MarginRankingLoss, HingeEmbeddingLoss,
    SoftMarginLoss, CosineEmbeddingLoss, MultiMarginLoss, MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss, CTCLoss)
from deepgrad.nn.loss import LinearCrossEntropyLoss
from deepgrad.nn.adaptive import AdaptiveLogSoftmaxWithLoss
from deepgrad.nn import functional, init, utils
from deepgrad.nn import parallel  # noqa: E402  (torch.nn.parallel, H3)
from deepgrad.nn.parallel import DataParallel  # noqa: E402


def __getattr__(name):
    """A name deepgrad lacks raises an AttributeError saying so (or that its family is
    out of scope), instead of Python's bare "has no attribute"."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.nn' has no attribute {name!r}")
    if name in _TF_NN:          # `import deepgrad as tf`: tf.nn's names torch.nn lacks
        import importlib
        return getattr(importlib.import_module("deepgrad.tf.nn"), name)
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.nn", name)


_TF_NN = frozenset((
    "relu", "relu6", "elu", "selu", "gelu", "leaky_relu", "silu", "swish", "sigmoid", "tanh",
    "softmax", "log_softmax", "softplus", "softsign", "log_sigmoid", "moments", "l2_loss",
    "l2_normalize", "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits", "bias_add", "embedding_lookup",
    "batch_normalization", "conv1d", "conv2d", "convolution", "max_pool", "max_pool2d",
    "avg_pool", "avg_pool2d", "top_k", "in_top_k"))
