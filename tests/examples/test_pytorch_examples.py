"""Ports of PyTorch's own example programs (examples/pytorch/) run end to end, quickly.

Each is the tutorial's program with only its imports changed (torchvision's MNIST comes from
deepgrad.datasets); a quick run checks that it runs and that it learns.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("DEEPGRAD_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not (Path(DATA) / "mnist.npz").exists(),
    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")


def run_example(name, *args, cwd=None):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "pytorch" / name), *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd or ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_regression_fits_the_polynomial():
    out = run_example("regression.py")
    loss, batches = re.search(r"Loss: ([0-9.]+) after (\d+) batches", out).groups()
    assert float(loss) < 1e-3, out            # the tutorial's stopping criterion was reached
    learned = [float(v) for v in re.findall(r"[+-][0-9.]+", out.split("Learned function:")[1]
                                            .split("\n")[0])]
    actual = [float(v) for v in re.findall(r"[+-][0-9.]+", out.split("Actual function:")[1])]
    assert len(learned) == len(actual) == 5
    assert max(abs(a - b) for a, b in zip(learned, actual)) < 0.5, out


@needs_mnist
def test_mnist_cnn_quick_run_learns_and_saves_a_torch_checkpoint(tmp_path):
    out = run_example("mnist_cnn.py", "--epochs", "1", "--samples", "1500",
                      "--test-samples", "1000", "--log-interval", "100", "--save-model",
                      cwd=tmp_path)
    acc = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    # chance is 0.10; PyTorch itself, same program and settings, seeds 1-2: 0.801, 0.824
    assert acc > 0.70, out
    ckpt = tmp_path / "mnist_cnn.pt"
    assert ckpt.exists()
    torch = pytest.importorskip("torch")      # the checkpoint loads in PyTorch itself
    state = torch.load(ckpt, weights_only=True)
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                           "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert tuple(state["fc1.weight"].shape) == (128, 9216)


@needs_mnist
def test_mnist_rnn_quick_run_learns():
    out = run_example("mnist_rnn.py", "--epochs", "1", "--samples", "3000",
                      "--test-samples", "1000", "--log-interval", "100", "--lr", "1.0")
    acc = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    # PyTorch itself, same program and settings, seeds 1-3: 0.47, 0.52, 0.44 (chance: 0.10)
    assert acc > 0.35, out


@needs_mnist
def test_vae_quick_run_learns(tmp_path):
    out = run_example("vae.py", "--epochs", "1", "--samples", "6000", "--log-interval", "100",
                      "--save-samples", str(tmp_path / "s.npy"))
    loss = float(re.search(r"Test loss per image: ([0-9.]+)", out).group(1))
    # an untrained decoder (outputs near 0.5) costs 784 * ln 2 = 543 nats per image;
    # PyTorch itself, same program and settings, seeds 1-2: 212.4 and 211.3
    assert loss < 230, out
    assert (tmp_path / "s.npy").exists()


def test_time_sequence_lbfgs_quick_run_fits():
    out = run_example("time_sequence_prediction.py", "--steps", "2", "--length", "120",
                      "--future", "20")
    losses = [float(v) for v in re.findall(r"^loss: ([0-9.e-]+)", out, flags=re.M)]
    assert len(losses) > 5
    assert losses[-1] < 0.2 * losses[0], out   # L-BFGS reduced the training loss


@pytest.mark.parametrize("model, extra", [("LSTM", ["--epochs", "3"]),
                                          ("Transformer", ["--epochs", "1", "--lr", "5"])])
def test_word_language_model_quick_run_learns(model, extra):
    out = run_example("word_language_model.py", "--model", model, "--emsize", "32",
                      "--nhid", "32", "--bptt", "20", *extra)
    ppl = float(re.search(r"test ppl\s+([0-9.]+)", out).group(1))
    vocab = int(re.search(r"vocabulary: (\d+) words", out).group(1))
    # a uniform guess has perplexity `vocab` (30); PyTorch itself, same program and
    # settings, seeds 1-3: LSTM 2.85, 3.03, 2.96; Transformer 3.00, 3.12, 3.70
    assert ppl < 4.5, out
