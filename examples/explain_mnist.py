"""Explaining the seed 004 CNN with deepgrad.interpret: saliency, Integrated Gradients,
GradCAM, Occlusion and KernelShap for 8 test digits, side by side in one PNG.

The model is seed 004's Keras listing (Conv2D 32 3x3 relu, MaxPooling2D 2x2, Flatten,
Dense 128 relu, Dense 10 softmax) trained with deepgrad.keras; every method explains the
probability of the predicted class, with a black image as the baseline where one is
needed. Colours: green raises the probability, red lowers it (blue: magnitude only).

    DEEPGRAD_DATA=../shared/data python examples/explain_mnist.py          # 2 epochs
    python examples/explain_mnist.py --quick --out /tmp/explain.png        # CI: seconds

Needs matplotlib for the picture (``pip install matplotlib``).
"""
import argparse
import time

import numpy as np

from deepgrad import interpret
from deepgrad.interpret import visualization as viz
from deepgrad.keras.datasets import mnist
from deepgrad.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from deepgrad.keras.models import Sequential
from deepgrad.keras.utils import set_random_seed, to_categorical

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--samples", type=int, default=60000, help="training images used")
parser.add_argument("--shap-samples", type=int, default=400, help="KernelShap coalitions")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="explain_mnist.png", help="where the PNG goes")
parser.add_argument("--quick", action="store_true",
                    help="1 epoch on 2,000 images, tested on 2,000 (CI)")
args = parser.parse_args()
if args.quick:
    args.epochs, args.samples, args.shap_samples = 1, 2000, 60
set_random_seed(args.seed)

(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_train = x_tr[:args.samples].reshape(-1, 28, 28, 1).astype("float32") / 255.0
x_test = x_te.reshape(-1, 28, 28, 1).astype("float32") / 255.0

# seed 004's CNN (section 4.1)
model = Sequential()
model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(MaxPooling2D((2, 2)))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
model.fit(x_train, to_categorical(y_tr[:args.samples], 10), batch_size=32, epochs=args.epochs,
          verbose=2)
n_eval = 2000 if args.quick else len(x_test)
_, accuracy = model.evaluate(x_test[:n_eval], to_categorical(y_te[:n_eval], 10), verbose=0)
print(f"Test accuracy: {accuracy:.4f} on {n_eval} test images (training "
      f"{time.perf_counter() - start:.0f} s)")

# the first test image of each digit 0..7
index = np.array([np.flatnonzero(y_te == d)[0] for d in range(8)])
x = x_test[index]
probs = model.predict(x, verbose=0)
target = [int(p) for p in probs.argmax(1)]
conv = model.layers[0]

attributions, timings = {}, {}


def timed(name, fn):
    t = time.perf_counter()
    attributions[name] = fn()
    timings[name] = time.perf_counter() - t


timed("Saliency", lambda: interpret.Saliency(model).attribute(x, target=target))
ig_result = {}


def integrated_gradients():
    attr, delta = interpret.IntegratedGradients(model).attribute(
        x, baselines=0.0, target=target, n_steps=50, return_convergence_delta=True)
    ig_result["delta"] = delta
    return attr


timed("IntegratedGradients", integrated_gradients)
timed("GradCAM", lambda: interpret.LayerAttribution.interpolate(
    interpret.LayerGradCam(model, conv).attribute(x, target=target, relu_attributions=True),
    (28, 28), "bilinear", data_format="channels_last"))
timed("Occlusion", lambda: interpret.Occlusion(model).attribute(
    x, sliding_window_shapes=(4, 4, 1), strides=(2, 2, 1), target=target,
    perturbations_per_eval=64))
rows, cols = np.indices((28, 28))
patches = ((rows // 4) * 7 + cols // 4)[None, :, :, None]           # 49 superpixels of 4x4


def kernel_shap():
    shap = interpret.KernelShap(model)
    return np.concatenate([shap.attribute(x[i:i + 1], baselines=0.0, target=target[i],
                                          feature_mask=patches, n_samples=args.shap_samples,
                                          perturbations_per_eval=100)
                           for i in range(len(x))])


timed("KernelShap", kernel_shap)

gap = probs[np.arange(8), target] - model.predict(np.zeros_like(x), verbose=0)[np.arange(8),
                                                                              target]
print("IntegratedGradients convergence deltas (sum of attributions - (F(x) - F(0))), 50 steps,"
      " F = the probability of the predicted class:")
for d, delta, g in zip(range(8), ig_result["delta"], gap):
    print(f"  digit {d} (predicted {target[d]}): delta {delta:+.2e}   F(x) - F(0) = {g:.4f}   "
          f"relative {abs(delta) / max(abs(g), 1e-12):.1e}")
shap_sums = attributions["KernelShap"].reshape(8, -1).sum(1) / 16    # 16 pixels per patch
print(f"KernelShap local accuracy: max |sum phi - (F(x) - F(0))| = "
      f"{np.abs(shap_sums - gap).max():.2e}")
print("Seconds per method (8 digits): " +
      ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))

# the picture: one row per digit, one column per method
try:
    from matplotlib.figure import Figure
except ImportError:
    print("matplotlib is not installed: no picture (pip install matplotlib)")
    raise SystemExit(0)

columns = [("digit", None, None), ("Saliency", "heat_map", "absolute_value"),
           ("IntegratedGradients", "blended_heat_map", "all"),
           ("GradCAM", "blended_heat_map", "positive"),
           ("Occlusion", "blended_heat_map", "all"),
           ("KernelShap", "blended_heat_map", "all")]
fig = Figure(figsize=(1.6 * len(columns), 1.6 * len(x)))
axes = fig.subplots(len(x), len(columns))
for r in range(len(x)):
    for c, (name, method, sign) in enumerate(columns):
        ax = axes[r, c]
        if method is None:
            ax.imshow(x[r, :, :, 0], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            # the true digit, then the predicted class that every column explains
            ax.set_ylabel(f"{y_te[index[r]]} \u2192 {target[r]} ({probs[r, target[r]]:.2f})",
                          fontsize=10)
        else:
            viz.visualize_image_attr(attributions[name][r], x[r], method=method, sign=sign,
                                     plt_fig_axis=(fig, ax), use_pyplot=False)
        if r == 0:
            ax.set_title(name, fontsize=9)
fig.suptitle("label \u2192 predicted class (probability): every map explains that probability;"
             "\ngreen raises it, red lowers it, blue (Saliency) is a magnitude", fontsize=10)
fig.tight_layout()
fig.savefig(args.out, dpi=80)
print(f"Wrote {args.out}")
