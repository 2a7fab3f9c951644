"""Running an example script as a test does: in a subprocess from the repository root,
skipped without real MNIST, its last stdout line a JSON object."""
import json
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


def run_json(script, *args, timeout=300):
    """(stdout lines, the last line parsed as JSON) of ``examples/<script> *args``."""
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    return lines, json.loads(lines[-1])
