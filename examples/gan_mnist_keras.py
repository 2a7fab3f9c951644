"""A DCGAN on MNIST with deepgrad.keras, written as Keras 3's guides write a GAN: a
``keras.Model`` subclass whose ``train_step(self, data)`` runs two optimizers.

``compile(d_optimizer, g_optimizer, loss_fn)`` keeps the two optimizers, and ``metrics``
lists the two loss trackers (``fit`` resets them each epoch and shows them in its logs),
as in Keras 3's "customizing what happens in fit()" GAN. The generator maps z ~ N(0, I) to
a 28x28 image in [-1, 1] (a dense map to 7x7 feature maps, a 3x3 convolution there, then
two stride-2 transposed convolutions 7 -> 14 -> 28); the discriminator (two stride-2
convolutions 28 -> 14 -> 7, then a hidden layer) gives one logit. One step, with
``loss_fn`` the binary cross-entropy on logits l:

    discriminator:  minimise  l(1, D(x_real)) + l(0, D(G(z)))
    generator:      minimise  l(1, D(G(z)))          (the non-saturating loss)

Both losses come from one forward pass recorded by a persistent ``tf.GradientTape``;
each optimizer then applies the gradients of its own loss to its own network's
weights (the simultaneous update of TensorFlow's DCGAN tutorial). The generator's
optimizer keeps an exponential moving average of its weights (``use_ema=True``), copied
into the generator after training (``finalize_variable_values``) to sample from.

The samples are scored by a CNN classifier trained here with ``fit`` on MNIST (one epoch,
a warm-up then cosine learning rate): over n = 1,000 samples, with p(y|x) its softmax
output and p(y) = mean_x p(y|x),

    IS = exp( mean_x  sum_y p(y|x) (log p(y|x) - log p(y)) )     (10 at most)
    F  = fraction of samples with max_y p(y|x) >= 0.9              (clear digits)
    M  = min_y fraction of samples classified as y                 (no mode collapse)

It writes a PNG grid of 64 samples, saves the 1,000 samples as uint8 (1000, 28, 28) in
``gan_samples.npy`` and prints ``{"inception_score": IS, "confident": F, "class_min": M}``
as its last line.

    DEEPGRAD_DATA=../shared/data python examples/gan_mnist_keras.py          # full run
    python examples/gan_mnist_keras.py --quick                               # CI: a few steps
"""
import argparse
import json
import time

import numpy as np

import deepgrad as tf                 # was: import tensorflow as tf
from deepgrad import keras            # was: import keras
from deepgrad.keras import layers, ops
from deepgrad.vision.utils import save_image

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=4, help="GAN training epochs")
parser.add_argument("--steps-per-epoch", type=int, default=None)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--latent-dim", type=int, default=64)
parser.add_argument("--filters", type=int, default=32, help="feature maps of G and D")
parser.add_argument("--hidden", type=int, default=128, help="hidden units of D's last layer")
parser.add_argument("--lr", type=float, default=2e-4)
parser.add_argument("--ema", type=float, default=0.998, help="EMA momentum of G's weights")
parser.add_argument("--classifier-epochs", type=int, default=1)
parser.add_argument("--classifier-lr", type=float, default=3e-3, help="peak after warm-up")
parser.add_argument("--samples", type=int, default=60000, help="MNIST training images used")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--grid-out", default="gan_mnist_keras.png")
parser.add_argument("--samples-out", default="gan_samples.npy")
parser.add_argument("--quick", action="store_true", help="a few steps: checks the pipeline")
args = parser.parse_args()
if args.quick:
    args.epochs, args.steps_per_epoch, args.samples, args.classifier_epochs = 1, 20, 2000, 1
keras.utils.set_random_seed(args.seed)
start = time.perf_counter()

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, y_train = x_train[:args.samples], y_train[:args.samples]
real_images = (x_train[..., None] / 127.5 - 1.0).astype("float32")     # [-1, 1], NHWC

