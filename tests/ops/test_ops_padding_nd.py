"""pad in 3-D for every mode, PyTorch's rank rules for the non-constant modes; forward vs
NumPy, float64 gradcheck, PyTorch parity."""
import numpy as np
import pytest

import deepgrad as dg
from deepgrad import ops
from lazy_torch import F
from torch_last import check_op

NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_ref(x, p, mode, value=0.0):
    widths = [(0, 0)] * x.ndim
    for k in range(len(p) // 2):
        widths[x.ndim - 1 - k] = (p[2 * k], p[2 * k + 1])
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode=NP_MODE[mode])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,p", [((1, 2, 3, 4, 3), (1, 2, 0, 3, 2, 1)),
                                     ((2, 3, 4, 3), (2, 0, 1, 1, 0, 2)),
                                     ((1, 2, 3, 3, 4), (0, 0, 1, 0, 0, 1))])
def test_pad_3d_every_mode(mode, shape, p):
    check_op(lambda x: ops.pad(x, p, mode), lambda x: pad_ref(x, p, mode), [shape])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_3d_matches_torch(mode):
    p = (1, 2, 2, 0, 1, 1)
    check_op(lambda x: ops.pad(x, p, mode), None, [(1, 2, 3, 4, 3), (2, 3, 4, 3)],
             torch_fn=lambda x: F.pad(x, p, mode=mode))


def test_pad_circular_may_pad_a_whole_length_and_crop():
    check_op(lambda x: ops.pad(x, (4, 1, -1, 2), "circular"), None, [(2, 3, 4, 4)])
    check_op(lambda x: ops.pad(x, (4, 1, -1, 2), "circular"), None, [(2, 3, 4, 4)],
             torch_fn=lambda x: F.pad(x, (4, 1, -1, 2), mode="circular"))


def test_pad_value_none_is_zero():
    x = dg.randn(1, 2, 3)
    np.testing.assert_array_equal(ops.pad(x, (1, 1), value=None).numpy(),
                                  ops.pad(x, (1, 1), value=0).numpy())
    assert ops.pad(x, (1, 1), "reflect", value=None).shape == (1, 2, 5)


def test_pad_non_constant_modes_follow_torchs_rank_rules():
    for mode in ("reflect", "replicate", "circular"):
        with pytest.raises(ValueError, match=rf"pad: mode '{mode}' pads the last 1, 2 or 3 "
                                             r"dimensions of a \(k\+1\)-D or \(k\+2\)-D input .* "
                                             r"pad of length 2 for input of shape \(1, 2, 3, 4\)"):
            ops.pad(dg.randn(1, 2, 3, 4), (1, 1), mode)
        with pytest.raises(ValueError, match=rf"pad: mode '{mode}' pads the last 1, 2 or 3"):
            ops.pad(dg.randn(1, 1, 2, 3, 4, 5), (1,) * 8, mode)
    with pytest.raises(ValueError, match="pad: mode 'reflect' takes no fill value"):
        ops.pad(dg.randn(1, 2, 3), (1, 1), "reflect", value=1.0)
    assert ops.pad(dg.randn(1, 2, 3, 4), (1, 1)).shape == (1, 2, 3, 6)     # constant: any rank
