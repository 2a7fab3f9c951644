"""Base classes of the attribution methods (Captum's ``Attribution`` hierarchy).

An attribution method wraps a *forward function* ``F``: a :class:`deepgrad.nn.Module`, a
:mod:`deepgrad.keras` model, or any callable mapping input tensors to an output tensor.
``attribute(inputs, ...)`` returns one score per input element: how much that element
contributed to the selected output ``F_target(x)``.
"""
from deepgrad.interpret import _common


class Attribution:
    """The forward function and what every method reports about itself.

    Args:
        forward_func (callable): the model (or any function of the inputs) to explain.
    """

    def __init__(self, forward_func):
        if not callable(forward_func):
            raise TypeError(f"{type(self).__name__}: forward_func must be callable (a model "
                            f"or a function); received {type(forward_func).__name__}")
        self.forward_func = forward_func

    def attribute(self, inputs, *args, **kwargs):  # pragma: no cover - every method overrides
        raise NotImplementedError(f"{type(self).__name__} does not define attribute")

    def has_convergence_delta(self):
        """Whether ``attribute(..., return_convergence_delta=True)`` is available."""
        return False

    @property
    def multiplies_by_inputs(self):
        """Whether the scores are multiplied by ``(inputs - baselines)`` (global
        attribution) rather than being sensitivities (local attribution)."""
        return False

    def compute_convergence_delta(self, attributions, start_point, end_point, target=None,
                                  additional_forward_args=None):
        """Per-example completeness gap of path methods:

            delta_n = sum_i attr_{n,i} - (F_target(end_n) - F_target(start_n))

        Args:
            attributions: the attributions (a tensor/array or a tuple of them).
            start_point: the baselines (numbers, tensors or a tuple).
            end_point: the inputs.
            target, additional_forward_args: as for ``attribute``.
        Returns:
            a tensor (array for NumPy inputs) of shape ``(N,)``.
        """
        ends, _, as_numpy = _common.format_inputs(end_point)
        starts = _common.format_baselines(start_point, ends)
        attrs, _, _ = _common.format_inputs(attributions)
        for a, e in zip(attrs, ends):
            if a.shape[0] != e.shape[0]:
                raise ValueError(f"compute_convergence_delta: attributions have {a.shape[0]} "
                                 f"rows but end_point has {e.shape[0]}")
        _common.check_target(target, ends[0].shape[0])
        extra = _common.format_additional_args(additional_forward_args)
        delta = _common.convergence_delta(self.forward_func, attrs, starts, ends, target, extra)
        return _common.format_values(delta, as_numpy)


class GradientAttribution(Attribution):
    """Methods built on gradients of the output with respect to the inputs."""

    def gradient_func(self, forward_func, inputs, target=None, additional_forward_args=None):
        """``dF_target/dx`` for each input tensor (a tuple), as Captum's
        ``compute_gradients``."""
        return _common.gradients(forward_func, inputs, target, additional_forward_args,
                                 type(self).__name__)


class PerturbationAttribution(Attribution):
    """Methods that evaluate the model on modified inputs (no gradients needed)."""
