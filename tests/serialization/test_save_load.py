"""deepgrad.save / deepgrad.load: PyTorch's zip format both ways, bit-exact round trips,
hostile and corrupted files refused, atomic saving."""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import serialization
from deepgrad.serialization import CheckpointError

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def _specials():
    """float32 values whose bits must survive: NaN payload, -0.0, infinities, denormals."""
    bits = np.array([0x7FC00001, 0x80000000, 0x7F800000, 0xFF800000, 0x00000001, 0x3F800000],
                    dtype=np.uint32)
    return bits.view(np.float32)


def _tensors():
    """Every kind of tensor the round trip must keep bit-exact."""
    base = dg.tensor(np.arange(24, dtype=np.float32).reshape(4, 6) / 7)
    return collections.OrderedDict([
        ("f32", dg.tensor(_specials())),
        ("f64", dg.tensor(np.array([np.pi, -np.e, 1e-310, np.nan, -0.0]))),
        ("i64", dg.tensor([-(2 ** 63), 2 ** 63 - 1, 0, -5])),
        ("bool", dg.tensor([True, False, True])),
        ("u8", dg.tensor(np.array([0, 127, 255], np.uint8))),
        ("scalar", dg.tensor(2.5)),
        ("scalar_i", dg.tensor(7)),
        ("empty", dg.zeros(0, 3)),
        ("base", base),
        ("transposed", base.t()),                       # non-contiguous view of base
        ("strided", dg.Tensor._wrap(base.array[::2, 1::3])),
        ("row", dg.Tensor._wrap(base.array[2])),
    ])


def _assert_bit_exact(a, b, name=""):
    a_arr = a.array if hasattr(a, "array") else np.asarray(a)
    b_arr = b.array if hasattr(b, "array") else b if isinstance(b, np.ndarray) else b.numpy()
    assert a_arr.dtype == b_arr.dtype, name
    assert a_arr.shape == b_arr.shape, name
    assert np.ascontiguousarray(a_arr).tobytes() == np.ascontiguousarray(b_arr).tobytes(), name


# ---------------------------------------------------------------------------- round trips
def test_deepgrad_round_trip_is_bit_exact_and_keeps_views(tmp_path):
    sd = _tensors()
    path = tmp_path / "ckpt.pt"
    dg.save(sd, path)
    back = dg.load(path)
    assert isinstance(back, collections.OrderedDict) and list(back) == list(sd)
    for k in sd:
        _assert_bit_exact(sd[k], back[k], k)
        assert back[k].stride() == sd[k].stride(), k
    for view in ("transposed", "strided", "row"):
        assert np.shares_memory(back["base"].array, back[view].array), view
    back["base"].array[2, 0] = 100.0
    assert back["row"].array[0] == 100.0            # still one buffer, as torch's storages


def test_round_trip_deepgrad_to_torch_to_deepgrad_is_bit_exact(tmp_path):
    torch = pytest.importorskip("torch")
    sd = _tensors()
    first = tmp_path / "from_deepgrad.pt"
    dg.save(sd, first)
    loaded = torch.load(first, weights_only=True)
    for k in sd:
        _assert_bit_exact(sd[k], loaded[k], k)
        assert loaded[k].stride() == sd[k].stride(), k
    assert loaded["transposed"].untyped_storage().data_ptr() == \
        loaded["base"].untyped_storage().data_ptr()
    second = tmp_path / "from_torch.pt"
    torch.save(loaded, second)
    back = dg.load(second)
    for k in sd:
        _assert_bit_exact(sd[k], back[k], k)
        assert back[k].stride() == sd[k].stride(), k
    assert np.shares_memory(back["base"].array, back["transposed"].array)
    third = tmp_path / "again.pt"                     # loaded views still share on re-save
    dg.save(back, third)
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(third) as b:
        count = [sum("/data/" in n for n in z.namelist()) for z in (a, b)]
    assert count[0] == count[1] == len(sd) - 3        # base and its 3 views: one storage
    again = torch.load(third, weights_only=True)
    for k in sd:
        _assert_bit_exact(sd[k], again[k], k)


