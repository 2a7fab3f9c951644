"""Seed 003, sections 4.1-4.5: handwritten digits with a tf.keras MLP (784-64-64-10) and
scikit-learn preprocessing, run on deepgrad.

The listing's code is unchanged except its import lines (``from tensorflow.keras.X import
Y`` -> ``from deepgrad.keras.X import Y``) and one fix of a bug of its own: it passes the
(N, 28, 28) images straight to ``StandardScaler`` (which only takes 2-D arrays and raises
"Found array with dim 3") and then to ``Dense(..., input_shape=(784,))``. The smallest fix,
marked ``# added:``, flattens the images to (N, 784) before scaling. The listing holds out
20% of the training set for validation and evaluates on MNIST's test set. Needs
scikit-learn (``pip install deepgrad[examples]``).

    DEEPGRAD_DATA=../shared/data python examples/seed003_tf_keras_mnist.py
    python examples/seed003_tf_keras_mnist.py --epochs 1 --samples 2000   # quick run
    python examples/seed003_tf_keras_mnist.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

from deepgrad.keras.utils import set_random_seed           # added: --seed
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=None)   # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
set_random_seed(args.seed)                                 # added
start = time.perf_counter()                                # added

from deepgrad.keras.datasets import mnist  # was: from tensorflow.keras.datasets import mnist

# 加载数据
(X_train, y_train), (X_test, y_test) = mnist.load_data()

from sklearn.preprocessing import StandardScaler
from sklearn.model_selection import train_test_split

# added: the fix. StandardScaler takes 2-D (samples, features) arrays and the model's
# first layer takes 784 inputs, but mnist.load_data() gives (N, 28, 28) images: flatten
# each image to its 784 pixels before scaling.
X_train = X_train.reshape(len(X_train), 784)
X_test = X_test.reshape(len(X_test), 784)

# 数据归一化
scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
X_test = scaler.transform(X_test)

# 数据分割
X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=0.2, random_state=42)
X_train, y_train = X_train[:args.samples], y_train[:args.samples]  # added: --samples

from deepgrad.keras.models import Sequential  # was: from tensorflow.keras.models import Sequential
from deepgrad.keras.layers import Dense  # was: from tensorflow.keras.layers import Dense

# 模型构建
model = Sequential([
    Dense(64, activation='relu', input_shape=(784,)),
    Dense(64, activation='relu'),
    Dense(10, activation='softmax')
])

# 模型训练
model.compile(optimizer='adam',
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# 训练模型
history = model.fit(X_train, y_train,
                    epochs=args.epochs,                    # was: epochs=10,
                    batch_size=32,
                    validation_data=(X_val, y_val))

# 模型评估
loss, accuracy = model.evaluate(X_test, y_test)
print('Test loss:', loss)
print('Test accuracy:', accuracy)
print(f"Wall time: {time.perf_counter() - start:.1f} s")   # added

if args.plot:                                              # added: --plot DIR, the pictures
    predictions = model.predict(X_test, verbose=0)
    plot.history(history, save_to=f"{args.plot}/seed003_mnist_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed003_mnist_confusion.png")
    plot.image_grid(scaler.inverse_transform(X_test).reshape(-1, 28, 28) / 255.0, y_test,
                    predictions, misclassified_only=True, max_images=32,
                    save_to=f"{args.plot}/seed003_mnist_misclassified.png")
