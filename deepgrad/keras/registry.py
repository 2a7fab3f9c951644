"""One registry of named objects for the whole Keras front, and the (de)serialization over
it (Keras 3's ``object_registration`` and ``serialization_lib``).

Every kind of configurable object has one name -> object table here, filled by
registration and read by every ``get``/``serialize``/``deserialize``:

    kind           filled by                                   names
    layers         Layer.__init_subclass__                     class names
    activations    @register("activations")                    function names, aliases
    losses         Loss.__init_subclass__, @register("losses") class and function names
    metrics        Metric.__init_subclass__                    class names + snake_case
    optimizers     Optimizer.__init_subclass__                 class names, any case
    schedules      LearningRateSchedule.__init_subclass__      class names
    initializers   Initializer.__init_subclass__               class names + snake_case
    regularizers   Regularizer.__init_subclass__               class names + snake_case
    constraints    Constraint.__init_subclass__                class names + snake_case
    callbacks      Callback.__init_subclass__                  class names

A base class registers the public classes defined inside ``deepgrad.keras``; a user's
subclass is found through ``register_keras_serializable`` (under ``"package>Name"``) or
``custom_objects`` / ``custom_object_scope``, as in Keras. A lookup by name tries, in
order: the active ``custom_object_scope``, the registered custom objects, the
``custom_objects`` argument, then the kind's built-ins.

Serialized form (Keras 3's)::

    {"module": "keras.layers", "class_name": "Dense", "config": {...},
     "registered_name": None [, "build_config": {...}] [, "compile_config": {...}]}
    {"module": "builtins", "class_name": "function", "config": "relu",
     "registered_name": "function"}                        # a function, by name

``deserialize`` only ever looks names up: it never imports a module named in a config
and never runs code from it (a ``__lambda__`` entry is refused), so a config can only
build objects that are already registered or were passed in.

This module imports nothing from ``deepgrad.keras``: every other module of the front
sits above it.
"""
import re
import types

import numpy as np

#: kind -> the Keras module name written in ``"module"`` for its built-ins.
KINDS = {"layers": "keras.layers", "activations": "keras.activations",
         "losses": "keras.losses", "metrics": "keras.metrics",
         "optimizers": "keras.optimizers", "schedules": "keras.optimizers.schedules",
         "initializers": "keras.initializers", "regularizers": "keras.regularizers",
         "constraints": "keras.constraints", "callbacks": "keras.callbacks"}
_KIND_OF_MODULE = {module: kind for kind, module in KINDS.items()}
#: kinds whose classes are also found by their snake_case names (Keras's tables).
_SNAKE_KINDS = ("metrics", "initializers", "regularizers", "constraints")
#: kinds looked up case-insensitively (``get('ADAM')``).
_CASELESS_KINDS = ("optimizers",)

#: kind -> the noun error messages use for one object of it.
_NOUNS = {"layers": "layer", "activations": "activation function", "losses": "loss",
          "metrics": "metric", "optimizers": "optimizer",
          "schedules": "learning rate schedule", "initializers": "initializer",
          "regularizers": "regularizer", "constraints": "constraint", "callbacks": "callback"}

_BUILTINS = {kind: {} for kind in KINDS}
_BUILTIN_NAMES = {}          # built-in object -> (kind, its canonical name)
_BASES = {}                  # kind -> its base class (a class found for it must subclass it)

#: ``register_keras_serializable``'s tables (``get_custom_objects()`` is the first).
GLOBAL_CUSTOM_OBJECTS = {}
GLOBAL_CUSTOM_NAMES = {}
_SCOPE = {"objects": {}}     # the dict of the innermost active custom_object_scope


class SerializationError(ValueError):
    """An object that cannot be written as a config or rebuilt from one (a ValueError)."""


