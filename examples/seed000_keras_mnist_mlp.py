"""Seed 000, section 4: the Keras MLP (784-128-10) on MNIST, run on deepgrad.keras.

The listing's code is unchanged except its import lines (``from keras.X import Y`` ->
``from deepgrad.keras.X import Y``). Additions are marked ``# added:`` and changed lines
``# was: ...``: quick-run options (``--epochs``, ``--samples``, ``--seed``) and a timing
print. With the listing's settings (10 epochs, batch 128, Adam(lr=0.001)) Keras 3 reaches
about 97.7% test accuracy.

    DEEPGRAD_DATA=../shared/data python examples/seed000_keras_mnist_mlp.py
    python examples/seed000_keras_mnist_mlp.py --epochs 1 --samples 2000   # quick run
    python examples/seed000_keras_mnist_mlp.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

from deepgrad.keras.datasets import mnist  # was: from keras.datasets import mnist
from deepgrad.keras.models import Sequential  # was: from keras.models import Sequential
from deepgrad.keras.layers import Dense  # was: from keras.layers import Dense
from deepgrad.keras.optimizers import Adam  # was: from keras.optimizers import Adam
from deepgrad.keras.utils import set_random_seed           # added: --seed
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

# 加载数据集
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, y_train = x_train[:args.samples], y_train[:args.samples]  # added: --samples

# 预处理数据
x_train = x_train.reshape(x_train.shape[0], 784) / 255.0
x_test = x_test.reshape(x_test.shape[0], 784) / 255.0

# 构建模型
model = Sequential()
model.add(Dense(128, activation='relu', input_shape=(784,)))
model.add(Dense(10, activation='softmax'))

# 编译模型
model.compile(optimizer=Adam(lr=0.001), loss='sparse_categorical_crossentropy', metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, epochs=args.epochs, batch_size=128)  # was: epochs=10

# 评估模型
test_loss, test_acc = model.evaluate(x_test, y_test)
print('Test accuracy:', test_acc)
print(f"Test loss: {test_loss:.4f}")                       # added: the loss, parseable
print(f"Wall time: {time.perf_counter() - start:.1f} s")   # added

if args.plot:                                              # added: --plot DIR, the pictures
    predictions = model.predict(x_test, verbose=0)
    plot.history(model.history, save_to=f"{args.plot}/seed000_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed000_confusion.png")
    plot.image_grid(x_test.reshape(-1, 28, 28), y_test, predictions, misclassified_only=True,
                    max_images=32, save_to=f"{args.plot}/seed000_misclassified.png")
