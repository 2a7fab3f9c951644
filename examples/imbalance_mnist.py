"""Class imbalance on MNIST, PyTorch style on deepgrad: five remedies side by side.

Some digits (by default 3, 5 and 8) keep only 1% of their training images, so the model
sees ~60 of each against ~6,000 of every other digit; the test set stays balanced. The
same small CNN is trained five ways, from the same initial weights:

    plain          cross-entropy, shuffled batches
    class weights  nn.CrossEntropyLoss(weight=w) with w = compute_class_weight("balanced")
                   (w_c = n / (k n_c): a minority image counts ~100 times more)
    focal loss     nn.functional.sigmoid_focal_loss (torchvision's, alpha 0.25, gamma 2)
                   on one-hot targets: easy, well-classified images fade from the loss
    oversampling   WeightedRandomSampler with compute_sample_weight("balanced"): every
                   class drawn equally often (minority images repeat ~100 times an epoch)
    augmentation   the same oversampling, each drawn image randomly shifted, rotated,
                   scaled and sheared (deepgrad.vision.transforms.RandomAffine), so the
                   repeats differ

For each it prints the minority recall (mean recall over the rare digits), the balanced
accuracy (mean recall over all ten), the accuracy, the macro F1 and the PR-AUC of the
rare digits (average precision, one-vs-rest), all from ``deepgrad.metrics``
(scikit-learn's names), then a table.

    DEEPGRAD_DATA=../shared/data python examples/imbalance_mnist.py
    python examples/imbalance_mnist.py --epochs 1 --samples 1500 --test-samples 2000  # quick
"""
import argparse
import time

import numpy as np

import deepgrad as torch
import deepgrad.nn as nn
import deepgrad.vision as torchvision
from deepgrad.datasets import mnist
from deepgrad.metrics import (
    average_precision_score, balanced_accuracy_score, f1_score, recall_score)
from deepgrad.utils.class_weight import compute_class_weight, compute_sample_weight
from deepgrad.utils.data import DataLoader, Dataset, TensorDataset, WeightedRandomSampler

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--samples", type=int, default=60000, help="training images before cutting")
parser.add_argument("--minority", type=int, nargs="+", default=[3, 5, 8])
parser.add_argument("--keep", type=float, default=0.01, help="fraction of a rare digit kept")
parser.add_argument("--test-samples", type=int, default=10000, help="test images scored")
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--methods", nargs="+",
                    default=["plain", "class weights", "focal loss", "oversampling",
                             "augmentation"])
args = parser.parse_args()

(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_tr, y_tr = x_tr[:args.samples], y_tr[:args.samples]
x_te, y_te = x_te[:args.test_samples], y_te[:args.test_samples]
rng = np.random.default_rng(args.seed)
keep = np.ones(len(y_tr), dtype=bool)
for digit in args.minority:                    # keep `--keep` of each rare digit
    idx = np.flatnonzero(y_tr == digit)
    keep[rng.permutation(idx)[max(1, int(round(args.keep * idx.size))):]] = False
x_tr, y_tr = x_tr[keep], y_tr[keep].astype(np.int64)
counts = np.bincount(y_tr, minlength=10)
print("training images per digit:", dict(enumerate(counts.tolist())))

x_train = torch.from_numpy((x_tr[:, None] / 255.0).astype(np.float32))
y_train = torch.from_numpy(y_tr)
x_test = torch.from_numpy((x_te[:, None] / 255.0).astype(np.float32))


class Augmented(Dataset):
    """The training images through a random affine map each time they are drawn."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), int(self.labels[i])


def make_model():
    torch.manual_seed(args.seed)               # the same initial weights for every method
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def loader_for(method):
    torch.manual_seed(args.seed + 1)
    if method in ("oversampling", "augmentation"):
        sampler = WeightedRandomSampler(compute_sample_weight("balanced", y_tr),
                                        num_samples=len(y_tr), replacement=True)
        if method == "augmentation":
            augment = torchvision.transforms.Compose([
                torchvision.transforms.RandomAffine(10, translate=(0.1, 0.1),
                                                    scale=(0.9, 1.1), shear=8),
                torchvision.transforms.ToTensor()])
            return DataLoader(Augmented(x_tr, y_tr, augment), batch_size=args.batch_size,
                              sampler=sampler)
        return DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                          sampler=sampler)
    return DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                      shuffle=True)


def loss_for(method):
    if method == "class weights":
        w = compute_class_weight("balanced", classes=np.arange(10), y=y_tr)
        return nn.CrossEntropyLoss(weight=torch.tensor(w, dtype=torch.float32))
    if method == "focal loss":
        def focal(logits, target):
            onehot = nn.functional.one_hot(target, 10).float()
            return nn.functional.sigmoid_focal_loss(logits, onehot, reduction="sum") / len(target)
        return focal
    return nn.CrossEntropyLoss()


def evaluate(model):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])
    model.train()
    scores = logits.softmax(dim=1).numpy()
    pred = scores.argmax(axis=1)
    rare = np.isin(y_te, args.minority)
    return {
        "minority recall": recall_score(y_te, pred, labels=args.minority, average="macro"),
        "balanced accuracy": balanced_accuracy_score(y_te, pred),
        "accuracy": float((pred == y_te).mean()),
        "macro F1": f1_score(y_te, pred, average="macro"),
        "minority PR-AUC": float(np.mean([average_precision_score(y_te == d, scores[:, d])
                                          for d in args.minority])),
        "rare recall each": recall_score(y_te, pred, labels=args.minority, average=None),
        "rare share": float(rare.mean()),
    }


results = {}
for method in args.methods:
    start = time.perf_counter()
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion, loader = loss_for(method), loader_for(method)
    for epoch in range(args.epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            criterion(model(xb), yb).backward()
            optimizer.step()
    results[method] = r = evaluate(model)
    each = ", ".join(f"{d}: {v:.3f}" for d, v in zip(args.minority, r["rare recall each"]))
    print(f"{method:14s} minority recall {r['minority recall']:.4f} ({each})  balanced "
          f"accuracy {r['balanced accuracy']:.4f}  accuracy {r['accuracy']:.4f}  macro F1 "
          f"{r['macro F1']:.4f}  minority PR-AUC {r['minority PR-AUC']:.4f}  "
          f"({time.perf_counter() - start:.0f} s)", flush=True)

print(f"\n| method | minority recall | balanced accuracy | accuracy | macro F1 | minority "
      f"PR-AUC |\n| --- | --- | --- | --- | --- | --- |")
for method, r in results.items():
    print(f"| {method} | {r['minority recall']:.4f} | {r['balanced accuracy']:.4f} | "
          f"{r['accuracy']:.4f} | {r['macro F1']:.4f} | {r['minority PR-AUC']:.4f} |")
