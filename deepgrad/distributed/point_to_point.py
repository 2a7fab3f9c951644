"""Point-to-point transfers (``send``/``recv``/``isend``/``irecv``) and the object
collectives (``broadcast_object_list``, ``all_gather_object``, ``gather_object``,
``scatter_object_list``), ``torch.distributed``'s names, on MPI.

A tensor message is two MPI messages with the same tag: a small header (shape and
dtype) and the tensor's own buffer. MPI delivers messages between two ranks with the
same tag in order, so the receiver reads the header first; if it does not match the
receiving tensor, the data is still received (into a scratch array, so the sender is
never left blocked) and ``recv`` raises an error naming both ranks' shapes and dtypes.

Objects travel pickled (as in PyTorch): only exchange objects between your own ranks.
"""
import numpy as np

from deepgrad.distributed import _mpi
from deepgrad.distributed.agreement import agree, array_of, describe, group_root
from deepgrad.distributed.process_group import resolve
from deepgrad.distributed.work import Work


def _peer(pg, where, rank, group_rank, name):
    return group_root(pg, where, rank, group_rank, name)


def _check_tag(tag, where):
    if isinstance(tag, bool) or not isinstance(tag, (int, np.integer)) or tag < 0:
        raise ValueError(f"{where}: tag must be a non-negative int, received {tag!r}")
    return int(tag)


def _isend(tensor, dst, group, tag, group_dst, where):
    pg = resolve(group, where)
    arr = array_of(tensor, where)
    peer = _peer(pg, where, dst, group_dst, "dst")
    if peer == pg.rank():
        raise ValueError(f"{where}: dst is this rank ({pg.rank()}); a rank cannot send to "
                         f"itself")
    tag = _check_tag(tag, where)
    buf, _ = _mpi.contiguous(arr)
    header = pg.comm.isend(describe(arr), dest=peer, tag=tag)
    return Work([header, pg.comm.Isend(buf, dest=peer, tag=tag)])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (blocks until MPI has taken the buffer)."""
    _isend(tensor, dst, group, tag, group_dst, "send").wait()


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Start sending ``tensor`` to rank ``dst``; returns a :class:`Work` (don't modify the
    tensor before ``wait()``)."""
    return _isend(tensor, dst, group, tag, group_dst, "isend")


class _Receive:
    """A receive in two steps: the header, then the data into ``arr`` (or a scratch
    array, when the header does not match, so that the sender completes)."""

    def __init__(self, pg, arr, src, tag, where):
        MPI = _mpi.mpi()
        self.pg, self.arr, self.tag, self.where = pg, arr, tag, where
        self.status = MPI.Status()
        self.source = MPI.ANY_SOURCE if src is None else src
        self.header = pg.comm.irecv(source=self.source, tag=tag)
        self.data = self.mismatch = None

    def _post(self, block=False):
        """Once the header is in, post the data receive; whether it is posted."""
        if self.data is not None:
            return True
        if block:
            ok, header = True, self.header.wait(status=self.status)
        else:
            ok, header = self.header.test(status=self.status)
        if not ok:
            return False
        self.source = self.status.Get_source()
        shape, dtype = header
        buf, self.copied = _mpi.contiguous(self.arr)
        if (shape, dtype) != describe(self.arr):
            self.mismatch = (shape, dtype)
            buf = np.empty(shape, dtype)
        self.buf = buf
        self.data = self.pg.comm.Irecv(buf, source=self.source, tag=self.tag)
        return True

    def Test(self):
        return self._post() and self.data.Test()

    def Wait(self):
        self._post(block=True)
        self.data.Wait()

    def finish(self):
        if self.mismatch is not None:
            shape, dtype = self.mismatch
            raise ValueError(f"{self.where}: rank {self.pg.ranks[self.source]} sent {dtype} "
                             f"{shape}, but this rank ({self.pg.rank()}) receives into "
                             f"{self.arr.dtype.name} {tuple(self.arr.shape)}; the message was "
                             f"discarded")
        if self.copied:
            self.arr[...] = self.buf


def _irecv(tensor, src, group, tag, group_src, where):
    pg = resolve(group, where)
    arr = array_of(tensor, where, writable=True)
    peer = None if src is None and group_src is None else _peer(pg, where, src, group_src,
                                                                 "src")
    recv = _Receive(pg, arr, peer, _check_tag(tag, where), where)
    work = Work([recv], recv.finish, [tensor])
    work.source_rank = lambda: pg.ranks[recv.source]
    return work


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None); returns the
    sender's rank."""
    work = _irecv(tensor, src, group, tag, group_src, "recv")
    work.wait()
    return work.source_rank()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Start receiving into ``tensor`` from rank ``src``; returns a :class:`Work`."""
    return _irecv(tensor, src, group, tag, group_src, "irecv")


# ---------------------------------------------------------------- object collectives
def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Every rank's ``object_list`` becomes rank ``src``'s (same length everywhere)."""
    where, pg = "broadcast_object_list", resolve(group, "broadcast_object_list")

    def prepare():
        if not isinstance(object_list, list):
            raise TypeError(f"{where}: object_list must be a list, received "
                            f"{type(object_list).__name__}")
        root = group_root(pg, where, src, group_src)
        return (where, root, len(object_list)), root

    root = agree(pg, where, prepare)
    got = pg.comm.bcast(object_list if pg.rank() == root else None, root=root)
    object_list[:] = got


def all_gather_object(object_list, obj, group=None):
    """``object_list[r]`` = rank r's ``obj`` on every rank (``object_list`` has N slots)."""
    where, pg = "all_gather_object", resolve(group, "all_gather_object")

    def prepare():
        if not isinstance(object_list, list) or len(object_list) != pg.size():
            raise ValueError(f"{where}: object_list must be a list of {pg.size()} slots (one "
                             f"per rank)")
        return (where,), None

    agree(pg, where, prepare)
    object_list[:] = pg.comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """On rank ``dst``: ``object_gather_list[r]`` = rank r's ``obj``."""
    where, pg = "gather_object", resolve(group, "gather_object")

    def prepare():
        root = group_root(pg, where, dst, group_dst, "dst")
        if pg.rank() == root and (not isinstance(object_gather_list, list)
                                  or len(object_gather_list) != pg.size()):
            raise ValueError(f"{where}: object_gather_list must be a list of {pg.size()} "
                             f"slots on the destination rank")
        return (where, root), root

    root = agree(pg, where, prepare)
    got = pg.comm.gather(obj, root=root)
    if pg.rank() == root:
        object_gather_list[:] = got


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """Rank r's ``scatter_object_output_list[0]`` = rank ``src``'s
    ``scatter_object_input_list[r]``."""
    where, pg = "scatter_object_list", resolve(group, "scatter_object_list")

    def prepare():
        if not isinstance(scatter_object_output_list, list) or not scatter_object_output_list:
            raise ValueError(f"{where}: scatter_object_output_list must be a non-empty list")
        root = group_root(pg, where, src, group_src)
        if pg.rank() == root and (not isinstance(scatter_object_input_list, list)
                                  or len(scatter_object_input_list) != pg.size()):
            raise ValueError(f"{where}: scatter_object_input_list must be a list of "
                             f"{pg.size()} objects on the source rank")
        return (where, root), root

    root = agree(pg, where, prepare)
    scatter_object_output_list[0] = pg.comm.scatter(
        scatter_object_input_list if pg.rank() == root else None, root=root)
