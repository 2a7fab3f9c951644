"""Seed 004's CNN (section 4.1) written with deepgrad.nn, PyTorch style, on real MNIST.

Conv2d(1, 32, 3) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(5408, 128) -> ReLU ->
Linear(128, 10), Adam, batch 32: the model of seed 004's Keras listing, in NCHW.

    DEEPGRAD_DATA=../shared/data python examples/cnn_mnist_torch.py           # 3 epochs
    python examples/cnn_mnist_torch.py --epochs 1 --samples 3000              # quick run
    python examples/cnn_mnist_torch.py --epochs 1 --samples 3000 --plot plots # + the PNGs

``--plot [DIR]`` (default ``plots``) writes the loss and test-accuracy curves, the
confusion matrix, the misclassified test digits, the 32 first-layer filters and their
feature maps for one test digit (:mod:`deepgrad.plot`, needs matplotlib).
"""
import argparse
import time

import deepgrad as torch
import deepgrad.nn as nn
from deepgrad.datasets import mnist
from deepgrad import plot
from deepgrad.utils.data import DataLoader, TensorDataset
from deepgrad.utils.progress import progress      # a tqdm bar on a terminal, else nothing

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--samples", type=int, default=60000, help="training samples used")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR", help="write PNGs there")
args = parser.parse_args()
if args.plot:
    plot.require_matplotlib()
torch.manual_seed(args.seed)

(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_train = torch.tensor(x_tr[:args.samples, None] / 255.0, dtype=torch.float32)   # (N, 1, 28, 28)
y_train = torch.tensor(y_tr[:args.samples], dtype=torch.int64)
x_test = torch.tensor(x_te[:, None] / 255.0, dtype=torch.float32)
y_test = torch.tensor(y_te, dtype=torch.int64)

model = nn.Sequential(
    nn.Conv2d(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(32 * 13 * 13, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)


def test_accuracy():
    model.eval()
    with torch.no_grad():
        correct = sum((model(x_test[i:i + 1000]).argmax(dim=1) == y_test[i:i + 1000]).sum().item()
                      for i in range(0, len(y_test), 1000))
    model.train()
    return correct / len(y_test)


log = {"loss": [], "test_accuracy": []}       # per epoch, for --plot
for epoch in range(args.epochs):
    start, seen, total = time.perf_counter(), 0, 0.0
    for xb, yb in progress(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        seen += len(yb)
        total += loss.item() * len(yb)
    elapsed = time.perf_counter() - start
    log["loss"].append(total / seen)
    log["test_accuracy"].append(test_accuracy())
    print(f"epoch {epoch + 1}/{args.epochs}  loss {loss.item():.4f}  test accuracy "
          f"{log['test_accuracy'][-1]:.4f}  ({seen / elapsed:.0f} samples/s)")
print(f"Test accuracy: {test_accuracy():.4f}")


if args.plot:
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(x_test[i:i + 1000]).argmax(dim=1)
                                 for i in range(0, len(y_test), 1000)])
    plot.history(log, save_to=f"{args.plot}/cnn_torch_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/cnn_torch_confusion.png")
    plot.image_grid(x_test, y_test, predictions, misclassified_only=True, max_images=32,
                    save_to=f"{args.plot}/cnn_torch_misclassified.png")
    plot.filters(model[0], save_to=f"{args.plot}/cnn_torch_filters.png")
    plot.activations(model, model[0], x_test[0], save_to=f"{args.plot}/cnn_torch_activations.png")
