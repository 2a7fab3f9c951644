"""keras.ops core (conversion, eager control flow, slices, scatters), math (segments,
top_k, framing) and linalg against Keras 3 and NumPy; gradients by float64 gradcheck;
unknown names raise AttributeError naming deepgrad."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import gradcheck
from deepgrad.keras import ops

RNG = np.random.default_rng(3)
A = RNG.standard_normal((4, 3)).astype("float32")
SPD = (lambda m: m @ m.T + 3 * np.eye(3))(RNG.standard_normal((3, 3))).astype("float32")
M = RNG.standard_normal((3, 3)).astype("float32")
RHS = RNG.standard_normal((3, 2)).astype("float32")
TALL = RNG.standard_normal((5, 3)).astype("float32")
SEG = np.array([0, 0, 2, 1])
X = RNG.standard_normal((2, 10)).astype("float32")

# name -> (args, kwargs, NumPy reference); compared with keras.ops as well
CASES = {
    "segment_sum": ((A, SEG), {"num_segments": 4},
                    np.stack([A[SEG == s].sum(0) for s in range(4)])),
    "segment_max": ((A, SEG), {"num_segments": 3},
                    np.stack([A[SEG == s].max(0) for s in range(3)])),
    "top_k": ((A, 2), {}, np.sort(A, 1)[:, ::-1][:, :2]),
    "in_top_k": ((np.array([0, 1, 2, 0]), A, 2), {},
                 [(A[i] > A[i, t]).sum() < 2 for i, t in enumerate([0, 1, 2, 0])]),
    "logsumexp": ((A,), {"axis": 0}, np.log(np.exp(A).sum(0))),
    "extract_sequences": ((X, 4, 3), {},
                          np.stack([X[:, s:s + 4] for s in range(0, 7, 3)], 1)),
    "logdet": ((SPD,), {}, np.linalg.slogdet(SPD)[1]),
    "erfinv": ((A / 4,), {}, None), "cdist": ((A, TALL), {},
                                             np.linalg.norm(A[:, None] - TALL[None], axis=-1)),
    "cholesky": ((SPD,), {}, np.linalg.cholesky(SPD)),
    "cholesky_inverse": ((np.linalg.cholesky(SPD),), {}, np.linalg.inv(SPD)),
    "det": ((M,), {}, np.linalg.det(M)), "inv": ((M,), {}, np.linalg.inv(M)),
    "pinv": ((TALL,), {}, np.linalg.pinv(TALL)),
    "lstsq": ((TALL, TALL @ RHS[:, :1].ravel()), {}, RHS[:, :1].ravel()),
    "solve": ((M, RHS), {}, np.linalg.solve(M, RHS)),
    "solve_triangular": ((np.tril(SPD), RHS), {"lower": True},
                         np.linalg.solve(np.tril(SPD), RHS)),
    "matrix_rank": ((TALL @ np.ones((3, 3), "float32"),), {}, 1),
    "norm": ((A,), {}, np.linalg.norm(A)),
    "norm_axis": ((A,), {"ord": 1, "axis": 1}, np.linalg.norm(A, 1, 1)),
    "norm_matrix": ((A,), {"ord": "fro", "axis": (0, 1), "keepdims": True},
                    np.linalg.norm(A, "fro", (0, 1), True)),
    "slogdet": ((M,), {}, np.linalg.slogdet(M)[1]),
    "get_item": ((A, (slice(1, 3), 2)), {}, A[1:3, 2]),
    "slice": ((A, (1, 1), (2, 2)), {}, A[1:3, 1:3]),
    "slice_update": ((A, (1, 0), np.ones((2, 2), "float32")), {},
                     np.where(np.pad(np.ones((2, 2)), ((1, 1), (0, 1))) > 0, 1.0, A)),
    "scatter": ((np.array([[0, 1], [2, 0], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"),
                 (3, 2)), {}, np.array([[0, 4.0], [0, 0], [2.0, 0]])),
    "scatter_update": ((A, np.array([[0, 0], [3, 2]]), np.array([9.0, 8.0], "float32")), {},
                       np.where(np.isin(np.arange(12).reshape(4, 3), [0, 11]),
                                np.array([[9.0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 8.0]]), A)),
    "saturate_cast": ((np.array([-300.0, 5.5, 300.0]), "uint8"), {}, [0, 5, 255]),
}
KERAS_NAME = {"norm_axis": "norm", "norm_matrix": "norm"}
PICK = {"top_k": 0, "slogdet": 1}          # which output of a tuple to compare


def _value(out, name):
    if name in PICK:
        out = out[PICK[name]]
    return np.asarray(out.numpy() if isinstance(out, dg.Tensor) else out)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][2] is not None))
def test_against_numpy(name):
    args, kwargs, ref = CASES[name]
    got = _value(getattr(ops, KERAS_NAME.get(name, name))(*args, **kwargs), name)
    np.testing.assert_allclose(got.astype(float), np.asarray(ref, float), rtol=1e-4,
                               atol=1e-5)


def test_matches_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    bad = []
    for name, (args, kwargs, _) in sorted(CASES.items()):
        k = KERAS_NAME.get(name, name)
        ref = getattr(keras.ops, k)(*args, **kwargs)
        ref = ref[PICK[name]] if name in PICK else ref
        ref = keras.ops.convert_to_numpy(ref)
        got = _value(getattr(ops, k)(*args, **kwargs), name)
        if got.shape != ref.shape or not np.allclose(got.astype(float), ref.astype(float),
                                                     rtol=1e-4, atol=1e-5):
            bad.append(f"{name}: {got} vs {ref}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "logsumexp",
                                  "extract_sequences", "logdet", "cdist", "cholesky", "det",
                                  "inv", "solve", "solve_triangular", "norm", "norm_axis",
                                  "slice", "slice_update", "scatter", "scatter_update",
                                  "get_item"])
def test_gradients(name):
    args, kwargs, _ = CASES[name]
    lifted = [dg.tensor(a.astype(np.float64), requires_grad=True)
              if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
    tensors = tuple(a for a in lifted if isinstance(a, dg.Tensor))

    def fn(*ts):
        if name == "cholesky":         # reads one triangle: perturb symmetrically
            ts = ((ts[0] + ts[0].transpose(0, 1)) * 0.5,)
        it = iter(ts)
        return getattr(ops, KERAS_NAME.get(name, name))(
            *[next(it) if isinstance(a, dg.Tensor) else a for a in lifted], **kwargs)
    assert gradcheck(fn, tensors, atol=1e-5, rtol=1e-3)


def test_control_flow_is_eager_and_differentiable():
    x = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.switch(5, [lambda v: v + 1, lambda v: v * 10], 3) == 30     # index clamped
    out = ops.fori_loop(0, 3, lambda i, v: v * x, dg.tensor(np.ones(2)))
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 2.0]) ** 2)
    i, v = ops.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v * 2.0), (0, 1.0))
    assert (i, v) == (4, 16.0)
    assert ops.while_loop(lambda v: v < 100, lambda v: v * 3, 1, maximum_iterations=2) == 9
    carry, ys = ops.scan(lambda c, e: (c + e, c * e), 0.0, np.array([1.0, 2.0, 3.0]))
    assert float(carry.numpy()) == 6.0 and ys.numpy().tolist() == [0.0, 2.0, 9.0]
    carry, ys = ops.scan(lambda c, e: (c + e, c), 0.0, np.array([1.0, 2.0, 3.0]),
                         reverse=True)
    assert ys.numpy().tolist() == [5.0, 3.0, 0.0]
    sq = ops.map(lambda r: ops.sum(r * r), A)
    np.testing.assert_allclose(sq.numpy(), (A * A).sum(1), rtol=1e-6)
    np.testing.assert_allclose(ops.vectorized_map(lambda r: r[0], A).numpy(), A[:, 0])
    np.testing.assert_allclose(ops.associative_scan(lambda a, b: a + b, A, axis=1).numpy(),
                               np.cumsum(A, 1), rtol=1e-6)
    np.testing.assert_allclose(
        ops.associative_scan(lambda a, b: a * b, A, reverse=True).numpy(),
        np.cumprod(A[::-1], 0)[::-1], rtol=1e-5)
    parts = ops.unstack(A, axis=1)
    assert len(parts) == 3 and parts[1].numpy().tolist() == A[:, 1].tolist()
    assert ops.dtype(A) == "float32" and ops.ndim(A) == 2 and ops.size(A) == 12
    assert ops.shape(A) == (4, 3) and ops.is_tensor(ops.convert_to_tensor(A))


def test_custom_gradient():
    @ops.custom_gradient
    def clipped_identity(v):
        def grad(upstream):
            return ops.clip(upstream, -0.5, 0.5)
        return v * 1.0, grad
    x = dg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (clipped_identity(x) * dg.tensor(np.array([3.0, 0.2]))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.2])


def test_unknown_and_out_of_scope_names():
    with pytest.raises(AttributeError, match=r"deepgrad does not implement keras.ops.fft: "
                                             r"out of scope \(complex numbers\)"):
        ops.fft
    with pytest.raises(AttributeError, match="deepgrad does not implement keras.ops.jvp"):
        ops.jvp
    with pytest.raises(AttributeError, match="deepgrad does not implement keras.ops.nonsense"):
        ops.nonsense
    try:
        ops.arrange                                 # no "Did you mean: 'arange'?" guess
    except AttributeError as e:
        assert e.name is None
    import deepgrad.keras as K
    assert K.ops is ops and ops.numpy.sum is ops.sum and ops.linalg.inv is ops.inv
    assert ops.nn.relu is ops.relu


def test_bad_input():
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_sum(A, np.array([0, 1]))
    with pytest.raises(ValueError, match="sequence_length"):
        ops.extract_sequences(X, 20, 1)
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(A, np.array([[0, 0]]), np.array([1.0]), reduction="max")
    with pytest.raises(ValueError, match="sparse"):
        ops.convert_to_tensor(A, sparse=True)
    with pytest.raises(ValueError, match="num="):
        ops.unstack(A, num=5)
