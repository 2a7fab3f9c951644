"""MNIST with data augmentation in a tf.data pipeline, written as Keras 3's guides write
it (keras.io/examples/vision/mnist_convnet for the model, and
keras.io/examples/vision/image_classification_from_scratch for the augmentation applied
in ``dataset.map``), run on deepgrad.keras.

The augmentation layers (RandomRotation, RandomZoom, RandomTranslation; no flips for
digits) are applied to each training batch inside the ``tf.data`` pipeline, so every epoch
sees new variants; ``Rescaling`` sits in the model. ``fit`` reads the
``tf.data.Dataset``; ``evaluate`` reports the accuracy on the clean test digits and on
test digits moved by the same augmentation (the robustness that augmentation buys).

    DEEPGRAD_DATA=../shared/data python examples/keras_augmentation_mnist.py
    python examples/keras_augmentation_mnist.py --quick      # the CI run
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np

import deepgrad as tf                # was: import tensorflow as tf
from deepgrad import keras           # was: import keras
from deepgrad.keras import layers    # was: from keras import layers

parser = argparse.ArgumentParser()                                   # added
parser.add_argument("--epochs", type=int, default=5)                 # added
parser.add_argument("--samples", type=int, default=60000)            # added: digits used
parser.add_argument("--quick", action="store_true")                  # added: CI run
parser.add_argument("--seed", type=int, default=1337)                # added
args = parser.parse_args()                                           # added
if args.quick:                                                       # added
    args.epochs, args.samples = 2, 2000
keras.utils.set_random_seed(args.seed)                               # added
start = time.perf_counter()                                          # added

num_classes = 10
input_shape = (28, 28, 1)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train = x_train[:args.samples], y_train[:args.samples]    # added
x_test, y_test = x_test[:max(args.samples // 3, 1000)], y_test[:max(args.samples // 3,
                                                                    1000)]   # added
x_train = np.expand_dims(x_train.astype("float32"), -1)    # pixels stay 0-255: the model
x_test = np.expand_dims(x_test.astype("float32"), -1)      # rescales them
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

data_augmentation_layers = [
    layers.RandomRotation(0.05, fill_mode="constant"),
    layers.RandomZoom(0.1, fill_mode="constant"),
    layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


batch_size = 128
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_ds = train_ds.shuffle(buffer_size=1024, seed=args.seed).batch(batch_size)
train_ds = train_ds.map(lambda img, label: (data_augmentation(img), label),
                        num_parallel_calls=tf.data.AUTOTUNE)
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)
moved_test_ds = test_ds.map(lambda img, label: (data_augmentation(img), label))

model = keras.Sequential([
    keras.Input(shape=input_shape),
    layers.Rescaling(1.0 / 255),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()

model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
              metrics=["accuracy"])
model.fit(train_ds, epochs=args.epochs, validation_data=test_ds, verbose=2)

score = model.evaluate(test_ds, verbose=0)
moved = model.evaluate(moved_test_ds, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
print(f"test accuracy: {score[1]:.4f}")                              # added
print(f"augmented test accuracy: {moved[1]:.4f}")                    # added
print(f"time: {time.perf_counter() - start:.1f}s")                   # added
