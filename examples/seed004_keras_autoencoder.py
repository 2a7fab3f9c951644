"""Seed 004, section 4.3: the Keras autoencoder (784-32-784) on MNIST, run on
deepgrad.keras.

The listing's code is unchanged except its import lines (``from keras.X import Y`` ->
``from deepgrad.keras.X import Y``). What the listing leaves undefined is added and marked
``# added:``: ``input_dim = 784`` (a flattened 28x28 image), ``encoding_dim = 32`` (the
code size, 24.5x smaller) and x_train, MNIST flattened and scaled to [0, 1] (the
sigmoid output's range). At the end the reconstruction MSE on the test set is printed,
next to the MSE of always answering the mean training image, a baseline that ignores
its input.

    DEEPGRAD_DATA=../shared/data python examples/seed004_keras_autoencoder.py
    python examples/seed004_keras_autoencoder.py --epochs 1 --samples 2000   # quick run
    python examples/seed004_keras_autoencoder.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np                                         # added: the baseline

from deepgrad.keras.models import Model  # was: from keras.models import Model
from deepgrad.keras.layers import Input, Dense  # was: from keras.layers import Input, Dense
from deepgrad.keras.datasets import mnist                  # added: the data
from deepgrad.keras.utils import set_random_seed           # added: --seed
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=100)     # added
parser.add_argument("--samples", type=int, default=60000)  # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
set_random_seed(args.seed)                                 # added
start = time.perf_counter()                                # added

# added: what the listing leaves undefined
input_dim = 784                                            # a flattened 28x28 image
encoding_dim = 32                                          # the code size
(x_tr, _), (x_te, _) = mnist.load_data()
x_train = x_tr[:args.samples].reshape(-1, input_dim).astype("float32") / 255.0
x_test = x_te.reshape(-1, input_dim).astype("float32") / 255.0

# 创建自编码器模型
input_layer = Input(shape=(input_dim,))
encoded = Dense(encoding_dim, activation='relu')(input_layer)
decoded = Dense(input_dim, activation='sigmoid')(encoded)

# 创建自编码器模型
autoencoder = Model(input_layer, decoded)

# 编译模型
autoencoder.compile(optimizer='adam', loss='mse')

# 训练模型
autoencoder.fit(x_train, x_train, epochs=args.epochs, batch_size=256)  # was: epochs=100

# added: reconstruction error on the test set, and the input-blind baseline
test_mse = autoencoder.evaluate(x_test, x_test, verbose=0)
baseline = float(np.mean((x_test - x_train.mean(axis=0)) ** 2))
print(f"Baseline MSE (mean training image): {baseline:.4f}")
print(f"Test reconstruction MSE: {test_mse:.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")

if args.plot:                                              # added: --plot DIR, the pictures
    reconstructed = autoencoder.predict(x_test[:8], verbose=0)
    plot.history(autoencoder.history, save_to=f"{args.plot}/seed004_autoencoder_history.png")
    plot.image_grid(np.concatenate([x_test[:8], reconstructed]).reshape(-1, 28, 28), ncols=8,
                    title="test digits (top) and their reconstructions (bottom)",
                    save_to=f"{args.plot}/seed004_autoencoder_reconstructions.png")
