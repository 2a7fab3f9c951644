"""Test-suite setup: make ``tests/helpers`` importable from any test file.

Op tests use the shared harness::

    from helpers.op_harness import check_op
"""
import os
import sys

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
