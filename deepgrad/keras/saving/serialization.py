"""Compile settings and JSON: what ``get_compile_config`` writes and
``compile_from_config`` reads, and the checks that keep code out of saved models.

Objects are written and found by name through the front's one registry
(:mod:`deepgrad.keras.registry`): the caller's ``custom_objects`` / the active
``custom_object_scope`` first, then ``register_keras_serializable`` names, then the
built-ins. Nothing from a file is ever imported, unpickled or executed, so a ``Lambda``
layer (whose Python function cannot be written down safely) is refused in both
directions.
"""
import json

import numpy as np

from deepgrad.keras import registry
from deepgrad.keras.layers.lambda_layer import Lambda
from deepgrad.keras.registry import (  # noqa: F401  (re-exported)
    CustomObjectScope, SerializationError, custom_object_scope, get_custom_objects,
    get_registered_name, get_registered_object, register_keras_serializable)

#: compile() argument -> the registry kind its objects belong to.
_COMPILE_KINDS = {"optimizer": "optimizers", "loss": "losses", "metrics": "metrics",
                  "weighted_metrics": "metrics", "loss_weights": None}


def _lambda_error(name):
    return SerializationError(
        f'Layer "{name}" is a Lambda layer: it cannot be saved or loaded safely, because its '
        f'function is Python code and deepgrad never writes or executes code in a model '
        f'file. Replace it with a Layer subclass that implements get_config() and pass the '
        f'class to load_model(custom_objects={{...}}), or save the weights only '
        f'(save_weights) and rebuild the model in code.')


def check_serializable(layer):
    """Raise :class:`SerializationError` if ``layer`` or any sub-layer is a ``Lambda``."""
    stack = [layer]
    while stack:
        current = stack.pop()
        if isinstance(current, Lambda):
            raise _lambda_error(current.name)
        stack.extend(current._layers)


def check_loadable(config):
    """Raise :class:`SerializationError` if a saved config holds a ``Lambda`` layer (the
    check runs on the whole config before anything is built)."""
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("class_name") == "Lambda":
                raise _lambda_error((value.get("config") or {}).get("name", "lambda"))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


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


# ---------------------------------------------------------------------- compile settings
def compile_config(model):
    """Keras 3's ``get_compile_config``: the arguments ``compile`` was given, each object
    written by :func:`deepgrad.keras.registry.serialize` (strings stay strings); None if
    the model is not compiled."""
    config = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or config is None:
        return None
    return {key: registry.serialize(value) for key, value in config.items()}


def _deserialize_value(value, kind):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value                       # names stay names: compile() resolves them
    if isinstance(value, list):
        return [_deserialize_value(v, kind) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        return registry.deserialize(value, kind)
    if isinstance(value, dict):
        return {k: _deserialize_value(v, kind) for k, v in value.items()}
    return value


def compile_from_config(model, config):
    """Compile ``model`` with the settings :func:`compile_config` wrote.

    Raises:
        SerializationError: a malformed config or an unknown loss, metric or optimizer
            (pass custom ones with ``custom_objects``, or load with ``compile=False``).
    """
    if config == {}:
        return                             # Keras writes {} for a model never compiled
    if not isinstance(config, dict):
        raise SerializationError(f"Invalid compile_config {config!r:.200}: expected a dict "
                                 f"with 'optimizer', 'loss', 'loss_weights' and 'metrics'")
    unknown = sorted(set(config) - set(_COMPILE_KINDS) - {
        "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"})
    if unknown:
        raise SerializationError(f"Invalid compile_config: unknown key(s) {unknown}")
    kwargs = {}                            # (no optimizer: compile's default, as Keras)
    for key, kind in _COMPILE_KINDS.items():
        if key not in config:
            continue
        try:
            kwargs[key] = _deserialize_value(config.get(key), kind)
        except ValueError as e:
            raise SerializationError(f"Could not rebuild the compile setting {key!r} ({e}); "
                                     f"pass custom objects with custom_objects, or load with "
                                     f"compile=False") from None
    model.compile(**kwargs)
