"""The ahead-of-time kernels (deepgrad.kernels.build, deepgrad.kernels.aot): the build
runs every kernel bit for bit as numba's JIT does, in a process that imports neither
numba nor LLVM; calls whose arrays fit no compiled variant never reach compiled code;
a stale or missing build is never used."""
import importlib
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("numba")
pytest.importorskip("setuptools")
if shutil.which(os.environ.get("CC", "cc")) is None and shutil.which("gcc") is None:
    pytest.skip("no C compiler for numba.pycc", allow_module_level=True)

from deepgrad import kernels  # noqa: E402
from deepgrad.kernels import _jit, aot  # noqa: E402
from deepgrad.kernels import pool as pool_kernels  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
pytestmark = pytest.mark.xdist_group("aot_build")        # one worker, one build


def exports():
    """Every ``@kernel`` of every kernel module ("module.name")."""
    for module in kernels.MODULES:
        importlib.import_module(f"deepgrad.kernels.{module}")
    return sorted(_jit.EXPORTS)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A build of every kernel in a fresh folder by the command line (about 40 s)."""
    folder = str(tmp_path_factory.mktemp("aot"))
    run = subprocess.run([sys.executable, "-m", "deepgrad.kernels.build", "--dir", folder],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"built {aot.paths(folder)[1]} in ")
    return folder


def _workload(tmp_path, mode, folder):
    out = str(tmp_path / f"{mode}.npz")
    env = {**os.environ, "DEEPGRAD_KERNELS": mode, "DEEPGRAD_KERNELS_DIR": folder}
    run = subprocess.run([sys.executable, os.path.join(HERE, "aot_workload.py"), out],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1]), np.load(out)


def test_build_writes_the_module_and_its_manifest_only(built):
    name, so, manifest = aot.paths(built)
    assert sorted(os.listdir(built)) == sorted([os.path.basename(so),
                                                os.path.basename(manifest)])
    with open(manifest) as f:
        data = json.load(f)
    assert data["format"] == aot.FORMAT and data["tag"] == name[len(aot.PREFIX):]
    assert sorted(data["kernels"]) == exports()


def test_every_kernel_runs_from_the_build_without_numba_and_equals_the_jit(built, tmp_path):
    ran, values = _workload(tmp_path, "aot", built)
    jit_ran, jit_values = _workload(tmp_path, "numba", built)
    assert ran["numba"] is False and ran["llvmlite"] is False
    assert jit_ran["numba"] is True
    assert ran["used"] == jit_ran["used"] == exports()       # every kernel ran
    assert sorted(values.files) == sorted(jit_values.files) and len(values.files) > 50
    for key in values.files:
        assert values[key].dtype == jit_values[key].dtype, key
        np.testing.assert_array_equal(values[key], jit_values[key], err_msg=key)


def test_the_kernels_ops_ask_for_by_name_are_exported():
    root = os.path.dirname(os.path.dirname(HERE))
    asked = set()
    for folder, _, files in os.walk(os.path.join(root, "deepgrad")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as f:
                    asked.update(re.findall(r'kernels\.get\("(\w+)", "(\w+)"\)', f.read()))
    assert len(asked) >= 5, asked                   # (the calls with literal names)
    assert {f"{m}.{n}" for m, n in asked} <= set(exports())


def _kernel(built, module, name, fallback=lambda: None):
    found = aot.load(built)
    assert found is not None
    return found.kernel(module, name, fallback)


def _pool_case(rng, dtype):
    g = rng.standard_normal((2, 4, 6, 8)).astype(dtype)
    arg = rng.integers(0, 4, (2, 4, 6, 8)).astype(np.uint8)
    return g, arg


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_strided_arrays_take_the_strided_variant(built, dtype):
    rng = np.random.default_rng(0)
    g, arg = _pool_case(rng, dtype)
    k = _kernel(built, "pool", "max2x2_backward_nhwc")
    expect = np.zeros((2, 8, 12, 8), dtype)
    work = np.empty(g.shape[-1], dtype)             # the kernel's C elements of work space
    pool_kernels.max2x2_backward_nhwc(g, arg, expect, work)
    out = np.zeros_like(expect)
    k(g, arg, out, work)
    np.testing.assert_array_equal(out, expect)
    strided = np.asfortranarray(g)                  # the same values, other strides
    assert not strided.flags.c_contiguous
    out = np.zeros_like(expect)
    k(strided, arg, out, work)
    np.testing.assert_array_equal(out, expect)


def test_arrays_no_variant_fits_raise_before_any_compiled_call(built):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 8, 8)).astype(np.float32)
    y = np.zeros((2, 4, 4), np.float32)
    arg = np.zeros((2, 4, 4), np.uint8)
    k = _kernel(built, "pool", "max2x2_forward_nchw")
    for bad, what in [((x[:, :, ::-1], y, arg), "float32 strided 3-D"),
                      ((x.astype(np.float16), y, arg), "float16 C-contiguous 3-D"),
                      ((x[None], y, arg), "float32 C-contiguous 4-D"),
                      ((x.tolist(), y, arg), "list")]:
        y[...] = 7
        with pytest.raises(TypeError, match="ahead-of-time pool.max2x2_forward_nchw takes "
                                            "arrays") as e:
            k(*bad)
        assert what in str(e.value) and "float32 C-contiguous 3-D" in str(e.value)
        assert (y == 7).all()                       # nothing was written


def test_arrays_no_variant_fits_go_to_the_jit_when_allowed(built):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 8)).astype(np.float32)[:, :, ::-1]
    y, arg = np.zeros((2, 4, 4), np.float32), np.zeros((2, 4, 4), np.uint8)
    k = _kernel(built, "pool", "max2x2_forward_nchw",
                fallback=lambda: pool_kernels.max2x2_forward_nchw)
    k(x, y, arg)
    expect, expect_arg = np.zeros_like(y), np.zeros_like(arg)
    pool_kernels.max2x2_forward_nchw(np.ascontiguousarray(x), expect, expect_arg)
    np.testing.assert_array_equal(y, expect)
    np.testing.assert_array_equal(arg, expect_arg)


def test_a_build_with_another_tag_is_not_loaded(built, tmp_path):
    name, so, manifest = aot.paths(built)
    other = aot.paths(str(tmp_path), "0" * 16)
    shutil.copy(so, other[1])
    shutil.copy(manifest, other[2])
    assert aot.load(str(tmp_path)) is None          # this machine's tag is not there
    mine = aot.paths(str(tmp_path))
    shutil.copy(so, mine[1])
    with open(mine[2], "w") as f:                   # a manifest written for another tag
        json.dump({**json.load(open(manifest)), "tag": "0" * 16}, f)
    assert aot.load(str(tmp_path)) is None
    assert aot.load(str(tmp_path / "missing")) is None


def test_a_damaged_build_warns_and_is_not_used(built, tmp_path):
    name, so, manifest = aot.paths(built)
    mine = aot.paths(str(tmp_path))
    shutil.copy(manifest, mine[2])
    with open(mine[1], "wb") as f:
        f.write(b"not an extension module")
    with pytest.warns(RuntimeWarning, match="does not load"):
        assert aot.load(str(tmp_path)) is None
    with open(mine[2], "w") as f:
        f.write("{not json")
    assert aot.load(str(tmp_path)) is None


def test_the_tag_follows_the_kernel_sources(monkeypatch):
    before = aot.tag()
    assert before == aot.tag() and len(before) == 16
    monkeypatch.setattr(aot, "_cpu", lambda: "another CPU")
    assert aot.tag() != before


def test_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DEEPGRAD_KERNELS_DIR", str(tmp_path))
    assert aot.directory() == str(tmp_path)
    monkeypatch.delenv("DEEPGRAD_KERNELS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert aot.directory() == os.path.join(str(tmp_path), "deepgrad", "kernels")


def test_auto_mode_uses_the_build_and_numba_mode_the_jit(built):
    code = ("from deepgrad import kernels; import sys, numpy as np\n"
            "k = kernels.get('activation', 'relu_backward')\n"
            "print(getattr(k, 'kernel', 'jit'), 'numba' in sys.modules)\n")
    env = {**os.environ, "DEEPGRAD_KERNELS": "auto", "DEEPGRAD_KERNELS_DIR": built}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["activation.relu_backward", "False"]
    env["DEEPGRAD_KERNELS"] = "numba"                # the JIT, asked for by name
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env)
    assert out.stdout.split() == ["jit", "True"]