def snake_case(name):
    """Keras's rule: ``'Conv2D'`` -> ``'conv2d'``, ``'MaxPooling2D'`` -> ``'max_pooling2d'``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


# ====================================================================== registration
def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}; expected one of {sorted(KINDS)}")


def add(kind, obj, *aliases):
    """Put a built-in ``obj`` in ``kind``'s table under its name and ``aliases`` (the
    first registration of a name wins)."""
    _check_kind(kind)
    table, name = _BUILTINS[kind], obj.__name__
    names = [name, *aliases]
    if isinstance(obj, type) and kind in _SNAKE_KINDS:
        names.append(snake_case(name))
    for n in names:
        table.setdefault(n.lower() if kind in _CASELESS_KINDS else n, obj)
    _BUILTIN_NAMES.setdefault(obj, (kind, name))
    return obj


def add_base(kind, base):
    """Register ``kind``'s base class: it is found by name like any built-in, and a class
    looked up for this kind (custom objects included) must subclass it."""
    _BASES[kind] = base
    return add(kind, base)


def register(kind, *aliases):
    """Decorator registering a built-in function or class: ``@register("activations")``."""
    def decorator(obj):
        return add(kind, obj, *aliases)
    return decorator


def register_subclass(kind, cls, *aliases):
    """For a base class's ``__init_subclass__``: a public class defined inside
    ``deepgrad.keras`` joins ``kind``'s table; a user's subclass does not (Keras's rule)."""
    if cls.__module__.startswith("deepgrad.keras") and not cls.__name__.startswith("_"):
        add(kind, cls, *aliases)


def builtins(kind):
    """A copy of ``kind``'s table (name -> object)."""
    _check_kind(kind)
    return dict(_BUILTINS[kind])


# ====================================================================== custom objects
def register_keras_serializable(package="Custom", name=None):
    """Register a class or function under ``"package>name"`` (Keras 3's decorator), so
    configs naming it load without ``custom_objects``.

    Raises:
        ValueError: a class without ``get_config``.
    """
    def decorator(obj):
        registered = f"{package}>{name if name is not None else obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             "method.")
        GLOBAL_CUSTOM_OBJECTS[registered] = obj
        GLOBAL_CUSTOM_NAMES[obj] = registered
        return obj
    return decorator


def get_registered_name(obj):
    """``"package>name"`` if ``obj`` was registered, else its ``__name__``."""
    return GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered as ``name`` (active scope, then registered custom objects,
    then ``custom_objects``, then ``module_objects``), or None."""
    scope = _SCOPE["objects"]
    for table in (scope, GLOBAL_CUSTOM_OBJECTS, custom_objects, module_objects):
        if table and name in table:
            return table[name]
    return None


def get_custom_objects():
    """The live dict of registered custom objects (``register_keras_serializable`` writes
    it; a ``custom_object_scope`` does not)."""
    return GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """``with custom_object_scope({"MyLayer": MyLayer}): ...``: names visible to every
    deserialization inside the block. As in Keras 3, a scope replaces the enclosing
    scope's objects for its duration (it does not merge with them)."""

    def __init__(self, custom_objects):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(f"custom_object_scope: expected a dict of name -> object, "
                            f"received {type(custom_objects).__name__}")
        self.custom_objects = dict(custom_objects or {})
        self.backup = None

    def __enter__(self):
        self.backup = _SCOPE["objects"]
        _SCOPE["objects"] = dict(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPE["objects"] = self.backup


custom_object_scope = CustomObjectScope


def extended_scope(custom_objects):
    """A scope holding the active scope's objects plus ``custom_objects`` (how loading
    functions pass their ``custom_objects`` argument down without hiding a user's
    enclosing ``custom_object_scope``)."""
    return CustomObjectScope({**_SCOPE["objects"], **(custom_objects or {})})


# ====================================================================== lookups
def find(kind, name, custom_objects=None):
    """The object ``name`` stands for in ``kind`` (custom objects first), or None."""
    obj = get_registered_object(name, custom_objects)
    if obj is None and kind is not None:
        table = _BUILTINS[kind]
        obj = table.get(name.lower() if kind in _CASELESS_KINDS else name)
    return obj


def _unknown(kind, name, what=""):
    names = sorted(_BUILTINS[kind]) if kind else []
    return SerializationError(
        f"Unknown {_NOUNS[kind] if kind else 'object'}{what} {name!r}"
        + (f"; expected one of {names}" if names else "")
        + f". Register your own with @keras.saving.register_keras_serializable() or pass "
          f"custom_objects={{{name!r}: ...}}")


def get(kind, identifier, custom_objects=None):
    """Keras's ``<kind>.get``: None -> None; a name -> the registered object (a class is
    instantiated with its defaults); a config dict -> :func:`deserialize`; a class ->
    an instance; another callable (or configurable object) -> itself.

    Raises:
        ValueError: an unknown name (listing the valid ones) or an uncallable object.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier, kind, custom_objects)
    elif isinstance(identifier, str):
        obj = find(kind, identifier, custom_objects)
        if obj is None:
            raise _unknown(kind, identifier)
    else:
        obj = identifier
    if isinstance(obj, type):
        obj = obj()
    if callable(obj) or hasattr(obj, "get_config"):
        return obj
    raise ValueError(f"Could not interpret {_NOUNS[kind]} identifier: {identifier!r} (a "
                     f"{type(identifier).__name__}); expected a name, a config dict or a "
                     f"callable")


# ====================================================================== serialization
def _module_of(obj, kind):
    cls = obj if isinstance(obj, (type, types.FunctionType)) else type(obj)
    entry = _BUILTIN_NAMES.get(cls)
    if entry is not None:
        return KINDS[entry[0]]
    if kind is not None and cls.__module__.startswith("deepgrad.keras"):
        return KINDS[kind]
    return None if cls.__module__ == "__main__" else cls.__module__


def serialize(obj, kind=None, extras=True):
    """Keras 3's ``serialize_keras_object`` (see the module docstring). Plain values and
    containers pass through (containers element by element); NumPy values become Python
    ones. ``extras=False`` leaves out ``build_config`` and ``compile_config``.

    Raises:
        SerializationError: a lambda or an object with neither a name nor get_config.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.dtype):
        return obj.name
    if isinstance(obj, (list, tuple)):
        return [serialize(v, kind) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize(v, kind) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                       "dtype": obj.dtype.name}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        name = GLOBAL_CUSTOM_NAMES.get(obj) or getattr(obj, "__name__", None)
        if not name or name == "<lambda>":
            raise SerializationError(f"Cannot serialize {obj!r}: a lambda has no name to be "
                                     f"found by; use a named function and register it")
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise SerializationError(f"Cannot serialize {obj!r}: a {type(obj).__name__} has no "
                                 f"get_config() method")
    config = {"module": getattr(obj, "_config_module", None) or _module_of(obj, kind),
              "class_name": getattr(obj, "_config_class_name", type(obj).__name__),
              "config": _plain(obj.get_config()),
              "registered_name": GLOBAL_CUSTOM_NAMES.get(type(obj))}
    for key in ("build_config", "compile_config") if extras else ():
        method = getattr(obj, "get_" + key, None)
        value = method() if method is not None else None
        if value is not None:
            config[key] = _plain(value)
    return config


def _plain(value):
    """Config values as JSON writes them: tuples to lists, NumPy scalars to numbers,
    nested objects through :func:`serialize`."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return serialize(value)


def _kind_of(config, kind):
    module = config.get("module")
    return _KIND_OF_MODULE.get(module, kind) if isinstance(module, str) else kind


def deserialize(config, kind=None, custom_objects=None):
    """Keras 3's ``deserialize_keras_object``: rebuild what :func:`serialize` wrote, by
    name only. A plain name gives the registered object itself (a function or class).

    Raises:
        SerializationError: an unknown name or class, a lambda, or a malformed entry.
    """
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize(c, kind, custom_objects) for c in config]
    if isinstance(config, str):
        obj = find(kind, config, custom_objects)
        if obj is None:
            raise _unknown(kind, config)
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(f"Could not deserialize {config!r:.200}: expected a name or "
                                 f"a dict with 'class_name' and 'config'")
    class_name, inner = config["class_name"], config.get("config")
    if not isinstance(class_name, str):
        raise SerializationError(f"Invalid entry {config!r:.200}: class_name must be a "
                                 f"string")
    if class_name == "__lambda__":
        raise SerializationError("The config holds a Python lambda: deepgrad never runs code "
                                 "from a config. Rebuild that part in code.")
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=np.dtype(inner["dtype"]))
    kind = _kind_of(config, kind)
    if class_name == "function":
        if not isinstance(inner, str):
            raise SerializationError(f"Invalid function entry {config!r:.200}: its config "
                                     f"must be the function's name")
        return deserialize(inner, kind, custom_objects)
    cls = None
    registered = config.get("registered_name")
    if isinstance(registered, str) and registered != class_name:
        cls = get_registered_object(registered, custom_objects)
    if cls is None:
        cls = find(kind, class_name, custom_objects)
    if cls is None and kind is None:
        cls = next((t[class_name] for t in _BUILTINS.values() if class_name in t), None)
    if cls is None:
        raise _unknown(kind, class_name, " class")
    base = _BASES.get(kind)
    if base is not None and not (isinstance(cls, type) and issubclass(cls, base)):
        raise SerializationError(f"The object found for {_NOUNS[kind]} class {class_name!r} "
                                 f"must be a {base.__name__} subclass, received {cls!r}")
    if not isinstance(inner, dict):
        inner = {} if inner is None else inner
    if not isinstance(inner, dict) or not hasattr(cls, "from_config"):
        raise SerializationError(f"Invalid config for class {class_name!r}: expected a dict "
                                 f"and a class with from_config, received {inner!r:.200}")
    try:
        with extended_scope(custom_objects):
            obj = cls.from_config(dict(inner))
            build = config.get("build_config")
            if build is not None and hasattr(obj, "build_from_config"):
                obj.build_from_config(build)
            compile_config = config.get("compile_config")
            if compile_config and hasattr(obj, "compile_from_config"):
                obj.compile_from_config(compile_config)
    except SerializationError:
        raise
    except (TypeError, ValueError, KeyError) as e:
        name = inner.get("name") if isinstance(inner, dict) else None
        noun = _NOUNS[kind] if kind else "object"
        raise SerializationError(f"Could not rebuild {noun} "
                                 + (f"{name!r} of class " if name else "")
                                 + f"{class_name!r} from its config: {e}") from e
    return obj
