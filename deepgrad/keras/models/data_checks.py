"""The checks ``fit``/``evaluate`` make on array data before the first step, so that bad
data fails before any weight, optimizer slot or metric changes.

    batch_size          None or an int >= 1 (``validation_batch_size`` too)
    validation_split    a number in [0, 1)
    x / y / weights     numeric dtypes (no object or string arrays), same length, not
                        empty, finite (``data.check_arrays``: one read of each array)
    x vs the model      each sample's shape against the model's declared input shape
                        (``keras.Input`` / ``input_shape=``), dimension by dimension;
                        validation x against training x for (samples, features) data
    y vs the loss       sparse categorical cross-entropy: integer labels in
                        [0, classes) (``ignore_class`` allowed) over ALL samples; binary
                        (focal) cross-entropy: targets in [0, 1]

Only array data is checked here: a generator or dataset is read as it comes.
"""
import numbers

import numpy as np

from deepgrad.keras import losses as losses_module
from deepgrad.keras import losses_focal
from deepgrad.keras.models import data as data_lib

_SPARSE = (losses_module.sparse_categorical_crossentropy,)
_BINARY = (losses_module.binary_crossentropy, losses_focal.binary_focal_crossentropy)


def check_batch_size(value, name="batch_size"):
    """None or a positive int (NumPy ints too, never a bool)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer (or None for 32), received "
                         f"{name}={value!r}")


def check_validation_split(value):
    """A number in [0, 1) (0: no split)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not 0.0 <= value < 1.0:
        raise ValueError(f"`validation_split` must be a number in [0, 1), received "
                         f"validation_split={value!r}")


def declared_input_shapes(model):
    """The batch shapes the user declared for the model's inputs, or None (a model that
    learns its shape from the first batch is not checked)."""
    inputs = getattr(model, "inputs", None)
    if isinstance(inputs, list) and inputs and all(hasattr(t, "shape") for t in inputs):
        return [tuple(t.shape) for t in inputs]
    layer = getattr(model, "_input_layer", None)
    shape = getattr(layer, "_batch_input_shape", None)
    if shape is None:
        layers = getattr(model, "_layers", None) or []
        shape = getattr(layers[0], "_batch_input_shape", None) if layers else None
    return [tuple(shape)] if shape is not None else None


def check_input_shapes(model, x, what):
    """Each x array's sample shape against the declared input shape (module docstring)."""
    shapes = declared_input_shapes(model)
    arrays = data_lib.leaves(x)
    if shapes is None or isinstance(x, dict) or len(shapes) != len(arrays):
        return                              # (a dict is matched by name, in the model)
    for i, (a, shape) in enumerate(zip(arrays, shapes)):
        got, want = tuple(a.shape[1:]), shape[1:]
        name = what if len(arrays) == 1 else f"{what}[{i}]"
        if len(got) != len(want):
            raise ValueError(f"{name} has samples of shape {got} (array of shape {a.shape}), "
                             f"but the model expects inputs of shape {shape}: {len(want)} "
                             f"axes per sample, received {len(got)}")
        for axis, (g, w) in enumerate(zip(got, want)):
            if w is not None and g != w:
                layers = getattr(model, "_layers", None) or [model]
                raise ValueError(f'Input {i} of layer "{layers[0].name}" is incompatible with '
                                 f'the layer: expected axis {axis - len(want)} of input shape '
                                 f'to have value {w}, but received input with shape '
                                 f'{a.shape} ({name}: the model expects inputs of shape '
                                 f'{shape}; dimension {axis + 1} is {g}, expected {w})')


def check_same_features(x, val_x):
    """Validation (samples, features) data has the training data's number of features
    (single arrays; several inputs are checked by the model)."""
    if not (isinstance(x, np.ndarray) and isinstance(val_x, np.ndarray)):
        return
    if x.ndim == 2 and val_x.ndim == 2 and x.shape[1] != val_x.shape[1]:
        raise ValueError(f"validation_data's x has {val_x.shape[1]} features per sample "
                         f"(shape {val_x.shape}), the training x {x.shape[1]} (shape "
                         f"{x.shape})")


def _single_loss(model):
    """(loss function, its keyword arguments) for a single-output model, else None."""
    compiled = getattr(model, "_compile_loss", None)
    if compiled is None:
        return None
    spec = compiled._user_loss
    if isinstance(spec, (list, tuple, dict)):
        if len(spec) != 1:
            return None
        spec = list(spec.values())[0] if isinstance(spec, dict) else spec[0]
    try:
        loss = losses_module.get(spec) if isinstance(spec, str) else spec
    except ValueError:
        return None
    return getattr(loss, "fn", loss), dict(getattr(loss, "_fn_kwargs", {}) or {})


def _num_classes(model):
    shape = getattr(model, "_output_shape", None)
    outputs = getattr(model, "outputs", None)
    if shape is None and isinstance(outputs, list) and len(outputs) == 1:
        shape = outputs[0].shape
    if shape is None or not len(shape) or not isinstance(shape[-1], (int, np.integer)):
        return None
    return int(shape[-1])


def check_targets(model, y, what):
    """The targets against the compiled loss (module docstring): every sample at once."""
    found = _single_loss(model)
    arrays = data_lib.leaves(y)
    if found is None or len(arrays) != 1 or arrays[0].size == 0:
        return
    fn, kwargs = found
    y = arrays[0]
    if fn in _SPARSE:
        _check_sparse(y, _num_classes(model), kwargs.get("ignore_class"), what)
    elif fn in _BINARY:
        lo, hi = y.min(), y.max()
        if not (lo >= 0 and hi <= 1):
            raise ValueError(f"{what} holds values in [{lo}, {hi}], but the loss "
                             f"{fn.__name__} expects targets in [0, 1] (binary labels 0/1 "
                             f"or probabilities); for several classes use "
                             f"sparse_categorical_crossentropy")


def _check_sparse(y, classes, ignore_class, what):
    if y.dtype.kind == "f" and not np.array_equal(y, np.floor(y)):
        raise ValueError(f"{what} holds non-integer values, but "
                         f"sparse_categorical_crossentropy expects integer class labels")
    if y.dtype.kind not in "biuf":
        return
    labels = y if ignore_class is None else y[y != ignore_class]
    if not labels.size:
        return
    lo, hi = labels.min(), labels.max()
    if lo < 0 or (classes is not None and hi >= classes):
        bad = lo if lo < 0 else hi
        span = f"[0, {classes - 1}]" if classes is not None else "0 or more"
        raise ValueError(f"{what} contains the label {bad}, but the model has {classes} "
                         f"output classes: sparse_categorical_crossentropy expects integer "
                         f"labels in {span} (checked over all {len(y)} samples before "
                         f"training)")


def check_fit_data(model, x, y, sample_weight, what="fit"):
    """The model-dependent checks above on array data (lengths, dtypes, NaN/inf and
    emptiness are checked when the data adapter is made)."""
    if not data_lib.is_array_data(x):
        return
    x, y = data_lib.as_arrays(x), data_lib.as_arrays(y)
    check_input_shapes(model, x, f"{what}: x")
    if y is not None:
        check_targets(model, y, f"{what}: y")
