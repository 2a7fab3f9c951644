"""Keras's legacy whole-model HDF5 files (``model.save("m.h5")``, also ``.hdf5``), read
and written as Keras 3.15's ``legacy_h5_format`` does, with h5py (the ``[h5]`` extra).

One HDF5 file::

    attrs: keras_version, backend, model_config (JSON: {"class_name", "config"}),
           training_config (JSON: compile's loss / metrics / loss_weights /
           weighted_metrics and "optimizer_config": {"class_name", "config"})
    model_weights/                  attrs layer_names (model.layers), backend, keras_version
        <layer name>/               attrs weight_names: the layer's variable paths,
            <weight name>           trainable weights first, then non-trainable ones
        top_level_model_weights/    the model's own variables (usually none)
    optimizer_weights/              attrs weight_names; optimizer.variables in Keras's
        <name>                      order (iteration, learning_rate, slots)

Weights are matched to layers by position among the layers that have weights, as Keras
does (``load_weights`` of a legacy ``.h5`` file too). Attribute lists longer than HDF5's
64 KiB header limit are split into ``name0``, ``name1``... as Keras splits them.

Reading is as guarded as the ``.keras`` format's: datasets must be numeric, stored in
the file (no external or virtual storage), and together no larger than a bounded
multiple of the file; configs are rebuilt from the registry (no code runs, ``Lambda``
refused); everything is checked before a weight is written.
"""
import io
import json
import warnings

import numpy as np

from deepgrad.keras import registry
from deepgrad.keras.saving import serialization as ser
from deepgrad.keras.saving.h5_format import H5_ERRORS, HDF5_MAGIC, as_file, h5py_module
from deepgrad.serialization import safe_io

HDF5_OBJECT_HEADER_LIMIT = 64512
_MAX_CONFIG = 1 << 26                # 64 MiB of JSON


# ====================================================================== writing
def write(fileobj, model, model_config, training_config, include_optimizer, keras_version):
    """Write ``model`` to ``fileobj`` (a path or a binary file object) as Keras's legacy
    HDF5 file.

    Args:
        model_config (dict): ``{"class_name", "config"}`` of the model.
        training_config (dict or None): the compile settings, ``optimizer_config``
            included (None: the model is not compiled).
        include_optimizer (bool): also write ``optimizer_weights`` (the optimizer must be
            built on the model's trainable weights).
    """
    h5py = h5py_module("Saving a legacy .h5 model file")
    with h5py.File(fileobj, "w") as f:
        f.attrs["backend"] = "deepgrad"
        f.attrs["keras_version"] = keras_version
        f.attrs["model_config"] = ser.to_json(model_config).encode("utf8")
        if training_config is not None:
            f.attrs["training_config"] = ser.to_json(training_config).encode("utf8")
        save_weights_to_group(f.create_group("model_weights"), model, keras_version)
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None and optimizer.built:
            group = f.create_group("optimizer_weights")
            names = _unique_names(optimizer._variable_names())
            _save_attributes(group, "weight_names", [n.encode("utf8") for n in names])
            for name, value in zip(names, optimizer.variables):
                group.create_dataset(name, data=np.asarray(value))


def to_bytes(model, model_config, training_config, include_optimizer, keras_version):
    """:func:`write` into memory (so the file itself is written atomically)."""
    buf = io.BytesIO()
    write(buf, model, model_config, training_config, include_optimizer, keras_version)
    return buf.getvalue()


def save_weights_to_group(group, model, keras_version):
    """Keras's ``save_weights_to_hdf5_group``: one group per layer (created in name
    order), each listing its weights in the legacy order."""
    _save_attributes(group, "layer_names", [layer.name.encode("utf8") for layer in model.layers])
    group.attrs["backend"] = "deepgrad"
    group.attrs["keras_version"] = keras_version
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), _legacy_weights(layer))
    _save_subset(group.create_group("top_level_model_weights"), [])


