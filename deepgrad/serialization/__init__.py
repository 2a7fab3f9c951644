"""``deepgrad.save`` / ``deepgrad.load``: checkpoints in PyTorch's own file format.

A file written by ``deepgrad.save`` loads in PyTorch with ``torch.load(f,
weights_only=True)``, and a file written by ``torch.save`` (PyTorch 1.6+, the zip format)
loads in deepgrad without torch installed: state_dicts of models and optimizers, and
nested dicts, lists and tuples of tensors, numbers, strings and None::

    deepgrad.save(model.state_dict(), "model.pt")     # -> torch.load("model.pt")
    model.load_state_dict(deepgrad.load("model.pt"))  # <- torch.save(sd, "model.pt")

What round-trips, and how:

* tensors keep dtype, shape, strides and values bit for bit; tensors that are views of
  one NumPy buffer share one storage, as views do in PyTorch (saving a view saves its
  whole buffer, as PyTorch saves a view's whole storage: ``clone()`` first to save less);
* ``nn.Parameter`` stays a Parameter; deepgrad dtypes and devices are written as
  ``torch.float32``/``torch.device`` and read back as deepgrad's;
* NumPy arrays are written as tensors marked as arrays: deepgrad loads them back as NumPy
  arrays (even with ``weights_only=True``: no NumPy code is unpickled), PyTorch as tensors
  (``torch.save`` pickles arrays through NumPy, which its weights-only loader refuses);
  NumPy scalars are written as Python numbers;
* bfloat16 tensors of a PyTorch file load as float32 (NumPy has no bfloat16; every
  bfloat16 value is exactly a float32), with a warning. Complex, quantized and sparse
  tensors are out of deepgrad's scope and are refused with a clear error.

Safety: ``load`` defaults to ``weights_only=True``, a restricted unpickler that accepts only
the format's rebuild functions, containers and dtypes (what PyTorch 2.6+ accepts) plus the
globals you allowlist with :func:`add_safe_globals` / :func:`safe_globals`. A file naming
anything else (``os.system``, ``builtins.eval``, ``subprocess``...) is refused with an
``UnpicklingError`` before anything from it runs. ``weights_only=False`` is plain pickle:
only for files you trust (whole modules saved with ``deepgrad.save(model, f)``).

Durability: saving to a path writes ``<path>.tmp-XXXX`` in the same folder, fsyncs it,
renames it over the target and fsyncs the folder (:mod:`~deepgrad.serialization.safe_io`),
so a crash or an object that cannot be pickled never leaves a partial file and an existing
checkpoint stays intact; temp files left by a killed writer go at the next save of the same
target. Saving to a file object (``BytesIO``)
builds the archive in memory and writes it with one ``write``.
"""
import contextlib
import pickle

from deepgrad.serialization import _format, _reader, _writer, safe_io
from deepgrad.serialization._format import CheckpointError

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals", "get_unsafe_globals_in_checkpoint", "CheckpointError",
           "default_restore_location", "location_tag"]

_user_globals = {}      # "module.qualname" -> object, filled by add_safe_globals


# ------------------------------------------------------------------------------ allowlist
def _entry_name(entry):
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise TypeError(f"add_safe_globals: a tuple entry must be (object, "
                            f"'module.name'), received {entry!r}")
        return entry[1], entry[0]
    module = getattr(entry, "__module__", None)
    qualname = getattr(entry, "__qualname__", None) or getattr(entry, "__name__", None)
    if module is None or qualname is None:
        raise TypeError(f"add_safe_globals: cannot name {entry!r}; pass (obj, 'module.name')")
    return f"{module}.{qualname}", entry


