"""Fuzzing every file reader: a mutated ``.keras``/``.dgkeras`` archive, ``.pt``
checkpoint, ``.weights.npz`` or ``.weights.h5`` file either loads or raises deepgrad's own
clear error (ValueError naming the file for the Keras front; CheckpointError or the
weights-only UnpicklingError for ``deepgrad.load``), never runs code from the file and
never inflates a member past the read limits (its memory peak stays small).

Mutations: truncation at spread-out lengths, seeded single-bit flips, and hostile archives
built by hand: path-traversal and absolute member names, duplicate members, a member that
inflates to 1.1 GiB from ~1 MB (a real deflate stream with the right CRC), pickles that
call ``os.system``/``builtins.exec``, and object (pickled) arrays in ``.npz`` files.
"""
import io
import os
import pickle
import random
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import deepgrad
from deepgrad import keras
from deepgrad.serialization import CheckpointError, safe_io

FLIPS = 60                    # bit flips per file
CUTS = 24                     # truncation lengths per file
BOMB_BYTES = 70 << 24         # 1.1 GiB of zeros, inflated from ~1.1 MB


def _has_h5py():
    try:
        import h5py  # noqa: F401
        return True
    except ImportError:
        return False


# ====================================================================== files
@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                          keras.layers.Dense(2)])
    m.compile("adam", "mse")
    m.fit(np.random.rand(8, 4).astype("float32"), np.random.rand(8, 2).astype("float32"),
          verbose=0)
    return m


@pytest.fixture(scope="module")
def files(model, tmp_path_factory):
    """``{kind: (path, bytes)}`` of valid files of every format."""
    d = tmp_path_factory.mktemp("valid")
    out = {}
    kinds = ["dgkeras", "npz", "pt"] + (["keras", "h5"] if _has_h5py() else [])
    for kind in kinds:
        path = str(d / {"dgkeras": "m.dgkeras", "keras": "m.keras", "npz": "w.weights.npz",
                        "h5": "w.weights.h5", "pt": "c.pt"}[kind])
        if kind in ("dgkeras", "keras"):
            model.save(path)
        elif kind in ("npz", "h5"):
            model.save_weights(path)
        else:
            lin = deepgrad.nn.Linear(4, 3)
            opt = deepgrad.optim.Adam(lin.parameters())
            deepgrad.save({"model": lin.state_dict(), "optimizer": opt.state_dict()}, path)
        with open(path, "rb") as f:
            out[kind] = (path, f.read())
    return out


def _load(kind, path, model):
    if kind in ("dgkeras", "keras"):
        return keras.models.load_model(path)
    if kind in ("npz", "h5"):
        return model.load_weights(path)
    return deepgrad.load(path)


def _suffix(kind):
    return {"dgkeras": ".dgkeras", "keras": ".keras", "npz": ".weights.npz",
            "h5": ".weights.h5", "pt": ".pt"}[kind]


def _check_load(kind, data, tmp_path, model, name="mutant"):
    """Load ``data`` as a ``kind`` file: success, or deepgrad's own error (returned)."""
    path = str(tmp_path / (name + _suffix(kind)))
    with open(path, "wb") as f:
        f.write(data)
    weights = [w.copy() for w in model.get_weights()]
    try:
        _load(kind, path, model)
    except (CheckpointError, pickle.UnpicklingError) as e:
        assert kind == "pt", f"{kind}: {type(e).__name__}: {e}"
        assert "deepgrad" in str(e) or "checkpoint" in str(e), str(e)
        return e
    except ValueError as e:
        assert kind != "pt", f"deepgrad.load raised a bare ValueError: {e}"
        assert name in str(e), f"the error does not name the file: {e}"
        if kind in ("npz", "h5"):                 # load_weights left the model unchanged
            assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
        return e
    return None


KINDS = ["dgkeras", "keras", "npz", "h5", "pt"]


def _need(files, kind):
    if kind not in files:
        pytest.skip("needs h5py (the [h5] extra)")
    return files[kind]


