"""Find configurable objects by name: Keras's ``get`` / ``serialize`` / ``deserialize``
over one name -> class dict per kind (initializers, regularizers, ...), never if/elif.

    get(None) -> None              get('name'), get(Class) -> a default instance
    get(callable) -> itself        get({"class_name", "config"}) -> deserialize(...)
    serialize(obj) = {"class_name": type(obj).__name__, "config": obj.get_config()}
    deserialize(config) = objects[config["class_name"]].from_config(config["config"])

A module keeps its own ``get`` / ``serialize`` / ``deserialize`` as thin functions over a
:class:`Registry`, and writes its own wherever its kind's rules differ (a loss name gives
a wrapped function, an activation serializes to its name, ...).
"""


class Registry:
    """The name -> class dict of one kind of object and the lookups over it.

    Args:
        kind (str): the word error messages use (``"initializer"``).
        base (type): the kind's base class: its subclasses are instances' factories.
        objects (dict): name -> class, read at each lookup (names added later are found).
    """

    def __init__(self, kind, base, objects):
        self.kind, self.base, self.objects = kind, base, objects

    def get(self, identifier):
        """None -> None; a name or a subclass of ``base`` -> a default instance; a config
        dict -> :meth:`deserialize`; another callable passes through.

        Raises:
            ValueError: an unknown name (listing the valid ones) or an uncallable object.
        """
        if identifier is None:
            return None
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if isinstance(identifier, str):
            cls = self.objects.get(identifier)
            if cls is None:
                raise ValueError(f"Unknown {self.kind} {identifier!r}; expected one of "
                                 f"{sorted(self.objects)}")
            return cls()
        if isinstance(identifier, type) and issubclass(identifier, self.base):
            return identifier()
        if callable(identifier):
            return identifier
        raise ValueError(f"Could not interpret {self.kind} identifier: {identifier!r} "
                         f"(a {type(identifier).__name__})")

    def serialize(self, obj):
        """``{"class_name": ..., "config": ...}`` for an instance of ``base``; None stays None."""
        if obj is None:
            return None
        if isinstance(obj, self.base):
            return {"class_name": type(obj).__name__, "config": obj.get_config()}
        name = self.base.__name__
        article = "an" if name[0].lower() in "aeiou" else "a"
        raise ValueError(f"Cannot serialize {self.kind} {obj!r}: it is not {article} {name}")

    def deserialize(self, config, by_name=None):
        """Inverse of :meth:`serialize`; a plain name goes through ``by_name`` (the
        module's ``get``; :meth:`get` by default).

        Raises:
            ValueError: neither a name nor a dict with ``class_name``, or an unknown class.
        """
        if isinstance(config, str):
            return (by_name or self.get)(config)
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"Could not deserialize {self.kind} {config!r}: expected a name "
                             f"or a dict with 'class_name' and 'config'")
        cls = self.objects.get(config["class_name"])
        if cls is None:
            raise ValueError(f"Unknown {self.kind} class {config['class_name']!r}; expected "
                             f"one of {sorted(self.objects)}")
        return cls.from_config(dict(config.get("config") or {}))
