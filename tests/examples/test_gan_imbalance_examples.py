"""The GAN examples (deepgrad.nn and deepgrad.keras) and the class-imbalance example run end
to end in their quick forms on real MNIST (skipped without the data): a few GAN steps check
the pipeline (samples file, PNG grid, the JSON line), not the samples' quality."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("DEEPGRAD_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not (Path(DATA) / "mnist.npz").exists(),
    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")


def run_example(name, *args, cwd=ROOT):
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "torch"))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@needs_mnist
@pytest.mark.parametrize("name", ["gan_mnist_torch.py", "gan_mnist_keras.py"])
def test_gan_quick_run_writes_samples_grid_and_scores(name, tmp_path):
    from deepgrad.vision._png import decode_png
    extra = ["--samples-out", str(tmp_path / "s.npy")] if "torch" in name else []
    out = run_example(name, "--quick", "--grid-out", str(tmp_path / "grid.png"), *extra,
                      cwd=tmp_path)
    scores = json.loads(out.strip().splitlines()[-1])
    assert set(scores) == {"inception_score", "confident", "class_min"}
    assert 1.0 <= scores["inception_score"] <= 10.0
    assert 0.0 <= scores["confident"] <= 1.0 and 0.0 <= scores["class_min"] <= 0.1
    if extra:                                                 # --samples-out PATH
        assert not (tmp_path / "gan_samples.npy").exists()
        samples = np.load(tmp_path / "s.npy")
    else:                                                     # the default: the cwd
        samples = np.load(tmp_path / "gan_samples.npy")
    assert samples.shape == (1000, 28, 28) and samples.dtype == np.uint8
    grid = decode_png((tmp_path / "grid.png").read_bytes())
    assert grid.shape == (8 * 30 + 2, 8 * 30 + 2, 3)        # 64 samples, padding 2
    # the scoring classifier trained (1 epoch on 2,000 images): far above chance
    acc = float(re.search(r"Classifier test accuracy: ([0-9.]+)", out).group(1))
    assert acc > 0.6, out


@needs_mnist
def test_imbalance_quick_run_prints_every_method():
    out = run_example("imbalance_mnist.py", "--epochs", "1", "--samples", "1500",
                      "--test-samples", "2000")
    rows = re.findall(r"^\| ([a-z ]+) \| ([0-9.]+) \| ([0-9.]+) \|", out, re.M)
    methods = [r[0] for r in rows if r[0] != "method"]
    assert methods == ["plain", "class weights", "focal loss", "oversampling", "augmentation"]
    recall = {r[0]: float(r[1]) for r in rows if r[0] != "method"}
    balanced = {r[0]: float(r[2]) for r in rows if r[0] != "method"}
    assert all(0.0 <= v <= 1.0 for v in recall.values())
    # even on a quick run, drawing the rare digits as often as the others finds some of them
    assert recall["oversampling"] > recall["plain"], out
    assert balanced["oversampling"] > 0.3, out
