"""``deepgrad.keras.layers``: Keras's layers, each a thin wrapper over the engine's ops."""
from deepgrad.keras import registry
from deepgrad.keras.layers.keras_tensor import KerasTensor
from deepgrad.keras.layers.layer import Layer, InputSpec
from deepgrad.keras.layers.input_layer import Input, InputLayer
from deepgrad.keras.layers.core import Dense, Activation, Dropout, Flatten
from deepgrad.keras.layers.conv import Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose
from deepgrad.keras.layers.conv_depthwise import DepthwiseConv2D, SeparableConv2D
# Keras 3's aliases of the convolution classes
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
from deepgrad.keras.layers.pooling import (
    MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, MaxPool1D, MaxPool2D,
    AvgPool1D, AvgPool2D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalAvgPool1D, GlobalAvgPool2D)
from deepgrad.keras.layers.reshaping import (
    Reshape, Permute, RepeatVector, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D,
    Cropping1D, Cropping2D)
from deepgrad.keras.layers.lambda_layer import Lambda
from deepgrad.keras.layers.normalization import BatchNormalization, LayerNormalization
from deepgrad.keras.layers.embedding import Embedding
from deepgrad.keras.layers.merge import (
    Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, add, subtract,
    multiply, average, maximum, minimum, concatenate, dot)
from deepgrad.keras.layers.activation_layers import ReLU, LeakyReLU, PReLU, ELU, Softmax
from deepgrad.keras.layers.recurrent import SimpleRNN, LSTM, GRU
from deepgrad.keras.layers.wrappers import Bidirectional, TimeDistributed
from deepgrad.keras.layers.conv_depthwise1d import (
    DepthwiseConv1D, SeparableConv1D, SeparableConvolution1D)
from deepgrad.keras.layers.conv3d import (
    Conv3D, Conv3DTranspose, MaxPooling3D, AveragePooling3D, GlobalMaxPooling3D,
    GlobalAveragePooling3D, Convolution3D, Convolution3DTranspose, MaxPool3D, AvgPool3D,
    GlobalMaxPool3D, GlobalAvgPool3D)
from deepgrad.keras.layers.reshaping3d import ZeroPadding3D, Cropping3D, UpSampling3D
from deepgrad.keras.layers.preprocessing_numeric import (
    Normalization, Discretization, Rescaling, CategoryEncoding, Hashing, HashedCrossing)
from deepgrad.keras.layers.preprocessing_image import Resizing, CenterCrop
from deepgrad.keras.layers.preprocessing_lookup import StringLookup, IntegerLookup
from deepgrad.keras.layers.text_vectorization import TextVectorization
from deepgrad.keras.layers.augmentation import (
    RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
    RandomBrightness, RandomCrop)
from deepgrad.keras.layers.noise import (
    GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D, SpatialDropout2D,
    SpatialDropout3D)
from deepgrad.keras.layers.core_extra import (
    Identity, ActivityRegularization, Masking, UnitNormalization, EinsumDense, Wrapper)
from deepgrad.keras.layers.normalization_extra import (
    GroupNormalization, RMSNormalization, SpectralNormalization)
from deepgrad.keras.layers.pooling_adaptive import (
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
from deepgrad.keras.layers.augmentation_color import (
    AutoContrast, Solarization, RandomInvert, RandomGrayscale, RandomPosterization)
from deepgrad.keras.layers.embedding_extra import ReversibleEmbedding, Pipeline
from deepgrad.keras.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from deepgrad.keras.layers.rnn_cells import (
    SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, RNN)
from deepgrad.keras.layers.attention import (
    Attention, AdditiveAttention, MultiHeadAttention, GroupQueryAttention)
from deepgrad.keras.layers import operations  # noqa: F401  (registers Keras's graph ops)


def serialize(layer):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"[, "build_config"]}``."""
    return registry.serialize(layer, "layers")


def deserialize(config, custom_objects=None):
    """A layer (or model) from :func:`serialize`'s dict, found by name in the registry."""
    return registry.deserialize(config, "layers", custom_objects)