latent_dim, f = args.latent_dim, args.filters
init = keras.initializers.RandomNormal(stddev=0.02)          # DCGAN's initialisation
generator = keras.Sequential([
    keras.Input(shape=(latent_dim,)),
    layers.Dense(7 * 7 * 2 * f, use_bias=False, kernel_initializer=init),
    layers.Reshape((7, 7, 2 * f)),
    layers.BatchNormalization(), layers.ReLU(),
    layers.Conv2D(2 * f, 3, padding="same", use_bias=False, kernel_initializer=init),  # 7 -> 7
    layers.BatchNormalization(), layers.ReLU(),
    layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False,
                           kernel_initializer=init),                          # 7 -> 14
    layers.BatchNormalization(), layers.ReLU(),
    layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh",
                           kernel_initializer=init),                          # 14 -> 28
], name="generator")
discriminator = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(f, 4, strides=2, padding="same", kernel_initializer=init),  # 28 -> 14
    layers.LeakyReLU(negative_slope=0.2),
    layers.Conv2D(2 * f, 4, strides=2, padding="same", use_bias=False,
                  kernel_initializer=init),                                   # 14 -> 7
    layers.BatchNormalization(), layers.LeakyReLU(negative_slope=0.2),
    layers.Flatten(), layers.Dense(args.hidden, kernel_initializer=init),
    layers.LeakyReLU(negative_slope=0.2), layers.Dense(1, kernel_initializer=init),
], name="discriminator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        ones, zeros = ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))
        with tf.GradientTape(persistent=True) as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(generated_images, training=True)
            d_loss = self.loss_fn(ones, real_logits) + self.loss_fn(zeros, fake_logits)
            g_loss = self.loss_fn(ones, fake_logits)
        d_grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        g_grads = tape.gradient(g_loss, self.generator.trainable_weights)
        del tape
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_weights))
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=args.lr, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(learning_rate=args.lr, beta_1=0.5, use_ema=True,
                                      ema_momentum=args.ema),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
gan.fit(real_images, epochs=args.epochs, batch_size=args.batch_size,
        steps_per_epoch=args.steps_per_epoch, verbose=2)
gan.g_optimizer.finalize_variable_values(generator.trainable_weights)   # the EMA weights
gan_time = time.perf_counter() - start

z = keras.random.normal((1000, latent_dim), seed=args.seed + 1)
samples = generator.predict(z, batch_size=250, verbose=0)[..., 0]          # (1000, 28, 28)
save_image(tf.from_numpy(samples[:64, None].copy()), args.grid_out, nrow=8, normalize=True,
           value_range=(-1, 1))
samples_u8 = np.clip(np.round((samples + 1.0) * 127.5), 0, 255).astype(np.uint8)
np.save(args.samples_out, samples_u8)
print(f"GAN training: {gan_time:.0f} s; grid -> {args.grid_out}, 1000 samples -> "
      f"{args.samples_out}")

# ---------------------------------------------------------------- the scoring classifier
classifier = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
    layers.Conv2D(32, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
    layers.Flatten(), layers.Dense(10, activation="softmax"),
])
steps = args.classifier_epochs * -(-len(x_train) // 64)     # warm-up 30%, then cosine to 0
schedule = keras.optimizers.schedules.CosineDecay(
    args.classifier_lr / 25, decay_steps=steps - int(0.3 * steps), alpha=0.0,
    warmup_target=args.classifier_lr, warmup_steps=int(0.3 * steps))
classifier.compile(optimizer=keras.optimizers.Adam(schedule),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
classifier.fit(x_train[..., None] / 255.0, y_train, epochs=args.classifier_epochs,
               batch_size=64, verbose=2)


def probabilities(images_u8):
    """p(y|x) of uint8 images (n, 28, 28) under the classifier."""
    return classifier.predict(images_u8[..., None] / 255.0, batch_size=500,
                              verbose=0).astype("float64")


def scores(p):
    """(IS, F, M) of the rows p(y|x); see the module docstring."""
    p_y = p.mean(axis=0)
    kl = (p * (np.log(p + 1e-12) - np.log(p_y + 1e-12))).sum(axis=1)
    counts = np.bincount(p.argmax(axis=1), minlength=10) / len(p)
    return float(np.exp(kl.mean())), float((p.max(axis=1) >= 0.9).mean()), float(counts.min())


n_test = 2000 if args.quick else len(y_test)                 # quick: a part of the test set
test_acc = float((probabilities(x_test[:n_test]).argmax(axis=1) == y_test[:n_test]).mean())
real_is, real_f, _ = scores(probabilities(x_test[:1000]))
print(f"Classifier test accuracy: {test_acc:.4f}  (1,000 real test digits: IS {real_is:.2f}, "
      f"F {real_f:.3f})")
print(f"Wall time: {time.perf_counter() - start:.0f} s")
inception, confident, class_min = scores(probabilities(samples_u8))
print(json.dumps({"inception_score": round(inception, 4), "confident": round(confident, 4),
                  "class_min": round(class_min, 4)}))
