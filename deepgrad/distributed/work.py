"""``Work``: a collective or point-to-point transfer in flight (``async_op=True``).

A collective is started as MPI's non-blocking call (``MPI_Iallreduce``, ``MPI_Ibcast``...)
on the tensors' own buffers; ``wait()`` completes its requests and then runs what is left
to do in NumPy (AVG's division by N, copying a gathered block into a list of tensors, or
back into a non-contiguous view). The blocking form of every collective is ``start`` +
``wait``.
"""
import datetime
import time


class Work:
    """A handle on an operation in flight.

    Args:
        requests (list): MPI requests (``mpi4py.MPI.Request``).
        finish (callable, optional): run once, after the requests complete.
        result (list, optional): the output tensors (``result()``).
    """

    def __init__(self, requests, finish=None, result=None):
        self._requests, self._finish, self._result = list(requests), finish, result
        self._done = False

    def _complete(self):
        if not self._done:
            self._done = True
            if self._finish is not None:
                self._finish()

    def is_completed(self):
        """Whether the operation has finished (polls MPI, never blocks)."""
        if not self._done and all(r.Test() for r in self._requests):
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def wait(self, timeout=None):
        """Block until the operation has finished (at most ``timeout``).

        Raises:
            RuntimeError: ``timeout`` (a ``datetime.timedelta``) passed first.
        """
        if self._done:
            return True
        if timeout is None:
            for r in self._requests:
                r.Wait()
        else:
            if not isinstance(timeout, datetime.timedelta):
                raise TypeError(f"Work.wait: timeout must be a datetime.timedelta, received "
                                f"{type(timeout).__name__}")
            deadline = time.monotonic() + timeout.total_seconds()
            while not all(r.Test() for r in self._requests):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Work.wait: the operation did not finish within "
                                       f"{timeout}")
                time.sleep(1e-4)
        self._complete()
        return True

    def result(self):
        """The output tensors, once finished."""
        self.wait()
        return list(self._result or [])

    def exception(self):
        return None

    def synchronize(self):
        self.wait()
