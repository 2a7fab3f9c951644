"""Data-parallel training, PyTorch style: seed 004's CNN on MNIST with
DistributedDataParallel, a PyTorch DDP script with its imports changed.

    mpirun -n 2 python examples/ddp_mnist_torch.py             # 2 processes, batch 32 each
    python examples/ddp_mnist_torch.py --batch-size 64          # 1 process, the same steps
    mpirun -n 2 python examples/ddp_mnist_torch.py --quick      # CI: 1,024 samples, float64

(as root: ``mpirun --allow-run-as-root ...``; needs ``pip install -e '.[distributed]'``.)

Each rank reads its share of every epoch through ``DistributedSampler`` (rank and world
size come from the process group) and DDP averages the gradients during ``backward()``,
so N processes with ``--batch-size B`` take exactly the steps of one process with
``--batch-size N*B``: with ``--dtype float64`` their final weights agree to ~1e-15
(``--save`` writes them; tests/distributed_mpi/test_distributed_examples.py compares).
Only rank 0 evaluates, prints and saves.
"""
import argparse
import time

import numpy as np

import deepgrad as torch
import deepgrad.distributed as dist
import deepgrad.nn as nn
from deepgrad.datasets import mnist
from deepgrad.nn.parallel import DistributedDataParallel as DDP
from deepgrad.utils.data import DataLoader, DistributedSampler, TensorDataset


class Net(nn.Module):
    """Conv2d(1, 32, 3) -> ReLU -> MaxPool2d(2) -> Linear(5408, 128) -> ReLU -> Linear(10)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, kernel_size=3)
        self.fc1 = nn.Linear(32 * 13 * 13, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(nn.functional.relu(self.conv(x)), 2)
        return self.fc2(nn.functional.relu(self.fc1(torch.flatten(x, 1))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--samples", type=int, default=60000, help="training samples used")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--save", help="rank 0 writes the final weights here (.npz)")
    parser.add_argument("--test-samples", type=int, default=10000)
    parser.add_argument("--quick", action="store_true",
                        help="1,024 training and 1,000 test samples, in float64")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.test_samples, args.dtype = 1024, 1000, "float64"

    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    dtype = getattr(torch, args.dtype)

    (x_tr, y_tr), (x_te, y_te) = mnist.load_data()
    x_te, y_te = x_te[:args.test_samples], y_te[:args.test_samples]
    train = TensorDataset(torch.tensor(x_tr[:args.samples, None] / 255.0, dtype=dtype),
                          torch.tensor(y_tr[:args.samples], dtype=torch.int64))
    sampler = DistributedSampler(train, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)

    torch.manual_seed(args.seed)
    model = DDP(Net().to(dtype))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        start, seen = time.perf_counter(), 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()                       # gradients averaged across the ranks
            optimizer.step()
            seen += len(yb)
        rate = seen * world / (time.perf_counter() - start)
        if rank == 0:
            print(f"epoch {epoch + 1}/{args.epochs}  loss {loss.item():.4f}  "
                  f"({world} processes, {rate:.0f} samples/s)")
    if rank == 0:
        net = model.module
        net.eval()
        with torch.no_grad():
            x_test = torch.tensor(x_te[:, None] / 255.0, dtype=dtype)
            correct = sum((net(x_test[i:i + 1000]).argmax(dim=1).array ==
                           y_te[i:i + 1000]).sum() for i in range(0, len(y_te), 1000))
        print(f"Test accuracy: {correct / len(y_te):.4f}")
        if args.save:
            np.savez(args.save, **{k: v.array for k, v in net.state_dict().items()})
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