def test_file_saved_by_torch_loads_without_torch():
    sd = dg.load(os.path.join(DATA, "torch_saved.pt"))
    w = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 10
    _assert_bit_exact(sd["linear.weight"], w)
    _assert_bit_exact(sd["linear.weight_t"], w.T)
    assert np.shares_memory(sd["linear.weight"].array, sd["linear.weight_t"].array)
    _assert_bit_exact(sd["linear.bias"], np.array([0.5, -0.25], np.float32))
    _assert_bit_exact(sd["bn.num_batches_tracked"], np.array(7, np.int64))
    _assert_bit_exact(sd["mask"], np.array([True, False, True]))
    _assert_bit_exact(sd["scalar"], np.array(3.25))
    assert isinstance(sd["param"], dg.nn.Parameter) and sd["param"].requires_grad
    _assert_bit_exact(sd["param"], np.array([1.5, 2.5], np.float32))
    assert sd["empty"].shape == (0, 4) and sd["empty"].dtype == np.float32
    _assert_bit_exact(sd["bytes"], np.arange(5, dtype=np.uint8))
    meta = sd["meta"]
    assert meta["epoch"] == 3 and meta["name"] == "tiny" and meta["betas"] == (0.9, 0.999)
    assert meta["none"] is None and meta["dtype"] is dg.float64
    assert meta["device"] == dg.device("cpu") and meta["size"] == (2, 3)


def test_torch_model_and_optimizer_state_dicts_load_into_deepgrad(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3),
                               torch.nn.BatchNorm1d(3))
    opt = torch.optim.Adam(tnet.parameters(), lr=1e-2)
    x = torch.randn(16, 4)
    for _ in range(3):
        opt.zero_grad()
        tnet(x).pow(2).mean().backward()
        opt.step()
    path = tmp_path / "torch_ckpt.pt"
    torch.save({"model": tnet.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
    ck = dg.load(path)
    for k, v in tnet.state_dict().items():
        _assert_bit_exact(ck["model"][k], v, k)
    tstate = opt.state_dict()
    assert ck["optim"]["param_groups"][0]["params"] == tstate["param_groups"][0]["params"]
    assert ck["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)
    for i, s in tstate["state"].items():
        for name, v in s.items():
            _assert_bit_exact(ck["optim"]["state"][i][name], v, f"{i}.{name}")
    net = dg.nn.Sequential(dg.nn.Linear(4, 8), dg.nn.ReLU(), dg.nn.Linear(8, 3),
                           dg.nn.BatchNorm1d(3))
    net.load_state_dict(ck["model"])
    net.eval()
    tnet.eval()
    with torch.no_grad():
        expect = tnet(x).numpy()
    np.testing.assert_allclose(net(dg.tensor(x.numpy())).array, expect, rtol=1e-5, atol=1e-6)


def test_deepgrad_state_dicts_load_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    net = dg.nn.Sequential(dg.nn.Linear(3, 5), dg.nn.Tanh(), dg.nn.Linear(5, 2))
    path = tmp_path / "dg_model.pt"
    dg.save(net.state_dict(), path)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    tnet.load_state_dict(torch.load(path, weights_only=True))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(tnet(torch.from_numpy(x)).numpy(), net(dg.tensor(x)).array,
                                   rtol=1e-6, atol=1e-6)


def test_model_and_optimizer_state_round_trip_in_deepgrad(tmp_path):
    dg.manual_seed(0)
    net = dg.nn.Sequential(dg.nn.Linear(3, 4), dg.nn.ReLU(), dg.nn.Linear(4, 1))
    opt = dg.optim.Adam(net.parameters(), lr=0.01)
    x = dg.randn(8, 3)
    for _ in range(2):
        opt.zero_grad()
        net(x).pow(2).mean().backward()
        opt.step()
    path = tmp_path / "train.pt"
    dg.save({"model": net.state_dict(), "optim": opt.state_dict(), "step": np.int64(2)}, path)
    ck = dg.load(path)
    assert ck["step"] == 2 and type(ck["step"]) is int        # NumPy scalars -> numbers
    net2 = dg.nn.Sequential(dg.nn.Linear(3, 4), dg.nn.ReLU(), dg.nn.Linear(4, 1))
    net2.load_state_dict(ck["model"])
    for (k, a), b in zip(net.state_dict().items(), net2.state_dict().values()):
        _assert_bit_exact(a, b, k)
    saved = opt.state_dict()
    for i, s in saved["state"].items():
        for name, v in s.items():
            got = ck["optim"]["state"][i][name]
            if isinstance(v, (np.ndarray, dg.Tensor)):
                assert type(got) is type(v)                      # ndarrays stay ndarrays
                _assert_bit_exact(v, got, name)
            else:
                assert got == v


def test_ndarrays_load_back_as_ndarrays_and_as_tensors_in_torch(tmp_path):
    path = tmp_path / "arrays.pt"
    a = np.arange(12.0).reshape(3, 4)
    obj = {"a": a, "view": a[:, 1], "u16": np.arange(3, dtype=np.uint16),
           "t": dg.tensor(a)}
    dg.save(obj, path)
    for weights_only in (True, False):
        back = dg.load(path, weights_only=weights_only)
        assert type(back["a"]) is np.ndarray and type(back["view"]) is np.ndarray
        assert type(back["u16"]) is np.ndarray and isinstance(back["t"], dg.Tensor)
        for k in obj:
            _assert_bit_exact(obj[k], back[k], k)
        assert np.shares_memory(back["a"], back["view"])
        assert dg.from_numpy(back["a"]).shape == (3, 4)
    torch = pytest.importorskip("torch")
    t = torch.load(path, weights_only=True)
    assert isinstance(t["a"], torch.Tensor) and not t["a"].is_neg() and not t["a"].is_conj()
    _assert_bit_exact(a, t["a"])
    _assert_bit_exact(obj["u16"], t["u16"])


def test_bytes_io_and_file_objects():
    buf = io.BytesIO()
    dg.save({"a": dg.ones(3), "b": [1, 2.5, "x", None, b"raw"]}, buf)
    buf.seek(0)
    out = dg.load(buf)
    assert out["a"].tolist() == [1.0, 1.0, 1.0] and out["b"] == [1, 2.5, "x", None, b"raw"]
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0] == "archive/data.pkl"


def test_records_are_aligned_for_mmap(tmp_path):
    path = tmp_path / "aligned.pt"
    dg.save({"w": dg.randn(5, 7), "b": dg.zeros(3, dtype=dg.int64)}, path)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist()[0] == "aligned/data.pkl"
        for info in zf.infolist():
            n, e = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + n + e) % 64 == 0, info.filename
            assert info.compress_type == zipfile.ZIP_STORED
    mapped = dg.load(path, mmap=True)
    np.testing.assert_array_equal(mapped["w"].array, dg.load(path)["w"].array)
    mapped["w"].array[0, 0] = 42.0                      # copy-on-write: the file is untouched
    assert dg.load(path)["w"].array[0, 0] != 42.0
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(torch.load(path, mmap=True, weights_only=True)["w"].numpy(),
                                  dg.load(path)["w"].array)


def test_parameters_dtypes_devices_and_sizes_keep_their_kind(tmp_path):
    path = tmp_path / "kinds.pt"
    p = dg.nn.Parameter(dg.randn(2))
    obj = {"p": p, "frozen": dg.nn.Parameter(dg.ones(1), requires_grad=False),
           "g": dg.ones(2, requires_grad=True), "dtype": dg.int32, "dev": dg.device("cpu"),
           "legacy": dg.LongTensor, "layout": dg.strided}
    dg.save(obj, path)
    out = dg.load(path)
    assert isinstance(out["p"], dg.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], dg.nn.Parameter) and not out["frozen"].requires_grad
    assert out["g"].requires_grad and out["g"].is_leaf
    assert out["dtype"] is dg.int32 and out["dev"] == dg.device("cpu")
    assert out["legacy"] is dg.LongTensor and out["layout"] is dg.strided
    torch = pytest.importorskip("torch")
    t = torch.load(path, weights_only=True)
    assert isinstance(t["p"], torch.nn.Parameter) and t["dtype"] is torch.int32
    assert t["dev"] == torch.device("cpu") and t["legacy"] is torch.LongTensor