def _save_subset(group, weights):
    names = _unique_names([str(getattr(w, "path", None) or getattr(w, "name", None) or "weight")
                           for w in weights])
    _save_attributes(group, "weight_names", [n.encode("utf8") for n in names])
    for name, w in zip(names, weights):
        group.create_dataset(name, data=np.asarray(w.array))


def _legacy_weights(layer):
    """Keras's legacy order: trainable weights, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _unique_names(names):
    seen, out = {}, []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


def _save_attributes(group, name, data):
    """Keras's ``save_attributes_to_hdf5_group``: split a list that does not fit in one
    HDF5 object header into ``name0``, ``name1``..."""
    too_long = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise RuntimeError(f"The following attributes cannot be saved to HDF5 file because "
                           f"they are larger than {HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long}")
    array = np.asarray(data)
    chunks, n = [array], 1
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        n += 1
        chunks = np.array_split(array, n)
    if n > 1:
        for i, chunk in enumerate(chunks):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = data


# ====================================================================== reading
class _Reader:
    """Checked access to one open HDF5 file (datasets and string attributes)."""

    def __init__(self, h5py, f, size, source):
        self.h5py, self.f, self.source = h5py, f, source
        self.size, self.total = size, 0

    def group(self, parent, name):
        obj = parent.get(name) if name in parent else None
        if not isinstance(obj, self.h5py.Group):
            raise ValueError(f"{self.source}: expected an HDF5 group {name!r} under "
                             f"{parent.name!r}")
        return obj

    def dataset(self, parent, name):
        obj = parent.get(name) if name in parent else None
        if not isinstance(obj, self.h5py.Dataset):
            raise ValueError(f"{self.source}: weight {name!r} listed under {parent.name!r} "
                             f"is missing (or not a dataset)")
        if obj.dtype.kind not in "biuf":
            raise ValueError(f"{self.source}: dataset {obj.name!r} has dtype {obj.dtype}; "
                             f"expected a numeric array")
        if obj.external or obj.is_virtual:
            raise ValueError(f"{self.source}: dataset {obj.name!r} refers to storage outside "
                             f"the file (external or virtual), which is refused")
        nbytes = int(obj.size) * obj.dtype.itemsize
        self.total += nbytes
        safe_io.check_member_size(obj.name, nbytes, self.size, self.source)
        safe_io.check_expansion("the datasets", self.total, self.size, self.source)
        return np.asarray(obj[()])           # a fresh array: no second copy

    def strings(self, group, name):
        """Keras's ``load_attributes_from_hdf5_group`` (chunked lists included)."""
        if name in group.attrs:
            values = list(np.atleast_1d(group.attrs[name]))
        else:
            values, i = [], 0
            while f"{name}{i}" in group.attrs:
                values.extend(np.atleast_1d(group.attrs[f"{name}{i}"]))
                i += 1
        out = []
        for v in values:
            v = v.decode("utf8") if isinstance(v, bytes) else v
            if not isinstance(v, str):
                raise ValueError(f"{self.source}: attribute {name!r} of {group.name!r} "
                                 f"must hold strings")
            out.append(v)
        return out

    def json_attr(self, name):
        value = self.f.attrs.get(name)
        if value is None:
            return None
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value.item()
        if isinstance(value, bytes):
            value = value.decode("utf8")
        if not isinstance(value, str) or len(value) > _MAX_CONFIG:
            raise ValueError(f"{self.source}: attribute {name!r} is not a JSON string")
        try:
            return json.loads(value)
        except ValueError as e:
            raise ValueError(f"{self.source}: attribute {name!r} is not valid JSON ({e})") \
                from None


def _open(data, source):
    h5py = h5py_module(f"Reading {source}")
    f, _ = as_file(data)
    if f.read(8) != HDF5_MAGIC:
        raise ValueError(f"{source} is not an HDF5 file (truncated or corrupted?)")
    f.seek(0)
    try:
        return h5py, h5py.File(f, "r")
    except H5_ERRORS as e:
        raise ValueError(f"{source} is not a readable HDF5 file (truncated or corrupted): "
                         f"{e}") from None


