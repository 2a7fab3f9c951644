"""An MNIST classifier with its own training step, written as Keras 3's guides write it
(keras.io/guides/custom_train_step_in_torch and ..._in_tensorflow), run on
deepgrad.keras.

Two models share one functional graph and differ only in how ``train_step(self, data)``
gets its gradients:

* ``TorchStyleModel`` (the torch-backend guide): ``self.zero_grad()``,
  ``loss.backward()``, ``[v.value.grad for v in self.trainable_weights]``, then
  ``self.optimizer.apply(gradients, trainable_weights)`` under ``torch.no_grad()``;
* ``TapeStyleModel`` (the TensorFlow-backend guide): a ``tf.GradientTape``, then
  ``tape.gradient(loss, trainable_vars)``.

Both compute the loss with ``self.compute_loss`` (the compiled loss), update every
metric in ``self.metrics`` (the loss tracker and the compiled metrics) and return their
results as the logs; ``test_step`` is overridden the same way for ``evaluate``. Only the
imports differ from the guides: ``import deepgrad as torch`` / ``import deepgrad as tf``.

    DEEPGRAD_DATA=../shared/data python examples/keras_custom_train_step.py
    python examples/keras_custom_train_step.py --epochs 1 --samples 2000   # quick run
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import deepgrad as tf                # was: import tensorflow as tf
import deepgrad as torch             # was: import torch
from deepgrad import keras           # was: import keras
from deepgrad.keras import layers    # was: from keras import layers

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=5)       # added
parser.add_argument("--samples", type=int, default=60000)  # added: training samples used
parser.add_argument("--style", choices=["torch", "tape", "both"], default="both")  # added
parser.add_argument("--seed", type=int, default=0)         # added
args = parser.parse_args()                                 # added
start = time.perf_counter()                                # added


class TorchStyleModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        # Call zero_grad() to clear the leftover gradients of the previous step.
        self.zero_grad()

        # Compute loss
        y_pred = self(x, training=True)  # Forward pass
        loss = self.compute_loss(y=y, y_pred=y_pred)

        # Call backward() on the loss to compute gradients for the weights.
        loss.backward()

        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]

        # Update weights
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)

        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)

        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class TapeStyleModel(TorchStyleModel):
    def train_step(self, data):
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value
            # (the loss function is configured in `compile()`)
            loss = self.compute_loss(y=y, y_pred=y_pred)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply(gradients, trainable_vars)

        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)

        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}


def make_model(cls):
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(128, activation="relu")(inputs)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return cls(inputs, outputs)


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:args.samples].reshape(-1, 784).astype("float32") / 255
y_train = y_train[:args.samples]
x_test = x_test.reshape(-1, 784).astype("float32") / 255

styles = {"torch": TorchStyleModel, "tape": TapeStyleModel}
for style in (["torch", "tape"] if args.style == "both" else [args.style]):
    keras.utils.set_random_seed(args.seed)                 # added: the same start for both
    model = make_model(styles[style])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{style} style: Test loss: {loss:.4f}")
    print(f"{style} style: Test accuracy: {accuracy:.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")
