"""Weights in Keras 3's HDF5 layout (``model.weights.h5`` inside a ``.keras`` file, and
``.weights.h5`` files), read and written with h5py (the optional ``[h5]`` extra).

Keras stores each saveable object's own variables under a path made of attribute names,
walking the model as Keras walks it: the object first, then (for Sequential and
functional models) its ``layers``, then its attributes in name order (private ones
last); a list or dict of layers is a container whose items are named after their class
in snake_case (``dense``, ``dense_1``...)::

    vars                          the model's own variables (usually none), attrs name=...
    layers/dense/vars/0, /1       a Dense layer's kernel and bias
    layers/lstm/cell/vars/0..2    a recurrent layer's weights live in its cell
    layers/bidirectional/forward_layer/cell/vars/...
    optimizer/vars/0, 1, ...      iterations, learning rate, slots in Keras's order

Only layers and optimizers are saved (metrics and seed generators are not, as in Keras).
Reading checks every dataset before anything is written: numeric dtypes only, no
external or virtual storage (HDF5 can point at other files), sizes bounded by the file's
own size (a small file cannot declare gigabytes), and counts and shapes that fit the
model; on any error the model is unchanged.
"""
import io
import warnings

import numpy as np

from deepgrad.keras import registry
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.optimizers.optimizer import Optimizer
from deepgrad.serialization import safe_io

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: what h5py raises on a corrupted file (a flipped bit can reach any of them)
H5_ERRORS = (OSError, KeyError, RuntimeError, OverflowError, TypeError, AttributeError,
             IndexError, UnicodeDecodeError)
#: deepgrad's own bookkeeping attributes: never walked (Keras's skip set)
_INTERNAL = frozenset({"_layers", "_input_layer", "_metrics", "_trainable_variables",
                       "_non_trainable_variables", "_losses", "_train_params",
                       "_loop_metrics", "_nodes", "inputs", "outputs", "_inputs_struct",
                       "_outputs_struct"})


def h5py_module(what):
    """The h5py module, or an ImportError that says how to get it."""
    try:
        import h5py  # noqa: F401  (the optional [h5] extra: only when HDF5 is used)
    except ImportError:
        raise ImportError(f"{what} needs h5py (Keras's HDF5 weights format): install the "
                          f"extra with pip install 'deepgrad[h5]' (or pip install h5py). "
                          f"Without it, use deepgrad's NumPy formats: "
                          f"model.save('m.dgkeras') and save_weights('w.weights.npz').") \
            from None
    return h5py


# ====================================================================== the walk
def _saveable(obj):
    return isinstance(obj, (Layer, Optimizer))


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _join(path, name):
    return f"{path}/{name}" if path else name


def _children(obj, include_optimizer):
    if isinstance(obj, Optimizer):
        return
    if getattr(obj, "_walks_layers_first", False):
        yield "layers", obj.layers                      # Sequential and functional first
    attrs = vars(obj)
    for name in sorted(attrs, key=_name_key):
        if name in _INTERNAL or (name == "optimizer" and not include_optimizer):
            continue
        yield name, attrs[name]


def saveables(model, include_optimizer=True):
    """``[(path, object)]``: every layer and optimizer in Keras's walk order."""
    out, visited = [], set()
    _walk(model, "", out, visited, include_optimizer)
    return out


def _walk(obj, path, out, visited, include_optimizer):
    if id(obj) in visited:
        return
    visited.add(id(obj))
    out.append((path, obj))
    for attr, child in _children(obj, include_optimizer):
        if _saveable(child):
            _walk(child, _join(path, attr), out, visited, include_optimizer)
        elif isinstance(child, (list, tuple, dict)):
            _walk_container(child, _join(path, attr), out, visited, include_optimizer, set())


def _walk_container(container, path, out, visited, include_optimizer, seen):
    if id(container) in seen:
        return
    seen.add(id(container))
    used = {}
    for item in (container.values() if isinstance(container, dict) else container):
        if _saveable(item):
            name = _unique(registry.snake_case(type(item).__name__), used)
            _walk(item, _join(path, name), out, visited, include_optimizer)
        elif isinstance(item, (list, tuple, dict)):
            _walk_container(item, _join(path, _unique("container", used)), out, visited,
                            include_optimizer, seen)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def own_variables(path, obj):
    """``[(vars path, name attribute, [live arrays])]`` of one saveable: a layer's own
    variables (a recurrent layer's under ``cell``, as Keras keeps them), an optimizer's
    Keras-ordered variables."""
    if isinstance(obj, Optimizer):
        return [(_join(path, "vars"), obj.name, obj.variables)]
    arrays = [v.array for v in obj._trainable_variables + obj._non_trainable_variables]
    cell = getattr(obj, "keras_cell_name", None)
    if cell is None:
        return [(_join(path, "vars"), obj.name, arrays)]
    return [(_join(path, "vars"), obj.name, []),
            (_join(_join(path, "cell"), "vars"), cell, arrays)]


