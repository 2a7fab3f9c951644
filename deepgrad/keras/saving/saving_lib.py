"""Saving and loading whole models and weights, in Keras 3's formats and deepgrad's own.

    model.save("m.keras")            Keras 3's archive (needs h5py, the [h5] extra):
                                     metadata.json, config.json, model.weights.h5 in
                                     Keras's HDF5 layout (see h5_format): Keras 3 loads it,
                                     and deepgrad loads Keras's
    model.save("m.h5")               Keras's legacy whole-model HDF5 file (h5py; see
                                     legacy_h5), as Keras 3.15 writes and reads it
    model.save("m.dgkeras")          deepgrad's NumPy-only archive (see npz_format)
    model.save_weights("w.weights.h5")    Keras's HDF5 weights file (h5py)
    model.save_weights("w.weights.npz")   deepgrad's NumPy weights file

``load_model`` and ``load_weights`` read any of them (a file's content, not its name,
decides: an HDF5 file, or ``model.weights.h5`` or ``model.weights.npz`` inside an archive);
``load_weights`` also reads legacy ``.h5`` weights (Keras 2's ``save_weights`` files and
the ``model_weights`` of whole-model files), by position or ``by_name``.

Keras's ``metadata.json`` is ``{"keras_version": "3.15.1", "date_saved": ...}`` (deepgrad
adds ``deepgrad_version``); ``config.json`` is ``serialize_keras_object(model)`` with its
``build_config`` and ``compile_config``; the optimizer's variables (iterations, learning
rate, slots) are saved in Keras's order, so training continues where it stopped on
either side.

Safety (Keras's ``safe_mode``, always on): loading never unpickles and never imports or
runs anything named in the file; classes are found by name in the registry or the
caller's ``custom_objects``; ``Lambda`` layers are refused. Archives are checked before
the model is built or changed (see :mod:`~deepgrad.keras.saving.archive` and
:mod:`~deepgrad.keras.saving.h5_format`): unexpected members, missing members, CRC
errors, decompression bombs, non-numeric or external HDF5 data, and weights that do not
fit raise ``ValueError``; ``load_weights`` leaves the model unchanged on error.
"""
import datetime
import json
import os
import warnings

import deepgrad
from deepgrad.keras import registry
from deepgrad.keras.models.trainer import Trainer
from deepgrad.keras.saving import archive, h5_format, legacy_h5, npz_format
from deepgrad.keras.saving import serialization as ser

KERAS_FORMAT_VERSION = "3.15.1"       # the Keras release whose file format this is
_METADATA, _CONFIG, _H5 = "metadata.json", "config.json", "model.weights.h5"
_KERAS_MEMBERS = (_METADATA, _CONFIG, _H5)
_NPZ_MEMBERS = (_METADATA, _CONFIG, npz_format.WEIGHTS, npz_format.OPTIMIZER)
_MODEL_SUFFIXES = (".keras", ".dgkeras")
_LEGACY_SUFFIXES = (".h5", ".hdf5")
_WEIGHTS_SUFFIXES = (".weights.h5", ".weights.npz")


