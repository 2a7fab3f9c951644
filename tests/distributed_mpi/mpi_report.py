"""The checks an MPI worker runs, reported as one JSON line per rank and check.

A worker runs under ``mpirun``; every rank calls the same checks in the same order
(their collectives pair up). ``@check`` catches what a check raises and prints::

    CHECK {"name": "ddp_mlp", "rank": 1, "ok": true, "detail": "max |dw| = 3e-15"}

and the test reads those lines back (``mpi_launch.parse``). ``main(checks)`` runs the checks
named on the command line (all when none).
"""
import json
import sys
import traceback

CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def _emit(name, rank, ok, detail):
    print("CHECK " + json.dumps({"name": name, "rank": rank, "ok": ok, "detail": detail}),
          flush=True)


def main(rank_of):
    names = sys.argv[1:] or list(CHECKS)
    for name in names:
        try:
            detail = CHECKS[name]()
            _emit(name, rank_of(), True, "" if detail is None else str(detail))
        except Exception:                                  # noqa: reported, not raised
            _emit(name, rank_of(), False, traceback.format_exc())

