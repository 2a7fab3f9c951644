"""A variational autoencoder on MNIST, written as Keras 3's guide writes it
(keras.io/examples/generative/vae), run on deepgrad.keras.

Only the imports differ from the guide's TensorFlow-backend listing: ``import deepgrad as
tf`` gives ``tf.GradientTape``, and ``keras``, ``layers``, ``ops`` come from
``deepgrad.keras``. The model is the guide's: a Sampling layer with its own
SeedGenerator, a convolutional encoder to a 2-d latent space, a transposed-convolution
decoder, and a ``VAE`` model whose ``train_step(self, data)`` computes the reconstruction
and KL losses under a GradientTape, applies the gradients, and reports three loss
trackers listed in its ``metrics`` property (``fit`` resets them each epoch).

    DEEPGRAD_DATA=../shared/data python examples/keras_vae.py
    python examples/keras_vae.py --epochs 3 --samples 2000      # quick run
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np

import deepgrad as tf                # was: import tensorflow as tf
from deepgrad import keras           # was: import keras
from deepgrad.keras import layers, ops    # was: from keras import layers, ops

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=30)      # added
parser.add_argument("--samples", type=int, default=70000)  # added: digits used
parser.add_argument("--seed", type=int, default=0)         # added
args = parser.parse_args()                                 # added
keras.utils.set_random_seed(args.seed)                     # added
start = time.perf_counter()                                # added


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


latent_dim = 2

encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
encoder.summary()

latent_inputs = keras.Input(shape=(latent_dim,))
x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
x = layers.Reshape((7, 7, 64))(x)
x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
decoder.summary()


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [
            self.total_loss_tracker,
            self.reconstruction_loss_tracker,
            self.kl_loss_tracker,
        ]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(
                    keras.losses.binary_crossentropy(data, reconstruction),
                    axis=(1, 2),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


(x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
mnist_digits = np.concatenate([x_train, x_test], axis=0)
mnist_digits = mnist_digits[:args.samples]                 # added: --samples
mnist_digits = np.expand_dims(mnist_digits, -1).astype("float32") / 255

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam())
history = vae.fit(mnist_digits, epochs=args.epochs, batch_size=128)   # was: epochs=30

# added: the losses the run reached, and the decoder's output for the latent origin
losses = history.history["loss"]
print(f"First epoch loss: {losses[0]:.4f}")
print(f"Last epoch loss: {losses[-1]:.4f}")
origin = vae.decoder.predict(np.zeros((1, latent_dim)), verbose=0)
print(f"Decoded origin mean intensity: {origin.mean():.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")
