"""``deepgrad.onnx.export``'s arguments (torch.onnx.export's), Keras 3's
``Model.export(format="onnx")``, eval mode during the export, opsets, and the errors:
each raised before anything is written."""
import io
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_roundtrip import reference, run_onnx, session  # noqa: E402

import deepgrad as torch  # noqa: E402
import deepgrad.keras as keras  # noqa: E402
import deepgrad.nn as nn  # noqa: E402
import deepgrad.nn.functional as F  # noqa: E402
import deepgrad.onnx  # noqa: E402
from deepgrad.onnx import OnnxExporterError, UnsupportedOperatorError  # noqa: E402


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


class Two(nn.Module):
    """Two inputs, two outputs, a hard-coded float argument."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x, y, scale=1.0):
        h = self.fc(x) * scale
        return h, h.sum(1) + y


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


def _shape(value_info):
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


# ----------------------------------------------------------------------------- arguments
def test_path_pathlike_filelike_and_none(tmp_path):
    model, x = _mlp(), torch.tensor(_x(2, 4))
    p1, p2 = tmp_path / "a.onnx", tmp_path / "b.onnx"
    proto = deepgrad.onnx.export(model, x, str(p1))
    deepgrad.onnx.export(model, (x,), pathlib.Path(p2))
    buf = io.BytesIO()
    deepgrad.onnx.export(model, x, buf)
    assert p1.read_bytes() == p2.read_bytes() == buf.getvalue() == proto.SerializeToString()
    assert isinstance(deepgrad.onnx.export(model, x), onnx.ModelProto)   # f=None: no file
    np.testing.assert_allclose(run_onnx(str(p1), [x.array])[0], reference(model, [x.array])[0],
                               atol=1e-5, rtol=0)


def test_default_names_from_forward_and_outputs():
    proto = deepgrad.onnx.export(Two(), (torch.tensor(_x(2, 4)), torch.tensor(_x(2, seed=1))))
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1"]
    proto = deepgrad.onnx.export(_mlp(), torch.tensor(_x(2, 4)))
    assert [i.name for i in proto.graph.input] == ["input"]       # Sequential.forward(input)
    assert [o.name for o in proto.graph.output] == ["output"]


def test_trailing_dict_kwargs_and_fixed_arguments():
    model, x, y = Two(), _x(2, 4), _x(2, seed=1)
    a = deepgrad.onnx.export(model, (torch.tensor(x), torch.tensor(y), {"scale": 3.0}),
                             input_names=["in_x"], output_names=["h"])
    b = deepgrad.onnx.export(model, (x, y), kwargs={"scale": 3.0})          # NumPy inputs
    assert [i.name for i in a.graph.input] == ["in_x", "y"]
    assert [o.name for o in a.graph.output] == ["h", "output_1"]
    model.eval()
    ref = model(torch.tensor(x), torch.tensor(y), scale=3.0)
    for proto in (a, b):
        got = run_onnx(proto, [x, y])
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r.array, atol=1e-5, rtol=0)


def test_dynamic_axes_dict_and_list_forms():
    model = Two()
    args = (torch.tensor(_x(2, 4)), torch.tensor(_x(2, seed=1)))
    proto = deepgrad.onnx.export(model, args, input_names=["x", "y"], output_names=["h", "s"],
                                 dynamic_axes={"x": {0: "batch"}, "y": [0], "s": {0: "n"}})
    ins, outs = proto.graph.input, proto.graph.output
    assert _shape(ins[0]) == ["batch", 4] and _shape(ins[1]) == ["y_dynamic_axes_1"]
    assert _shape(outs[0]) == ["batch", 3]       # follows the input axis, named after it
    assert _shape(outs[1]) == ["n"]
    x5, y5 = _x(5, 4, seed=3), _x(5, seed=4)
    got = run_onnx(proto, [x5, y5])
    ref = reference(model, [x5, y5])
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, atol=1e-5, rtol=0)


def test_static_shapes_without_dynamic_axes():
    proto = deepgrad.onnx.export(_mlp(), torch.tensor(_x(2, 4)))
    assert _shape(proto.graph.input[0]) == [2, 4]
    assert _shape(proto.graph.output[0]) == [2, 2]


@pytest.mark.parametrize("opset", [13, 17, 18, 21])
def test_opsets(opset):
    """Reductions take axes as an attribute before 18 and as an input from 18."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(), nn.Unflatten(1, (2, 3)),
                          nn.Softmax(dim=-1), nn.Flatten())
    x = _x(2, 4)
    proto = deepgrad.onnx.export(model, x, opset_version=opset, input_names=["x"],
                                 dynamic_axes={"x": [0]})
    assert proto.opset_import[0].version == opset
    for xs in ([x], [_x(5, 4, seed=1)]):
        np.testing.assert_allclose(run_onnx(proto, xs)[0], reference(model, xs)[0],
                                   atol=1e-5, rtol=0)


