"""Each example runs end to end in a quick form on real MNIST (skipped without the data)."""
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


def run_example(name, *args):
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@needs_mnist
def test_seed001_torch_mlp_quick_run_learns():
    out = run_example("seed001_torch_mlp.py", "--epochs", "1", "--samples", "12000")
    acc = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    # one epoch on a tenth of MNIST: a network that learns is far above chance (0.10)
    assert acc > 0.80, out


@needs_mnist
def test_cnn_mnist_torch_quick_run_learns():
    out = run_example("cnn_mnist_torch.py", "--epochs", "1", "--samples", "3000")
    acc = float(re.search(r"Test accuracy: ([0-9.]+)", out).group(1))
    assert acc > 0.85, out
