"""Time-series forecasting with ``timeseries_dataset_from_array``, written as Keras 3's
guide writes it (keras.io/examples/timeseries/timeseries_weather_forecasting), run on
deepgrad.keras.

The guide reads the Jena climate recordings (a download); here a weather-like record is
generated instead: hourly temperature with a daily and a yearly cycle, pressure and
humidity that lead it, and noise, 14 features in all. Then, as in the guide: features
standardised with the training split's mean and std, windows of the past
``past`` hours sampled every ``step`` hours predicting the temperature ``future`` hours
ahead, built by ``keras.utils.timeseries_dataset_from_array`` for training and
validation, an LSTM(32) + Dense(1) model trained with a ModelCheckpoint-free ``fit``, and
the validation MSE against the naive "same as now" forecast.

    python examples/keras_timeseries_forecasting.py            # 3 years of hours
    python examples/keras_timeseries_forecasting.py --quick    # the CI run
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np

from deepgrad import keras           # was: from tensorflow import keras

parser = argparse.ArgumentParser()                                   # added
parser.add_argument("--hours", type=int, default=3 * 365 * 24)       # added: record length
parser.add_argument("--epochs", type=int, default=5)                 # added
parser.add_argument("--quick", action="store_true")                  # added: CI run
parser.add_argument("--seed", type=int, default=0)                   # added
args = parser.parse_args()                                           # added
if args.quick:                                                       # added
    args.hours, args.epochs = 4000, 3
keras.utils.set_random_seed(args.seed)                               # added
start = time.perf_counter()                                          # added


# ---------------------------------------------------------------- added: the record
def weather(hours, rng):
    """(hours, 14) features; column 1 is the temperature (as "T (degC)" in Jena)."""
    t = np.arange(hours, dtype=np.float64)
    daily, yearly = np.sin(2 * np.pi * t / 24), np.sin(2 * np.pi * t / (365 * 24))
    front = np.convolve(rng.standard_normal(hours), np.ones(48) / 48, mode="same") * 6
    temperature = 9 + 8 * yearly + 4 * daily + np.roll(front, 12) + rng.normal(0, .5, hours)
    pressure = 990 + 4 * front + rng.normal(0, .3, hours)              # leads by 12 h
    humidity = 75 - 10 * daily - 2 * front + rng.normal(0, 2, hours)
    others = [a * np.roll(temperature, s) + rng.normal(0, 1, hours)
              for a, s in zip(np.linspace(.2, 1, 11), range(11))]
    return np.stack([pressure, temperature, humidity] + others, axis=1).astype("float32")


features = weather(args.hours, np.random.default_rng(args.seed))   # was: pd.read_csv(...)

# ---------------------------------------------------------------- the guide
split_fraction = 0.715
train_split = int(split_fraction * int(features.shape[0]))
step = 6
past = 720
future = 72
learning_rate = 0.001
batch_size = 256
epochs = args.epochs
if args.quick:                                             # added: shorter windows
    past, future = 240, 24


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


features = normalize(features, train_split)
train_data = features[0:train_split - 1]
val_data = features[train_split:]

start_index = past + future
end_index = start_index + train_split
x_train = train_data
y_train = features[start_index:end_index][:, 1]
sequence_length = int(past / step)

dataset_train = keras.utils.timeseries_dataset_from_array(
    x_train, y_train, sequence_length=sequence_length, sampling_rate=step,
    batch_size=batch_size)

x_end = len(val_data) - past - future
label_start = train_split + past + future
x_val = val_data[:x_end]
y_val = features[label_start:][:, 1]
dataset_val = keras.utils.timeseries_dataset_from_array(
    x_val, y_val, sequence_length=sequence_length, sampling_rate=step,
    batch_size=batch_size)

for batch in dataset_train.take(1):
    inputs, targets = batch
print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
history = model.fit(dataset_train, epochs=epochs, validation_data=dataset_val,
                    callbacks=[es_callback], verbose=2)

# added: the naive forecast (temperature now = temperature `future` hours ahead)
naive = []
for x, y in dataset_val:
    naive.append((x.numpy()[:, -1, 1] - y.numpy()) ** 2)
naive_mse = float(np.concatenate(naive).mean())
val_mse = history.history["val_loss"][-1]
print(f"validation mse: {val_mse:.4f}")                              # added
print(f"naive forecast mse: {naive_mse:.4f}")                        # added
print(f"time: {time.perf_counter() - start:.1f}s")                   # added
