"""Rank 1 raises in the middle of DDP training while rank 0 waits for it in a collective:
the uncaught exception must stop both ranks (MPI_Abort), not leave rank 0 hanging."""
import deepgrad
import deepgrad.distributed as dist
import deepgrad.nn as nn
from deepgrad.nn.parallel import DistributedDataParallel

dist.init_process_group(backend="mpi")
model = DistributedDataParallel(nn.Linear(4, 2))
for step in range(100_000):
    if dist.get_rank() == 1 and step == 3:
        raise ZeroDivisionError("rank 1 fails at step 3")
    model(deepgrad.randn(8, 4)).sum().backward()
print("rank", dist.get_rank(), "finished: the failure did not stop it")
