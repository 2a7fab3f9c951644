"""The seed examples' ``--plot DIR`` flag in quick form: the PNGs are written after a real
(short) training run; without matplotlib the example stops before training."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("DEEPGRAD_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not (Path(DATA) / "mnist.npz").exists(),
    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")
PNG = b"\x89PNG\r\n\x1a\n"


@needs_mnist
def test_seed000_plot_flag_writes_the_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "pictures"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "seed000_keras_mnist_mlp.py"), "--epochs",
         "1", "--samples", "500", "--plot", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["seed000_confusion.png", "seed000_history.png",
                     "seed000_misclassified.png"]
    assert all((out / n).read_bytes()[:8] == PNG for n in names)


def test_plot_flag_without_matplotlib_stops_before_training(tmp_path):
    out = tmp_path / "pictures"
    code = ("import runpy, sys\n"
            "sys.modules['matplotlib'] = None          # as if not installed\n"
            f"sys.argv = ['seed001_torch_mlp.py', '--plot', {str(out)!r}]\n"
            f"runpy.run_path({str(ROOT / 'examples' / 'seed001_torch_mlp.py')!r}, "
            "run_name='__main__')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode != 0
    assert "needs matplotlib" in proc.stderr and "epoch" not in proc.stdout
    assert not out.exists()