def is_legacy_layout(data, source="file"):
    """True for an HDF5 file in Keras's legacy layout (a whole-model ``.h5`` file, or
    a Keras 2 weights file with ``layer_names``), False for Keras 3's ``vars`` layout."""
    h5py, f = _open(data, source)
    try:
        with f:
            return "model_weights" in f or any(k.startswith("layer_names") for k in f.attrs)
    except H5_ERRORS as e:
        raise ValueError(f"{source} is not a readable HDF5 file (truncated or corrupted): "
                         f"{e}") from None


def load_model(data, source, compile=True):
    """Rebuild the model a legacy ``.h5`` file holds (Keras's ``load_model_from_hdf5``).

    The optimizer state is restored when the file has it and it fits (otherwise a warning
    says training starts with a fresh optimizer, as Keras's does).

    Raises:
        ValueError: not a readable model file, an unknown class, or weights that do not
            fit the architecture.
    """
    h5py, f = _open(data, source)
    try:
        with f:
            reader = _Reader(h5py, f, len(data), source)
            config = reader.json_attr("model_config")
            if not isinstance(config, dict) or "class_name" not in config \
                    or "config" not in config:
                raise ValueError(f"No model config found in the file at {source}.")
            model = _model_from_config(config, source)
            plan = _weights_plan(reader, reader.group(f, "model_weights"), model)
            training = reader.json_attr("training_config") if compile else None
            optimizer_values = None
            if training is not None:
                _compile(model, training, source)
                if "optimizer_weights" in f:
                    group = reader.group(f, "optimizer_weights")
                    optimizer_values = [reader.dataset(group, n)
                                        for n in reader.strings(group, "weight_names")]
    except H5_ERRORS as e:
        raise ValueError(f"{source} is not a readable HDF5 model file (truncated or "
                         f"corrupted): {e}") from None
    for target, array in plan:
        target.array[...] = array
    if optimizer_values is not None:
        model.optimizer.build(model.trainable_weights)
        try:
            model.optimizer.assign_variables(optimizer_values)
        except ValueError as e:
            warnings.warn(f"Error in loading the saved optimizer state ({e}). As a result, "
                          f"your model is starting with a freshly initialized optimizer.",
                          stacklevel=3)
    return model


def load_weights(data, source, model, skip_mismatch=False, by_name=False):
    """``model.load_weights("w.h5")`` for a legacy HDF5 file: a whole-model file (its
    ``model_weights``) or a Keras 2 ``save_weights`` file; by position among the layers
    with weights, or, with ``by_name``, by layer name."""
    h5py, f = _open(data, source)
    try:
        with f:
            reader = _Reader(h5py, f, len(data), source)
            group = f
            if "layer_names" not in f.attrs and "model_weights" in f:
                group = reader.group(f, "model_weights")
            plan = _weights_plan(reader, group, model, skip_mismatch, by_name)
    except H5_ERRORS as e:
        raise ValueError(f"{source} is not a readable HDF5 weights file (truncated or "
                         f"corrupted): {e}") from None
    for target, array in plan:
        target.array[...] = array


