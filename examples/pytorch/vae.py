"""PyTorch's VAE example (pytorch/examples, ``vae/main.py``) on deepgrad.

A variational autoencoder (Kingma & Welling 2014) on MNIST: encoder 784-400-(20, 20),
the reparameterisation ``z = mu + eps * exp(logvar / 2)`` with ``eps = randn_like(std)``,
decoder 20-400-784 with a sigmoid, and the loss

    BCE(recon, x) summed + KLD,   KLD = -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2)

trained with Adam (lr 1e-3, batch 128). torchvision's ``save_image`` is replaced by a
NumPy file of the samples (``--save-samples``); everything else is the tutorial's code with
its imports changed.

    DEEPGRAD_DATA=../shared/data python examples/pytorch/vae.py               # 10 epochs
    python examples/pytorch/vae.py --epochs 1 --samples 6000                  # quick run
"""
import argparse
import os
import sys

import numpy as np

import deepgrad as torch
import deepgrad.utils.data
from deepgrad import nn, optim
from deepgrad.nn import functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _mnist import mnist_datasets  # noqa: E402

parser = argparse.ArgumentParser(description="VAE MNIST Example, on deepgrad")
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--no-accel", action="store_true")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--log-interval", type=int, default=10)
parser.add_argument("--samples", type=int, default=None, help="training samples (quick runs)")
parser.add_argument("--save-samples", default=None, help="write 64 decoded samples (.npy)")
args = parser.parse_args()

use_accel = not args.no_accel and torch.accelerator.is_available()
torch.manual_seed(args.seed)
device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
print(f"Using device: {device}")

train_set, test_set = mnist_datasets(args.samples, normalize=False)   # ToTensor() only
kwargs = {"num_workers": 1, "pin_memory": True} if use_accel else {}
train_loader = torch.utils.data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                           **kwargs)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.batch_size, shuffle=False,
                                          **kwargs)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


model = VAE().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-3)


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction (binary cross-entropy, summed) plus the KL divergence to N(0, I)."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def train(epoch):
    model.train()
    train_loss = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100.0 * batch_idx / len(train_loader):.0f}%)]\t"
                  f"Loss: {loss.item() / len(data):.6f}")
    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(train_loader.dataset):.4f}")


def test(epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for data, _ in test_loader:
            data = data.to(device)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
    test_loss /= len(test_loader.dataset)
    print(f"====> Test set loss: {test_loss:.4f}")
    return test_loss


if __name__ == "__main__":
    for epoch in range(1, args.epochs + 1):
        train(epoch)
        test_loss = test(epoch)
        with torch.no_grad():
            sample = model.decode(torch.randn(64, 20).to(device)).cpu()
    print(f"Test loss per image: {test_loss:.2f}")
    if args.save_samples:
        np.save(args.save_samples, (sample.view(64, 28, 28).numpy() * 255).astype(np.uint8))
