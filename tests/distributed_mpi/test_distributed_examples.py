"""The two data-parallel examples, as the issue asks: ``mpirun -n 2`` runs with batch B
give the same final weights as one-process runs with batch 2B (float64, ``--quick``).
Skipped, with the reason, without mpi4py/mpirun or without real MNIST."""
import os
from pathlib import Path

import numpy as np
import pytest

import mpi_launch

ROOT = Path(mpi_launch.ROOT)
DATA = os.environ.get("DEEPGRAD_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not (Path(DATA) / "mnist.npz").exists(),
    reason="real MNIST not found: set DEEPGRAD_DATA to the folder holding mnist.npz")


@needs_mnist
@pytest.mark.parametrize("example", ["ddp_mnist_torch.py", "keras_horovod_mnist.py"])
def test_two_ranks_equal_one_process_with_the_doubled_batch(example, tmp_path):
    script = str(ROOT / "examples" / example)
    two = mpi_launch.run(script, 2, "--quick", "--batch-size", 16, "--save",
                         tmp_path / "two.npz", timeout=180)
    assert two.returncode == 0, two.stderr[-3000:]
    one = mpi_launch.run(script, 1, "--quick", "--batch-size", 32, "--save",
                         tmp_path / "one.npz", timeout=180)
    assert one.returncode == 0, one.stderr[-3000:]
    assert two.stdout.count("Test accuracy") == 1              # rank 0 reports, alone
    a, b = np.load(tmp_path / "two.npz"), np.load(tmp_path / "one.npz")
    assert sorted(a.files) == sorted(b.files) and len(a.files) == 6
    diff = max(np.abs(a[k] - b[k]).max() for k in a.files)
    assert diff <= 1e-12, diff
    accuracy = float(two.stdout.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.5, two.stdout                          # it learns (chance: 0.1)
