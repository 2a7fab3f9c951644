"""Setting deepgrad's thread count in a test, and putting it back."""
import contextlib
import warnings

import deepgrad as dg


def set_threads(n):
    """``deepgrad.set_num_threads(n)``, quietly where no known BLAS is loaded (the value is
    then only recorded)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dg.set_num_threads(n)


@contextlib.contextmanager
def threads(n):
    """Run the block at ``n`` threads, then restore the count it found."""
    before = dg.get_num_threads()
    set_threads(n)
    try:
        yield
    finally:
        set_threads(before)
