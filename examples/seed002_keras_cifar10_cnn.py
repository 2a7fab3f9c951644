"""Seed 002, section 4: the Keras CNN (two Conv2D/MaxPooling2D blocks, Dense 128, 10) on
CIFAR-10, run on deepgrad.keras.

The listing's code is unchanged except its import lines (``import keras`` -> ``import
deepgrad.keras as keras``, ``from keras.X import Y`` -> ``from deepgrad.keras.X import
Y``). Additions are marked ``# added:`` and changed lines ``# was: ...``: quick-run
options (``--epochs``, ``--samples``, ``--seed``) and a timing print.

``cifar10.load_data()`` reads the official ``cifar-10-python.tar.gz`` from
``$DEEPGRAD_DATA`` or ``~/.deepgrad/datasets``, and downloads it there (163 MB, SHA-256
checked) on first use.

    python examples/seed002_keras_cifar10_cnn.py
    python examples/seed002_keras_cifar10_cnn.py --epochs 1 --samples 2000   # quick run
    python examples/seed002_keras_cifar10_cnn.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import deepgrad.keras as keras  # was: import keras
from deepgrad.keras.datasets import cifar10  # was: from keras.datasets import cifar10
from deepgrad.keras.models import Sequential  # was: from keras.models import Sequential
from deepgrad.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense  # was: from keras.layers import (same)
from deepgrad.keras.optimizers import SGD  # was: from keras.optimizers import SGD
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=50000)  # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
keras.utils.set_random_seed(args.seed)                     # added
start = time.perf_counter()                                # added

# 加载数据集
(x_train, y_train), (x_test, y_test) = cifar10.load_data()
x_train, y_train = x_train[:args.samples], y_train[:args.samples]  # added: --samples

# 数据预处理
x_train = x_train.astype('float32') / 255.0
x_test = x_test.astype('float32') / 255.0
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

# 构建模型
model = Sequential()
model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
model.add(MaxPooling2D((2, 2)))
model.add(Conv2D(64, (3, 3), activation='relu'))
model.add(MaxPooling2D((2, 2)))
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dense(10, activation='softmax'))

# 编译模型
model.compile(optimizer=SGD(lr=0.01), loss='categorical_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, validation_data=(x_test, y_test))  # was: epochs=10

# 评估模型
score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
print(f"Wall time: {time.perf_counter() - start:.1f} s")   # added

if args.plot:                                              # added: --plot DIR, the pictures
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"]
    predictions = model.predict(x_test, verbose=0)
    plot.history(model.history, save_to=f"{args.plot}/seed002_history.png")
    plot.confusion_matrix(y_test, predictions, names, save_to=f"{args.plot}/seed002_confusion.png")
    plot.image_grid(x_test, y_test, predictions, names, misclassified_only=True, max_images=32,
                    save_to=f"{args.plot}/seed002_misclassified.png")
    plot.filters(model.layers[0], save_to=f"{args.plot}/seed002_filters.png")
