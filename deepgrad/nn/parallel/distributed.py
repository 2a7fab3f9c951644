"""``DistributedDataParallel``: PyTorch's data-parallel wrapper, on MPI.

Each of the N processes (``mpirun -n N python train.py``) holds a replica of the model
and reads its own share of the data (``utils.data.DistributedSampler``). Wrapping the
model:

* at construction, checks that every rank's parameters have the same names, shapes and
  dtypes (an error naming both ranks' shapes otherwise) and copies rank 0's parameters
  and buffers to every rank, so the replicas start equal;
* at each forward, copies rank 0's buffers (BatchNorm statistics) to every rank
  (``forward_sync_buffers``);
* during ``loss.backward()``, averages the gradients across the ranks,
  ``g <- (1/N) sum_r g^(r)``, in buckets reduced while backward is still running
  (:mod:`deepgrad.distributed.reducer`), so that after ``backward()`` every replica holds
  the same gradient and ``optimizer.step()`` keeps them equal. With each rank's loss the
  mean over its B samples, N ranks take the step one process takes with batch N*B.

``no_sync()`` skips the averaging (gradients accumulate locally; the first backward
outside it averages the sum). With ``find_unused_parameters=True`` the parameters the
outputs do not depend on are found by walking the graph after each forward; without
it, a parameter left without a gradient makes the next forward raise PyTorch's
"Expected to have finished reduction" error (MPI would otherwise wait forever).
"""
import contextlib
import warnings

from deepgrad.autograd.grad_mode import is_grad_enabled
from deepgrad.autograd.tensor import Tensor
from deepgrad.distributed.collectives import broadcast_coalesced
from deepgrad.distributed.process_group import resolve
from deepgrad.distributed.reducer import MB, UNBOUNDED, Reducer, bucket_limits
from deepgrad.nn.module import Module
from deepgrad.nn.parallel.data_parallel import _check_devices

_WHERE = "DistributedDataParallel"


def _refuse(**given):
    for name, value in given.items():
        if value is not None and value is not False:
            raise ValueError(f"{_WHERE}: {name}={value!r} is not supported by deepgrad "
                             f"(leave it at its default)")


def _check_layouts(pg, names, arrays):
    """Every rank's parameters: same names, shapes and dtypes (else an error, on every
    rank, naming the first difference with both ranks' shapes)."""
    mine = [(n, tuple(a.shape), a.dtype.name) for n, a in zip(names, arrays)]
    everyone = pg.comm.allgather(mine)
    for rank, theirs in enumerate(everyone):
        if theirs == everyone[0]:
            continue
        if len(theirs) != len(everyone[0]):
            raise RuntimeError(f"{_WHERE}: rank 0's module has {len(everyone[0])} "
                               f"parameters requiring grad and rank {rank}'s has "
                               f"{len(theirs)}; every rank must wrap the same model")
        for a, b in zip(everyone[0], theirs):
            if a != b:
                raise RuntimeError(f"{_WHERE}: the ranks' modules differ: parameter {a[0]!r} "
                                   f"is {a[2]} {a[1]} on rank 0 but parameter {b[0]!r} is "
                                   f"{b[2]} {b[1]} on rank {rank}; every rank must wrap the "
                                   f"same model")


def _output_tensors(out, found):
    if isinstance(out, Tensor):
        found.append(out)
    elif isinstance(out, (list, tuple)):
        for o in out:
            _output_tensors(o, found)
    elif isinstance(out, dict):
        for o in out.values():
            _output_tensors(o, found)
    return found


