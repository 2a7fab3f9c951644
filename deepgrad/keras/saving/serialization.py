"""Layers, models and compile settings as JSON-friendly dicts, and back — by name only.

A layer is written as ``{"class_name": "Dense", "config": layer.get_config()}`` (plus
``"build_config": {"input_shape": ...}`` once built). Reading looks ``class_name`` up in
one registry: the caller's ``custom_objects`` first, then the classes exported by
:mod:`deepgrad.keras.layers`, then ``Sequential`` / ``Functional`` (= ``Model``). Nothing
from a file is ever imported, unpickled or executed, so a ``Lambda`` layer (whose Python
function cannot be written down safely) is refused in both directions.
"""
import contextlib
import json

import numpy as np

_SCOPE = []          # stack of custom_objects dicts (custom_object_scope)
_REGISTRY = {}       # class name -> built-in layer/model class, filled on first use


class SerializationError(ValueError):
    """A model or layer that cannot be written or read back (a ValueError)."""


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Make ``custom_objects`` (name -> class or function) visible to deserialization.

    Example:
        >>> with custom_object_scope({"MyLayer": MyLayer}):
        ...     model = Sequential.from_config(config)
    """
    _SCOPE.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPE.pop()


def get_custom_objects():
    """The merged custom objects of the active scopes (innermost wins)."""
    merged = {}
    for scope in _SCOPE:
        merged.update(scope)
    return merged


def _builtin_classes():
    if not _REGISTRY:
        from deepgrad.keras import layers
        from deepgrad.keras.layers.layer import Layer
        from deepgrad.keras.models.model import Model
        from deepgrad.keras.models.sequential import Sequential
        for name in dir(layers):
            obj = getattr(layers, name)
            if isinstance(obj, type) and issubclass(obj, Layer):
                _REGISTRY[name] = obj
                _REGISTRY.setdefault(obj.__name__, obj)
        _REGISTRY.update(Sequential=Sequential, Functional=Model, Model=Model)
    return _REGISTRY


def _lambda_error(name):
    return SerializationError(
        f'Layer "{name}" is a Lambda layer: it cannot be saved or loaded safely, because its '
        f'function is Python code and deepgrad never writes or executes code in a model '
        f'file. Replace it with a Layer subclass that implements get_config() and pass the '
        f'class to load_model(custom_objects={{...}}), or save the weights only '
        f'(save_weights) and rebuild the model in code.')


def check_serializable(layer):
    """Raise :class:`SerializationError` if ``layer`` or any sub-layer is a ``Lambda``."""
    from deepgrad.keras.layers.lambda_layer import Lambda
    stack = [layer]
    while stack:
        current = stack.pop()
        if isinstance(current, Lambda):
            raise _lambda_error(current.name)
        stack.extend(current._layers)


# ---------------------------------------------------------------------- JSON values
def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray) and obj.size <= 64:
        return obj.tolist()
    if isinstance(obj, np.dtype):
        return obj.name
    raise TypeError(f"a value of type {type(obj).__name__} ({obj!r:.80}) is not "
                    f"JSON-serializable")


def to_json(obj, **kwargs):
    """``json.dumps`` that turns NumPy scalars into numbers and names what it cannot write."""
    try:
        return json.dumps(obj, default=_json_default, **kwargs)
    except (TypeError, ValueError) as e:
        raise SerializationError(f"Cannot write the model config as JSON: {e}") from None


def shape_to_json(value):
    """Tuples (shapes) to lists, recursively, as JSON writes them."""
    if isinstance(value, dict):
        return {k: shape_to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shape_to_json(v) for v in value]
    return value


def shape_from_json(value):
    """A shape written as a JSON list back to a tuple (lists of shapes stay lists)."""
    if isinstance(value, dict):
        return {k: shape_from_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(v is None or isinstance(v, int) for v in value):
            return tuple(value)
        return [shape_from_json(v) for v in value]
    return value


# ---------------------------------------------------------------------- layers
def class_name_of(layer):
    """Keras's class name: ``'Functional'`` for a plain functional ``Model``."""
    from deepgrad.keras.models.model import Model
    if type(layer) is Model and getattr(layer, "_functional", False):
        return "Functional"
    return type(layer).__name__


