"""The interpretability examples in quick form: they run, write their PNG, and the numbers
they print keep the methods' guarantees (IntegratedGradients completeness, KernelShap local
accuracy). Without matplotlib the examples print their numbers and skip the picture."""
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


def wrote_picture(path, text):
    """The PNG when matplotlib is installed, else the example's note that it is not."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "matplotlib is not installed" in text and not path.exists()
    return path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_mnist
def test_explain_mnist_quick_run(tmp_path):
    out = tmp_path / "explain.png"
    text = run_example("explain_mnist.py", "--quick", "--out", str(out))
    assert wrote_picture(out, text)
    relative = [float(v) for v in re.findall(r"relative ([0-9.e+-]+)", text)]
    assert len(relative) == 8 and max(relative) < 0.01, text       # IG completeness
    shap_gap = float(re.search(r"KernelShap local accuracy: .* = ([0-9.e+-]+)", text).group(1))
    assert shap_gap < 1e-3, text
    assert float(re.search(r"Test accuracy: ([0-9.]+)", text).group(1)) > 0.6, text


def test_explain_tabular_quick_run(tmp_path):
    out = tmp_path / "tabular.png"
    text = run_example("explain_tabular.py", "--quick", "--out", str(out))
    assert wrote_picture(out, text)
    total, gap = re.search(r"sum phi = ([0-9.e+-]+), F\(x\) - F\(baseline\) = ([0-9.e+-]+)",
                           text).groups()
    assert abs(float(total) - float(gap)) <= 1e-3 * max(1.0, abs(float(gap))), text
    assert float(re.search(r"Test R\^2: ([0-9.-]+)", text).group(1)) > 0.5, text
    noise = float(re.search(r"noise features x5..x9: ([0-9.]+)%", text).group(1))
    assert noise < 30, text
