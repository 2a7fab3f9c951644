"""PyTorch's MNIST RNN example (pytorch/examples, ``mnist_rnn/main.py``) on deepgrad.

Each 28x28 image is read as a sequence of 28 rows by ``nn.LSTM(28, 64, batch_first=True)``;
the last output goes through ``BatchNorm1d``, ``Dropout2d`` (on a 2-D input, as the
tutorial writes it: PyTorch warns and applies 1-D channel dropout, and so does deepgrad),
two linear layers and ``log_softmax``; Adadelta (lr 0.1) with ``StepLR(gamma=0.7)``. The
tutorial's program with its imports changed; torchvision's MNIST comes from ``_mnist.py``.

    DEEPGRAD_DATA=../shared/data python examples/pytorch/mnist_rnn.py            # 14 epochs
    python examples/pytorch/mnist_rnn.py --epochs 1 --samples 3000               # quick run
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
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(64)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        input = input.reshape(-1, 28, 28)          # (batch, 1, 28, 28) -> (batch, 28, 28)
        output, hidden = self.rnn(input)
        output = output[:, -1, :]                  # the last step's output
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = F.relu(self.fc1(output))
        output = self.dropout2(output)
        return F.log_softmax(self.fc2(output), dim=1)


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


def test(args, model, device, loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            if args.dry_run:
                break
    test_loss /= len(loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(loader.dataset)} "
          f"({100.0 * correct / len(loader.dataset):.0f}%)\n")
    return correct / len(loader.dataset)


def main():
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example using RNN, on deepgrad")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--accel", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=10)
    parser.add_argument("--save-model", action="store_true")
    parser.add_argument("--samples", type=int, default=None, help="training samples (quick runs)")
    parser.add_argument("--test-samples", type=int, default=None)
    args = parser.parse_args()

    device = torch.accelerator.current_accelerator() if args.accel else torch.device("cpu")
    torch.manual_seed(args.seed)
    kwargs = {"num_workers": 1, "pin_memory": True} if args.accel else {}
    train_set, test_set = mnist_datasets(args.samples, args.test_samples)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size,
                                               shuffle=True, **kwargs)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size,
                                              shuffle=True, **kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(args, model, device, test_loader)
        scheduler.step()
    print(f"Test accuracy: {accuracy:.4f}")
    if args.save_model:
        torch.save(model.state_dict(), "mnist_rnn.pt")


if __name__ == "__main__":
    main()