def test_whole_module_needs_weights_only_false(tmp_path):
    path = tmp_path / "module.pt"
    net = dg.nn.Linear(2, 3)
    dg.save(net, path)
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        dg.load(path)
    assert "deepgrad.nn.linear.Linear" in serialization.get_unsafe_globals_in_checkpoint(path)
    back = dg.load(path, weights_only=False)
    assert isinstance(back, dg.nn.Linear)
    _assert_bit_exact(back.weight, net.weight)


class Point:
    def __init__(self, x):
        self.x = x


def test_safe_globals_allowlist(tmp_path):
    path = tmp_path / "point.pt"
    dg.save({"pt": Point(3)}, path)
    name = f"{Point.__module__}.Point"
    with pytest.raises(pickle.UnpicklingError, match="add_safe_globals"):
        dg.load(path)
    assert serialization.get_unsafe_globals_in_checkpoint(path) == [name]
    with serialization.safe_globals([Point]):
        assert dg.load(path)["pt"].x == 3
        assert Point in serialization.get_safe_globals()
    assert Point not in serialization.get_safe_globals()
    serialization.add_safe_globals([(Point, name)])
    try:
        assert dg.load(path)["pt"].x == 3
    finally:
        serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="list"):
        serialization.add_safe_globals(Point)


