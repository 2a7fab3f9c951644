"""``deepgrad.nn.parallel``: ``DataParallel`` and ``data_parallel`` as PyTorch runs them on
a machine without GPUs -- the wrapped module runs as it is, on the CPU."""
from deepgrad.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]


def __getattr__(name):
    from deepgrad._scope import missing_attribute
    if name.startswith("__"):
        raise AttributeError(name)
    if name in ("DistributedDataParallel", "DistributedDataParallelCPU"):
        raise AttributeError(f"deepgrad.nn.parallel has no attribute {name!r}: distributed "
                             f"training belongs to a separate package (deepgrad.distributed, "
                             f"on MPI), not to deepgrad.nn")
    raise missing_attribute("deepgrad.nn.parallel", name)