def test_default_opset_is_17():
    proto = deepgrad.onnx.export(_mlp(), _x(2, 4))
    assert proto.opset_import[0].version == 17
    assert proto.producer_name == "deepgrad"


def test_initializers_keep_parameter_names():
    proto = deepgrad.onnx.export(Two(), (_x(2, 4), _x(2, seed=1)))
    assert {"fc.weight", "fc.bias"} <= {t.name for t in proto.graph.initializer}


def test_eval_mode_for_export_and_restored():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.5), nn.Linear(6, 2))
    model.train()
    stats = model[1].running_mean.array.copy()
    x = _x(8, 4)
    proto = deepgrad.onnx.export(model, x)
    assert all(m.training for m in model.modules())         # every module's mode restored
    np.testing.assert_array_equal(model[1].running_mean.array, stats)   # stats untouched
    model.eval()
    with torch.no_grad():
        ref = model(torch.tensor(x)).array
    np.testing.assert_allclose(run_onnx(proto, [x])[0], ref, atol=1e-5, rtol=0)
    model[0].eval()
    model.train()
    model[2].eval()                                          # a mixed state comes back as is
    deepgrad.onnx.export(model, x)
    assert [m.training for m in model] == [True, True, False, True]


def test_supported_ops_lists_the_families():
    ops = deepgrad.onnx.supported_ops()
    for name in ("Linear", "Conv", "ConvLast", "MaxPool", "BatchNorm", "LSTMLayer",
                 "GRULayer", "Softmax", "Embedding", "ScaledDotProductAttention"):
        assert name in ops


def test_import_deepgrad_does_not_import_onnx():
    code = ("import sys, deepgrad, deepgrad.nn; import deepgrad.onnx; "
            "assert 'onnx' not in sys.modules, 'onnx imported'")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# ----------------------------------------------------------------------------- errors
class Cumulative(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, dim=1)


class NumpyMask(nn.Module):
    def forward(self, x):
        mask = torch.tensor(x.numpy() > 0)          # computed outside the graph
        return x * mask.float()


class TrainingDropout(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=True)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return 2 * g


class Custom(nn.Module):
    def forward(self, x):
        return Square.apply(x)


