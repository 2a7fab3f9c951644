"""The seed 003 scikit-learn pipeline example (StandardScaler + the seed's MLP in
``keras.wrappers.SKLearnClassifier``, grid search over the hidden width) runs end to end
in its quick form and learns. Needs real MNIST and scikit-learn (skipped otherwise)."""
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
try:
    import sklearn  # noqa: F401
    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False
needs_sklearn = pytest.mark.skipif(not HAVE_SKLEARN, reason="scikit-learn not installed "
                                   "(pip install deepgrad[sklearn])")


def metric(out, label):
    found = re.findall(rf"^{re.escape(label)}: ([0-9.eE+-]+)", out, re.M)
    assert found, f"no {label!r} line in:\n{out[-3000:]}"
    return float(found[-1])


@needs_mnist
@needs_sklearn
def test_seed003_sklearn_pipeline_quick_run_learns():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    proc = subprocess.run([sys.executable, str(ROOT / "examples" /
                                               "seed003_sklearn_pipeline.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    # the grid's two widths were both cross-validated, and the winner is one of them
    assert len(re.findall(r"^hidden=\s*(16|32): CV accuracy", out, re.M)) == 2, out
    assert metric(out, "Best hidden width") in (16, 32)
    # 2 epochs on 1,500 images: a network that learns is far above chance (0.10)
    assert metric(out, "Best CV accuracy") > 0.4, out
    assert metric(out, "Test accuracy") > 0.6, out
