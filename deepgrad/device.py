"""``deepgrad.device``: where a tensor lives, with PyTorch's names (``torch.device``).

deepgrad runs on the CPU only, so every tensor's ``.device`` is ``device(type='cpu')``.
``device`` objects for the other types PyTorch knows (``"cuda"``, ``"mps"``, ...) can be
*named*, as in PyTorch (``torch.device("cuda")`` works on a machine without CUDA), so code
such as ``torch.device("cuda" if torch.cuda.is_available() else "cpu")`` runs unchanged;
*asking* for one (``tensor.to("cuda")``, ``zeros(3, device="mps")``, ``.cuda()``) raises a
``RuntimeError`` naming the devices that exist. An unknown type (``"gpu"``) or a malformed
string (``"cpu:x"``) is refused when the device is made, as in PyTorch.

A device is also a context manager that makes it the default device of the creation
functions (``with deepgrad.device("cpu"): ...``), as ``torch.device`` is.
"""

#: the device types PyTorch accepts in a device string (torch/csrc/Device.cpp).
KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
               "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
               "privateuseone")

#: the device types deepgrad can put a tensor on.
AVAILABLE_TYPES = ("cpu",)


class device:
    """A device: ``type`` (``'cpu'``) and an optional ``index``.

    Args:
        type (str | device): ``"cpu"``, ``"cpu:0"`` or another device; any type PyTorch
            knows may be named, but only ``"cpu"`` can hold tensors.
        index (int, optional): the device ordinal (not allowed when ``type`` has one).

    Example:
        >>> deepgrad.device("cpu:0")
        device(type='cpu', index=0)
        >>> str(deepgrad.device("cpu", 0)), deepgrad.device("cpu").index
        ('cpu:0', None)
    """

    __slots__ = ("_type", "_index", "_previous")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise RuntimeError(f"device: index {index!r} given with a device object "
                                   f"{type!r}; pass one or the other")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(f"device: an integer ({type}) names an accelerator ordinal, "
                               f"and deepgrad has no accelerator; the devices that exist "
                               f"are: 'cpu'")
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cpu:0', a device "
                            f"or an int, received {builtin_type(type).__name__}")
        kind, _, ordinal = type.partition(":")
        if kind not in KNOWN_TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(KNOWN_TYPES)} device "
                               f"type at start of device string: {type!r}")
        if _:
            if not ordinal.isdigit() or not ordinal.isascii():
                raise RuntimeError(f"device: invalid device string {type!r}; expected "
                                   f"'<type>' or '<type>:<non-negative index>'")
            if index is not None:
                raise RuntimeError(f"device: type (string) must not include an index "
                                   f"because index was passed explicitly: {type!r}")
            index = int(ordinal)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"device: index must be an int, received "
                                f"{builtin_type(index).__name__}")
            if index < 0:
                raise RuntimeError(f"device: index must not be negative, received {index}")
        self._type, self._index = kind, index

    type = property(lambda self: self._type, doc="The device type, e.g. ``'cpu'``.")
    index = property(lambda self: self._index, doc="The device ordinal, or None.")

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type={self._type!r})"
        return f"device(type={self._type!r}, index={self._index})"

    def __eq__(self, other):
        """Equal to another device of the same type and index (a string is not a device,
        as in PyTorch: ``device('cpu') == 'cpu'`` is False)."""
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        from deepgrad import backend
        self._previous = backend.default_device
        backend.set_default_device(self)
        return self

    def __exit__(self, *exc):
        from deepgrad import backend
        backend.set_default_device(self._previous)
        return False


builtin_type = type

#: the one device deepgrad's tensors live on; ``Tensor.device`` returns this object.
CPU = device("cpu")


def no_such_device(dev, where):
    """The error for asking deepgrad for a device it does not have."""
    hint = " (deepgrad.cuda.is_available() is False)" if "cuda" in str(dev) else ""
    return RuntimeError(f"{where}: deepgrad has no device {str(dev)!r}{hint}; it runs on the "
                        f"CPU only and the devices that exist are: 'cpu'. Use "
                        f"device='cpu' (or leave device out).")


def check_device(dev, where):
    """Check that ``dev`` (None, a string, a device or an int) names deepgrad's CPU.

    Returns:
        :data:`CPU` for any CPU device (``"cpu"``, ``"cpu:0"``, ``device("cpu")``), or
        None when ``dev`` is None.
    Raises:
        RuntimeError: for any other device, naming the devices that exist.
    """
    if dev is None:
        return None
    if dev == "cpu" or dev is CPU:
        return CPU
    if isinstance(dev, str) and dev.startswith("cpu:"):
        dev = device(dev)
    if isinstance(dev, device):
        if dev._type == "cpu":
            return CPU
        raise no_such_device(dev, where)
    if isinstance(dev, int) and not isinstance(dev, bool):
        raise no_such_device(f"cuda:{dev}", where)
    if isinstance(dev, str):
        raise no_such_device(device(dev), where)
    raise TypeError(f"{where}: device must be a string, a deepgrad.device or an int, "
                    f"received {builtin_type(dev).__name__}")


def get_device(input):
    """``torch.get_device``: the device ordinal of a tensor, -1 for the CPU (always)."""
    if not hasattr(input, "get_device"):
        raise TypeError(f"get_device: expected a Tensor, received {builtin_type(input).__name__}")
    return input.get_device()
