"""keras.ops's NumPy-style names (deepgrad.keras.ops.numpy_*) against NumPy and Keras 3:
values (and dtypes) for every name, gradients by float64 gradcheck for the
differentiable ones."""
import os

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import gradcheck
from deepgrad.keras import ops

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4)).astype("float32")
B = RNG.standard_normal((3, 4)).astype("float32")
P = (RNG.random((3, 4)) + 0.2).astype("float32")
U = (RNG.random((3, 4)) * 1.6 - 0.8).astype("float32")           # in (-1, 1)
G = (RNG.random((3, 4)) + 1.1).astype("float32")                 # > 1
I = RNG.integers(1, 9, (3, 4)).astype("int32")
J = RNG.integers(1, 9, (3, 4)).astype("int32")
V = RNG.standard_normal(5).astype("float32")
W = RNG.standard_normal(3).astype("float32")
NAN = A.copy()
NAN[0, 1] = NAN[2, 3] = np.nan
INF = np.where(A > 0, np.inf, A).astype("float32")
SQ = RNG.standard_normal((3, 3)).astype("float32")
V3 = RNG.standard_normal((2, 3)).astype("float32")
W3 = RNG.standard_normal((2, 3)).astype("float32")

# name -> (args, kwargs, NumPy reference)
CASES = {
    "cbrt": ((A,), {}, np.cbrt(A)), "exp2": ((A,), {}, np.exp2(A)),
    "log2": ((P,), {}, np.log2(P)), "log10": ((P,), {}, np.log10(P)),
    "reciprocal": ((P,), {}, 1 / P), "fabs": ((A,), {}, np.fabs(A)),
    "trunc": ((A * 3,), {}, np.trunc(A * 3)), "signbit": ((A,), {}, np.signbit(A)),
    "tan": ((U,), {}, np.tan(U)), "sinh": ((A,), {}, np.sinh(A)),
    "cosh": ((A,), {}, np.cosh(A)), "arcsin": ((U,), {}, np.arcsin(U)),
    "arccos": ((U,), {}, np.arccos(U)), "arctan": ((A,), {}, np.arctan(A)),
    "arcsinh": ((A,), {}, np.arcsinh(A)), "arccosh": ((G,), {}, np.arccosh(G)),
    "arctanh": ((U,), {}, np.arctanh(U)), "arctan2": ((A, B), {}, np.arctan2(A, B)),
    "deg2rad": ((A,), {}, np.deg2rad(A)), "rad2deg": ((A,), {}, np.rad2deg(A)),
    "sinc": ((A,), {}, np.sinc(A)), "i0": ((A,), {}, np.i0(A)),
    "logaddexp": ((A, B), {}, np.logaddexp(A, B)),
    "logaddexp2": ((A, B), {}, np.logaddexp2(A, B)),
    "hypot": ((A, B), {}, np.hypot(A, B)),
    "heaviside": ((np.round(A), 0.5), {}, np.heaviside(np.round(A), 0.5)),
    "fmax": ((A, B), {}, np.fmax(A, B)), "fmin": ((A, B), {}, np.fmin(A, B)),
    "floor_divide": ((I, J), {}, I // J), "mod": ((A, P), {}, np.mod(A, P)),
    "fmod": ((A, P), {}, np.fmod(A, P)), "gcd": ((I, J), {}, np.gcd(I, J)),
    "lcm": ((I, J), {}, np.lcm(I, J)), "ldexp": ((A, I), {}, np.ldexp(A, I)),
    "nextafter": ((A, B), {}, np.nextafter(A, B)),
    "nan_to_num": ((NAN,), {"nan": 7.0}, np.nan_to_num(NAN, nan=7.0)),
    "divide_no_nan": ((A, np.where(B > 0, B, 0)), {},
                      np.where(B > 0, A / np.where(B > 0, B, 1), 0)),
    "isclose": ((A, A + 1e-7), {}, np.isclose(A, A + 1e-7)),
    "allclose": ((A, A + 1e-7), {}, np.allclose(A, A + 1e-7)),
    "isnan": ((NAN,), {}, np.isnan(NAN)), "isinf": ((INF,), {}, np.isinf(INF)),
    "isfinite": ((NAN,), {}, np.isfinite(NAN)),
    "isposinf": ((INF,), {}, np.isposinf(INF)), "isneginf": ((-INF,), {}, np.isneginf(-INF)),
    "isreal": ((A,), {}, np.isreal(A)), "isin": ((I, [1, 2, 3]), {}, np.isin(I, [1, 2, 3])),
    "logical_xor": ((A > 0, B > 0), {}, np.logical_xor(A > 0, B > 0)),
    "bitwise_and": ((I, J), {}, I & J), "bitwise_or": ((I, J), {}, I | J),
    "bitwise_xor": ((I, J), {}, I ^ J), "bitwise_not": ((I,), {}, ~I),
    "bitwise_invert": ((I,), {}, ~I), "bitwise_left_shift": ((I, 2), {}, I << 2),
    "bitwise_right_shift": ((I, 1), {}, I >> 1), "left_shift": ((I, J % 3), {}, I << (J % 3)),
    "right_shift": ((I, J % 3), {}, I >> (J % 3)),
    "digitize": ((A, [-1.0, 0.0, 1.0]), {}, np.digitize(A, [-1.0, 0.0, 1.0])),
    # reductions
    "all": ((A > -1,), {"axis": 1}, (A > -1).all(1)), "any": ((A > 1,), {}, (A > 1).any()),
    "amax": ((A,), {"axis": (0, 1)}, A.max()), "amin": ((A,), {"axis": 0}, A.min(0)),
    "ptp": ((A,), {"axis": 1}, np.ptp(A, 1)),
    "average": ((A,), {"axis": 1, "weights": P[0]}, np.average(A, 1, P[0])),
    "count_nonzero": ((np.round(A),), {"axis": 0}, np.count_nonzero(np.round(A), 0)),
    "nansum": ((NAN,), {"axis": 1}, np.nansum(NAN, 1)),
    "nanmean": ((NAN,), {"axis": 1}, np.nanmean(NAN, 1)),
    "nanvar": ((NAN,), {"axis": 1}, np.nanvar(NAN, 1)),
    "nanstd": ((NAN,), {}, np.nanstd(NAN)),
    "nanprod": ((NAN,), {"axis": 0}, np.nanprod(NAN, 0)),
    "nanmax": ((NAN,), {"axis": 1}, np.nanmax(NAN, 1)),
    "nanmin": ((NAN,), {"axis": 1}, np.nanmin(NAN, 1)),
    "nanargmax": ((NAN,), {"axis": 1}, np.nanargmax(NAN, 1)),
    "nanargmin": ((NAN,), {"axis": 1}, np.nanargmin(NAN, 1)),
    "nancumsum": ((NAN,), {"axis": 1}, np.nancumsum(NAN, 1)),
    "nancumprod": ((NAN,), {"axis": 1}, np.nancumprod(NAN, 1)),
    "median": ((A,), {"axis": 1}, np.median(A, 1)),
    "nanmedian": ((NAN,), {"axis": 1}, np.nanmedian(NAN, 1)),
    "quantile": ((A, [0.1, 0.5]), {"axis": 1}, np.quantile(A, [0.1, 0.5], 1)),
    "nanquantile": ((NAN, 0.3), {"axis": 1}, np.nanquantile(NAN, 0.3, 1)),
    "percentile": ((A, 30.0), {"axis": 0, "method": "nearest"},
                   np.percentile(A, 30.0, 0, method="nearest")),
    "nanpercentile": ((NAN, 70.0), {"axis": 1}, np.nanpercentile(NAN, 70.0, 1)),
    "diff": ((A,), {"n": 2, "axis": 1}, np.diff(A, 2, 1)),
    "trapezoid": ((A,), {"dx": 0.5}, np.trapezoid(A, dx=0.5)),
    "sort": ((A,), {"axis": 0}, np.sort(A, 0)), "argsort": ((A,), {}, np.argsort(A)),
    "searchsorted": ((np.sort(V), A[0]), {"side": "right"},
                     np.searchsorted(np.sort(V), A[0], "right")),
    "bincount": ((I[0],), {"minlength": 10}, np.bincount(I[0], minlength=10)),
    "unique": ((I,), {}, np.unique(I)),
    "correlate": ((V, W), {"mode": "full"}, np.correlate(V, W, "full")),
    # shapes, joins, indexing
    "ravel": ((A,), {}, A.ravel()), "moveaxis": ((A[None], 0, 2), {}, np.moveaxis(A[None], 0, 2)),
    "swapaxes": ((A, 0, 1), {}, A.T), "copy": ((A,), {}, A),
    "flip": ((A,), {"axis": 1}, np.flip(A, 1)), "fliplr": ((A,), {}, np.fliplr(A)),
    "flipud": ((A,), {}, np.flipud(A)), "roll": ((A, 2), {"axis": 1}, np.roll(A, 2, 1)),
    "rot90": ((A,), {"k": 3}, np.rot90(A, 3)),
    "pad": ((A, ((1, 0), (2, 1))), {"constant_values": 2.0},
            np.pad(A, ((1, 0), (2, 1)), constant_values=2.0)),
    "append": ((A, B), {"axis": 0}, np.append(A, B, 0)),
    "hstack": (([A, B],), {}, np.hstack([A, B])), "vstack": (([A, B],), {}, np.vstack([A, B])),
    "dstack": (([A, B],), {}, np.dstack([A, B])),
    "select": (([A > 0.5, A < -0.5], [A, B]), {"default": 9.0},
               np.select([A > 0.5, A < -0.5], [A, B], 9.0)),
    "meshgrid": ((V, W), {"indexing": "ij"}, np.stack(np.meshgrid(V, W, indexing="ij"))),
    "tril": ((A,), {"k": 1}, np.tril(A, 1)), "triu": ((A,), {"k": -1}, np.triu(A, -1)),
    "diag": ((V,), {"k": 1}, np.diag(V, 1)), "diagflat": ((A,), {}, np.diagflat(A)),
    "diagonal": ((A,), {"offset": 1}, np.diagonal(A, 1)),
    "trace": ((A,), {"offset": -1}, np.trace(A, -1)),
    # creation, windows, products
    "array": ((A,), {}, A), "empty": (((2, 3),), {}, np.zeros((2, 3))),
    "empty_like": ((A,), {}, np.zeros_like(A)), "identity": ((3,), {}, np.identity(3)),
    "tri": ((3, 4), {"k": 1}, np.tri(3, 4, 1)),
    "logspace": ((0.0, 2.0, 5), {}, np.logspace(0, 2, 5)),
    "geomspace": ((1.0, 100.0, 5), {}, np.geomspace(1, 100, 5)),
    "bartlett": ((6,), {}, np.bartlett(6)), "blackman": ((6,), {}, np.blackman(6)),
    "hamming": ((6,), {}, np.hamming(6)), "hanning": ((6,), {}, np.hanning(6)),
    "kaiser": ((6, 2.0), {}, np.kaiser(6, 2.0)),
    "inner": ((A, B), {}, np.inner(A, B)), "outer": ((V, W), {}, np.outer(V, W)),
    "kron": ((A, SQ), {}, np.kron(A, SQ)), "vdot": ((V, V[::-1].copy()), {}, np.vdot(V, V[::-1])),
    "cross": ((V3, W3), {}, np.cross(V3, W3)), "vander": ((V,), {"N": 3}, np.vander(V, 3)),
    "corrcoef": ((A,), {}, np.corrcoef(A)),
    "rearrange": ((np.arange(24.0).reshape(2, 3, 4), "b h (w c) -> b c (h w)"), {"c": 2},
                  np.arange(24.0).reshape(2, 3, 2, 2).transpose(0, 3, 1, 2).reshape(2, 2, 6)),
}
MULTI = {"meshgrid"}          # functions returning lists that are stacked for comparison


def _call(name):
    args, kwargs, _ = CASES[name]
    out = getattr(ops, name)(*args, **kwargs)
    return np.stack([o.numpy() for o in out]) if name in MULTI else out.numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_numpy(name):
    got, ref = _call(name), np.asarray(CASES[name][2])
    assert got.shape == ref.shape, (got.shape, ref.shape)
    np.testing.assert_allclose(got.astype(float), ref.astype(float), rtol=2e-5, atol=2e-6,
                               equal_nan=True)


UNINITIALISED = {"empty", "empty_like"}       # Keras returns uninitialised memory


def test_matches_keras_3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    failures = []
    for name in sorted(CASES):
        try:
            _check_keras(keras, name)
        except AssertionError as e:
            failures.append(f"{name}: {str(e)[:300]}")
    assert not failures, "\n".join(failures)


def _check_keras(keras, name):
        args, kwargs, _ = CASES[name]
        ref = getattr(keras.ops, name)(*args, **kwargs)
        ref = np.stack([keras.ops.convert_to_numpy(r) for r in ref]) if name in MULTI \
            else keras.ops.convert_to_numpy(ref)
        got = _call(name)
        if name in UNINITIALISED:
            ref = np.zeros_like(ref)
        np.testing.assert_allclose(got.astype(float), np.asarray(ref).astype(float),
                                   rtol=2e-5, atol=2e-6, equal_nan=True, err_msg=name)
        if name not in ("unique", "bincount", "digitize", "searchsorted", "argsort",
                        "nanargmax", "nanargmin", "count_nonzero", "allclose"):
            assert str(got.dtype) == str(np.asarray(ref).dtype), \
                f"{name}: dtype {got.dtype} vs Keras {np.asarray(ref).dtype}"


GRAD = ["cbrt", "exp2", "log2", "tan", "sinh", "arcsin", "arctanh", "arctan2", "logaddexp",
        "hypot", "fmax", "mod", "nansum", "nanmean", "nanvar", "nanmax",
        "median", "quantile", "average", "ptp", "diff", "trapezoid", "sort", "correlate",
        "roll", "rot90", "pad", "select", "append", "hstack", "tril", "diagonal", "trace",
        "inner", "outer", "kron", "vdot", "cross", "vander", "corrcoef", "nancumprod",
        "rearrange"]


@pytest.mark.parametrize("name", GRAD)
def test_gradients(name):
    args, kwargs, _ = CASES[name]

    def lift(a):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isnan(a).any():
            return dg.tensor(a.astype(np.float64), requires_grad=True)
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":        # NaN-holding input:
            return dg.tensor(a.astype(np.float64), requires_grad=True)   # NaN entries get 0
        if isinstance(a, list) and a and isinstance(a[0], np.ndarray) and a[0].dtype.kind == "f":
            return [lift(x) for x in a]
        return a
    lifted = [lift(a) for a in args]
    flat = [a for a in lifted if isinstance(a, dg.Tensor)] + \
        [x for a in lifted if isinstance(a, list) for x in a if isinstance(x, dg.Tensor)]

    def fn(*tensors):
        it = iter(tensors)
        call = [next(it) if isinstance(a, dg.Tensor) else a for a in lifted]
        call = [[next(it) if isinstance(x, dg.Tensor) else x for x in a]
                if isinstance(a, list) else a for a in call]
        out = getattr(ops, name)(*call, **kwargs)
        return ops.where(ops.isnan(out), 0.0, out) if name.startswith("nan") else out
    assert gradcheck(fn, tuple(flat), atol=1e-5, rtol=1e-3)


def test_split_family_and_errors():
    x = np.arange(10.0, dtype="float32")
    assert [p.shape for p in ops.array_split(x, 3)] == [(4,), (3,), (3,)]
    assert [p.shape for p in ops.hsplit(A, 2)] == [(3, 2), (3, 2)]
    assert [p.shape for p in ops.vsplit(np.ones((4, 2)), [1])] == [(1, 2), (3, 2)]
    assert [p.shape for p in ops.dsplit(np.ones((1, 2, 4)), 2)] == [(1, 2, 2)] * 2
    with pytest.raises(ValueError, match="equal sections"):
        ops.split(x, 3)
    with pytest.raises(ValueError, match="must be one of"):
        ops.pad(A, 1, mode="bogus")
    with pytest.raises(ValueError, match="same length"):
        ops.select([A > 0], [A, B])
    with pytest.raises(ValueError, match=r"q must be in \[0, 1\]"):
        ops.quantile(A, 1.5)
    with pytest.raises(TypeError, match="integer"):
        ops.bitwise_and(A, B)
    with pytest.raises(ValueError, match="same axes"):
        ops.rearrange(A, "a b -> a c")
    with pytest.raises(ValueError, match="divisible"):
        ops.rearrange(A, "a (b c) -> a b c", c=3)
    np.testing.assert_allclose(ops.pad(A, 1, mode="reflect").numpy(), np.pad(A, 1, "reflect"))
    np.testing.assert_allclose(ops.pad(A, 2, mode="symmetric").numpy(),
                               np.pad(A, 2, "symmetric"))
    np.testing.assert_allclose(ops.pad(A, 1, mode="edge").numpy(), np.pad(A, 1, "edge"))
    counts, edges = ops.histogram(V, bins=4)
    ref_c, ref_e = np.histogram(V, 4)
    np.testing.assert_array_equal(counts.numpy(), ref_c)
    np.testing.assert_allclose(edges.numpy(), ref_e, rtol=1e-6)
    idx = ops.nonzero(A > 0)
    assert [i.numpy().tolist() for i in idx] == [i.tolist() for i in np.nonzero(A > 0)]
    part = ops.argpartition(V, 2).numpy()
    assert np.sort(V)[2] == V[part[2]] and (V[part[:2]] <= V[part[2]]).all()


def test_dtype_rules():
    """Keras's result_type: weak Python scalars, floats over ints, floatx for Python floats."""
    assert ops.add(I, 1.5).dtype == np.float32
    assert ops.add(I, 2).dtype == np.int32
    assert ops.add(A, A.astype("float64")).dtype == np.float64
    assert ops.add(A.astype("float16"), 1.0).dtype == np.float16
    assert ops.multiply(I.astype("int64"), A.astype("float16")).dtype == np.float16
    assert ops.divide(I, J).dtype == np.float32
    assert ops.sqrt(I).dtype == np.float32 and ops.mean(I).dtype == np.float32
    assert ops.sum(A > 0).dtype == np.int32
    assert ops.arange(5).dtype == np.int32 and ops.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.full((2,), 3).dtype == np.int32


def test_vectorize_differentiates():
    x = dg.tensor(np.array([0.5, 1.5, 2.0]), requires_grad=True)
    fn = ops.vectorize(lambda v: v * v + 1.0)
    y = fn(x)
    np.testing.assert_allclose(y.numpy(), [1.25, 3.25, 5.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="signature"):
        ops.vectorize(np.sum, signature="(n)->()")