def serialize_layer(layer):
    """``{"class_name", "config"[, "build_config"]}`` for a layer or a nested model."""
    from deepgrad.keras.layers.lambda_layer import Lambda
    if isinstance(layer, Lambda):
        raise _lambda_error(layer.name)
    entry = {"class_name": class_name_of(layer), "config": layer.get_config()}
    shape = getattr(layer, "_build_shape", None)
    rebuilds_itself = "build_input_shape" in entry["config"] or "input_layers" in entry["config"]
    if layer.built and shape is not None and not rebuilds_itself:
        entry["build_config"] = {"input_shape": shape_to_json(shape)}
    return entry


def get_class(class_name, kind="layer"):
    """The class registered under ``class_name`` (custom objects first)."""
    from deepgrad.keras.layers.lambda_layer import Lambda
    from deepgrad.keras.layers.layer import Layer
    if not isinstance(class_name, str):
        raise SerializationError(f"Invalid {kind} entry: class_name must be a string, "
                                 f"received {class_name!r}")
    custom = get_custom_objects()
    cls = custom.get(class_name)
    if cls is None:
        cls = _builtin_classes().get(class_name)
    if cls is None:
        raise SerializationError(
            f"Unknown {kind} class {class_name!r}. Built-in classes are looked up in "
            f"deepgrad.keras.layers; pass your own classes with custom_objects="
            f"{{{class_name!r}: {class_name}}}")
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise SerializationError(f"custom_objects[{class_name!r}] must be a Layer subclass, "
                                 f"received {cls!r}")
    if issubclass(cls, Lambda) or class_name == "Lambda":
        raise _lambda_error(class_name)
    return cls


