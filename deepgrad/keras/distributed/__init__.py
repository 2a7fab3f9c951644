"""``deepgrad.keras.distributed``: data-parallel Keras training with Horovod's API, on MPI.

A Horovod Keras script runs with its import changed
(``import horovod.keras as hvd`` -> ``import deepgrad.keras.distributed as hvd``)::

    hvd.init()                                          # mpirun -n N python train.py
    opt = hvd.DistributedOptimizer(keras.optimizers.Adam(0.001 * hvd.size()))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=B, epochs=5, callbacks=[
        hvd.callbacks.BroadcastGlobalVariablesCallback(0),   # start from rank 0's weights
        hvd.callbacks.MetricAverageCallback(),               # logs averaged over ranks
        hvd.callbacks.LearningRateWarmupCallback(0.001 * hvd.size(), warmup_epochs=2)])

Under ``fit``, each rank trains on its shard of the arrays (N ranks with batch B take
the steps one process takes with batch N*B), gradients are averaged during backward,
and only rank 0 prints progress and writes checkpoints (see
:mod:`deepgrad.keras.distributed.optimizer` and :mod:`deepgrad.keras.distributed.data`).
The collectives are :mod:`deepgrad.distributed`'s (mpi4py; the ``distributed`` extra).
"""
from deepgrad.keras.distributed import callbacks
from deepgrad.keras.distributed.callbacks import (
    BroadcastGlobalVariablesCallback, LearningRateScheduleCallback, LearningRateWarmupCallback,
    MetricAverageCallback)
from deepgrad.keras.distributed.mpi_ops import (
    Average, Compression, Sum, allgather, allreduce, broadcast, broadcast_variables, ccl_built,
    cross_rank, cross_size, cuda_built, ddl_built, gloo_built, gloo_enabled, init,
    is_homogeneous, is_initialized, local_rank, local_size, mpi_built, mpi_enabled,
    mpi_threads_supported, nccl_built, rank, rocm_built, shutdown, size)
from deepgrad.keras.distributed.optimizer import DistributedOptimizer
from deepgrad.keras.distributed.saving import load_model

__all__ = [
    "callbacks", "BroadcastGlobalVariablesCallback", "LearningRateScheduleCallback",
    "LearningRateWarmupCallback", "MetricAverageCallback", "Average", "Compression", "Sum",
    "allgather", "allreduce", "broadcast", "broadcast_variables", "ccl_built", "cross_rank",
    "cross_size", "cuda_built", "ddl_built", "gloo_built", "gloo_enabled", "init",
    "is_homogeneous", "is_initialized", "local_rank", "local_size", "mpi_built", "mpi_enabled",
    "mpi_threads_supported", "nccl_built", "rank", "rocm_built", "shutdown", "size",
    "DistributedOptimizer", "load_model"]