# ====================================================================== mutations
@pytest.mark.parametrize("kind", KINDS)
def test_truncated_files_raise_clear_errors(kind, files, model, tmp_path):
    _, data = _need(files, kind)
    cuts = sorted({0, 1, 8, len(data) - 1} | {len(data) * i // CUTS for i in range(1, CUTS)})
    for n in cuts:
        error = _check_load(kind, data[:n], tmp_path, model)
        assert error is not None, f"{kind} truncated to {n} of {len(data)} bytes loaded"


@pytest.mark.parametrize("kind", KINDS)
def test_bit_flips_load_or_raise_clear_errors(kind, files, model, tmp_path):
    _, data = _need(files, kind)
    rng = random.Random(f"flip-{kind}")
    for _ in range(FLIPS):
        mutant = bytearray(data)
        i = rng.randrange(len(mutant))
        mutant[i] ^= 1 << rng.randrange(8)
        _check_load(kind, bytes(mutant), tmp_path, model)


# ====================================================================== hostile archives
def _zip(members):
    """A zip archive written by hand from ``[(name, payload, method, crc, size)]``, so
    that names may repeat or climb out and payloads may be any deflate stream."""
    out, central = io.BytesIO(), []
    for name, payload, method, crc, size in members:
        raw = name.encode()
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 33,
                                   crc, len(payload), size, len(raw), 0, 0, 0, 0, 0,
                                   out.tell()) + raw)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 33, crc,
                              len(payload), size, len(raw), 0) + raw + payload)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def _stored(name, data):
    return (name, data, 0, zlib.crc32(data), len(data))


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [_stored(i.filename, zf.read(i.filename)) for i in zf.infolist()]


@pytest.fixture(scope="module")
def bomb():
    """A raw deflate stream of BOMB_BYTES zeros (~1.1 MB) and its CRC-32."""
    chunk = bytes(1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)   # full flush: blocks repeat
    n = BOMB_BYTES // len(chunk)
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    return block * n + c.flush(), crc


ZIP_KINDS = ["dgkeras", "keras", "npz", "pt"]


