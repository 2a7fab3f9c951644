"""Seed 003, sections 3.1-3.4: a tf.keras MLP (784-64-64-10) with scikit-learn
preprocessing, run on deepgrad.

The listing's code is unchanged except its import line (``import tensorflow as tf`` ->
``import deepgrad as tf``). The listing reads ``dataset.data`` / ``dataset.target`` from a
``dataset`` it never defines; it is defined here (``# added:``) as MNIST flattened, in the
shape of scikit-learn's ``fetch_openml('mnist_784')``: all 70,000 images as ``.data``
(70000, 784) and their digits as ``.target`` (70000,). The listing then standardises
with ``StandardScaler``, holds out 20% with ``train_test_split``, trains with a 10%
validation split and evaluates on the held-out 20%. Needs scikit-learn
(``pip install deepgrad[examples]``).

    DEEPGRAD_DATA=../shared/data python examples/seed003_tf_keras_mlp.py
    python examples/seed003_tf_keras_mlp.py --epochs 1 --samples 2000   # quick run
    python examples/seed003_tf_keras_mlp.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import numpy as np                                         # added: to build `dataset`
from sklearn.utils import Bunch                            # added: to build `dataset`

import deepgrad as tf  # was: import tensorflow as tf
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=None)   # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
tf.keras.utils.set_random_seed(args.seed)                  # added
start = time.perf_counter()                                # added

# 定义神经网络的结构
model = tf.keras.Sequential([
    tf.keras.layers.Dense(64, activation='relu', input_shape=(784,)),
    tf.keras.layers.Dense(64, activation='relu'),
    tf.keras.layers.Dense(10, activation='softmax')
])

from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

# added: `dataset`, which the listing leaves undefined: MNIST flattened, laid out as
# sklearn's fetch_openml('mnist_784') returns it (.data (70000, 784), .target (70000,)),
# with integer targets as sparse_categorical_crossentropy expects (fetch_openml's are
# strings), read from the local mnist.npz instead of downloaded from OpenML.
(x_tr, y_tr), (x_te, y_te) = tf.keras.datasets.mnist.load_data()
dataset = Bunch(data=np.concatenate([x_tr, x_te]).reshape(-1, 784).astype(np.float64),
                target=np.concatenate([y_tr, y_te]).astype(np.int64))

# 数据预处理
X = dataset.data
y = dataset.target

# 数据归一化
scaler = StandardScaler()
X = scaler.fit_transform(X)

# 数据分割
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
X_train, y_train = X_train[:args.samples], y_train[:args.samples]  # added: --samples

# 模型训练
model.compile(optimizer='adam',
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# 训练模型
history = model.fit(X_train, y_train,
                    epochs=args.epochs,                    # was: epochs=10,
                    batch_size=32,
                    validation_split=0.1)

# 模型评估
loss, accuracy = model.evaluate(X_test, y_test)
print('Test loss:', loss)
print('Test accuracy:', accuracy)
print(f"Wall time: {time.perf_counter() - start:.1f} s")   # added

if args.plot:                                              # added: --plot DIR, the pictures
    predictions = model.predict(X_test, verbose=0)
    plot.history(history, save_to=f"{args.plot}/seed003_mlp_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed003_mlp_confusion.png")
    plot.image_grid(scaler.inverse_transform(X_test).reshape(-1, 28, 28) / 255.0, y_test,
                    predictions, misclassified_only=True, max_images=32,
                    save_to=f"{args.plot}/seed003_mlp_misclassified.png")
