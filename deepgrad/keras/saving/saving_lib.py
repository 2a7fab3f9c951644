"""Saving and loading whole models (``.keras``) and weights (``.weights.npz``).

The ``.keras`` file (format version 1.0) is a zip archive with exactly these members::

    metadata.json      {"format": "deepgrad.keras", "format_version": "1.0",
                        "deepgrad_version": "0.1.0", "date_saved": "2025-01-31@12:00:00"}
    config.json        {"class_name": "Sequential" | "Functional" | <custom Model class>,
                        "config": model.get_config(),            # see models/config.py
                        "build_config": {"input_shape": [...]},  # subclassed models only
                        "compile_config": null | {"optimizer": {"class_name", "config"},
                                                  "loss": ..., "loss_weights": ...,
                                                  "metrics": ...}}
    model.weights.npz  one array per entry of ``model.weights`` (Keras's order: each
                       layer's own weights in creation order, then its sub-layers'),
                       named ``"{index:04d}/{layer path}/{weight name}"``
    optimizer.npz      only for a compiled model whose optimizer has state:
                       ``iterations`` (int64 scalar), ``variable_index`` (int64: for each
                       variable the optimizer updates, its index in ``model.weights``)
                       and ``slots/{j:04d}`` (the slot arrays in ``get_state()`` order)

The ``.npz`` members are NumPy's format (a zip of ``.npy`` files) written with
``allow_pickle=False`` and read with ``allow_pickle=False``. A weights file written by
:func:`save_weights` is the same ``model.weights.npz`` content on its own.

Safety: loading never unpickles and never imports or executes anything named in the
file. Layer, loss, metric and optimizer classes are found by name in deepgrad's
registries or in the caller's ``custom_objects``; ``Lambda`` layers are refused. Any
other member, a truncated or corrupted archive (CRC errors included), a missing member,
an object array, or weights whose count or shapes do not match the architecture raise
``ValueError`` naming the problem, and :func:`load_weights` checks everything before it
writes, so the model in memory is unchanged on error.

HDF5 is not used: ``save_weights("w.weights.h5")`` (Keras's name) writes the same NumPy
``.npz`` content under that name, and reading a real HDF5 file (from Keras) raises a
clear ``ValueError``.
"""
import datetime
import io
import json
import os
import struct
import tempfile
import warnings
import zipfile
import zlib

import numpy as np

import deepgrad
from deepgrad.keras import registry
from deepgrad.keras.models.trainer import Trainer
from deepgrad.keras.saving import serialization as ser

FORMAT_NAME, FORMAT_VERSION = "deepgrad.keras", "1.0"
_METADATA, _CONFIG = "metadata.json", "config.json"
_WEIGHTS, _OPTIMIZER = "model.weights.npz", "optimizer.npz"
_MEMBERS = (_METADATA, _CONFIG, _WEIGHTS, _OPTIMIZER)
_WEIGHTS_SUFFIXES = (".weights.npz", ".weights.h5")
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
                struct.error, UnicodeDecodeError, NotImplementedError)