def _victim(kind, names):
    """The member a hostile archive of ``kind`` replaces (a weights or config member)."""
    if kind == "pt":
        return next(n for n in names if n.endswith("/data/0"))
    return next(n for n in names if n.endswith((".npy", "weights.npz", "weights.h5"))) \
        if kind != "keras" else "config.json"


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_a_member_inflating_to_over_a_gigabyte_is_refused_with_a_small_memory_peak(
        kind, files, model, tmp_path, bomb):
    _, data = _need(files, kind)
    stream, crc = bomb
    members = _members(data)
    victim = _victim(kind, [m[0] for m in members])
    hostile = _zip([(victim, stream, 8, crc, BOMB_BYTES) if m[0] == victim else m
                    for m in members])
    assert len(hostile) < 2 * len(stream) + len(data)
    tracemalloc.start()
    try:
        error = _check_load(kind, hostile, tmp_path, model, "bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error is not None
    assert "bomb" in str(error) or "max_json_bytes" in str(error), str(error)
    assert peak < 64 << 20, f"peak {peak} bytes while refusing the bomb"


@pytest.mark.parametrize("kind", ZIP_KINDS)
@pytest.mark.parametrize("evil", ["../evil.json", "/etc/evil", "a/../../evil", "c:\\evil"])
def test_path_traversal_member_names_are_refused(kind, evil, files, model, tmp_path):
    _, data = _need(files, kind)
    hostile = _zip(_members(data) + [_stored(evil, b"{}")])
    error = _check_load(kind, hostile, tmp_path, model, "traversal")
    assert error is not None and ("traversal" in str(error) or "unexpected" in str(error))


@pytest.mark.parametrize("kind", ZIP_KINDS)
def test_duplicate_members_are_refused(kind, files, model, tmp_path):
    _, data = _need(files, kind)
    members = _members(data)
    victim = _victim(kind, [m[0] for m in members])
    twin = next(m for m in members if m[0] == victim)
    error = _check_load(kind, _zip(members + [twin]), tmp_path, model, "duplicate")
    assert error is not None and "twice" in str(error), str(error)


class _Call:
    """Pickles as ``func(*args)``: what a hostile checkpoint's data.pkl does."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


@pytest.mark.parametrize("attack", ["os.system", "builtins.exec", "builtins.eval",
                                    "subprocess.call"])
def test_a_checkpoint_pickle_with_code_is_refused_and_never_runs(attack, files, tmp_path):
    import builtins
    import subprocess
    marker = tmp_path / "ran"
    command = f"open({str(marker)!r}, 'w').close()"
    func, args = {"os.system": (os.system, (f"touch {marker}",)),
                  "builtins.exec": (builtins.exec, (command,)),
                  "builtins.eval": (builtins.eval, (command,)),
                  "subprocess.call": (subprocess.call, (["touch", str(marker)],))}[attack]
    _, data = files["pt"]
    members = _members(data)
    pkl = next(m[0] for m in members if m[0].endswith("/data.pkl"))
    payload = pickle.dumps({"model": _Call(func, *args)}, protocol=2)
    hostile = _zip([_stored(pkl, payload) if m[0] == pkl else m for m in members])
    path = tmp_path / "evil.pt"
    path.write_bytes(hostile)
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        deepgrad.load(str(path))
    assert attack.replace(".", " ").split()[-1] in str(deepgrad.serialization.
                                                       get_unsafe_globals_in_checkpoint(
                                                           str(path)))
    assert not marker.exists()


@pytest.mark.parametrize("kind", ["npz", "dgkeras"])
def test_object_arrays_in_npz_files_are_refused_and_never_unpickled(kind, files, model,
                                                                    tmp_path):
    marker = tmp_path / "ran"
    evil = np.empty(1, dtype=object)
    evil[0] = _Call(os.system, f"touch {marker}")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, evil, allow_pickle=True)
    _, data = _need(files, kind)
    members = _members(data)
    if kind == "npz":
        npy = next(m[0] for m in members if m[0].endswith(".npy"))
        hostile = _zip([_stored(npy, buf.getvalue()) if m[0] == npy else m for m in members])
    else:
        inner_members = _members(next(m[1] for m in members if m[0] == "model.weights.npz"))
        npy = inner_members[0][0]
        inner = _zip([_stored(npy, buf.getvalue()) if m[0] == npy else m
                      for m in inner_members])
        hostile = _zip([_stored("model.weights.npz", inner) if m[0] == "model.weights.npz"
                        else m for m in members])
    error = _check_load(kind, hostile, tmp_path, model, "objects")
    assert error is not None and "pickle" in str(error), str(error)
    assert not marker.exists()


# ====================================================================== limits
@pytest.mark.parametrize("kind", KINDS)
def test_the_member_size_limit_is_configurable_and_named_in_the_error(kind, files, model,
                                                                      tmp_path):
    path, _ = _need(files, kind)
    with safe_io.read_limits(max_member_bytes=16):
        with pytest.raises((ValueError, CheckpointError), match="max_member_bytes=16"):
            _load(kind, path, model)
    assert safe_io.LIMITS.max_member_bytes == safe_io.ReadLimits().max_member_bytes
    _load(kind, path, model)                          # the default limits accept it


def test_read_limits_refuses_unknown_or_bad_limits():
    with pytest.raises(TypeError, match="unknown limit"):
        with safe_io.read_limits(max_members=3):
            pass
    with pytest.raises(ValueError, match="positive int"):
        with safe_io.read_limits(max_member_bytes=0):
            pass


@pytest.mark.parametrize("suffix", [".weights.npz", ".dgkeras", ".weights.h5", ".keras"])
def test_loading_weights_streams_from_the_file_without_whole_copies(suffix, tmp_path):
    if suffix.endswith(("h5", ".keras")) and not _has_h5py():
        pytest.skip("needs h5py (the [h5] extra)")
    big = keras.Sequential([keras.Input((2000,)), keras.layers.Dense(2000)])
    big.compile("sgd", "mse")
    path = str(tmp_path / ("big" + suffix))
    (big.save_weights if "weights" in suffix else big.save)(path)
    nbytes = 2000 * 2000 * 4
    tracemalloc.start()
    try:
        big.load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.3 * nbytes, f"peak {peak} for {nbytes} bytes of weights"
