"""The exporter's errors, with ``torch.onnx``'s names.

``OnnxExporterError`` is raised when a traced model cannot be written as ONNX (a value the
trace cannot follow, a graph that changes with a dynamic size); its subclass
``UnsupportedOperatorError`` names an op that has no ONNX converter, with the Python
class that computed it. Wrong arguments to :func:`deepgrad.onnx.export` raise the usual
``TypeError`` / ``ValueError``. Every one of them is raised before a file is written.
"""


class OnnxExporterError(RuntimeError):
    """A traced model that cannot be written as ONNX (``torch.onnx.OnnxExporterError``)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op of the traced graph without an ONNX converter
    (``torch.onnx.errors.UnsupportedOperatorError``)."""