# ====================================================================== public API
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` to a ``.keras`` archive (architecture, weights, compile settings
    and optimizer state; see the module docstring).

    Args:
        model: a ``Sequential``, functional or (registered) subclassed ``Model``.
        filepath (str or path-like): must end in ``.keras``.
        overwrite (bool): replace an existing file; if False, raise ``FileExistsError``.
        include_optimizer (bool): also write the optimizer state (Keras 2's argument).

    Raises:
        ValueError: a wrong suffix, a ``Lambda`` layer, or a config that is not JSON.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` "
                         f"extension (HDF5 `.h5` files are not supported by deepgrad). "
                         f"Received: filepath={filepath}")
    if not isinstance(model, Trainer):
        raise TypeError(f"save_model expects a deepgrad.keras Model, received "
                        f"{type(model).__name__}")
    ser.check_serializable(model)
    config = registry.serialize(model, "layers", extras=False)
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = registry.serialize(build)
    try:
        config["compile_config"] = ser.compile_config(model)
    except ser.SerializationError as e:
        warnings.warn(f"The compile settings of model {model.name!r} cannot be saved ({e}); "
                      f"it will load uncompiled", stacklevel=2)
        config["compile_config"], include_optimizer = None, False
    config_json = ser.to_json(config, indent=1)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "deepgrad_version": _deepgrad_version(),
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    members = {_METADATA: json.dumps(metadata, indent=1).encode(),
               _CONFIG: config_json.encode(), _WEIGHTS: _npz_bytes(_weight_items(model))}
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and getattr(model, "compiled", False) and optimizer is not None:
        members[_OPTIMIZER] = _npz_bytes(_optimizer_items(model, optimizer))

    def write(f):
        with zipfile.ZipFile(f, "w") as zf:
            for name, data in members.items():
                compress = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                zf.writestr(name, data, compress_type=compress)
    _atomic_write(filepath, write, overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by :func:`save_model`.

    Args:
        filepath (str or path-like): a ``.keras`` archive.
        custom_objects (dict, optional): name -> your Layer/Model subclasses, loss and
            metric functions or classes, optimizer classes.
        compile (bool): compile the model as it was saved and restore the optimizer state
            (so training continues where it stopped).
        safe_mode (bool): accepted for Keras compatibility; loading is always safe.

    Returns:
        The model, with identical weights (and predictions).

    Raises:
        ValueError: a missing file, a corrupted or truncated archive, an unexpected or
            missing member, an unknown class, or weights that do not fit the architecture.
    """
    filepath = os.fspath(filepath)
    members = _read_archive(filepath)
    _check_metadata(_parse_json(members, _METADATA, filepath), filepath)
    config = _parse_json(members, _CONFIG, filepath)
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"{filepath}: config.json must be an object with 'class_name' and "
                         f"'config'")
    weights = _read_npz(members[_WEIGHTS], f"{filepath}:{_WEIGHTS}")
    opt_state = None
    if compile and _OPTIMIZER in members:
        opt_state = _read_npz(members[_OPTIMIZER], f"{filepath}:{_OPTIMIZER}")
    with registry.extended_scope(custom_objects):
        model = _model_from_entry(config, filepath)
        _assign_weights(model, weights, f"{filepath}:{_WEIGHTS}")
        if compile and config.get("compile_config"):
            ser.compile_from_config(model, config["compile_config"])
            if opt_state is not None:
                _restore_optimizer(model, dict(opt_state), f"{filepath}:{_OPTIMIZER}")
    return model


def save_weights(model, filepath, overwrite=True):
    """Write ``model.weights`` alone, as NumPy ``.npz`` content.

    ``filepath`` must end in ``.weights.npz`` or, for Keras code, ``.weights.h5`` (the
    content is still ``.npz``; deepgrad writes no HDF5).
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(_WEIGHTS_SUFFIXES):
        raise ValueError(f"The filename must end in `.weights.npz` (or `.weights.h5`, which "
                         f"deepgrad writes as .npz content too). Received: filepath={filepath}")
    data = _npz_bytes(_weight_items(model))
    _atomic_write(filepath, lambda f: f.write(data), overwrite)


def load_weights(model, filepath, skip_mismatch=False):
    """Set ``model``'s weights from :func:`save_weights` output or a ``.keras`` archive.

    Every array is read and checked against the model (count, shapes, numeric dtype)
    before any weight is written: on error the model is unchanged.

    Args:
        skip_mismatch (bool): leave weights whose shape differs unchanged (with a warning)
            instead of raising; the number of arrays must still match.

    Raises:
        ValueError: unreadable, truncated or corrupted file, HDF5 content, an object
            array, or weights that do not fit the model.
    """
    filepath = os.fspath(filepath)
    data = _read_file(filepath)
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        raise ValueError(f"{filepath} is an HDF5 file (written by Keras?). deepgrad reads only "
                         f"its own NumPy .npz weights (save_weights) and .keras archives")
    if _is_keras_archive(data):
        members = _read_archive(filepath, data)
        data, source = members[_WEIGHTS], f"{filepath}:{_WEIGHTS}"
    else:
        source = filepath
    _assign_weights(model, _read_npz(data, source), source, skip_mismatch)


def model_from_json(json_string, custom_objects=None):
    """A new (untrained) model from :meth:`to_json` output."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: the string is not valid JSON ({e})") from None
    with registry.extended_scope(custom_objects):
        return _model_from_entry(config, "model_from_json")


def model_to_json(model, **kwargs):
    """The architecture as a JSON string: ``{"class_name", "config"}``."""
    ser.check_serializable(model)
    return ser.to_json(registry.serialize(model, "layers", extras=False), **kwargs)


# ====================================================================== writing
def _deepgrad_version():
    return getattr(deepgrad, "__version__", "unknown")


def _weight_paths(model):
    """``id(tensor) -> "layer/sublayer/weight"`` for error messages and member names."""
    paths, stack = {}, [(model, "")]
    while stack:
        layer, prefix = stack.pop()
        for v in layer._trainable_variables + layer._non_trainable_variables:
            paths.setdefault(id(v), f"{prefix}{v.name}")
        for sub in reversed(layer._layers):
            stack.append((sub, f"{prefix}{sub.name}/"))
    return paths


def _weight_items(model):
    paths = _weight_paths(model)
    return [(f"{i:04d}/{paths.get(id(w), 'weight')}", w.array) for i, w in enumerate(model.weights)]


def _optimizer_items(model, optimizer):
    if not hasattr(optimizer, "get_state") or not getattr(optimizer, "built", False):
        return [("iterations", np.asarray(int(getattr(optimizer, "iterations", 0)), np.int64))]
    index = {id(w): i for i, w in enumerate(model.weights)}
    params = optimizer.param_groups[0]["params"] if optimizer.param_groups else []
    missing = [p for p in params if id(p) not in index]
    if missing:
        raise ValueError(f"Cannot save the optimizer state: it updates {len(missing)} "
                         f"variable(s) that are not weights of model {model.name!r}")
    state = optimizer.get_state()
    return [("iterations", np.asarray(state["iterations"], np.int64)),
            ("variable_index", np.asarray([index[id(p)] for p in params], np.int64))] + [
        (f"slots/{j:04d}", a) for j, a in enumerate(state["variables"])]


def _npz_bytes(items):
    """A NumPy ``.npz`` (``np.load``-compatible), written with ``allow_pickle=False``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for key, array in items:
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def _atomic_write(filepath, write, overwrite):
    """Write through a temporary file in the same folder, then rename: a failed save never
    leaves a half-written file or destroys the previous one."""
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to {filepath}: it is a directory")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False")
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".deepgrad-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ====================================================================== reading
def _read_file(filepath):
    if not os.path.isfile(filepath):
        raise ValueError(f"File not found: filepath={filepath}. Please ensure the file exists "
                         f"and is a `.keras` archive or a deepgrad weights file")
    with open(filepath, "rb") as f:
        return f.read()


