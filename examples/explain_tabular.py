"""KernelShap and Lime on a tabular regression, PyTorch style (deepgrad.nn + Captum's names).

The data is Friedman's regression problem #1 (Friedman, 1991; scikit-learn's
``make_friedman1``), generated here with NumPy so the example needs no download:

    y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1),   x ~ U(0, 1)^10

Features x5..x9 are pure noise, so a good explanation gives them (almost) nothing. An MLP
learns y; KernelShap and Lime then explain single predictions (baseline: the training
mean) and, averaged in absolute value over test points, the model as a whole. The bar
chart shows both.

    python examples/explain_tabular.py                       # about 10 seconds
    python examples/explain_tabular.py --quick --out /tmp/t.png   # CI: seconds

Needs matplotlib for the chart (``pip install matplotlib``).
"""
import argparse
import time

import numpy as np

import deepgrad as torch
import deepgrad.nn as nn
from deepgrad.interpret import KernelShap, Lime
from deepgrad.interpret.visualization import visualize_tabular_attr
from deepgrad.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=150)
parser.add_argument("--train", type=int, default=2000, help="training rows")
parser.add_argument("--explain", type=int, default=40, help="test rows averaged in the chart")
parser.add_argument("--samples", type=int, default=300, help="coalitions / LIME samples")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="explain_tabular.png", help="where the PNG goes")
parser.add_argument("--quick", action="store_true", help="a few epochs, few rows (CI)")
args = parser.parse_args()
if args.quick:
    args.epochs, args.train, args.explain, args.samples = 5, 500, 4, 60
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
names = [f"x{i}" for i in range(10)]


def friedman1(n):
    X = rng.uniform(0, 1, (n, 10))
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3]
         + 5 * X[:, 4] + rng.normal(0, 1, n))
    return X.astype(np.float32), y.astype(np.float32)


X_train, y_train = friedman1(args.train)
X_test, y_test = friedman1(500)
mean, std = X_train.mean(0), X_train.std(0)
y_mean, y_std = y_train.mean(), y_train.std()


class Regressor(nn.Module):
    """Standardise, MLP 10-64-64-1, undo the target scaling: explanations are in the
    units of y and of the raw features."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean))
        self.register_buffer("std", torch.tensor(std))
        self.net = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                 nn.Linear(64, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std).squeeze(1) * float(y_std) + float(y_mean)


model = Regressor()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loader = DataLoader(TensorDataset(torch.tensor(X_train), torch.tensor(y_train)), batch_size=64,
                    shuffle=True)
start = time.perf_counter()
for epoch in range(args.epochs):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    pred = model(torch.tensor(X_test)).numpy()
r2 = 1 - ((pred - y_test) ** 2).sum() / ((y_test - y_test.mean()) ** 2).sum()
print(f"Test R^2: {r2:.3f}  (noise limits it to about 0.96; training "
      f"{time.perf_counter() - start:.0f} s)")

baseline = torch.tensor(mean[None, :])
shap, lime = KernelShap(model), Lime(model)
x0 = torch.tensor(X_test[:1])
torch.manual_seed(args.seed)
phi = shap.attribute(x0, baselines=baseline, n_samples=args.samples).numpy()[0]
coef = lime.attribute(x0, baselines=baseline, n_samples=args.samples).numpy()[0]
with torch.no_grad():
    fx, fb = model(x0).item(), model(baseline).item()
print(f"\nOne prediction: F(x) = {fx:.3f}, F(baseline) = {fb:.3f}")
print(f"{'feature':>8} {'value':>7} {'KernelShap':>11} {'Lime':>8}")
for i in range(10):
    print(f"{names[i]:>8} {X_test[0, i]:7.3f} {phi[i]:11.3f} {coef[i]:8.3f}")
print(f"KernelShap local accuracy: sum phi = {phi.sum():.4f}, F(x) - F(baseline) = "
      f"{fx - fb:.4f}")

start = time.perf_counter()
rows = torch.tensor(X_test[:args.explain])
all_phi = np.concatenate([shap.attribute(rows[i:i + 1], baselines=baseline,
                                         n_samples=args.samples,
                                         perturbations_per_eval=50).numpy()
                          for i in range(args.explain)])
all_coef = np.concatenate([lime.attribute(rows[i:i + 1], baselines=baseline,
                                          n_samples=args.samples,
                                          perturbations_per_eval=50).numpy()
                           for i in range(args.explain)])
importance = {"KernelShap": np.abs(all_phi).mean(0), "Lime": np.abs(all_coef).mean(0)}
print(f"\nMean |attribution| over {args.explain} test rows "
      f"({time.perf_counter() - start:.1f} s):")
print(f"{'feature':>8} {'KernelShap':>11} {'Lime':>8}")
for i in range(10):
    print(f"{names[i]:>8} {importance['KernelShap'][i]:11.3f} {importance['Lime'][i]:8.3f}")
noise = importance["KernelShap"][5:].sum() / importance["KernelShap"].sum()
print(f"Share of KernelShap importance on the noise features x5..x9: {noise:.1%}")

try:
    from matplotlib.figure import Figure
except ImportError:
    print("matplotlib is not installed: no picture (pip install matplotlib)")
    raise SystemExit(0)

labels = names[:5] + [f"{n} (noise)" for n in names[5:]]
fig = Figure(figsize=(10, 4.2))
left, right = fig.subplots(1, 2)
visualize_tabular_attr({"KernelShap": phi, "Lime": coef}, labels, plt_fig_axis=(fig, left),
                       use_pyplot=False,
                       title=f"One prediction: F(x) = {fx:.2f}, F(baseline) = {fb:.2f}")
visualize_tabular_attr(importance, labels, plt_fig_axis=(fig, right), use_pyplot=False,
                       title=f"Mean |attribution| over {args.explain} test rows")
fig.tight_layout()
fig.savefig(args.out, dpi=72)
print(f"Wrote {args.out}")
