"""Test-suite setup: make the shared harness in ``tests/helpers`` importable.

Op tests use it as::

    from op_harness import check_op

Only ``tests/helpers`` goes on ``sys.path`` (and pytest runs with
``--import-mode=importlib``, which adds nothing), so no test folder can shadow a real
package: ``tests/keras_front`` is never importable as ``keras``.
"""
import os
import sys

_HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")
if _HELPERS not in sys.path:
    sys.path.insert(0, _HELPERS)