def _weights_plan(reader, group, model, skip_mismatch=False, by_name=False):
    """``[(variable, array)]`` for every weight, all checked (Keras's
    ``load_weights_from_hdf5_group`` and ``..._by_name``)."""
    source = reader.source
    saved = []
    for name in reader.strings(group, "layer_names"):
        layer_group = reader.group(group, name)
        weight_names = reader.strings(layer_group, "weight_names")
        saved.append((name, layer_group, weight_names))
    plan = []
    if by_name:
        index = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        pairs = [(k, name, lg, wn, layer) for k, (name, lg, wn) in enumerate(saved)
                 for layer in index.get(name, [])]
    else:
        layers = [layer for layer in model.layers if _legacy_weights(layer)]
        saved = [s for s in saved if s[2]]
        if len(saved) != len(layers):
            raise ValueError(f"{source}: Layer count mismatch when loading weights from file. "
                             f"Model expected {len(layers)} layers, found {len(saved)} saved "
                             f"layers.")
        pairs = [(k, name, lg, wn, layer)
                 for k, ((name, lg, wn), layer) in enumerate(zip(saved, layers))]
    for k, name, layer_group, weight_names, layer in pairs:
        targets = _legacy_weights(layer)
        label = f"layer #{k} (named {layer.name} in the current model, {name} in the file)"
        if len(weight_names) != len(targets):
            message = (f"{source}: Weight count mismatch for {label}. Layer expects "
                       f"{len(targets)} weight(s). Received {len(weight_names)} saved "
                       f"weight(s)")
            if by_name and skip_mismatch:
                warnings.warn(message + "; skipped", stacklevel=4)
                continue
            raise ValueError(message)
        for weight_name, target in zip(weight_names, targets):
            array = reader.dataset(layer_group, weight_name)
            if array.shape != tuple(target.shape):
                message = (f"{source}: Shape mismatch in {label} for weight "
                           f"{getattr(target, 'path', weight_name)}. Weight expects shape "
                           f"{tuple(target.shape)}. Received saved weight with shape "
                           f"{array.shape}")
                if skip_mismatch:
                    warnings.warn(message + "; skipped", stacklevel=4)
                    continue
                raise ValueError(message)
            plan.append((target, array))
    if "top_level_model_weights" in group:
        top = reader.group(group, "top_level_model_weights")
        names = reader.strings(top, "weight_names")
        if names:
            raise ValueError(f"{source}: the file holds {len(names)} top-level model "
                             f"weight(s); deepgrad's models keep their weights in layers")
    return plan


def _model_from_config(config, source):
    from_keras = {"class_name": config["class_name"], "config": config["config"]}
    if "module" in config:
        from_keras["module"] = config["module"]
    ser.check_loadable(from_keras)
    model = registry.deserialize(from_keras, "layers")
    if not hasattr(model, "fit"):
        raise ValueError(f"{source}: the saved object is a {type(model).__name__}, not a Model")
    return model


def _compile(model, training, source):
    """``model.compile`` from a legacy ``training_config``."""
    if not isinstance(training, dict) or not isinstance(training.get("optimizer_config"), dict):
        raise ValueError(f"{source}: training_config must be an object with an "
                         f"'optimizer_config'")
    config = {key: training.get(key) for key in ("loss", "loss_weights", "metrics",
                                                  "weighted_metrics")}
    config["optimizer"] = training["optimizer_config"]
    try:
        ser.compile_from_config(model, config)
    except ser.SerializationError as e:
        raise ValueError(f"{source}: {e}") from None


#: loss aliases Keras 3.15 writes but cannot read back from a legacy file ("Could not
#: deserialize 'keras.metrics.mse'"): written by their full names instead
_LOSS_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
               "mape": "mean_absolute_percentage_error",
               "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence",
               "logcosh": "log_cosh"}


def _full_loss_names(value):
    if isinstance(value, str):
        return _LOSS_NAMES.get(value, value)
    if isinstance(value, list):
        return [_full_loss_names(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _full_loss_names(v) for k, v in value.items()}
    return value


def training_config(model):
    """Keras's legacy ``training_config`` of a compiled model (None if it is not); short
    loss aliases are written by their full names (which Keras 3.15 reads back)."""
    config = ser.compile_config(model)
    if not config:
        return None
    config = dict(config)
    config["loss"] = _full_loss_names(config.get("loss"))
    optimizer = config.pop("optimizer")
    config["optimizer_config"] = {"class_name": optimizer["class_name"],
                                  "config": optimizer["config"]}
    return config
