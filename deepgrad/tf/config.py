"""``tf.config``: the settings tf.keras scripts touch, answered for a CPU-only NumPy engine.

``threading`` sets deepgrad's thread counts (``deepgrad.set_num_threads``; the inter-op
count is recorded); ``list_physical_devices('GPU')`` is ``[]``; ``set_visible_devices``
and ``experimental.set_memory_growth`` accept an empty/CPU device list and refuse a GPU
(there is none); ``run_functions_eagerly`` is a no-op (functions always run eagerly).
"""
from types import SimpleNamespace

from deepgrad import runtime as _runtime


class PhysicalDevice(SimpleNamespace):
    """``name`` and ``device_type``, as TensorFlow's."""


_CPU = PhysicalDevice(name="/physical_device:CPU:0", device_type="CPU")


def list_physical_devices(device_type=None):
    return [_CPU] if device_type in (None, "CPU") else []


def list_logical_devices(device_type=None):
    return [PhysicalDevice(name="/device:CPU:0", device_type="CPU")] \
        if device_type in (None, "CPU") else []


def get_visible_devices(device_type=None):
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    devices = devices if isinstance(devices, (list, tuple)) else [devices]
    if any(getattr(d, "device_type", "CPU") != "CPU" for d in devices):
        raise ValueError("set_visible_devices: deepgrad runs on the CPU only")


def run_functions_eagerly(run_eagerly):
    """No-op: ``tf.function`` always runs eagerly in deepgrad."""


def functions_run_eagerly():
    return True


def set_soft_device_placement(enabled):
    """No-op: there is one device."""


def _set_memory_growth(device, enable):
    if getattr(device, "device_type", None) != "CPU":
        raise ValueError("set_memory_growth: deepgrad has no GPU")


def _get_memory_growth(device):
    return False


experimental = SimpleNamespace(set_memory_growth=_set_memory_growth,
                               get_memory_growth=_get_memory_growth,
                               list_physical_devices=list_physical_devices,
                               enable_op_determinism=lambda: None)


def _set_intra(n):
    if n:
        _runtime.set_num_threads(int(n))


def _set_inter(n):
    if n:
        _runtime.set_num_interop_threads(int(n))


threading = SimpleNamespace(
    set_intra_op_parallelism_threads=_set_intra,
    get_intra_op_parallelism_threads=_runtime.get_num_threads,
    set_inter_op_parallelism_threads=_set_inter,
    get_inter_op_parallelism_threads=_runtime.get_num_interop_threads)
