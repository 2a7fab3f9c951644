"""deepgrad's NumPy formats: ``.weights.npz`` files and ``.dgkeras`` model archives (no
HDF5 needed).

A weights file is a NumPy ``.npz`` (a zip of ``.npy`` files, written and read with
``allow_pickle=False``) with one array per entry of ``model.weights``, in that order,
named ``"{index:04d}/{layer path}/{weight name}"``. A ``.dgkeras`` archive is a zip of::

    metadata.json      {"format": "deepgrad.keras", "format_version": "1.0",
                        "deepgrad_version": ..., "date_saved": ...}
    config.json        the model's config, its build and compile configs (Keras's form)
    model.weights.npz  the weights file above
    optimizer.npz      for a compiled model: ``iterations`` (int64), ``variable_index``
                       (for each variable the optimizer updates, its index in
                       ``model.weights``) and ``slots/{j:04d}`` (``get_state()`` order)

(deepgrad wrote this archive under the ``.keras`` name before it wrote Keras's own
format there; such files still load.)
"""
import io
import warnings
import zipfile

import numpy as np

from deepgrad.keras.saving.archive import READ_ERRORS
from deepgrad.serialization import safe_io

FORMAT_NAME, FORMAT_VERSION = "deepgrad.keras", "1.0"
WEIGHTS, OPTIMIZER = "model.weights.npz", "optimizer.npz"


def weight_paths(model):
    """``id(tensor) -> "layer/sublayer/weight"`` for error messages and member names."""
    paths, stack = {}, [(model, "")]
    while stack:
        layer, prefix = stack.pop()
        for v in layer._trainable_variables + layer._non_trainable_variables:
            paths.setdefault(id(v), f"{prefix}{v.name}")
        for sub in reversed(layer._layers):
            stack.append((sub, f"{prefix}{sub.name}/"))
    return paths


def weight_items(model):
    paths = weight_paths(model)
    return [(f"{i:04d}/{paths.get(id(w), 'weight')}", w.array) for i, w in enumerate(model.weights)]


def optimizer_items(model, optimizer):
    if not hasattr(optimizer, "get_state") or not getattr(optimizer, "built", False):
        return [("iterations", np.asarray(int(getattr(optimizer, "iterations", 0)), np.int64))]
    index = {id(w): i for i, w in enumerate(model.weights)}
    params = optimizer._trainable_variables
    missing = [p for p in params if id(p) not in index]
    if missing:
        raise ValueError(f"Cannot save the optimizer state: it updates {len(missing)} "
                         f"variable(s) that are not weights of model {model.name!r}")
    state = optimizer.get_state()
    return [("iterations", np.asarray(state["iterations"], np.int64)),
            ("variable_index", np.asarray([index[id(p)] for p in params], np.int64))] + [
        (f"slots/{j:04d}", a) for j, a in enumerate(state["variables"])]


def npz_bytes(items):
    """A NumPy ``.npz`` (``np.load``-compatible), written with ``allow_pickle=False``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for key, array in items:
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(array), allow_pickle=False)
    return buf.getvalue()

def read_npz(data, source):
    """``[(key, array), ...]`` sorted by key, from ``.npz`` bytes or an open binary file;
    object arrays (pickles) are refused."""
    f = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            safe_io.check_zip_members(zf, source)
        f.seek(0)
        with np.load(f, allow_pickle=False) as npz:
            items = [(key, npz[key]) for key in sorted(npz.files, key=_natural)]
    except READ_ERRORS as e:
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

def assign(model, items, source, skip_mismatch=False):
    """Check every array against ``model.weights``, then write them all (or none)."""
    targets, paths = model.weights, weight_paths(model)
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

def restore_optimizer(model, state, source):
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


def check_metadata(metadata, source):
    """Refuse a ``metadata.json`` that is not this format's (or a future major version)."""
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{source}: metadata.json does not describe a {FORMAT_NAME} file "
                         f"(received {metadata!r:.200})")
    version = str(metadata.get("format_version", ""))
    if version.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ValueError(f"{source}: format version {version!r} is not supported (this "
                         f"deepgrad reads version {FORMAT_VERSION})")
