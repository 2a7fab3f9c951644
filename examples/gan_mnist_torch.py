"""A DCGAN on MNIST written with deepgrad.nn, PyTorch style: the classic two-optimizer loop.

The generator maps z ~ N(0, I) to a 28x28 image in [-1, 1] (a linear map to 7x7 feature
maps, a 3x3 convolution there, then two stride-2 transposed convolutions 7 -> 14 -> 28);
the discriminator (two stride-2 convolutions 28 -> 14 -> 7, then a hidden layer) gives one
logit, D(x) = log-odds that x is a real digit. Each step, with ``BCEWithLogitsLoss`` l:

    discriminator:  minimise  l(D(x_real), 1) + l(D(G(z).detach()), 0)
    generator:      minimise  l(D(G(z)), 1)       (the non-saturating loss)

``detach()`` keeps the discriminator's step from reaching the generator. Samples come from
an exponential moving average of the generator's weights and BatchNorm statistics
(``torch.optim.swa_utils.AveragedModel`` with ``get_ema_multi_avg_fn``), which averages
away the last steps' oscillation of the adversarial game.

The samples are scored by a CNN classifier trained here on MNIST (one epoch, 1cycle
learning rate): over n = 1,000 samples, with p(y|x) its softmax and p(y) = mean_x p(y|x),

    IS = exp( mean_x  sum_y p(y|x) (log p(y|x) - log p(y)) )     (10 at most)
    F  = fraction of samples with max_y p(y|x) >= 0.9              (clear digits)
    M  = min_y fraction of samples classified as y                 (no mode collapse)

It writes a PNG grid of 64 samples, saves the 1,000 samples as uint8 (1000, 28, 28) in
``gan_samples.npy`` and prints ``{"inception_score": IS, "confident": F, "class_min": M}``
as its last line.

    DEEPGRAD_DATA=../shared/data python examples/gan_mnist_torch.py          # full run
    python examples/gan_mnist_torch.py --quick                               # CI: a few steps
"""
import argparse
import json
import time

import numpy as np

import deepgrad as torch
import deepgrad.nn as nn
import deepgrad.vision as torchvision
from deepgrad.datasets import mnist
from deepgrad.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--steps", type=int, default=7000, help="GAN training steps")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--nz", type=int, default=64, help="latent size")
parser.add_argument("--ngf", type=int, default=32, help="feature maps of G and D")
parser.add_argument("--ndh", type=int, default=128, help="hidden units of D's last layer")
parser.add_argument("--lr", type=float, default=2e-4)
parser.add_argument("--ema", type=float, default=0.998, help="EMA decay of G's weights")
parser.add_argument("--classifier-epochs", type=int, default=1)
parser.add_argument("--classifier-lr", type=float, default=3e-3, help="1cycle peak")
parser.add_argument("--samples", type=int, default=60000, help="MNIST training images used")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--grid-out", default="gan_mnist_torch.png")
parser.add_argument("--samples-out", default="gan_samples.npy")
parser.add_argument("--train-seconds", type=float, default=None,
                    help="stop GAN training after this many seconds (for same-time comparisons)")
parser.add_argument("--quick", action="store_true", help="a few steps: checks the pipeline")
args = parser.parse_args()
if args.quick:
    args.steps, args.samples, args.classifier_epochs = 20, 2000, 1
torch.manual_seed(args.seed)
np.random.seed(args.seed)
start = time.perf_counter()

(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_tr, y_tr = x_tr[:args.samples], y_tr[:args.samples]
real = torch.from_numpy((x_tr[:, None] / 127.5 - 1.0).astype(np.float32))   # [-1, 1]


class Generator(nn.Module):
    def __init__(self, nz, ngf):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(nz, 2 * ngf * 7 * 7, bias=False), nn.Unflatten(1, (2 * ngf, 7, 7)),
            nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.Conv2d(2 * ngf, 2 * ngf, 3, 1, 1, bias=False),              # 7 -> 7
            nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False),          # 7 -> 14
            nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1), nn.Tanh())                 # 14 -> 28

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, ndf, ndh):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),            # 28 -> 14
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1, bias=False),                   # 14 -> 7
            nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(0.2, True),
            nn.Flatten(), nn.Linear(2 * ndf * 7 * 7, ndh), nn.LeakyReLU(0.2, True),
            nn.Linear(ndh, 1))

    def forward(self, x):
        return self.net(x)