# ====================================================================== writing
def write(fileobj, model, include_optimizer=True):
    """Write ``model``'s weights (and optimizer) to ``fileobj`` as Keras 3's HDF5."""
    h5py = h5py_module("Saving Keras's HDF5 weights")
    with h5py.File(fileobj, "w") as h5:
        for path, obj in saveables(model, include_optimizer):
            for vars_path, name, arrays in own_variables(path, obj):
                group = h5.require_group(vars_path)
                group.attrs["name"] = name
                for i, array in enumerate(arrays):
                    group.create_dataset(str(i), data=np.asarray(array))


def to_bytes(model, include_optimizer=True):
    buf = io.BytesIO()
    write(buf, model, include_optimizer)
    return buf.getvalue()


# ====================================================================== reading
def as_file(data):
    """(a seekable binary file at 0, its size) for bytes or an open binary file."""
    f = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    size = f.seek(0, io.SEEK_END)
    f.seek(0)
    return f, size


def read(data, source):
    """``{vars path: [arrays]}`` from HDF5 bytes or an open binary file, every dataset
    checked (see the module docstring).

    Raises:
        ValueError: not HDF5, unreadable, or a dataset that is not a plain numeric array.
    """
    h5py = h5py_module(f"Reading {source}")
    f, size = as_file(data)
    if f.read(8) != HDF5_MAGIC:
        raise ValueError(f"{source} is not an HDF5 file (truncated or corrupted?)")
    f.seek(0)
    groups, total = {}, 0
    try:
        with h5py.File(f, "r") as h5:
            items = []
            h5.visititems(lambda name, obj: items.append((name, obj)))
            for name, obj in items:
                if not isinstance(obj, h5py.Dataset):
                    continue
                parent, _, index = name.rpartition("/")
                if not index.isdigit() or not parent.endswith("vars"):
                    raise ValueError(f"{source}: unexpected dataset {name!r} (Keras's layout "
                                     f"holds only <path>/vars/<index> datasets)")
                if obj.dtype.kind not in "biuf":
                    raise ValueError(f"{source}: dataset {name!r} has dtype {obj.dtype}; "
                                     f"expected a numeric array")
                if obj.external or obj.is_virtual:
                    raise ValueError(f"{source}: dataset {name!r} refers to storage outside "
                                     f"the file (external or virtual), which is refused")
                nbytes = int(obj.size) * obj.dtype.itemsize
                total += nbytes
                safe_io.check_member_size(name, nbytes, size, source)
                safe_io.check_expansion("the datasets", total, size, source)
                # obj[()] reads into a fresh array: no second copy
                groups.setdefault(parent, {})[int(index)] = np.asarray(obj[()])
    except H5_ERRORS as e:
        raise ValueError(f"{source} is not a readable HDF5 weights file (truncated or "
                         f"corrupted): {e}") from None
    out = {}
    for parent, by_index in groups.items():
        if sorted(by_index) != list(range(len(by_index))):
            raise ValueError(f"{source}: the variables under {parent!r} are not numbered "
                             f"0..{len(by_index) - 1}")
        out[parent] = [by_index[i] for i in range(len(by_index))]
    return out


def assign(model, groups, source, skip_mismatch=False, include_optimizer=False):
    """Write the arrays of :func:`read` into ``model`` (and, with ``include_optimizer``,
    its optimizer, which must be built on the model's trainable weights), after checking
    all of them.

    Raises:
        ValueError: a layer whose stored variables are missing, too few or too many, or
            of another shape (with ``skip_mismatch``: that layer is left as it is, with a
            warning).
    """
    plan, optimizer_arrays = [], None
    for path, obj in saveables(model, include_optimizer):
        for vars_path, _, targets in own_variables(path, obj):
            if isinstance(obj, Optimizer):
                optimizer_arrays = groups.get(vars_path)
                continue
            arrays = groups.get(vars_path, [])
            problem = _mismatch(arrays, targets)
            if problem is None:
                plan.extend(zip(targets, arrays))
                continue
            message = (f"{source}: the weights of layer {obj.name!r} ({vars_path}) do not "
                       f"fit: {problem}")
            if not skip_mismatch:
                raise ValueError(message + " (a different architecture?)")
            warnings.warn(message + "; skipped (skip_mismatch=True)", stacklevel=3)
    for target, array in plan:
        target[...] = array
    return optimizer_arrays


def _mismatch(arrays, targets):
    if len(arrays) != len(targets):
        return f"the file holds {len(arrays)} variable(s), the layer has {len(targets)}"
    for i, (a, t) in enumerate(zip(arrays, targets)):
        if a.shape != t.shape:
            return f"variable {i} has shape {a.shape} in the file, {t.shape} in the layer"
    return None
