"""``all_to_all_single`` and ``all_to_all``: every rank sends a block to every rank.

With N ranks, rank r's input is cut into N blocks along dim 0 (equal, or
``input_split_sizes`` rows each); block j goes to rank j, and rank r's output is the
blocks it receives, in rank order:

    output_r = concat_j ( block r of input_j )

(``MPI_Ialltoall``, or ``MPI_Ialltoallv`` with split sizes, straight into the output's
memory). The ranks' split sizes must fit together: rank r's ``input_split_sizes[j]``
is rank j's ``output_split_sizes[r]``; a mismatch raises on every rank before any data
moves.
"""
import numpy as np

from deepgrad.distributed import _mpi
from deepgrad.distributed.agreement import agree, array_of
from deepgrad.distributed.process_group import resolve
from deepgrad.distributed.work import Work


def _splits(sizes, rows, n, where, name):
    if sizes is None:
        if rows % n:
            raise ValueError(f"{where}: {name} has {rows} rows, not divisible by the world "
                             f"size {n}; give {name.split()[0]}_split_sizes")
        return [rows // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or min(sizes) < 0 or sum(sizes) != rows:
        raise ValueError(f"{where}: {name.split()[0]}_split_sizes={sizes} must be {n} "
                         f"non-negative sizes adding up to {rows}, the rows of {name}")
    return sizes


def _check_fit(pg, where, ins, outs):
    """Every rank's send sizes must be what their receivers expect (checked together)."""
    everyone = pg.comm.allgather((ins, outs)) if pg.size() > 1 else [(ins, outs)]
    for r, (_, recv) in enumerate(everyone):
        for j, (send, _) in enumerate(everyone):
            if send[r] != recv[j]:
                raise RuntimeError(f"{where}: rank {j} sends {send[r]} rows to rank {r}, "
                                   f"which expects {recv[j]}; the split sizes must match")


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op=False):
    """Rank r's ``output`` = block r of every rank's ``input``, concatenated in rank
    order (see the module docstring)."""
    where, pg = "all_to_all_single", resolve(group, "all_to_all_single")
    n = pg.size()

    def prepare():
        out = array_of(output, where, "output", writable=True)
        inp = array_of(input, where, "input")
        if out.dtype != inp.dtype or out.shape[1:] != inp.shape[1:]:
            raise ValueError(f"{where}: output is {out.dtype.name} {tuple(out.shape)} and "
                             f"input {inp.dtype.name} {tuple(inp.shape)}; they must share "
                             f"the dtype and every dimension but the first")
        ins = _splits(input_split_sizes, inp.shape[0], n, where, "input")
        outs = _splits(output_split_sizes, out.shape[0], n, where, "output")
        return (where, inp.dtype.name, tuple(inp.shape[1:])), (out, inp, ins, outs)

    out, inp, ins, outs = agree(pg, where, prepare)
    _check_fit(pg, where, ins, outs)
    row = int(np.prod(inp.shape[1:], dtype=np.int64))
    send, _ = _mpi.contiguous(inp)
    recv, copied = _mpi.contiguous(out)
    counts_in, counts_out = [s * row for s in ins], [s * row for s in outs]
    displ_in = np.concatenate([[0], np.cumsum(counts_in)[:-1]]).astype(int).tolist()
    displ_out = np.concatenate([[0], np.cumsum(counts_out)[:-1]]).astype(int).tolist()
    request = pg.comm.Ialltoallv([send, (counts_in, displ_in)],
                                 [recv, (counts_out, displ_out)])

    def finish():
        if copied:
            out[...] = recv
    work = Work([request], finish, [output])
    if async_op:
        return work
    work.wait()
    return None


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Rank r's ``output_tensor_list[j]`` = rank j's ``input_tensor_list[r]`` (the
    tensors may differ in size; one dtype)."""
    where, pg = "all_to_all", resolve(group, "all_to_all")
    n = pg.size()

    def prepare():
        if not isinstance(input_tensor_list, (list, tuple)) or len(input_tensor_list) != n:
            raise ValueError(f"{where}: input_tensor_list must be a list of {n} tensors")
        ins = [array_of(t, where, f"input_tensor_list[{i}]")
               for i, t in enumerate(input_tensor_list)]
        dtype = ins[0].dtype
        if not isinstance(output_tensor_list, (list, tuple)) or len(output_tensor_list) != n:
            raise ValueError(f"{where}: output_tensor_list must be a list of {n} tensors")
        outs = [array_of(t, where, f"output_tensor_list[{i}]", writable=True)
                for i, t in enumerate(output_tensor_list)]
        if any(a.dtype != dtype for a in ins + outs):
            raise ValueError(f"{where}: every tensor must have one dtype ({dtype.name})")
        return (where, dtype.name), (ins, outs)

    ins, outs = agree(pg, where, prepare)
    flat_in = np.concatenate([a.ravel() for a in ins])
    flat_out = np.empty(sum(a.size for a in outs), dtype=flat_in.dtype)
    work = all_to_all_single(flat_out, flat_in, [a.size for a in outs],
                             [a.size for a in ins], group=pg, async_op=True)
    inner = work._finish

    def scatter_back():
        if inner is not None:
            inner()
        start = 0
        for a in outs:
            a[...] = flat_out[start:start + a.size].reshape(a.shape)
            start += a.size
    work._finish, work._result = scatter_back, list(output_tensor_list)
    if async_op:
        return work
    work.wait()
    return None
