"""Seed 001, section 4.3: the PyTorch MLP (784-32-64-10) on MNIST, run on deepgrad.

The listing's code is unchanged except its import lines (``import torch`` ->
``import deepgrad as torch``). What the listing leaves undefined is added and marked
``# added:``: x_train / y_train from MNIST, minibatches of 32 (the listing steps once per
epoch on the whole set), and a test-accuracy print.

    DEEPGRAD_DATA=../shared/data python examples/seed001_torch_mlp.py
    python examples/seed001_torch_mlp.py --epochs 1 --samples 2000     # quick run
    python examples/seed001_torch_mlp.py --epochs 1 --samples 2000 --plot plots  # + PNGs
"""
import argparse                                            # added: quick-run options
import time                                                # added: timing print

import deepgrad as torch                                   # was: import torch
import deepgrad.nn as nn                                   # was: import torch.nn as nn
from deepgrad.datasets import mnist                        # added: the data
from deepgrad.utils.data import DataLoader, TensorDataset  # added: minibatches of 32
from deepgrad import plot                                  # added: --plot

parser = argparse.ArgumentParser()                         # added
parser.add_argument("--epochs", type=int, default=10)      # added
parser.add_argument("--samples", type=int, default=60000)  # added: training samples used
parser.add_argument("--seed", type=int, default=0)         # added
parser.add_argument("--plot", nargs="?", const="plots", metavar="DIR")  # added: PNGs there
args = parser.parse_args()                                 # added
if args.plot:                                              # added: --plot needs matplotlib
    plot.require_matplotlib()
torch.manual_seed(args.seed)                               # added

# added: x_train / y_train (flattened, scaled to [0, 1]) and the test set
(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_train = torch.tensor(x_tr[:args.samples].reshape(-1, 784) / 255.0, dtype=torch.float32)
y_train = torch.tensor(y_tr[:args.samples], dtype=torch.int64)
x_test = torch.tensor(x_te.reshape(-1, 784) / 255.0, dtype=torch.float32)
y_test = torch.tensor(y_te, dtype=torch.int64)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)


# 创建一个简单的神经网络
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(784, 32)
        self.fc2 = nn.Linear(32, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        x = torch.softmax(self.fc3(x), dim=1)
        return x


# 创建一个神经网络实例
model = Net()

# 训练模型
optimizer = torch.optim.Adam(model.parameters())
log = {"loss": [], "test_accuracy": []}                    # added: per epoch, for --plot
for epoch in range(args.epochs):                           # was: range(10)
    start, total = time.perf_counter(), 0.0                # added
    for x_batch, y_batch in loader:                        # added: minibatches of 32
        optimizer.zero_grad()
        output = model(x_batch)                            # was: model(x_train)
        loss = torch.nn.functional.cross_entropy(output, y_batch)  # was: (output, y_train)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y_batch)                # added: the epoch's mean loss
    with torch.no_grad():                                  # added: progress print
        acc = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    print(f"epoch {epoch + 1}/{args.epochs}  loss {loss.item():.4f}  "
          f"test accuracy {acc:.4f}  ({time.perf_counter() - start:.1f} s)")  # added
    log["loss"].append(total / len(y_train))               # added
    log["test_accuracy"].append(acc)                       # added

# added: the test-accuracy print
with torch.no_grad():
    accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
print(f"Test accuracy: {accuracy:.4f}")

if args.plot:                                              # added: --plot DIR, the pictures
    with torch.no_grad():
        predictions = model(x_test).argmax(dim=1)
    plot.history(log, save_to=f"{args.plot}/seed001_torch_history.png")
    plot.confusion_matrix(y_test, predictions, save_to=f"{args.plot}/seed001_torch_confusion.png")
    plot.image_grid(x_test.reshape(-1, 28, 28), y_test, predictions, misclassified_only=True,
                    max_images=32, save_to=f"{args.plot}/seed001_torch_misclassified.png")
