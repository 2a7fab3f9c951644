"""Seed 001, section 4.2: the tf.keras MLP (784-32-64-10) on MNIST, run on deepgrad.

The listing's code is unchanged except its import line (``import tensorflow as tf`` ->
``import deepgrad as tf``; ``tf.keras`` is :mod:`deepgrad.keras`). What the listing leaves
undefined is added and marked ``# added:``: x_train / y_train from MNIST (flattened,
scaled to [0, 1]) and a test evaluation print. The listing compiles with
``categorical_crossentropy``, which expects one-hot targets, so the labels are one-hot
encoded with ``tf.keras.utils.to_categorical``.

    DEEPGRAD_DATA=../shared/data python examples/seed001_tf_keras_mlp.py
    python examples/seed001_tf_keras_mlp.py --epochs 1 --samples 2000   # quick run
    python examples/seed001_tf_keras_mlp.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import deepgrad as tf  # was: import tensorflow as tf
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=60000)  # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
tf.keras.utils.set_random_seed(args.seed)                  # added
start = time.perf_counter()                                # added

# added: x_train / y_train, which the listing leaves undefined. The listing compiles with
# loss='categorical_crossentropy', which takes one-hot targets (10 columns, matching the
# softmax output), so the integer labels 0..9 are one-hot encoded with to_categorical.
(x_tr, y_tr), (x_te, y_te) = tf.keras.datasets.mnist.load_data()
x_train = x_tr[:args.samples].reshape(-1, 784) / 255.0
y_train = tf.keras.utils.to_categorical(y_tr[:args.samples], 10)
x_test = x_te.reshape(-1, 784) / 255.0
y_test = tf.keras.utils.to_categorical(y_te, 10)

# 创建一个简单的神经网络
model = tf.keras.models.Sequential()

# 添加输入层
model.add(tf.keras.layers.Dense(32, input_dim=784, activation='relu'))

# 添加隐藏层
model.add(tf.keras.layers.Dense(64, activation='relu'))

# 添加输出层
model.add(tf.keras.layers.Dense(10, activation='softmax'))

# 编译模型
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, epochs=args.epochs, batch_size=32)  # was: epochs=10

# added: the test evaluation print
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {test_loss:.4f}")
print(f"Test accuracy: {test_acc:.4f}")
print(f"Wall time: {time.perf_counter() - start:.1f} s")

if args.plot:                                              # added: --plot DIR, the pictures
    predictions = model.predict(x_test, verbose=0)
    plot.history(model.history, save_to=f"{args.plot}/seed001_tf_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed001_tf_confusion.png")
    plot.image_grid(x_test.reshape(-1, 28, 28), y_test, predictions, misclassified_only=True,
                    max_images=32, save_to=f"{args.plot}/seed001_tf_misclassified.png")