def add_safe_globals(safe_globals):
    """Allow a weights-only :func:`load` to use these classes/functions.

    Args:
        safe_globals (list): objects (named by their ``__module__.__qualname__``) or
            ``(object, "module.name")`` pairs for objects pickled under another name.
    """
    if not isinstance(safe_globals, (list, tuple, set)):
        raise TypeError(f"add_safe_globals: expected a list of globals, received "
                        f"{type(safe_globals).__name__}")
    pairs = [_entry_name(e) for e in safe_globals]
    for name, obj in pairs:
        _user_globals[name] = obj


def get_safe_globals():
    """The globals added by :func:`add_safe_globals`, as a list."""
    return list(_user_globals.values())


def clear_safe_globals():
    """Forget every global added by :func:`add_safe_globals`."""
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Context manager: :func:`add_safe_globals` inside the block only."""
    saved = dict(_user_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_globals.clear()
        _user_globals.update(saved)


def get_unsafe_globals_in_checkpoint(f):
    """The globals a checkpoint names that a weights-only load would refuse (sorted)."""
    import pickletools
    archive = _reader.Archive(f)
    try:
        pkl = archive.get("data.pkl")
    finally:
        archive.close()
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(pkl):
        if op.name == "GLOBAL":
            found.add(arg.replace(" ", "."))
        elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str):
            strings.append(arg)
    allowed = set(_reader.allowed_globals()) | set(_user_globals)
    return sorted(found - allowed)


# ------------------------------------------------------------------------------ save
def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` to ``f`` in PyTorch's zip checkpoint format.

    Args:
        obj: tensors, Parameters, ndarrays, numbers, strings, None, dtypes, devices in
            dicts/OrderedDicts/lists/tuples (state_dicts); any picklable object too, but
            only the former load with ``weights_only=True`` (in deepgrad and PyTorch).
        f: a path (written atomically) or a binary file object with ``write``.
        pickle_module: None or the standard ``pickle`` module.
        pickle_protocol (int): 2 (PyTorch's default, needed by its weights-only loader).
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise ValueError(f"deepgrad.save: writes with the standard pickle module, received "
                         f"pickle_module={getattr(pickle_module, '__name__', pickle_module)!r}")
    if not _use_new_zipfile_serialization:
        raise ValueError("deepgrad.save: only PyTorch's zip format (1.6+) is written; "
                         "_use_new_zipfile_serialization=False is not supported")
    path = f if isinstance(f, (str, bytes)) or hasattr(f, "__fspath__") else None
    if path is None and not hasattr(f, "write"):
        raise TypeError(f"deepgrad.save: expected a path or a writable binary file object, "
                        f"received {type(f).__name__}")
    pkl, storages = _writer.pickle_object(obj, pickle_protocol)
    prefix = _writer.archive_name(path if path is not None else getattr(f, "name", None))

    def write(fh):
        _writer.write_archive(fh, prefix, pkl, storages, not _disable_byteorder_record)

    if path is not None:
        safe_io.atomic_write(path, write, who="deepgrad.save")
        return
    import io
    buf = io.BytesIO()
    write(buf)
    f.write(buf.getbuffer())
    if hasattr(f, "flush"):
        f.flush()


# ------------------------------------------------------------------------------ load
def default_restore_location(storage, location):
    """Where a storage saved at ``location`` goes: the CPU, or an error for a device
    deepgrad does not have (as PyTorch on a machine without CUDA)."""
    if location == "cpu" or location.startswith("cpu:"):
        return storage
    raise RuntimeError(
        f"deepgrad.load: attempting to deserialize a storage saved on device {location!r}, "
        f"but deepgrad runs on the CPU only (the devices that exist are: 'cpu'). Load with "
        f"map_location='cpu' (or map_location=deepgrad.device('cpu')) to map the storages "
        f"to the CPU.")


def location_tag(storage):
    """The location string a storage is saved under: always ``'cpu'``."""
    return "cpu"


def _restore(map_location):
    """``map_location`` as a function (storage, location) -> storage on the CPU."""
    from deepgrad.device import check_device, device
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, (str, device)):
        check_device(map_location, "deepgrad.load(map_location=...)")
        return lambda storage, location: storage
    if isinstance(map_location, dict):
        table = {str(k): str(v) for k, v in map_location.items()}
        for v in table.values():
            check_device(v, "deepgrad.load(map_location=...)")

        def by_table(storage, location):
            return default_restore_location(storage, table.get(location, location))
        return by_table
    if callable(map_location):
        def by_call(storage, location):
            out = map_location(storage, location)
            if out is None:
                return default_restore_location(storage, location)
            if not isinstance(out, _format.Storage):
                raise TypeError(f"deepgrad.load: map_location must return the storage it was "
                                f"given (or None), returned {type(out).__name__}")
            return out
        return by_call
    raise TypeError(f"deepgrad.load: map_location must be None, a string, a device, a dict "
                    f"or a callable, received {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load an object saved by :func:`save` or ``torch.save`` (zip format, PyTorch 1.6+).

    Args:
        f: a path or a readable binary file object.
        map_location: where storages go: None (the CPU; a storage saved on a GPU then
            raises, as in PyTorch without CUDA), ``"cpu"``/a device, a dict mapping saved
            locations (``{"cuda:0": "cpu"}``), or ``fn(storage, location)``.
        pickle_module: only with ``weights_only=False``: a module whose ``Unpickler`` is used.
        weights_only (bool): True (default) accepts only tensors, containers, numbers,
            strings, dtypes and allowlisted globals, and never runs code from the file;
            False is plain pickle (trusted files only).
        mmap (bool): map the file's storages into memory instead of reading them (a path
            or a real file; copy-on-write, so changes never reach the file).
        **pickle_load_args: ``encoding=`` for checkpoints pickled by Python 2.

    Returns:
        the object, with tensors as deepgrad Tensors (ndarrays saved by deepgrad come back
        as ndarrays).

    Raises:
        pickle.UnpicklingError: a weights-only load met a global that is not allowed.
        CheckpointError: the file is not a checkpoint, is truncated or corrupted.
        RuntimeError: a storage was saved on a device deepgrad lacks (use map_location).
    """
    if weights_only is None:
        weights_only = True
    if not isinstance(weights_only, bool):
        raise TypeError(f"deepgrad.load: weights_only must be a bool, received {weights_only!r}")
    if mmap is not None and not isinstance(mmap, bool):
        raise TypeError(f"deepgrad.load: mmap must be a bool, received {mmap!r}")
    if weights_only and pickle_module is not None:
        raise RuntimeError("deepgrad.load: cannot use weights_only=True with a pickle_module; "
                           "pass weights_only=False to unpickle with your own module")
    unknown = set(pickle_load_args) - {"encoding", "errors"}
    if unknown:
        raise TypeError(f"deepgrad.load: unexpected keyword argument(s) {sorted(unknown)}")
    restore = _restore(map_location)
    archive = _reader.Archive(f, use_mmap=bool(mmap))
    try:
        storages = _reader._StorageLoader(archive, restore)
        import io
        data = io.BytesIO(archive.get("data.pkl"))
        if weights_only:
            unpickler = _reader.WeightsOnlyUnpickler(data, storages, dict(_user_globals),
                                                     **pickle_load_args)
        else:
            base = pickle.Unpickler if pickle_module is None else pickle_module.Unpickler
            unpickler = _reader.full_unpickler(base)(data, storages, **pickle_load_args)
        try:
            result = unpickler.load()
        except (EOFError, ValueError, IndexError, KeyError, TypeError, AttributeError,
                OverflowError, MemoryError) as e:
            # a malformed pickle stream (or rebuild arguments of the wrong kind)
            raise CheckpointError(f"deepgrad.load: the checkpoint's data.pkl is corrupted "
                                  f"({type(e).__name__}: {e})") from None
    finally:
        archive.close()
    if storages.bfloat16:
        _format.warn_bfloat16()
    return result

