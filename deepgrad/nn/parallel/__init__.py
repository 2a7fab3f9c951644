"""``deepgrad.nn.parallel``: ``DataParallel`` and ``data_parallel`` as PyTorch runs them on
a machine without GPUs -- the wrapped module runs as it is, on the CPU -- and
``DistributedDataParallel`` (across processes, on MPI; loaded on first use)."""
from deepgrad.nn.parallel.data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]


def __getattr__(name):
    from deepgrad._scope import missing_attribute
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "DistributedDataParallel":       # loaded on first use (deepgrad.distributed)
        from deepgrad.nn.parallel.distributed import DistributedDataParallel
        return DistributedDataParallel
    if name == "DistributedDataParallelCPU":
        raise AttributeError("deepgrad.nn.parallel has no attribute "
                             "'DistributedDataParallelCPU': PyTorch removed it; "
                             "DistributedDataParallel runs on the CPU")
    raise missing_attribute("deepgrad.nn.parallel", name)
