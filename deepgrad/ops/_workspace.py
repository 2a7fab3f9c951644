"""A small pool of work buffers that ops can reuse across calls of the same size.

Used by the recurrent ops (``deepgrad/ops/rnn.py``), which need several large buffers for
forward and backward through time on every training step.
"""
import math
import threading

import numpy as np

from deepgrad.autograd.function import Function


class _Workspaces:
    """Work buffers of finished recurrent ops, kept for the next call of the same size.

    A training step allocates and frees the same large buffers every iteration; the C
    allocator returns the freed memory to the OS at the end of the step and the next step
    page-faults it back in (about 1,600 faults, 4 ms, in a 13 ms step of a 3-layer
    LSTM(50) on the 2-core machine). An op takes its workspace here and gives it back in
    ``release``, after its backward, when nothing else can see it. At most ``limit`` bytes
    are kept; the blocks given back longest ago go first.
    """

    def __init__(self, limit=64 << 20):
        self.limit, self.kept, self.free, self.lock = limit, 0, {}, threading.Lock()

    def take(self, size, dtype):
        with self.lock:
            stack = self.free.get((size, np.dtype(dtype)))
            if stack:
                self.kept -= stack[-1].nbytes
                return stack.pop()
        return np.empty(size, dtype)

    def give(self, block):
        key = (block.size, block.dtype)
        with self.lock:
            self.free[key] = self.free.pop(key, []) + [block]     # most recent last
            self.kept += block.nbytes
            while self.kept > self.limit:
                oldest = next(iter(self.free))
                self.kept -= self.free[oldest].pop(0).nbytes
                if not self.free[oldest]:
                    del self.free[oldest]


_WORKSPACES = _Workspaces()


class RecurrentOp(Function):
    """A layer op whose work buffers live in ``self.ws`` and are recycled after backward."""

    def release(self):
        ws = self.__dict__.get("ws")
        super().release()
        if ws is not None and "block" in ws:
            _WORKSPACES.give(ws["block"])


def _align_offset(block):
    """Elements from ``block``'s start to its first 64-byte aligned element."""
    return (-block.ctypes.data % 64) // block.itemsize


def aligned_empty(shape, dtype):
    """``np.empty(shape, dtype)`` starting on a 64-byte boundary (a cache line): threads
    that write disjoint 64-byte runs of its rows then never write to one line (C's
    allocator aligns to 16 bytes only)."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    block = np.empty(n + 64 // dtype.itemsize, dtype)
    start = _align_offset(block)
    return block[start:start + n].reshape(shape)


def _workspace(dtype, **shapes):
    """One block cut into a view per named shape (64-byte aligned), plus "block" itself.

    Each op takes all the large buffers of its forward and of its backward through time
    from one block: backward's part is not touched under ``no_grad``, and the block goes
    back to ``_WORKSPACES`` as a whole in ``_RecurrentOp.release``.
    """
    dtype = np.dtype(dtype)
    align = max(1, 64 // dtype.itemsize)
    counts = {k: math.prod(v) for k, v in shapes.items()}     # (np.prod: 3 us a call)
    sizes = {k: -(-n // align) * align for k, n in counts.items()}
    block = _WORKSPACES.take(sum(sizes.values()) + align, dtype)
    views, start = {"block": block}, _align_offset(block)
    for name, shape in shapes.items():
        views[name] = block[start:start + counts[name]].reshape(shape)
        start += sizes[name]
    return views
