"""Text classification from scratch, written as Keras 3's guide writes it
(keras.io/examples/nlp/text_classification_from_scratch), with a bidirectional LSTM, run
on deepgrad.keras.

The guide downloads the IMDB reviews; nothing is downloaded here: a small corpus of movie
reviews is written to a temporary folder in the guide's layout (``train/pos``,
``train/neg``, ``test/pos``, ``test/neg``, one ``.txt`` file per review). Each review is
30 to 60 words of neutral filler with a few sentiment words; about one review in six
carries a "not" that flips the first sentiment word after it, so word counts alone do not
decide the label and the LSTM has to read the order. Then, as in the guide:
``text_dataset_from_directory`` with a validation split, a ``TextVectorization`` layer
adapted on the training text (with a custom standardization that strips ``<br />``),
``dataset.map(vectorize_text)``, an Embedding + Bidirectional(LSTM) + Dense model, ``fit``,
``evaluate``, and an end-to-end prediction on raw strings.

    python examples/keras_text_classification.py               # 4000 reviews, 4 epochs
    python examples/keras_text_classification.py --quick       # the CI run (seconds)
"""
import argparse                                            # added: quick-run options
import os                                                  # added: corpus writer
import re
import string
import tempfile                                            # added: corpus folder
import time                                                # added: timing print

import numpy as np

import deepgrad as tf                # was: import tensorflow as tf
from deepgrad import keras           # was: import keras
from deepgrad.keras import layers    # was: from keras import layers

parser = argparse.ArgumentParser()                                   # added
parser.add_argument("--reviews", type=int, default=4000)             # added: corpus size
parser.add_argument("--epochs", type=int, default=4)                 # added
parser.add_argument("--quick", action="store_true")                  # added: CI run
parser.add_argument("--seed", type=int, default=1337)                # added
args = parser.parse_args()                                           # added
if args.quick:                                                       # added
    args.reviews, args.epochs = 1500, 4
keras.utils.set_random_seed(args.seed)                               # added
start = time.perf_counter()                                          # added

# ---------------------------------------------------------------- added: the corpus
POSITIVE = ["great", "wonderful", "superb", "moving", "brilliant", "delightful", "fun"]
NEGATIVE = ["awful", "boring", "dull", "terrible", "clumsy", "tedious", "bad"]
FILLER = ("the film movie story actor actress plot scene camera music director script "
          "character screen ending dialogue cast set crew theater season studio sequel "
          "and with of to in on for as it this that was is by at an").split()


def write_corpus(root, n, rng):
    """n reviews split evenly in train/test and pos/neg, as the aclImdb folders."""
    for i in range(n):
        label = i % 2
        words = list(rng.choice(FILLER, rng.integers(30, 61)))
        negated = rng.random() < 1 / 6
        own, other = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        picks = [rng.choice(own) for _ in range(rng.integers(2, 4))]
        if negated:                      # "not <other>" reads as this review's label
            picks.append("not " + rng.choice(other))
        for p in picks:
            words.insert(rng.integers(0, len(words) + 1), p)
        split = "train" if i < n * 0.8 else "test"
        folder = os.path.join(root, split, "pos" if label else "neg")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{i}.txt"), "w") as f:
            f.write(" ".join(words).capitalize() + ".<br /><br />The end.")


corpus = tempfile.mkdtemp(prefix="reviews_")                         # added
write_corpus(corpus, args.reviews, np.random.default_rng(args.seed))  # added

# ---------------------------------------------------------------- the guide
batch_size = 32
raw_train_ds = keras.utils.text_dataset_from_directory(
    os.path.join(corpus, "train"), batch_size=batch_size, validation_split=0.2,
    subset="training", seed=1337)
raw_val_ds = keras.utils.text_dataset_from_directory(
    os.path.join(corpus, "train"), batch_size=batch_size, validation_split=0.2,
    subset="validation", seed=1337)
raw_test_ds = keras.utils.text_dataset_from_directory(
    os.path.join(corpus, "test"), batch_size=batch_size)

for text_batch, label_batch in raw_train_ds.take(1):
    for i in range(2):
        print(str(text_batch.numpy()[i])[:80], "...", label_batch.numpy()[i])


def custom_standardization(input_data):
    """Lowercase, drop the HTML line breaks, strip punctuation (on one string: deepgrad's
    TextVectorization runs Python callables per string, where the guide uses tf.strings)."""
    lowercase = input_data.lower()                      # was: tf.strings.lower
    stripped_html = lowercase.replace("<br />", " ")    # was: tf.strings.regex_replace
    return re.sub(f"[{re.escape(string.punctuation)}]", "", stripped_html)


max_features = 2000           # the guide: 20000 (our corpus has a small vocabulary)
embedding_dim = 32            # the guide: 128
sequence_length = 80          # the guide: 500

vectorize_layer = keras.layers.TextVectorization(
    standardize=custom_standardization, max_tokens=max_features, output_mode="int",
    output_sequence_length=sequence_length)

text_ds = raw_train_ds.map(lambda x, y: x)
vectorize_layer.adapt(text_ds)
print("vocabulary size:", vectorize_layer.vocabulary_size())


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=10)
val_ds = raw_val_ds.map(vectorize_text).cache().prefetch(buffer_size=10)
test_ds = raw_test_ds.map(vectorize_text).cache().prefetch(buffer_size=10)

inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.Bidirectional(layers.LSTM(32))(x)
x = layers.Dropout(0.5)(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, verbose=2)
loss, accuracy = model.evaluate(test_ds, verbose=0)

# End to end on raw strings (the guide wraps the layer in a string-input model; deepgrad's
# functional graphs carry tensors, so the strings are vectorized first)
samples = ["A wonderful and moving film , great cast .", "Dull , tedious and awful plot ."]
scores = model.predict(vectorize_layer(samples), verbose=0)[:, 0]
for s, p in zip(samples, scores):
    print(f"{p:.3f}  {s}")

print(f"test loss: {loss:.4f}")                                      # added
print(f"test accuracy: {accuracy:.4f}")                              # added
print(f"positive minus negative score: {scores[0] - scores[1]:.4f}")  # added
print(f"time: {time.perf_counter() - start:.1f}s")                   # added
