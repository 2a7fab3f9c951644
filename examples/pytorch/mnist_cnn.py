"""PyTorch's MNIST example (pytorch/examples, ``mnist/main.py``) on deepgrad.

The tutorial's program with its imports changed: two 3x3 convolutions, max pooling,
``Dropout(0.25)``/``Dropout(0.5)``, ``log_softmax`` + ``nll_loss``, **Adadelta** (lr 1.0) with
``StepLR(step_size=1, gamma=0.7)``, ``torch.accelerator``/``torch.device`` selection, and
``torch.save(model.state_dict(), "mnist_cnn.pt")`` — a checkpoint PyTorch itself can load.
torchvision's ``datasets.MNIST`` + ``ToTensor`` + ``Normalize`` is replaced by the same
tensors from :mod:`deepgrad.datasets` (``_mnist.py``).

    DEEPGRAD_DATA=../shared/data python examples/pytorch/mnist_cnn.py            # 14 epochs
    python examples/pytorch/mnist_cnn.py --epochs 1 --samples 2000 --save-model  # quick run
"""
import argparse
import os
import sys

import deepgrad as torch
import deepgrad.nn as nn
import deepgrad.nn.functional as F
import deepgrad.optim as optim
from deepgrad.optim.lr_scheduler import StepLR

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _mnist import mnist_datasets  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(args, model, device, loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)} "
                  f"({100.0 * batch_idx / len(loader):.0f}%)]\tLoss: {loss.item():.6f}")
            if args.dry_run:
                break


def test(model, device, loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(loader.dataset)} "
          f"({100.0 * correct / len(loader.dataset):.0f}%)\n")
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example, on deepgrad")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--no-accel", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--samples", type=int, default=None, help="training samples (quick runs)")
    parser.add_argument("--test-samples", type=int, default=None)
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")

    train_kwargs = {"batch_size": args.batch_size}
    test_kwargs = {"batch_size": args.test_batch_size}
    if use_accel:   # never true on deepgrad (CPU only); kept as the tutorial writes it
        accel_kwargs = {"num_workers": 1, "persistent_workers": True, "pin_memory": True,
                        "shuffle": True}
        train_kwargs.update(accel_kwargs)
        test_kwargs.update(accel_kwargs)

    dataset1, dataset2 = mnist_datasets(args.samples, args.test_samples)
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        scheduler.step()
    print(f"Test accuracy: {accuracy:.4f}")

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
        print("saved mnist_cnn.pt")


if __name__ == "__main__":
    main()