def deserialize_layer(entry):
    """Inverse of :func:`serialize_layer` (built-in or custom classes only, by name)."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise SerializationError(f"Invalid layer entry {entry!r:.200}: expected a dict with "
                                 f"'class_name' and 'config'")
    config = entry.get("config")
    if not isinstance(config, dict):
        raise SerializationError(f"Invalid config for layer class {entry['class_name']!r}: "
                                 f"expected a dict, received {type(config).__name__}")
    if entry["class_name"] == "Lambda" or config.get("serializable") is False:
        raise _lambda_error(config.get("name", entry["class_name"]))
    cls = get_class(entry["class_name"])
    try:
        layer = cls.from_config(dict(config))
    except SerializationError:
        raise
    except (TypeError, ValueError, KeyError) as e:
        raise SerializationError(f"Could not rebuild layer {config.get('name')!r} of class "
                                 f"{entry['class_name']!r} from its config: {e}") from e
    build = entry.get("build_config")
    if isinstance(build, dict) and build.get("input_shape") is not None and not layer.built:
        layer._maybe_build(shape_from_json(build["input_shape"]))
    return layer


# ---------------------------------------------------------------------- compile settings
def _name_of(fn):
    name = getattr(fn, "__name__", None)
    if not name or name == "<lambda>":
        raise SerializationError(f"{fn!r} has no usable name (a lambda?); use a named "
                                 f"function")
    return name


def serialize_loss(loss):
    """A compiled loss object -> a name (built-in or custom function) or a class config."""
    from deepgrad.keras import losses
    if loss is None:
        return None
    if isinstance(loss, losses._AutoCrossentropy):
        return loss.name
    if type(loss) is losses.LossFunctionWrapper:
        if loss.fn not in losses._BUILTIN_FNS:
            return _name_of(loss.fn)
        if not loss._fn_kwargs and getattr(losses.ALL_OBJECTS_DICT.get(loss.name), "__name__",
                                           None) == loss.fn.__name__:
            return loss.name                        # 'mse', 'sparse_categorical_crossentropy'
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize_loss(config):
    from deepgrad.keras import losses
    custom = get_custom_objects()
    if isinstance(config, str) and config in custom:
        return losses.get(custom[config])
    if isinstance(config, dict) and config.get("class_name") in custom:
        return custom[config["class_name"]].from_config(dict(config.get("config") or {}))
    try:
        return losses.get(config)
    except ValueError as e:
        raise SerializationError(f"Unknown loss {config!r} in the compile settings ({e}); pass "
                                 f"custom losses with custom_objects, or load with "
                                 f"compile=False") from None


def serialize_metric(spec):
    from deepgrad.keras import metrics
    if isinstance(spec, str) or spec is None:
        return spec
    if isinstance(spec, metrics.Metric):
        return {"class_name": type(spec).__name__, "config": spec.get_config()}
    if isinstance(spec, type):
        return spec.__name__
    return _name_of(spec)


def deserialize_metric(config):
    from deepgrad.keras import metrics
    custom = get_custom_objects()
    if isinstance(config, str):
        return custom.get(config, config)           # names resolve at compile time
    if isinstance(config, dict) and config.get("class_name") in custom:
        return custom[config["class_name"]].from_config(dict(config.get("config") or {}))
    try:
        return metrics.deserialize(config)
    except ValueError as e:
        raise SerializationError(f"Unknown metric {config!r} in the compile settings ({e}); "
                                 f"pass custom metrics with custom_objects, or load with "
                                 f"compile=False") from None


def serialize_optimizer(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize_optimizer(config):
    from deepgrad.keras import optimizers
    custom = get_custom_objects()
    if isinstance(config, dict) and config.get("class_name") in custom:
        return custom[config["class_name"]].from_config(dict(config.get("config") or {}))
    try:
        return optimizers.deserialize(config)
    except (ValueError, TypeError) as e:
        raise SerializationError(f"Could not rebuild the optimizer from {config!r:.200}: "
                                 f"{e}") from None


def compile_config(model):
    """Keras's ``get_compile_config``: what ``compile`` was given, as JSON-friendly data.

    ``{"optimizer": {"class_name", "config"}, "loss": ..., "loss_weights": ...,
    "metrics": ...}``; ``loss``, ``loss_weights`` and ``metrics`` are one entry per model
    output (a list) when the model has several outputs. None if the model is not compiled.
    """
    if not getattr(model, "compiled", False):
        return None
    compiled_loss = model.compiled_loss
    n = len(compiled_loss.names) if compiled_loss is not None else len(model.compiled_metrics.names)
    loss = [serialize_loss(f) for f in compiled_loss.fns] if compiled_loss else None
    weights = compiled_loss.weights if compiled_loss else None
    metrics = [[serialize_metric(s) for s in specs] for specs in model.compiled_metrics.specs]
    one = n == 1
    return {"optimizer": serialize_optimizer(model.optimizer),
            "loss": loss[0] if one and loss else loss,
            "loss_weights": None if not weights or all(w == 1.0 for w in weights) else (
                weights[0] if one else weights),
            "metrics": (metrics[0] if one else metrics) or None}


def compile_from_config(model, config):
    """Compile ``model`` with the settings :func:`compile_config` wrote."""
    if not isinstance(config, dict) or "optimizer" not in config:
        raise SerializationError(f"Invalid compile_config {config!r:.200}: expected a dict "
                                 f"with 'optimizer', 'loss', 'loss_weights' and 'metrics'")
    loss = config.get("loss")
    loss = [deserialize_loss(c) for c in loss] if isinstance(loss, list) else (
        None if loss is None else deserialize_loss(loss))
    metrics = config.get("metrics")
    if metrics:
        metrics = [[deserialize_metric(c) for c in m] if isinstance(m, list)
                   else deserialize_metric(m) for m in metrics]
    model.compile(optimizer=deserialize_optimizer(config["optimizer"]), loss=loss,
                  loss_weights=config.get("loss_weights"), metrics=metrics)