ERRORS = [
    (lambda: (Cumulative(), _x(2, 3), {}), UnsupportedOperatorError,
     r"CumSum \(deepgrad\.ops\.scan\.CumSum\)"),
    (lambda: (Custom(), _x(2, 3), {}), UnsupportedOperatorError, "Square"),
    (lambda: (NumpyMask(), _x(2, 3), {}), OnnxExporterError, "trace cannot follow"),
    (lambda: (TrainingDropout(), _x(2, 3), {}), OnnxExporterError, "eval mode"),
    (lambda: (_mlp(), _x(2, 4), {"input_names": ["x"], "dynamic_axes": {"x": {1: "f"}}}),
     OnnxExporterError, "cannot change size"),
    (lambda: (lambda x: x, _x(2, 4), {}), TypeError, "nn.Module or a deepgrad.keras"),
    (lambda: (_mlp(), "x", {}), TypeError, "args must be a Tensor"),
    (lambda: (_mlp(), (3.0,), {}), ValueError, "holds no Tensor"),
    (lambda: (_mlp(), _x(2, 4).astype(np.float16), {}), TypeError, "float16"),
    (lambda: (_mlp(), _x(2, 4), {"input_names": "x"}), TypeError, "input_names must be a list"),
    (lambda: (_mlp(), _x(2, 4), {"input_names": ["a", "b"]}), ValueError, "2 input_names"),
    (lambda: (_mlp(), _x(2, 4), {"output_names": ["a", "b"]}), ValueError, "2 output_names"),
    (lambda: (_mlp(), _x(2, 4), {"input_names": ["a"], "output_names": ["a"]}), ValueError,
     "both an input and an output"),
    (lambda: (_mlp(), _x(2, 4), {"dynamic_axes": {"nope": [0]}}), ValueError,
     "neither an input"),
    (lambda: (_mlp(), _x(2, 4), {"dynamic_axes": {"input": ["0"]}}), TypeError,
     "axes are ints"),
    (lambda: (_mlp(), _x(2, 4), {"dynamic_axes": {"input": {5: "b"}}}), ValueError,
     "out of range"),
    (lambda: (_mlp(), _x(2, 4), {"dynamic_axes": [0]}), TypeError, "must be a dict"),
    (lambda: (_mlp(), _x(2, 4), {"opset_version": 12}), ValueError, "between 13"),
    (lambda: (_mlp(), _x(2, 4), {"opset_version": 10 ** 4}), ValueError, "between 13"),
    (lambda: (_mlp(), _x(2, 4), {"opset_version": "17"}), TypeError, "must be an int"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_before_writing(case, tmp_path):
    make, error, match = ERRORS[case]
    model, x, kwargs = make()
    path = tmp_path / "model.onnx"
    with pytest.raises(error, match=match):
        deepgrad.onnx.export(model, x, str(path), **kwargs)
    assert not path.exists()


def test_bad_file_argument():
    with pytest.raises(TypeError, match="f must be a file path"):
        deepgrad.onnx.export(_mlp(), _x(2, 4), 3)


# ----------------------------------------------------------------------------- Keras's API
def _keras_cnn():
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 3), name="image")
    h = keras.layers.Conv2D(4, 3, activation="relu")(inp)
    out = keras.layers.Dense(2)(keras.layers.Flatten()(h))
    return keras.Model(inp, out)


def test_keras_export_channels_last_dynamic_batch(tmp_path, capsys):
    model, path = _keras_cnn(), tmp_path / "cnn.onnx"
    model.export(str(path), format="onnx")
    assert capsys.readouterr().out.strip() == f"Saved artifact at '{path}'."
    (inp,), (out,) = session(str(path)).get_inputs(), session(str(path)).get_outputs()
    assert (inp.name, inp.shape) == ("image", ["batch", 8, 8, 3])
    assert out.shape == ["batch", 2]
    x = _x(5, 8, 8, 3)
    np.testing.assert_allclose(run_onnx(str(path), [x])[0], model(x, training=False).array,
                               atol=1e-5, rtol=0)


def test_keras_export_signature_opset_and_quiet(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])
    model(_x(4, 5))                                   # built by a first call
    spec = keras.layers.InputSpec(shape=(None, 5), dtype="float32")
    path = tmp_path / "mlp.onnx"
    model.export(path, format="onnx", verbose=False, input_signature=[spec], opset_version=18)
    assert capsys.readouterr().out == ""
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 18
    assert [i.name for i in proto.graph.input] == ["input_0"]
    x = _x(7, 5, seed=2)
    np.testing.assert_allclose(run_onnx(str(path), [x])[0], model(x).array, atol=1e-5, rtol=0)


def test_keras_export_refusals(tmp_path):
    model, path = _keras_cnn(), tmp_path / "m"
    with pytest.raises(NotImplementedError, match="format='tf_saved_model'"):
        model.export(str(path))                       # Keras's default format
    with pytest.raises(ValueError, match="Unrecognized format=pb"):
        model.export(str(path), format="pb")
    with pytest.raises(TypeError, match="opset_version"):
        model.export(str(path), format="onnx", is_static=True)
    with pytest.raises(ValueError, match="must give a shape and a dtype"):
        model.export(str(path), format="onnx", input_signature=[object()])
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has not yet been built"):
        unbuilt.export(str(path), format="onnx")
    assert not path.exists()
