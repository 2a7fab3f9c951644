"""The focal-loss op family (ops/loss_focal.py): forward vs a NumPy reference of
torchvision's ``sigmoid_focal_loss``, float64 gradcheck in logits and soft targets, torch's
formula on the side; bad arguments raise before anything is computed."""
import numpy as np
import pytest

from deepgrad import ops, Tensor
from op_harness import check_op, uniform


def np_sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0, reduction="none"):
    p = 1.0 / (1.0 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def torch_sigmoid_focal_loss(alpha, gamma, reduction):
    def fn(x, t):
        import torch
        p = torch.sigmoid(x)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
        p_t = p * t + (1 - p) * (1 - t)
        loss = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
        return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]
    return fn


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.9, 1.5)])
def test_sigmoid_focal_loss(alpha, gamma, reduction):
    check_op(lambda x, t: ops.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma,
                                                 reduction=reduction),
             lambda x, t: np_sigmoid_focal_loss(x, t, alpha, gamma, reduction),
             [((7,), (7,)), ((3, 4), (3, 4))],
             make=[uniform(-4.0, 4.0), uniform(0.0, 1.0)],
             torch_fn=torch_sigmoid_focal_loss(alpha, gamma, reduction))


def test_sigmoid_focal_loss_gamma_zero_no_alpha_is_bce_with_logits():
    x = np.linspace(-30, 30, 13)
    t = (np.arange(13) % 2).astype(np.float64)
    got = ops.sigmoid_focal_loss(Tensor(x), Tensor(t), alpha=-1, gamma=0).numpy()
    bce = ops.binary_cross_entropy_with_logits(Tensor(x), Tensor(t), reduction="none").numpy()
    np.testing.assert_allclose(got, bce, rtol=1e-15, atol=0)
    assert np.all(np.isfinite(got))


def test_sigmoid_focal_loss_refuses_bad_arguments():
    x, t = Tensor(np.zeros(3)), Tensor(np.zeros(3))
    with pytest.raises(ValueError, match="reduction"):
        ops.sigmoid_focal_loss(x, t, reduction="batchmean")
    with pytest.raises(TypeError, match="gamma must be a real number"):
        ops.sigmoid_focal_loss(x, t, gamma="2")
    with pytest.raises(ValueError, match=r"targets of shape \(2,\) do not match"):
        ops.sigmoid_focal_loss(x, Tensor(np.zeros(2)))
