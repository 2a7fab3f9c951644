"""``deepgrad.keras.layers``: Keras's layers, each a thin wrapper over the engine's ops."""
from deepgrad.keras.layers.layer import Layer, InputSpec
from deepgrad.keras.layers.input_layer import Input, InputLayer, KerasTensor
from deepgrad.keras.layers.core import Dense, Activation, Dropout, Flatten
