"""Seed 004, section 4.1: the Keras CNN (Conv2D 32 3x3, MaxPooling 2x2, Dense 128, 10) on
MNIST, run on deepgrad.keras.

The listing's code is unchanged except its import lines (``from keras.X import Y`` ->
``from deepgrad.keras.X import Y``). What the listing leaves undefined is added and marked
``# added:``: x_train / x_test, MNIST as (N, 28, 28, 1) images (channels-last, as its
``input_shape=(28, 28, 1)`` says) scaled to [0, 1], and y_train / y_test one-hot encoded,
because the listing compiles with ``categorical_crossentropy`` (one-hot targets); then a
test evaluation print. With the listing's settings (10 epochs, batch 32) Keras 3 reaches
about 98.3% test accuracy.

    DEEPGRAD_DATA=../shared/data python examples/seed004_keras_cnn.py
    python examples/seed004_keras_cnn.py --epochs 1 --samples 2000     # quick run
    python examples/seed004_keras_cnn.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

from deepgrad.keras.models import Sequential  # was: from keras.models import Sequential
from deepgrad.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense  # was: from keras.layers import (same)
from deepgrad.keras.datasets import mnist                  # added: the data
from deepgrad.keras.utils import set_random_seed, to_categorical  # added: --seed, one-hot
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=60000)  # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
set_random_seed(args.seed)                                 # added
start = time.perf_counter()                                # added

# added: x_train / y_train / x_test / y_test, which the listing leaves undefined: images
# as (N, 28, 28, 1) in [0, 1]; labels one-hot, since loss='categorical_crossentropy'
# takes one-hot targets (10 columns, matching the softmax output).
(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_train = x_tr[:args.samples].reshape(-1, 28, 28, 1).astype("float32") / 255.0
y_train = to_categorical(y_tr[:args.samples], 10)
x_test = x_te.reshape(-1, 28, 28, 1).astype("float32") / 255.0
y_test = to_categorical(y_te, 10)

# 创建卷积神经网络模型
model = Sequential()

# 添加卷积层
model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))

# 添加池化层
model.add(MaxPooling2D((2, 2)))

# 添加全连接层
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dense(10, activation='softmax'))

# 编译模型
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, validation_data=(x_test, y_test))  # was: epochs=10

# added: the test evaluation print
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {test_loss:.4f}")
print(f"Test accuracy: {test_acc:.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")

if args.plot:                                              # added: --plot DIR, the pictures
    predictions = model.predict(x_test, verbose=0)
    plot.history(model.history, save_to=f"{args.plot}/seed004_cnn_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed004_cnn_confusion.png")
    plot.image_grid(x_test, y_test, predictions, misclassified_only=True, max_images=32,
                    save_to=f"{args.plot}/seed004_cnn_misclassified.png")
    plot.filters(model.layers[0], save_to=f"{args.plot}/seed004_cnn_filters.png")
    plot.activations(model, model.layers[0], x_test[0],
                     save_to=f"{args.plot}/seed004_cnn_activations.png")
