"""Seed 004, section 4.2: the Keras stacked LSTM (3 x LSTM(50), Dense) on a sequence
regression task, run on deepgrad.keras.

The listing's code is unchanged except its import lines (``from keras.X import Y`` ->
``from deepgrad.keras.X import Y``). It leaves ``timesteps``, ``input_dim``,
``output_dim`` and the data undefined; they are added here (``# added:``) as a small
synthetic task: 8 noisy sensors watch one sine wave (random frequency between 0.01 and 0.1
cycles per step, random phase) for 50 steps, and the model predicts the wave's clean
value at the next step. So timesteps=50, input_dim=8, output_dim=1. At the end the test
MSE is printed next to the MSE of always answering 0 (the wave's mean), a baseline that
ignores the input (about 0.5).

    python examples/seed004_keras_lstm.py                       # the listing's 100 epochs
    python examples/seed004_keras_lstm.py --epochs 2 --samples 1000   # quick run
    python examples/seed004_keras_lstm.py --epochs 2 --samples 1000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np                                         # added: the data

from deepgrad.keras.models import Sequential  # was: from keras.models import Sequential
from deepgrad.keras.layers import LSTM, Dense  # was: from keras.layers import LSTM, Dense
from deepgrad.keras.utils import set_random_seed           # added: --seed
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=100)     # added
parser.add_argument("--samples", type=int, default=2000)   # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
set_random_seed(args.seed)                                 # added
start = time.perf_counter()                                # added

# added: what the listing leaves undefined, a synthetic next-value regression task
timesteps, input_dim, output_dim = 50, 8, 1


def noisy_sine_windows(n, rng, noise=0.3):                 # added
    """n windows: x (n, timesteps, input_dim) noisy readings, y (n, 1) the next clean value."""
    freq = rng.uniform(0.01, 0.1, (n, 1))                  # cycles per step
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1))
    wave = np.sin(2 * np.pi * freq * np.arange(timesteps + 1) + phase)   # (n, timesteps + 1)
    x = wave[:, :timesteps, None] + noise * rng.standard_normal((n, timesteps, input_dim))
    return x.astype("float32"), wave[:, timesteps:].astype("float32")


rng = np.random.default_rng(args.seed)                     # added
x_train, y_train = noisy_sine_windows(args.samples, rng)   # added
x_test, y_test = noisy_sine_windows(1000, rng)             # added

# 创建循环神经网络模型
model = Sequential()

# 添加循环神经网络层
model.add(LSTM(50, return_sequences=True, input_shape=(timesteps, input_dim)))
model.add(LSTM(50, return_sequences=True))
model.add(LSTM(50))

# 添加全连接层
model.add(Dense(output_dim))

# 编译模型
model.compile(optimizer='adam', loss='mse')

# 训练模型
model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.2)  # was: epochs=100

# added: the test MSE, and the input-blind baseline (always 0)
test_mse = model.evaluate(x_test, y_test, verbose=0)
print(f"Baseline MSE (always 0): {float(np.mean(y_test ** 2)):.4f}")
print(f"Test MSE: {test_mse:.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")

if args.plot:                                              # added: --plot DIR, the loss curves
    plot.history(model.history, save_to=f"{args.plot}/seed004_lstm_history.png")
