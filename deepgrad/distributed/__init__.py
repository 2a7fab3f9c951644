"""``deepgrad.distributed``: ``torch.distributed``'s API, on MPI.

Training across processes and machines: every process (a *rank*) runs the same script,
launched by MPI, the launcher HPC clusters already schedule (``mpirun``/``mpiexec``,
Slurm's ``srun``, PBS, Kubernetes MPI operators)::

    mpirun -n 4 python train.py              # as root: add --allow-run-as-root

    import deepgrad.distributed as dist
    dist.init_process_group(backend="mpi")   # rank and world size come from mpirun
    model = deepgrad.nn.parallel.DistributedDataParallel(model)
    sampler = deepgrad.utils.data.DistributedSampler(dataset)   # this rank's shard

It needs the ``distributed`` extra (``pip install 'deepgrad[distributed]'``: mpi4py
and Open MPI as a wheel) or mpi4py built against the cluster's MPI; without it,
``import deepgrad.distributed`` still works and ``init_process_group`` says what to
install. Nothing here initialises MPI before ``init_process_group``.

What is here (PyTorch's names and arguments):

* process groups: ``init_process_group``, ``destroy_process_group``, ``is_initialized``,
  ``get_rank``, ``get_world_size``, ``get_local_rank``/``get_local_world_size`` (ranks on
  this node), ``get_node_local_rank``, ``new_group``, ``barrier``, ``group.WORLD``;
* collectives on Tensors and NumPy arrays (in place, their buffers handed to MPI
  without copies): ``all_reduce``, ``reduce``, ``broadcast``, ``all_gather``,
  ``all_gather_into_tensor``, ``gather``, ``scatter``, ``reduce_scatter``,
  ``reduce_scatter_tensor``, ``all_to_all``, ``all_to_all_single``, with ``ReduceOp`` SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR,
  BXOR, and ``async_op=True`` (a ``Work`` to ``wait()`` on);
* point to point: ``send``, ``recv``, ``isend``, ``irecv``; objects:
  ``broadcast_object_list``, ``all_gather_object``, ``gather_object``,
  ``scatter_object_list``;
* ``deepgrad.nn.parallel.DistributedDataParallel`` and
  ``deepgrad.utils.data.DistributedSampler`` use them; the Keras front's Horovod-style
  API is ``deepgrad.keras.distributed``.

Every collective first checks that all ranks make the same call (shapes, dtypes, op,
root): a mismatch raises on every rank, naming each rank's shapes, instead of hanging or
corrupting a buffer. An exception no rank catches stops all ranks (``MPI_Abort``).
"""
from deepgrad.distributed.reduce_op import ReduceOp
from deepgrad.distributed.work import Work
from deepgrad.distributed.process_group import (
    Backend, GroupMember, ProcessGroup, barrier, destroy_process_group, get_backend,
    get_global_rank, get_group_rank, get_local_rank, get_local_world_size,
    get_node_local_rank, get_process_group_ranks, get_rank, get_world_size, group,
    init_process_group, is_available, is_gloo_available, is_initialized, is_mpi_available,
    is_nccl_available, is_ucc_available, new_group)
from deepgrad.distributed.collectives import (
    all_gather, all_gather_into_tensor, all_reduce, broadcast, gather, reduce, reduce_scatter,
    reduce_scatter_tensor, scatter)
from deepgrad.distributed.all_to_all import all_to_all, all_to_all_single
from deepgrad.distributed.point_to_point import (
    all_gather_object, broadcast_object_list, gather_object, irecv, isend, recv,
    scatter_object_list, send)

__all__ = [
    "ReduceOp", "Work", "Backend", "GroupMember", "ProcessGroup", "barrier",
    "destroy_process_group", "get_backend", "get_global_rank", "get_group_rank",
    "get_local_rank", "get_local_world_size", "get_node_local_rank", "get_process_group_ranks",
    "get_rank", "get_world_size", "group", "init_process_group", "is_available",
    "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
    "is_ucc_available", "new_group", "all_gather", "all_gather_into_tensor", "all_reduce",
    "broadcast", "gather", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
    "all_gather_object", "broadcast_object_list", "gather_object", "irecv", "isend", "recv",
    "scatter_object_list", "send", "all_to_all", "all_to_all_single"]


def __getattr__(name):
    """A name deepgrad.distributed lacks raises an AttributeError saying so."""
    if name.startswith("__"):
        raise AttributeError(f"module 'deepgrad.distributed' has no attribute {name!r}")
    from deepgrad._scope import missing_attribute
    raise missing_attribute("deepgrad.distributed", name)