def reached_leaves(outputs):
    """ids of the leaf tensors the graph of ``outputs`` depends on (a loop, no recursion)."""
    leaves, seen = set(), set()
    stack = [t for t in _output_tensors(outputs, []) if t.requires_grad]
    while stack:
        t = stack.pop()
        fn = t._ctx
        if fn is None:
            leaves.add(id(t))
            continue
        if id(fn) in seen or fn.inputs is None:
            continue
        seen.add(id(fn))
        stack.extend(x for x, need in zip(fn.inputs, fn.needs_grad) if need)
    return leaves


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` across the ranks of a process group.

    Args:
        module (Module): the model (the same on every rank).
        device_ids, output_device: None (deepgrad runs on the CPU).
        dim (int): the batch dimension (kept as ``.dim``).
        broadcast_buffers (bool, optional): deprecated name of ``forward_sync_buffers``;
            False also leaves buffers out of the initial copy (as PyTorch).
        init_sync (bool): check layouts and copy rank 0's state at construction.
        process_group: the group (default: the default group).
        bucket_cap_mb (float, optional): bucket size in MiB (default 25, with a 1 MiB
            first bucket); ``bucket_cap_mb_list``: one cap per bucket.
        find_unused_parameters (bool): find the parameters the outputs do not use after
            every forward (they are reduced as zeros).
        check_reduction: deprecated in PyTorch, without effect there; False.
        gradient_as_bucket_view (bool): ``.grad`` becomes a view into its bucket (no
            copy back; ``optimizer.zero_grad(set_to_none=False)`` keeps it).
        static_graph (bool): the set of used parameters is found once, at the first
            iteration, and assumed fixed.
        batched_grad_copy (bool): copy a bucket's gradients in when it is complete.
        forward_sync_buffers (bool, optional): copy rank 0's buffers at each forward
            (default True).
        delay_all_reduce_named_params, param_to_hook_all_reduce, mixed_precision,
        device_mesh, skip_all_reduce_unused_params: not supported (their defaults).

    Raises:
        ValueError: before ``init_process_group``, or an unsupported argument.
        RuntimeError: the ranks' modules differ, or no parameter requires grad.

    Example:
        >>> dist.init_process_group("mpi")
        >>> model = DistributedDataParallel(Net())
        >>> loss_fn(model(x), y).backward()       # gradients averaged over the ranks
        >>> optimizer.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"{_WHERE}: expected an nn.Module, received "
                            f"{type(module).__name__}")
        _check_devices(device_ids, output_device, dim, _WHERE)
        _refuse(delay_all_reduce_named_params=delay_all_reduce_named_params,
                param_to_hook_all_reduce=param_to_hook_all_reduce,
                mixed_precision=mixed_precision, device_mesh=device_mesh,
                skip_all_reduce_unused_params=skip_all_reduce_unused_params)
        if check_reduction:
            warnings.warn("The `check_reduction` argument in `DistributedDataParallel` module "
                          "is deprecated. Please avoid using it.", FutureWarning, stacklevel=2)
        sync = self._buffer_sync(broadcast_buffers, forward_sync_buffers)
        pg = resolve(process_group, _WHERE)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(f"{_WHERE} is not needed when a module doesn't have any "
                               f"parameter that requires a gradient.")
        names, params = [n for n, _ in named], [p for _, p in named]
        buffers = [b.array for b in module.buffers()]
        if init_sync and pg.size() > 1:
            _check_layouts(pg, names, [p.array for p in params])
            broadcast_coalesced(pg, [p.array for p in module.parameters()] +
                                (buffers if broadcast_buffers is not False else []))
        self.module = module
        self.device_ids, self.output_device, self.dim = None, None, dim
        self.process_group = pg
        self.broadcast_buffers = sync
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        caps = bucket_limits(bucket_cap_mb, bucket_cap_mb_list)
        self.bucket_bytes_cap = max(caps) if bucket_cap_mb_list else caps[-1]
        rebuilds = self.static_graph or not self.find_unused_parameters
        first = caps if bucket_cap_mb_list or not rebuilds else UNBOUNDED
        self.reducer = Reducer(params, pg, first, caps if rebuilds else None,
                               find_unused=self.find_unused_parameters or self.static_graph,
                               as_bucket_view=self.gradient_as_bucket_view,
                               batched_copy=bool(batched_grad_copy), predivide=pg.size(),
                               names=names)
        self._static_unused = None

    @staticmethod
    def _buffer_sync(broadcast_buffers, forward_sync_buffers):
        if broadcast_buffers is not None:
            if forward_sync_buffers is not None:
                warnings.warn("Both `broadcast_buffers` and `forward_sync_buffers` were "
                              "specified. `broadcast_buffers` is ignored when "
                              "`forward_sync_buffers` is provided.", UserWarning, stacklevel=3)
            else:
                warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` "
                              "instead.", FutureWarning, stacklevel=3)
                return bool(broadcast_buffers)
        return True if forward_sync_buffers is None else bool(forward_sync_buffers)

    @property
    def bucket_cap_mb(self):
        return self.bucket_bytes_cap / MB

    def will_sync_module_buffers(self):
        """Whether each forward copies rank 0's buffers to every rank."""
        return (self.require_forward_param_sync and self.broadcast_buffers
                and any(True for _ in self.module.buffers()))

    def _check_previous_reduction(self):
        reducer = self.reducer
        if reducer.started():
            missing = reducer.unready_names()
            raise RuntimeError(
                f"Expected to have finished reduction in the prior iteration before starting "
                f"a new one. This error indicates that your module has parameters that were "
                f"not used in producing loss. You can enable unused parameter detection by "
                f"passing the keyword argument `find_unused_parameters=True` to "
                f"`deepgrad.nn.parallel.DistributedDataParallel`, and by making sure all "
                f"`forward` function outputs participate in calculating loss. Parameters "
                f"which did not receive grad for rank {self.process_group.rank()}: "
                f"{', '.join(missing)}")

    def _unused(self, out):
        if self.static_graph and self._static_unused is not None:
            return self._static_unused
        reached = reached_leaves(out)
        unused = [i for i, p in enumerate(self.reducer.params) if id(p) not in reached]
        if self.static_graph:
            self._static_unused = unused
        return unused

    def forward(self, *inputs, **kwargs):
        """``module(*inputs, **kwargs)``, getting the next backward's averaging ready."""
        self._check_previous_reduction()
        if self.will_sync_module_buffers() and self.process_group.size() > 1:
            broadcast_coalesced(self.process_group, [b.array for b in self.module.buffers()])
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            track = self.find_unused_parameters or self.static_graph
            self.reducer.prepare_for_backward(self._unused(out) if track else ())
        else:
            self.reducer.expect = False
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside: backward accumulates gradients locally, without averaging them.

        Example:
            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()      # local accumulation
            >>> ddp(x2).sum().backward()          # averages the accumulated sum
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

