"""deepgrad.kernels: the switch between the NumPy path and the compiled kernels."""
import os
import subprocess
import sys
import tempfile

import pytest

from deepgrad import kernels


def test_import_deepgrad_does_not_import_numba():
    code = "import sys, deepgrad, deepgrad.nn, deepgrad.keras; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "DEEPGRAD_KERNELS": "auto"})
    assert out.stdout.strip() == "False"


def test_use_restores_the_previous_setting():
    before = kernels.enabled()
    with kernels.use(False):
        assert kernels.enabled() is False
        assert kernels.get("pool", "max2x2_forward_nchw") is None
    assert kernels.enabled() is before


def test_set_enabled_rejects_non_bool():
    with pytest.raises(TypeError, match="True or False; received 'yes'"):
        kernels.set_enabled("yes")


def _run(env_value, code, folder=None):
    """``code`` in a fresh process; ``folder``: where builds are looked for (default: an
    empty folder, so a build in the user's cache does not change what is tested)."""
    folder = folder or tempfile.mkdtemp()
    env = {**os.environ, "DEEPGRAD_KERNELS": env_value, "DEEPGRAD_KERNELS_DIR": folder}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_env_numpy_switches_kernels_off():
    out = _run("numpy", "from deepgrad import kernels; print(kernels.enabled())")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_env_bad_value_names_the_choices():
    out = _run("fast", "from deepgrad import kernels; kernels.enabled()")
    assert out.returncode != 0
    assert ("DEEPGRAD_KERNELS must be one of auto, aot, numba, numpy; received 'fast'"
            in out.stderr)


def test_without_numba_the_numpy_path_runs_and_asking_for_kernels_fails_clearly():
    # a process where numba cannot be imported, whatever this environment has
    code = ("import sys; sys.modules['numba'] = None\n"
            "from deepgrad import kernels\n"
            "assert kernels.available() is False and kernels.enabled() is False\n"
            "assert kernels.get('pool', 'max2x2_forward_nchw') is None\n"
            "try:\n    kernels.set_enabled(True)\nexcept ImportError as e:\n    print(e)\n")
    out = _run("auto", code)
    assert out.returncode == 0, out.stderr
    assert 'pip install "deepgrad[compiled]"' in out.stdout
    out = _run("numba", code.replace("assert kernels.available() is False and "
                                     "kernels.enabled() is False\n", "kernels.enabled()\n"))
    assert out.returncode != 0
    assert "DEEPGRAD_KERNELS=numba" in out.stderr and "numba is not installed" in out.stderr


def test_env_aot_without_a_build_names_the_command():
    code = ("import numpy as np, deepgrad as dg, deepgrad.nn.functional as F\n"
            "F.max_pool2d(dg.tensor(np.ones((1, 1, 4, 4), np.float32)), 2)\n")
    out = _run("aot", code)
    assert out.returncode != 0
    assert "DEEPGRAD_KERNELS=aot" in out.stderr
    assert "python -m deepgrad.kernels.build" in out.stderr
    out = _run("aot", "from deepgrad import kernels\ntry:\n    kernels.set_enabled(True)\n"
                      "except ImportError as e:\n    print(e)\n")
    assert "none is built for this machine" in out.stdout