# ====================================================================== public API
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``model`` (architecture, weights, compile settings, optimizer state).

    Args:
        model: a ``Sequential``, functional or (registered) subclassed ``Model``.
        filepath (str or path-like): ``.keras`` (Keras 3's format, needs h5py),
            ``.h5`` / ``.hdf5`` (Keras's legacy HDF5 format, needs h5py) or ``.dgkeras``
            (deepgrad's NumPy format).
        overwrite (bool): replace an existing file; if False, raise ``FileExistsError``.
        include_optimizer (bool): also write the optimizer state.

    Raises:
        ValueError: another suffix, a ``Lambda`` layer, or a config that is not JSON.
        ImportError: ``.keras`` without h5py (install ``deepgrad[h5]``).
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(_MODEL_SUFFIXES + _LEGACY_SUFFIXES):
        raise ValueError(f"Invalid filepath extension for saving. Please add the `.keras` "
                         f"extension (Keras 3's format), `.h5` (Keras's legacy HDF5 format) "
                         f"or `.dgkeras` (deepgrad's NumPy-only format). Received: "
                         f"filepath={filepath}")
    if not isinstance(model, Trainer):
        raise TypeError(f"save_model expects a deepgrad.keras Model, received "
                        f"{type(model).__name__}")
    ser.check_serializable(model)
    keras_format = filepath.endswith(".keras")
    if keras_format or filepath.endswith(_LEGACY_SUFFIXES):
        h5_format.h5py_module(f"Saving {filepath}")
    config, include_optimizer = _model_entry(model, include_optimizer)
    if filepath.endswith(_LEGACY_SUFFIXES):
        model_config = {"class_name": config["class_name"], "config": config["config"]}
        training = legacy_h5.training_config(model) if config.get("compile_config") else None
        data = legacy_h5.to_bytes(model, model_config, training, include_optimizer,
                                  KERAS_FORMAT_VERSION)
        archive.atomic_write(filepath, lambda f: f.write(data), overwrite)
        return
    now = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    if keras_format:
        metadata = {"keras_version": KERAS_FORMAT_VERSION, "date_saved": now,
                    "deepgrad_version": _deepgrad_version()}
        members = {_METADATA: _json(metadata), _CONFIG: ser.to_json(config).encode(),
                   _H5: h5_format.to_bytes(model, include_optimizer)}
    else:
        metadata = {"format": npz_format.FORMAT_NAME,
                    "format_version": npz_format.FORMAT_VERSION,
                    "deepgrad_version": _deepgrad_version(), "date_saved": now}
        members = {_METADATA: _json(metadata), _CONFIG: ser.to_json(config, indent=1).encode(),
                   npz_format.WEIGHTS: npz_format.npz_bytes(npz_format.weight_items(model))}
        if include_optimizer:
            members[npz_format.OPTIMIZER] = npz_format.npz_bytes(
                npz_format.optimizer_items(model, model.optimizer))
    archive.atomic_write(filepath, lambda f: archive.write_zip(f, members), overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by :func:`save_model` (or by Keras 3: a ``.keras`` file).

    Args:
        filepath (str or path-like): a ``.keras`` or ``.dgkeras`` archive, or a legacy
            ``.h5`` file.
        custom_objects (dict, optional): name -> your Layer/Model subclasses, loss and
            metric functions or classes, optimizer classes.
        compile (bool): compile the model as it was saved and restore the optimizer state
            (so training continues where it stopped).
        safe_mode (bool): Keras's flag; loading is always safe here (no code from the
            file ever runs), whatever its value.

    Returns:
        The model, with identical weights (and predictions).

    Raises:
        ValueError: a missing file, a corrupted, truncated or hostile archive, an unknown
            class, or weights that do not fit the architecture.
    """
    filepath = os.fspath(filepath)
    with archive.open_file(filepath) as fh:
        if archive.head(fh) == h5_format.HDF5_MAGIC:
            data = fh.read()
            with registry.extended_scope(custom_objects):
                return legacy_h5.load_model(data, filepath, compile=compile)
        with archive.ZipArchive(fh, filepath) as zf:
            keras_format = _H5 in zf.names
            zf.check(_KERAS_MEMBERS if keras_format else _NPZ_MEMBERS,
                     _KERAS_MEMBERS if keras_format else _NPZ_MEMBERS[:3])
            metadata = zf.json(_METADATA)
            if keras_format:
                _check_keras_metadata(metadata, filepath)
                weights = h5_format.read(zf.open(_H5), f"{filepath}:{_H5}")
            else:
                npz_format.check_metadata(metadata, filepath)
                weights = npz_format.read_npz(zf.open(npz_format.WEIGHTS),
                                              f"{filepath}:{npz_format.WEIGHTS}")
            config = zf.json(_CONFIG)
            if not isinstance(config, dict) or "class_name" not in config or \
                    "config" not in config:
                raise ValueError(f"{filepath}: config.json must be an object with "
                                 f"'class_name' and 'config'")
            opt_state = None
            if compile and not keras_format and npz_format.OPTIMIZER in zf.names:
                opt_state = npz_format.read_npz(zf.open(npz_format.OPTIMIZER),
                                                f"{filepath}:{npz_format.OPTIMIZER}")
    with registry.extended_scope(custom_objects):
        model = _model_from_entry(config, filepath)
        compiled = compile and config.get("compile_config")
        if compiled:
            ser.compile_from_config(model, config["compile_config"])
        if keras_format:
            _assign_keras(model, weights, f"{filepath}:{_H5}", bool(compiled))
        else:
            npz_format.assign(model, weights, f"{filepath}:{npz_format.WEIGHTS}")
            if compiled and opt_state is not None:
                npz_format.restore_optimizer(model, dict(opt_state),
                                             f"{filepath}:{npz_format.OPTIMIZER}")
    return model


def save_weights(model, filepath, overwrite=True):
    """Write the weights alone: ``.weights.h5`` is Keras's HDF5 file (h5py), and
    ``.weights.npz`` deepgrad's NumPy file.

    Raises:
        ValueError: another suffix. ImportError: ``.weights.h5`` without h5py.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(_WEIGHTS_SUFFIXES):
        raise ValueError(f"The filename must end in `.weights.h5` (Keras's HDF5 weights) or "
                         f"`.weights.npz` (deepgrad's NumPy weights). Received: "
                         f"filepath={filepath}")
    if filepath.endswith(".weights.h5"):
        data = h5_format.to_bytes(model, include_optimizer=False)
    else:
        data = npz_format.npz_bytes(npz_format.weight_items(model))
    archive.atomic_write(filepath, lambda f: f.write(data), overwrite, "model.save_weights")


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Set ``model``'s weights from a weights file (HDF5 or NumPy) or a model archive.

    Every array is read and checked against the model (count, shapes, numeric dtype)
    before any weight is written: on error the model is unchanged.

    Args:
        skip_mismatch (bool): leave weights that do not fit unchanged (with a warning)
            instead of raising.
        by_name (bool): legacy ``.h5`` files only: match layers by name, not position.

    Raises:
        ValueError: unreadable, truncated or corrupted file, an object array, or weights
            that do not fit the model.
    """
    filepath = os.fspath(filepath)
    with archive.open_file(filepath) as fh:
        hdf5 = archive.head(fh) == h5_format.HDF5_MAGIC
        legacy = hdf5 and legacy_h5.is_legacy_layout(fh, filepath)
        if by_name and not legacy:
            raise ValueError("Invalid keyword arguments: `by_name` only supports loading "
                             "legacy '.h5' or '.hdf5' files.")
        if legacy:
            legacy_h5.load_weights(archive.head(fh, -1), filepath, model, skip_mismatch,
                                   by_name)
            return
        if hdf5:
            h5_format.assign(model, h5_format.read(fh, filepath), filepath, skip_mismatch)
            return
        zf = archive.ZipArchive.open_or_none(fh, filepath)
        if zf is None or _CONFIG not in zf.names:           # a .weights.npz file
            if zf is not None:
                zf.close()
            items, source = npz_format.read_npz(fh, filepath), filepath
        else:
            with zf:
                if _H5 in zf.names:
                    zf.check(_KERAS_MEMBERS, _KERAS_MEMBERS)
                    source = f"{filepath}:{_H5}"
                    h5_format.assign(model, h5_format.read(zf.open(_H5), source), source,
                                     skip_mismatch)
                    return
                zf.check(_NPZ_MEMBERS, _NPZ_MEMBERS[:3])
                source = f"{filepath}:{npz_format.WEIGHTS}"
                items = npz_format.read_npz(zf.open(npz_format.WEIGHTS), source)
    npz_format.assign(model, items, source, skip_mismatch)


def model_from_json(json_string, custom_objects=None):
    """A new (untrained) model from :meth:`to_json` output."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: the string is not valid JSON ({e})") from None
    with registry.extended_scope(custom_objects):
        return _model_from_entry(config, "model_from_json")


def model_to_json(model, **kwargs):
    """The architecture as a JSON string: ``{"module", "class_name", "config", ...}``."""
    ser.check_serializable(model)
    return ser.to_json(registry.serialize(model, "layers", extras=False), **kwargs)


# ====================================================================== helpers
def _deepgrad_version():
    return getattr(deepgrad, "__version__", "unknown")


def _json(obj):
    return json.dumps(obj, indent=1).encode()


def _model_entry(model, include_optimizer):
    """The model's serialized entry with its build and compile configs; the optimizer is
    built on the trainable weights first (Keras saves a built optimizer's slots)."""
    config = registry.serialize(model, "layers", extras=False)
    build = model.get_build_config()
    if build is not None:
        config["build_config"] = registry.serialize(build)
    try:
        config["compile_config"] = ser.compile_config(model)
    except ser.SerializationError as e:
        warnings.warn(f"The compile settings of model {model.name!r} cannot be saved ({e}); "
                      f"it will load uncompiled", stacklevel=3)
        config["compile_config"], include_optimizer = None, False
    optimizer = getattr(model, "optimizer", None)
    include_optimizer = bool(include_optimizer and model.compiled and optimizer is not None)
    if include_optimizer:
        optimizer.build(model.trainable_weights)
    return config, include_optimizer


def _check_keras_metadata(metadata, source):
    version = str(metadata.get("keras_version", "")) if isinstance(metadata, dict) else ""
    if version.split(".")[0] != "3":
        raise ValueError(f"{source}: metadata.json does not describe a Keras 3 file "
                         f"(received {metadata!r:.200})")


def _model_from_entry(entry, source):
    if not isinstance(entry, dict):
        raise ValueError(f"{source}: the model config must be a JSON object")
    ser.check_loadable(entry)
    model = registry.deserialize({k: v for k, v in entry.items() if k != "compile_config"},
                                 "layers")
    if not isinstance(model, Trainer):
        raise ValueError(f"{source}: the saved object is a {type(model).__name__}, not a Model")
    return model


def _assign_keras(model, groups, source, compiled):
    """Weights (and, compiled, the optimizer's variables) from Keras's HDF5 layout."""
    if compiled:
        model.optimizer.build(model.trainable_weights)
    arrays = h5_format.assign(model, groups, source, include_optimizer=compiled)
    if compiled and arrays is not None:
        expected = len(model.optimizer.variables)
        if len(arrays) != expected:
            warnings.warn(f"Skipping variable loading for optimizer '{model.optimizer.name}', "
                          f"because it has {expected} variables whereas the saved optimizer "
                          f"has {len(arrays)} variables.", stacklevel=3)
            return
        try:
            model.optimizer.assign_variables(arrays)
        except ValueError as e:
            raise ValueError(f"{source}: the optimizer state does not fit: {e}") from None
