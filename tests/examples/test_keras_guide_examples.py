"""The examples written as Keras 3's guides write them for issue 9 (text classification
with TextVectorization and a bidirectional LSTM, MNIST with augmentation layers in a
tf.data pipeline, forecasting from timeseries_dataset_from_array) run in quick form and
learn. The MNIST one needs the real data ($DEEPGRAD_DATA/mnist.npz); the others make
their own."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("DEEPGRAD_DATA")


def run_example(name, *args):
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def metric(out, label):
    found = re.findall(rf"^{re.escape(label)}:? ([0-9.eE+-]+)", out, re.M)
    assert found, f"no {label!r} line in:\n{out[-3000:]}"
    return float(found[-1])


def test_text_classification_quick():
    out = run_example("keras_text_classification.py", "--quick")
    assert "Found 1200 files belonging to 2 classes." in out
    assert metric(out, "test accuracy") > 0.8            # chance is 0.5
    assert metric(out, "positive minus negative score") > 0


def test_timeseries_forecasting_quick():
    out = run_example("keras_timeseries_forecasting.py", "--quick")
    assert "Input shape: (256, 40, 14)" in out
    assert metric(out, "validation mse") < metric(out, "naive forecast mse")


@pytest.mark.skipif(not DATA or not (Path(DATA) / "mnist.npz").exists(),
                    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding "
                           "mnist.npz")
def test_augmentation_mnist_quick():
    out = run_example("keras_augmentation_mnist.py", "--quick")
    assert metric(out, "test accuracy") > 0.5              # chance is 0.1
    assert metric(out, "augmented test accuracy") > 0.3
