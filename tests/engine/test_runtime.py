"""cuda / backends / accelerator stand-ins, DataParallel, process settings (threads,
determinism, matmul precision, denormals, warn-always, print options) and the errors for
names deepgrad lacks."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import parallel, runtime


def test_cuda_answers_as_torch_without_cuda():
    assert dg.cuda.is_available() is False and dg.cuda.device_count() == 0
    assert dg.cuda.is_initialized() is False and dg.cuda.is_bf16_supported() is False
    state = dg.get_rng_state()
    assert dg.cuda.manual_seed(3) is None and dg.cuda.manual_seed_all(3) is None
    dg.cuda.seed()
    dg.cuda.seed_all()
    np.testing.assert_array_equal(dg.get_rng_state().array, state.array)   # CPU untouched
    with pytest.raises(TypeError, match="int seed"):
        dg.cuda.manual_seed("x")
    dg.cuda.empty_cache()
    assert dg.cuda.memory_allocated() == 0 and dg.cuda.max_memory_allocated() == 0
    assert dg.cuda.memory_reserved() == 0
    for call in (dg.cuda.synchronize, dg.cuda.current_device, lambda: dg.cuda.set_device(0),
                 dg.cuda.get_device_name, lambda: dg.cuda.memory_allocated(0)):
        with pytest.raises(RuntimeError, match="devices that exist are: 'cpu'"):
            call()
    with pytest.raises(AttributeError, match="accelerators is out of deepgrad's scope"):
        dg.cuda.Stream


def test_backends_flags_are_settable():
    cudnn = dg.backends.cudnn
    assert (cudnn.benchmark, cudnn.deterministic, cudnn.enabled) == (False, False, True)
    cudnn.benchmark, cudnn.deterministic = True, True
    try:
        assert dg.backends.cudnn.benchmark and dg.backends.cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic = False, False
    assert cudnn.is_available() is False and cudnn.version() is None
    assert dg.backends.mps.is_available() is False and dg.backends.mps.is_built() is False
    assert dg.backends.cuda.matmul.allow_tf32 is False
    dg.backends.cuda.matmul.allow_tf32 = True
    dg.backends.cuda.matmul.allow_tf32 = False


def test_accelerator():
    assert dg.accelerator.is_available() is False
    assert dg.accelerator.current_accelerator() is None and dg.accelerator.device_count() == 0
    device = dg.accelerator.current_accelerator() if dg.accelerator.is_available() \
        else dg.device("cpu")
    assert dg.zeros(1, device=device).device == device
    for call in (dg.accelerator.current_device_index, dg.accelerator.synchronize,
                 lambda: dg.accelerator.set_device_index(0)):
        with pytest.raises(RuntimeError, match="none is available"):
            call()


def test_against_torch_cpu_answers():
    torch = pytest.importorskip("torch")
    assert dg.cuda.is_available() == torch.cuda.is_available()
    assert dg.cuda.device_count() == torch.cuda.device_count()
    assert dg.accelerator.is_available() == torch.accelerator.is_available()
    assert dg.backends.mps.is_available() == torch.backends.mps.is_available()
    for name in ("benchmark", "deterministic", "enabled"):
        assert getattr(dg.backends.cudnn, name) == getattr(torch.backends.cudnn, name)


# ---------------------------------------------------------------------------- DataParallel
def test_data_parallel_runs_the_module_and_prefixes_state_dict():
    import deepgrad.nn.parallel as parallel
    inner = dg.nn.Linear(4, 2)
    model = dg.nn.DataParallel(inner)
    assert model.module is inner and parallel.DataParallel is dg.nn.DataParallel
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    x = dg.randn(3, 4)
    np.testing.assert_array_equal(model(x).array, inner(x).array)
    np.testing.assert_array_equal(parallel.data_parallel(inner, x).array, inner(x).array)
    other = dg.nn.DataParallel(dg.nn.Linear(4, 2))
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other(x).array, model(x).array)
    assert len(list(model.parameters())) == 2
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.nn.DataParallel(inner, device_ids=[0, 1])
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.nn.DataParallel(inner, output_device="cuda:0")
    with pytest.raises(TypeError, match="nn.Module"):
        dg.nn.DataParallel(lambda x: x)
    assert parallel.DistributedDataParallel.__name__ == "DistributedDataParallel"  # issue 14
    with pytest.raises(AttributeError, match="PyTorch removed it"):
        parallel.DistributedDataParallelCPU


def test_data_parallel_keys_match_torch():
    torch = pytest.importorskip("torch")
    t = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()))
    d = dg.nn.DataParallel(dg.nn.Sequential(dg.nn.Linear(2, 3), dg.nn.ReLU()))
    assert list(t.state_dict()) == list(d.state_dict())


# ---------------------------------------------------------------------------- settings
def test_num_threads_size_the_pool_and_keep_the_blas_at_one():
    before = dg.get_num_threads()
    try:
        dg.set_num_threads(1)
        assert dg.get_num_threads() == 1
        dg.set_num_threads(3)
        assert dg.get_num_threads() == 3 == parallel.num_threads()
        if runtime.blas_library() is not None:
            assert runtime._blas[1]() == 1        # the pool splits the work, not the BLAS
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dg.set_num_threads(before)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RuntimeError, match="positive integer"):
            dg.set_num_threads(bad)


def test_first_use_takes_the_blas_threads_for_the_pool():
    if runtime.blas_library() is None:
        pytest.skip("no known BLAS")
    code = ("import numpy, deepgrad\n"
            "from deepgrad import runtime\n"
            "runtime.blas_library(); runtime._blas[2](3)\n"     # as OMP_NUM_THREADS=3 would
            "print(deepgrad.get_num_threads(), runtime._blas[1]())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["3", "1"], out.stderr


def test_num_threads_reach_openblas_itself():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if runtime.blas_library() != "OpenBLAS":
        pytest.skip("NumPy here does not use OpenBLAS")
    before = dg.get_num_threads()
    try:
        dg.set_num_threads(1)
        # NumPy's own BLAS (SciPy, loaded by scikit-learn, may bring a second OpenBLAS that
        # deepgrad does not use and does not touch)
        infos = [i for i in threadpoolctl.threadpool_info()
                 if i["user_api"] == "blas" and "numpy" in i["filepath"]]
        assert infos and all(i["num_threads"] == 1 for i in infos), infos
    finally:
        dg.set_num_threads(before)


def test_interop_threads():
    assert dg.get_num_interop_threads() == 1
    with pytest.warns(UserWarning, match="one after another"):
        dg.set_num_interop_threads(4)
    assert dg.get_num_interop_threads() == 4
    dg.set_num_interop_threads(1)
    with pytest.raises(RuntimeError, match="positive integer"):
        dg.set_num_interop_threads(0)


def test_deterministic_flags():
    try:
        assert not dg.are_deterministic_algorithms_enabled()
        dg.use_deterministic_algorithms(True, warn_only=True)
        assert dg.are_deterministic_algorithms_enabled()
        assert dg.is_deterministic_algorithms_warn_only_enabled()
        assert dg.get_deterministic_debug_mode() == 1
        dg.set_deterministic_debug_mode("error")
        assert dg.get_deterministic_debug_mode() == 2
        assert not dg.is_deterministic_algorithms_warn_only_enabled()
        with pytest.raises(RuntimeError, match="invalid mode"):
            dg.set_deterministic_debug_mode("loud")
        with pytest.raises(TypeError, match="bools"):
            dg.use_deterministic_algorithms("yes")
    finally:
        dg.set_deterministic_debug_mode(0)
    assert dg.get_deterministic_debug_mode() == 0


def test_matmul_precision():
    assert dg.get_float32_matmul_precision() == "highest"
    dg.set_float32_matmul_precision("high")
    assert dg.get_float32_matmul_precision() == "high"
    dg.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="invalid precision"):
        dg.set_float32_matmul_precision("low")


def test_flush_denormal():
    tiny = np.array([1e-40], dtype=np.float32)            # a float32 subnormal
    try:
        supported = dg.set_flush_denormal(True)
        if not supported:
            pytest.skip("flushing denormals is not supported on this platform")
        assert (tiny * np.float32(1.0))[0] == 0.0
    finally:
        dg.set_flush_denormal(False)
    assert (tiny * np.float32(1.0))[0] != 0.0
    with pytest.raises(TypeError, match="bool"):
        dg.set_flush_denormal(1)


def test_warn_always():
    msg = "test_runtime: a warn-once message"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runtime.warn_once(msg)
        runtime.warn_once(msg)
        assert len(caught) == 1
        dg.set_warn_always(True)
        try:
            assert dg.is_warn_always_enabled()
            runtime.warn_once(msg)
            runtime.warn_once(msg)
        finally:
            dg.set_warn_always(False)
        assert len(caught) == 3


def test_printoptions():
    x = dg.tensor([1.123456789, 2.0, 1e-5])
    try:
        dg.set_printoptions(precision=2)
        assert "1.12" in repr(x) and "1.1234" not in repr(x)
        dg.set_printoptions(sci_mode=True)
        assert "e+00" in repr(x)
        dg.set_printoptions(sci_mode=False)
        assert "e-" not in repr(x)
        dg.set_printoptions(threshold=5, edgeitems=2)
        assert "..." in repr(dg.arange(100))
        dg.set_printoptions(profile="full")
        assert "..." not in repr(dg.arange(2000))
    finally:
        dg.set_printoptions(profile="default")
    assert "1.1235" in repr(x) and "..." in repr(dg.arange(2000))
    with pytest.raises(ValueError, match="profile"):
        dg.set_printoptions(profile="long")
    assert repr(dg.tensor([1.0], dtype=dg.float64)).endswith("dtype=float64)")


def test_get_device():
    assert dg.get_device(dg.zeros(1)) == -1
    with pytest.raises(TypeError, match="Tensor"):
        dg.get_device(3)


# ---------------------------------------------------------------------------- missing names
@pytest.mark.parametrize("owner,namespace", [
    ("deepgrad", lambda: dg), ("deepgrad.nn", lambda: dg.nn),
    ("deepgrad.nn.functional", lambda: dg.nn.functional), ("deepgrad.optim", lambda: dg.optim),
    ("deepgrad.utils.data", lambda: dg.utils.data), ("deepgrad.autograd", lambda: dg.autograd),
    ("deepgrad.linalg", lambda: dg.linalg)])
def test_missing_names_say_deepgrad_does_not_implement_them(owner, namespace):
    ns = namespace()
    with pytest.raises(AttributeError) as info:
        getattr(ns, "frobnicate_everything")
    text = str(info.value)
    assert text.startswith(f"{owner} has no attribute 'frobnicate_everything'")
    assert "deepgrad does not implement it" in text and "Did you mean" not in text
    assert not hasattr(ns, "frobnicate_everything")


def test_out_of_scope_families_are_named():
    with pytest.raises(AttributeError, match="quantization is out of deepgrad's scope"):
        dg.quantize_per_tensor
    with pytest.raises(AttributeError, match="sparse is out of deepgrad's scope"):
        dg.sparse_coo_tensor
    with pytest.raises(AttributeError, match="compilers is out of deepgrad's scope"):
        dg.compile
    with pytest.raises(AttributeError, match="accelerators is out of deepgrad's scope"):
        dg.zeros(1).cuda_stream_thing


def test_lazy_names_and_submodules():
    from deepgrad import load, save                   # noqa: F401
    import deepgrad.nn.parallel                       # noqa: F401
    assert callable(dg.save) and callable(dg.load) and dg.serialization.save is dg.save


def test_dtypes_numpy_lacks_say_so():
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        dg.bfloat16
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        dg.zeros(1).bfloat16()


def test_init_num_threads_reapplies_the_last_setting():
    before = dg.get_num_threads()
    try:
        dg.set_num_threads(2)
        if runtime.blas_library() is not None:
            runtime._blas[2](2)                  # something else changed the BLAS threads
            dg.init_num_threads()
            assert runtime._blas[1]() == 1 and dg.get_num_threads() == 2
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dg.set_num_threads(before)


def test_is_inference():
    assert dg.is_inference(dg.zeros(1)) is False
    with dg.inference_mode():
        assert dg.is_inference(dg.zeros(1) + 1)
    with pytest.raises(TypeError, match="Tensor"):
        dg.is_inference(1)
