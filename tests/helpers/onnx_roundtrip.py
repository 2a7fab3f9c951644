"""Export a deepgrad model to ONNX, run it in onnxruntime, and compare with deepgrad.

Used by ``tests/onnx_export``; those tests skip when onnx or onnxruntime is missing::

    from onnx_roundtrip import assert_roundtrip
    assert_roundtrip(model, [x])                    # nn.Module, deepgrad.onnx.export
    assert_roundtrip(model, [x], keras=True)        # Keras model, model.export(format=onnx)

Inputs are NumPy arrays. With ``batch=`` the exported model (batch axis dynamic) is also
run on inputs of that batch size, made by repeating the example rows.
"""
import io

import numpy as np

ATOL = 1e-5


def session(proto_or_bytes):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.log_severity_level = 3                    # errors only
    data = proto_or_bytes if isinstance(proto_or_bytes, (bytes, str)) \
        else proto_or_bytes.SerializeToString()
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def run_onnx(proto_or_bytes, inputs):
    sess = session(proto_or_bytes)
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, inputs)))


def flat_arrays(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in flat_arrays(o)]
    if isinstance(out, dict):
        return flat_arrays(list(out.values()))
    return [np.asarray(out.array if hasattr(out, "array") else out)]


def reference(model, inputs, keras=False):
    """deepgrad's own outputs, in eval mode (nn) or with training=False (Keras)."""
    import deepgrad
    if keras:
        x = inputs[0] if len(inputs) == 1 else list(inputs)
        return flat_arrays(model(x, training=False))
    was = model.training
    model.eval()
    try:
        with deepgrad.no_grad():
            return flat_arrays(model(*[deepgrad.tensor(a) for a in inputs]))
    finally:
        model.train(was)


def export(model, inputs, keras=False, dynamic_batch=True, **kwargs):
    """The exported ONNX bytes: Keras through ``model.export`` (batch axis dynamic as
    Keras makes it), nn through ``deepgrad.onnx.export`` with a dynamic batch axis."""
    import tempfile
    import os
    if keras:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.onnx")
            model.export(path, format="onnx", verbose=False, **kwargs)
            with open(path, "rb") as fh:
                return fh.read()
    import deepgrad.onnx
    names = [f"x{i}" for i in range(len(inputs))]
    axes = {n: {0: "batch"} for n in names} if dynamic_batch else None
    buf = io.BytesIO()
    deepgrad.onnx.export(model, tuple(deepgrad_tensor(a) for a in inputs), buf,
                         input_names=names, dynamic_axes=axes, **kwargs)
    return buf.getvalue()


def deepgrad_tensor(a):
    import deepgrad
    return deepgrad.tensor(a)


def grow(inputs, batch):
    """The inputs with ``batch`` rows, the example rows repeated (and perturbed)."""
    out = []
    for a in inputs:
        reps = -(-batch // a.shape[0])
        big = np.concatenate([a] * reps)[:batch]
        if big.dtype.kind == "f":
            big = big * big.dtype.type(0.9) + big.dtype.type(0.05)
        out.append(np.ascontiguousarray(big))
    return out


def assert_roundtrip(model, inputs, keras=False, batch=5, atol=ATOL, **kwargs):
    """Export, run in onnxruntime on ``inputs`` (and on ``batch`` rows when given), compare
    every output with deepgrad's within ``atol``; return the ONNX bytes."""
    data = export(model, inputs, keras=keras, dynamic_batch=batch is not None, **kwargs)
    runs = [list(inputs)] + ([grow(inputs, batch)] if batch is not None else [])
    for xs in runs:
        got = run_onnx(data, xs)
        ref = reference(model, xs, keras=keras)
        assert len(got) == len(ref), (len(got), len(ref))
        for g, r in zip(got, ref):
            assert g.shape == r.shape, (g.shape, r.shape)
            assert g.dtype == r.dtype, (g.dtype, r.dtype)
            np.testing.assert_allclose(g, r, rtol=0, atol=atol)
    return data
