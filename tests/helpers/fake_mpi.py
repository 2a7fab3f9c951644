"""A stand-in for MPI in one process, for the tests that need no MPI installed.

``MirrorComm`` behaves as a communicator of ``size`` ranks in which every other rank
makes exactly the calls this one makes with the same data: an allreduce-sum of ``x``
gives ``size * x``, an allgather of ``o`` gives ``[o] * size``, a broadcast leaves the
buffer as it is. ``peers`` (optional) replaces what the other ranks contribute to
``allgather`` (to stage disagreements). Every call is logged in ``comm.log`` with the
buffers it was handed, so tests can check what reached "MPI" and when.
"""
import types

import numpy as np


class Request:
    def __init__(self, log, name):
        self.log, self.name, self.done = log, name, False

    def Test(self):
        return True

    def Wait(self):
        self.done = True

    def test(self, status=None):
        return True, None

    def wait(self, status=None):
        return None


def _testall(requests):
    return True


def _waitall(requests):
    for r in requests:
        r.Wait()


FAKE_MPI = types.SimpleNamespace(
    IN_PLACE=object(), SUM="SUM", MAX="MAX", MIN="MIN", PROD="PROD", LOR="LOR", LAND="LAND",
    LXOR="LXOR", BAND="BAND", BOR="BOR", BXOR="BXOR", UNDEFINED=-32766,
    COMM_TYPE_SHARED=1, THREAD_MULTIPLE=3,
    Request=types.SimpleNamespace(Testall=_testall, Waitall=_waitall))


class MirrorComm:
    """See the module docstring."""

    def __init__(self, rank=0, size=2, peers=None):
        self.rank, self.size, self.peers = rank, size, peers
        self.log = []

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def _reduce(self, buf, op):
        if op == "SUM":
            buf *= self.size
        elif op == "PROD":
            buf **= self.size

    def Iallreduce(self, sendbuf, recvbuf, op="SUM"):
        self.log.append(("Iallreduce", recvbuf))
        self._reduce(recvbuf, op)
        return Request(self.log, "Iallreduce")

    def Allreduce(self, sendbuf, recvbuf, op="SUM"):
        self.log.append(("Allreduce", recvbuf))
        self._reduce(recvbuf, op)

    def Bcast(self, buf, root=0):
        self.log.append(("Bcast", buf))

    def Ibcast(self, buf, root=0):
        self.log.append(("Ibcast", buf))
        return Request(self.log, "Ibcast")

    def allgather(self, obj):
        self.log.append(("allgather", obj))
        if self.peers is not None:
            return [obj if r == self.rank else self.peers[r] for r in range(self.size)]
        return [obj] * self.size

    def bcast(self, obj, root=0):
        return obj

    def Ibarrier(self):
        return Request(self.log, "Ibarrier")

    def Free(self):
        pass


def install(monkeypatch, comm):
    """Make ``comm`` the default process group, on the fake MPI module."""
    from deepgrad.distributed import _mpi, process_group
    monkeypatch.setattr(_mpi, "_loaded", [FAKE_MPI])
    pg = process_group.ProcessGroup(comm, range(comm.size))
    monkeypatch.setattr(process_group._state, "default", pg)
    monkeypatch.setattr(process_group._state, "local", (comm.rank, comm.size))
    return pg


def grads(params):
    return [None if p.grad is None else np.array(p.grad.array) for p in params]