def _is_keras_archive(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return _CONFIG in zf.namelist()
    except _READ_ERRORS:
        return False


def _read_archive(filepath, data=None):
    """``{member: bytes}`` of a ``.keras`` archive, with every CRC checked."""
    data = _read_file(filepath) if data is None else data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            if len(set(names)) != len(names):
                raise ValueError(f"{filepath}: the archive lists a member twice")
            unexpected = [n for n in names if n not in _MEMBERS]
            if unexpected:
                hint = (" (HDF5 weights from Keras are not supported)"
                        if "model.weights.h5" in unexpected else "")
                raise ValueError(f"{filepath}: unexpected member(s) {unexpected} in the .keras "
                                 f"archive{hint}; a deepgrad archive holds only {list(_MEMBERS)} "
                                 f"and nothing else is ever loaded (no pickles, no code)")
            missing = [n for n in (_METADATA, _CONFIG, _WEIGHTS) if n not in names]
            if missing:
                raise ValueError(f"{filepath}: the .keras archive is missing {missing} "
                                 f"(truncated, or not written by deepgrad?)")
            return {name: _read_member(zf, name, filepath) for name in names}
    except zipfile.BadZipFile as e:
        raise ValueError(f"{filepath} is not a valid .keras archive (truncated or corrupted "
                         f"zip file): {e}") from None


def _read_member(zf, name, filepath):
    try:
        return zf.read(name)                     # checks the member's CRC-32
    except _READ_ERRORS as e:
        raise ValueError(f"{filepath}: member {name} is corrupted or truncated: {e}") from None


def _parse_json(members, name, filepath):
    try:
        return json.loads(members[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{filepath}: {name} is not valid JSON ({e})") from None


def _check_metadata(metadata, filepath):
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{filepath}: metadata.json does not describe a {FORMAT_NAME} file "
                         f"(received {metadata!r:.200})")
    version = str(metadata.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ValueError(f"{filepath}: format version {version!r} is not supported (this "
                         f"deepgrad reads version {FORMAT_VERSION})")


def _read_npz(data, source):
    """``[(key, array), ...]`` sorted by key; object arrays (pickles) are refused."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            items = [(key, npz[key]) for key in sorted(npz.files, key=_natural)]
    except _READ_ERRORS as e:
        why = ("it holds pickled object arrays, which deepgrad never loads"
               if "allow_pickle" in str(e) else "truncated or corrupted")
        raise ValueError(f"{source} is not a readable weights file ({why}): "
                         f"{type(e).__name__}: {e}") from None
    for key, array in items:
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{source}: array {key!r} has dtype {array.dtype}, expected a "
                             f"numeric array")
    return items


def _natural(key):
    """Sort key: ``"0010/dense/kernel"`` after ``"0009/..."``, numbers by value."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in key.split("/")]


def _model_from_entry(entry, source):
    if not isinstance(entry, dict):
        raise ValueError(f"{source}: the model config must be a JSON object")
    ser.check_loadable(entry)
    model = registry.deserialize({k: v for k, v in entry.items() if k != "compile_config"},
                                 "layers")
    if not isinstance(model, Trainer):
        raise ValueError(f"{source}: the saved object is a {type(model).__name__}, not a Model")
    return model


def _assign_weights(model, items, source, skip_mismatch=False):
    """Check every array against ``model.weights``, then write them all (or none)."""
    targets, paths = model.weights, _weight_paths(model)
    if len(items) != len(targets):
        raise ValueError(f"{source} holds {len(items)} weight arrays, but model "
                         f"{model.name!r} has {len(targets)} weights (a different "
                         f"architecture, or a model that is not built yet)")
    plan = []
    for i, ((key, array), target) in enumerate(zip(items, targets)):
        if key.split("/")[0] != f"{i:04d}":
            raise ValueError(f"{source}: weight {i} is missing (found {key!r} in its place)")
        if array.shape != tuple(target.shape):
            message = (f"{source}: weight {key!r} has shape {array.shape}, but model weight "
                       f"{i} ({paths.get(id(target), '?')}) has shape {tuple(target.shape)}")
            if not skip_mismatch:
                raise ValueError(message + " (architecture mismatch)")
            warnings.warn(message + "; skipped (skip_mismatch=True)", stacklevel=3)
            continue
        plan.append((target, array))
    for target, array in plan:
        target.array[...] = array


def _restore_optimizer(model, state, source):
    optimizer = model.optimizer
    iterations = int(state.get("iterations", 0))
    if "variable_index" not in state:
        optimizer.iterations = iterations
        return
    index, weights = state["variable_index"], model.weights
    if index.ndim != 1 or (index.size and (index.min() < 0 or index.max() >= len(weights))):
        raise ValueError(f"{source}: variable_index does not fit the model's "
                         f"{len(weights)} weights")
    slots = [state[k] for k in sorted((k for k in state if k.startswith("slots/")), key=_natural)]
    optimizer.build([weights[i] for i in index.tolist()])
    try:
        optimizer.set_state({"iterations": iterations, "variables": slots})
    except ValueError as e:
        raise ValueError(f"{source}: the optimizer state does not fit: {e}") from None
