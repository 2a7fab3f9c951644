"""The array-module seam: default dtype, seeding, and the malloc setting."""
import subprocess
import sys

import numpy as np

import deepgrad as dg
from deepgrad import backend


def test_default_float_is_float32():
    assert backend.default_float == np.float32
    assert dg.randn(2).dtype == np.float32 and dg.tensor([1.0]).dtype == np.float32


def test_manual_seed_reproduces_random_tensors():
    dg.manual_seed(3)
    a = dg.randn(4).numpy().copy()
    dg.manual_seed(3)
    assert np.array_equal(a, dg.randn(4).numpy())


def _tuned(env_extra):
    code = "import deepgrad; print(deepgrad.backend.malloc_tuned)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, **env_extra}, check=True)
    return out.stdout.strip()


def test_malloc_setting_can_be_turned_off():
    assert _tuned({"DEEPGRAD_KEEP_MALLOC_DEFAULTS": "1"}) == "False"
    if sys.platform.startswith("linux"):
        assert _tuned({}) == "True"
