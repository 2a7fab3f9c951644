"""The test tree itself: no folder of it may shadow an installed package."""
import importlib.util
import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))


def test_no_test_folder_shadows_a_package():
    # Names a test folder must never take: the references and common libraries that
    # tests import or skip on (a folder named `keras` made `importorskip("keras")` return
    # the folder itself instead of skipping).
    reserved = {"keras", "torch", "tensorflow", "numpy", "deepgrad", "h5py", "mpi4py",
                "onnx", "captum", "opacus", "datasets", "autograd", "sklearn", "tqdm"}
    folders = {d for d in os.listdir(TESTS) if os.path.isdir(os.path.join(TESTS, d))}
    assert not folders & reserved, f"test folders named like packages: {sorted(folders & reserved)}"


def test_tests_folder_is_not_on_sys_path():
    assert TESTS not in [os.path.abspath(p) for p in sys.path if p], \
        "tests/ is on sys.path: its sub-folders import as top-level packages"
    spec = importlib.util.find_spec("keras_front")
    assert spec is None, "tests/keras_front is importable as a package"