def weights_init(m):
    """DCGAN's initialisation: N(0, 0.02) convolutions, N(1, 0.02) BatchNorm scales."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


netG, netD = Generator(args.nz, args.ngf), Discriminator(args.ngf, args.ndh)
netG.apply(weights_init)
netD.apply(weights_init)
ema = AveragedModel(netG, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True)
criterion = nn.BCEWithLogitsLoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=args.lr, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=args.lr, betas=(0.5, 0.999))
ones = torch.ones(args.batch_size, 1)
zeros = torch.zeros(args.batch_size, 1)

order, pos = torch.randperm(len(real)), 0
for step in range(1, args.steps + 1):
    if pos + args.batch_size > len(real):
        order, pos = torch.randperm(len(real)), 0
    x = real[order[pos:pos + args.batch_size]]
    pos += args.batch_size
    # (1) discriminator: real digits -> 1, generated ones (detached) -> 0
    fake = netG(torch.randn(args.batch_size, args.nz))
    optimizerD.zero_grad()
    errD = criterion(netD(x), ones) + criterion(netD(fake.detach()), zeros)
    errD.backward()
    optimizerD.step()
    # (2) generator: make the discriminator say 1
    optimizerG.zero_grad()
    errG = criterion(netD(fake), ones)
    errG.backward()
    optimizerG.step()
    ema.update_parameters(netG)
    out_of_time = args.train_seconds is not None and time.perf_counter() - start > args.train_seconds
    if step % 500 == 0 or step == args.steps or out_of_time:
        print(f"[{step}/{args.steps}] loss_D {errD.item():.3f}  loss_G {errG.item():.3f}  "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    if out_of_time:
        break
gan_time = time.perf_counter() - start

ema.eval()
with torch.no_grad():
    samples = torch.cat([ema(torch.randn(250, args.nz)) for _ in range(4)])   # (1000, 1, 28, 28)
torchvision.utils.save_image(samples[:64], args.grid_out, nrow=8, normalize=True,
                             value_range=(-1, 1))
samples_u8 = np.clip(np.round((samples.numpy()[:, 0] + 1.0) * 127.5), 0, 255).astype(np.uint8)
np.save(args.samples_out, samples_u8)
print(f"GAN training: {gan_time:.0f} s; grid -> {args.grid_out}, 1000 samples -> "
      f"{args.samples_out}")

# ---------------------------------------------------------------- the scoring classifier
classifier = nn.Sequential(
    nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),          # 28 -> 14
    nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),         # 14 -> 7
    nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
xc = torch.from_numpy((x_tr[:, None] / 255.0).astype(np.float32))
yc = torch.from_numpy(y_tr.astype(np.int64))
optimizerC = torch.optim.Adam(classifier.parameters(), lr=args.classifier_lr)
schedulerC = torch.optim.lr_scheduler.OneCycleLR(                 # one epoch reaches ~98.7%
    optimizerC, max_lr=args.classifier_lr, epochs=args.classifier_epochs,
    steps_per_epoch=(len(xc) + 63) // 64)
for epoch in range(args.classifier_epochs):
    order = torch.randperm(len(xc))
    for i in range(0, len(xc), 64):
        idx = order[i:i + 64]
        optimizerC.zero_grad()
        nn.functional.cross_entropy(classifier(xc[idx]), yc[idx]).backward()
        optimizerC.step()
        schedulerC.step()
classifier.eval()


def probabilities(images_u8):
    """p(y|x) of uint8 images (n, 28, 28) under the classifier."""
    x = torch.from_numpy((images_u8[:, None] / 255.0).astype(np.float32))
    with torch.no_grad():
        return torch.cat([classifier(x[i:i + 500]).softmax(dim=1)
                          for i in range(0, len(x), 500)]).numpy().astype(np.float64)


def scores(p):
    """(IS, F, M) of the rows p(y|x); see the module docstring."""
    p_y = p.mean(axis=0)
    kl = (p * (np.log(p + 1e-12) - np.log(p_y + 1e-12))).sum(axis=1)
    counts = np.bincount(p.argmax(axis=1), minlength=10) / len(p)
    return float(np.exp(kl.mean())), float((p.max(axis=1) >= 0.9).mean()), float(counts.min())


n_test = 2000 if args.quick else len(y_te)                   # quick: a part of the test set
test_acc = float((probabilities(x_te[:n_test]).argmax(axis=1) == y_te[:n_test]).mean())
real_is, real_f, _ = scores(probabilities(x_te[:1000]))
print(f"Classifier test accuracy: {test_acc:.4f}  (1,000 real test digits: IS {real_is:.2f}, "
      f"F {real_f:.3f})")
print(f"Wall time: {time.perf_counter() - start:.0f} s")
inception, confident, class_min = scores(probabilities(samples_u8))
print(json.dumps({"inception_score": round(inception, 4), "confident": round(confident, 4),
                  "class_min": round(class_min, 4)}))