# ---------------------------------------------------------------------------- map_location
def _with_location(src, dst, location):
    """Rewrite a checkpoint so that its storages claim to live on ``location``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu",
                                    b"X" + struct.pack("<I", len(location)) + location.encode())
            zout.writestr(info.filename, data)


def test_map_location(tmp_path):
    src, gpu = tmp_path / "cpu.pt", tmp_path / "gpu.pt"
    dg.save({"w": dg.arange(3.0)}, src)
    _with_location(src, gpu, "cuda:0")
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        dg.load(gpu)
    for ml in ("cpu", dg.device("cpu"), {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert dg.load(gpu, map_location=ml)["w"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="devices that exist"):
        dg.load(src, map_location="cuda")
    with pytest.raises(TypeError, match="map_location"):
        dg.load(src, map_location=3.5)


# ---------------------------------------------------------------------------- hostile files
def _archive(path, pkl):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/version", "3\n")


class _Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    import builtins
    import subprocess
    cmd = f"touch {marker}"
    return {
        "os.system": pickle.dumps(_Reduce(os.system, (cmd,)), protocol=2),
        "builtins.eval": pickle.dumps(_Reduce(builtins.eval,
                                              (f"open({str(marker)!r}, 'w')",)), protocol=2),
        "builtins.exec": pickle.dumps(_Reduce(builtins.exec,
                                              (f"open({str(marker)!r}, 'w')",)), protocol=4),
        "subprocess": pickle.dumps(_Reduce(subprocess.check_call, (["touch", str(marker)],)),
                                   protocol=2),
        "getattr chain": (b"\x80\x02cbuiltins\ngetattr\n(cos\nsystem\nX\x06\x00\x00\x00system"
                          b"tR(X" + struct.pack("<I", len(cmd)) + cmd.encode() + b"tR."),
        "protocol 0 INST": f"(S'{cmd}'\nios\nsystem\n.".encode(),
        "posix.system": b"\x80\x02cposix\nsystem\nX" + struct.pack("<I", len(cmd)) +
                        cmd.encode() + b"\x85R.",
        "inside a dict": pickle.dumps({"w": _Reduce(os.system, (cmd,))}, protocol=2),
    }


@pytest.mark.parametrize("kind", list(_payloads("m")))
def test_hostile_pickles_are_refused_and_never_run(tmp_path, kind):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    _archive(path, _payloads(marker)[kind])
    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        dg.load(path)
    assert not marker.exists()


def test_the_payload_does_run_when_weights_only_is_false(tmp_path):
    """Proves the refusal test above is meaningful: the same file runs its payload
    under full pickle (the explicit opt-in for trusted files)."""
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    _archive(path, _payloads(marker)["os.system"])
    dg.load(path, weights_only=False)
    assert marker.exists()


def test_storage_views_outside_their_data_are_refused(tmp_path):
    good = tmp_path / "good.pt"
    dg.save({"w": dg.arange(4.0)}, good)
    with zipfile.ZipFile(good) as zf:
        pkl = zf.read("good/data.pkl")
    for old, new in [(b"K\x04\x85", b"K\x40\x85"),          # size 4 -> 64 elements
                     (b"K\x00K\x04", b"K\x03K\x04")]:       # offset 0 -> 3
        assert old in pkl
        evil = tmp_path / "evil.pt"
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                zout.writestr(info.filename, pkl.replace(old, new, 1)
                              if info.filename.endswith("data.pkl") else data)
        with pytest.raises(CheckpointError, match="reads past its storage"):
            dg.load(evil)


def test_non_storage_persistent_ids_are_refused(tmp_path):
    path = tmp_path / "pid.pt"
    _archive(path, b"\x80\x02X\x04\x00\x00\x00evilQ.")
    with pytest.raises(pickle.UnpicklingError, match="storage persistent ids"):
        dg.load(path)


# ---------------------------------------------------------------------------- corrupted files
def test_corrupted_and_foreign_files_get_clear_errors(tmp_path):
    good = tmp_path / "good.pt"
    dg.save({"w": dg.randn(64, 64), "n": 3}, good)
    raw = good.read_bytes()
    cases = {
        "empty": (b"", "empty"),
        "garbage": (b"this is not a checkpoint at all", "not a zip archive"),
        "bare pickle": (pickle.dumps({"a": 1}, protocol=2), "bare pickle"),
        "legacy torch": (b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.", "legacy"),
        "truncated at half": (raw[:len(raw) // 2], "truncated or corrupted"),
        "truncated near end": (raw[:-10], "truncated or corrupted"),
    }
    for name, (content, match) in cases.items():
        bad = tmp_path / "bad.pt"
        bad.write_bytes(content)
        with pytest.raises(CheckpointError, match=match):
            dg.load(bad)
    flipped = bytearray(raw)
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("good/data/0")
    n, e = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    flipped[info.header_offset + 30 + n + e + 100] ^= 0xFF   # a flipped bit in tensor data
    bad = tmp_path / "crc.pt"
    bad.write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="corrupted"):
        dg.load(bad)


def test_archives_missing_records_are_refused(tmp_path):
    good = tmp_path / "good.pt"
    dg.save({"w": dg.ones(4)}, good)
    for drop, match in [("good/data/0", "lacks storage record"), ("good/data.pkl", "data.pkl")]:
        bad = tmp_path / "missing.pt"
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
            for info in zin.infolist():
                if info.filename != drop:
                    zout.writestr(info.filename, zin.read(info))
        with pytest.raises(CheckpointError, match=match):
            dg.load(bad)
    short = tmp_path / "short.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(short, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, data[:8] if info.filename.endswith("data/0") else data)
    with pytest.raises(CheckpointError, match="holds 8 bytes"):
        dg.load(short)
    script = tmp_path / "script.pt"
    with zipfile.ZipFile(script, "w") as zf:
        zf.writestr("m/data.pkl", b"")
        zf.writestr("m/constants.pkl", b"")
    with pytest.raises(CheckpointError, match="TorchScript"):
        dg.load(script)


# ---------------------------------------------------------------------------- atomic saving
def test_a_failing_save_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "model.pt"
    dg.save({"w": dg.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        dg.save({"w": dg.zeros(3), "f": lambda x: x}, path)        # unpicklable
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.pt"]             # no temporary left
    new = tmp_path / "new.pt"
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        dg.save({"f": lambda x: x}, new)
    assert not new.exists() and sorted(os.listdir(tmp_path)) == ["model.pt"]
    buf = io.BytesIO(b"keep")
    buf.seek(4)
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        dg.save({"f": lambda x: x}, buf)
    assert buf.getvalue() == b"keep"


def test_a_crash_while_writing_keeps_the_old_file(tmp_path, monkeypatch):
    from deepgrad.serialization import _writer
    path = tmp_path / "model.pt"
    dg.save({"w": dg.ones(3)}, path)
    before = path.read_bytes()
    real = _writer.write_archive

    def crash(fh, *args):
        real(fh, *args)
        fh.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(_writer, "write_archive", crash)
    with pytest.raises(OSError, match="disk full"):
        dg.save({"w": dg.zeros(1000)}, path)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["model.pt"]


def test_save_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="path or a writable"):
        dg.save({}, 42)
    with pytest.raises(ValueError, match="pickle_protocol"):
        dg.save({}, tmp_path / "x.pt", pickle_protocol=1)
    with pytest.raises(ValueError, match="zip format"):
        dg.save({}, tmp_path / "x.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(IsADirectoryError):
        dg.save({}, tmp_path)
    with pytest.raises(TypeError, match="weights_only"):
        dg.load(tmp_path / "x.pt", weights_only="yes")
    assert not (tmp_path / "x.pt").exists()


def test_bfloat16_from_torch_loads_as_float32(tmp_path):
    torch = pytest.importorskip("torch")
    t = torch.tensor([1.5, -2.25, 3.0e38], dtype=torch.bfloat16)
    path = tmp_path / "bf16.pt"
    torch.save({"w": t}, path)
    with pytest.warns(UserWarning, match="bfloat16"):
        w = dg.load(path)["w"]
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w.array, t.float().numpy())


def test_views_made_by_as_strided_share_their_buffer(tmp_path):
    base = np.arange(10.0)
    windows = np.lib.stride_tricks.sliding_window_view(base, 3)      # as_strided inside
    path = tmp_path / "windows.pt"
    dg.save({"base": dg.tensor(base), "w": dg.Tensor._wrap(windows)}, path)
    with zipfile.ZipFile(path) as zf:
        assert sum("/data/" in n for n in zf.namelist()) == 2   # tensor() copied base
    dg.save({"base": dg.from_numpy(base), "w": dg.Tensor._wrap(windows)}, path)
    with zipfile.ZipFile(path) as zf:
        assert sum("/data/" in n for n in zf.namelist()) == 1
    back = dg.load(path)
    _assert_bit_exact(back["w"], windows)
    assert back["w"].stride() == (1, 1)
