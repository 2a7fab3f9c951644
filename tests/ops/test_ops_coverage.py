"""Every op exported by deepgrad.ops has a test: a new export without one fails here."""
import inspect
import pathlib
import re

from deepgrad import ops

HERE = pathlib.Path(__file__).parent


def exported_ops():
    return sorted(name for name, obj in vars(ops).items()
                  if not name.startswith("_") and callable(obj) and not inspect.ismodule(obj))


def test_every_exported_op_is_used_by_an_op_test():
    source = "\n".join(p.read_text() for p in HERE.glob("test_ops_*.py")
                       if p.name != "test_ops_coverage.py")
    missing = [name for name in exported_ops() if not re.search(rf"\bops\.{name}\b", source)]
    assert not missing, f"ops without a test in tests/ops: {missing}"
