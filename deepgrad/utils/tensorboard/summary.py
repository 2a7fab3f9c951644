"""The ``Summary`` protocol buffers that ``SummaryWriter`` writes and tensorboardX does not
build the way ``torch.utils.tensorboard`` does (torch's ``summary.py``).

TensorBoard reads *events*; each event carries a ``Summary``, a list of ``(tag, value)``
pairs. A value is a scalar (``simple_value``), a histogram, an image, or a tensor whose
``metadata.plugin_data.plugin_name`` tells TensorBoard which dashboard shows it (``scalars``
for a new-style scalar, ``text``, ``hparams``, ``graph_keras_model``).

Built here: :func:`scalar` (old and new style, as torch), :func:`hparams` (with torch's
``hparam_domain_discrete``) and :func:`keras_model` (the model JSON Keras 3 writes for the
Graphs dashboard). Histograms, images and text use tensorboardX's builders unchanged.

tensorboardX is an optional extra: every function here imports it when called, and
:func:`require_tensorboardx` turns its absence into one clear ``ImportError``.
"""
import numpy as np

INSTALL_HINT = "pip install 'deepgrad[tensorboard]' (or pip install tensorboardX)"


def require_tensorboardx():
    """Import and return ``tensorboardX``, or raise an ImportError that says how to get it."""
    try:
        import tensorboardX
    except ImportError as exc:
        raise ImportError(
            "deepgrad writes TensorBoard event files through the optional tensorboardX "
            f"package, which is not installed ({exc}). Install it with: {INSTALL_HINT}"
        ) from exc
    return tensorboardX


def scalar(tag, value, new_style=False, double_precision=False):
    """One scalar: ``simple_value`` (old style), or a rank-0 float tensor with the
    ``scalars`` plugin (``new_style``; ``double_precision`` stores a float64), as torch.

    Raises ValueError when ``value`` holds more than one number.
    """
    require_tensorboardx()
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto

    array = np.asarray(value, dtype=np.float64).squeeze()
    if array.ndim != 0:
        raise ValueError(f"add_scalar({tag!r}): expected one number, received an array of "
                         f"shape {np.shape(value)}")
    number = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    proto = (TensorProto(double_val=[number], dtype="DT_DOUBLE") if double_precision
             else TensorProto(float_val=[number], dtype="DT_FLOAT"))
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=metadata)])


def _hparam_value(name, value):
    """(field of ``google.protobuf.Value``, Python value, HParams data type) of one value."""
    if isinstance(value, bool):                 # before int: True is an int in Python
        return "bool_value", value, "DATA_TYPE_BOOL"
    if isinstance(value, str):
        return "string_value", value, "DATA_TYPE_STRING"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number_value", float(value), "DATA_TYPE_FLOAT64"
    array = np.asarray(value) if hasattr(value, "__array__") else None
    if array is not None and array.size == 1 and array.dtype.kind in "biuf":
        return "number_value", float(array.reshape(())), "DATA_TYPE_FLOAT64"
    raise ValueError(f"add_hparams: hparam_dict[{name!r}] must be an int, float, str, bool, "
                     f"None or a one-element Tensor, received {type(value).__name__}")


def _check_domains(hparam_dict, domains):
    if not isinstance(domains, dict):
        raise TypeError(f"add_hparams: hparam_domain_discrete must be a dict, received "
                        f"{type(domains).__name__}")
    for name, values in domains.items():
        if (name not in hparam_dict or not isinstance(values, list)
                or not all(isinstance(v, type(hparam_dict[name])) for v in values)):
            raise TypeError(f"add_hparams: hparam_domain_discrete[{name!r}] must be a list of "
                            f"values of the same type as hparam_dict[{name!r}], received "
                            f"{values!r}")


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries of TensorBoard's HParams dashboard: the experiment (hparam and
    metric names), the session start (this run's values) and the session end (success).

    Values: bool, str, int/float (stored as float64), a one-element Tensor; None is
    skipped. ``hparam_domain_discrete`` maps a name to the list of values it can take.
    Everything is checked before anything is built.
    """
    if type(hparam_dict) is not dict or type(metric_dict) is not dict:
        raise TypeError(f"add_hparams: hparam_dict and metric_dict must be dicts, received "
                        f"{type(hparam_dict).__name__} and {type(metric_dict).__name__}")
    domains = hparam_domain_discrete or {}
    _check_domains(hparam_dict, domains)
    typed = {name: _hparam_value(name, v) for name, v in hparam_dict.items() if v is not None}

    require_tensorboardx()
    from google.protobuf import struct_pb2
    from tensorboardX.proto.api_pb2 import (DataType, Experiment, HParamInfo, MetricInfo,
                                            MetricName, Status)
    from tensorboardX.proto.plugin_hparams_pb2 import (HParamsPluginData, SessionEndInfo,
                                                       SessionStartInfo)

    infos, start = [], SessionStartInfo()
    for name, (field, value, dtype) in typed.items():
        setattr(start.hparams[name], field, value)
        domain = None
        if name in domains:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: _hparam_value(
                name, d)[1]}) for d in domains[name]])
        infos.append(HParamInfo(name=name, type=DataType.Value(dtype), domain_discrete=domain))
    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    return (_hparams_summary("_hparams_/experiment", HParamsPluginData(experiment=experiment)),
            _hparams_summary("_hparams_/session_start_info",
                             HParamsPluginData(session_start_info=start)),
            _hparams_summary("_hparams_/session_end_info",
                             HParamsPluginData(session_end_info=end)))


def _hparams_summary(tag, content):
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    content.version = 0
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="hparams", content=content.SerializeToString()))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])


def keras_model(tag, json_string):
    """The model's Keras JSON as a string tensor with the ``graph_keras_model`` plugin:
    what Keras 3's ``keras_model_summary`` writes and TensorBoard's Graphs dashboard draws
    as the "conceptual graph" (layers and their connections)."""
    require_tensorboardx()
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    proto = TensorProto(dtype="DT_STRING", string_val=[json_string.encode("utf-8")],
                        tensor_shape=TensorShapeProto())
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="graph_keras_model", content=b"1"))
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=metadata)])
